"""Long runs do not leak: resident memory stays flat over a million kernel
calls and over a hundred training runs.

A leak of 8 bytes a call would add 8 MB over the million calls; of one
training workspace a run, several MB over the hundred runs.  The allowance
is what the interpreter's own allocator moves by in such loops.
(tools/sanitize.sh leaves this file out: AddressSanitizer holds freed
memory in quarantine, so RSS there measures the sanitizer.)"""
import gc
import os

import numpy as np

import pyneuron
import pyneuron.functional as F
from pyneuron import datasets

PAGE = os.sysconf("SC_PAGE_SIZE")
ALLOWANCE = 2 << 20


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def kernel_calls():
    """One round of calls through every kind of entry point, on small arrays
    (so the call machinery, not the arithmetic, dominates)."""
    rng = np.random.default_rng(0)
    x32 = rng.normal(size=37).astype(np.float32)
    x = rng.normal(size=(5, 7))
    W, b = rng.normal(size=(7, 3)), rng.normal(size=3)
    labels = np.array([0, 2, 1, 1, 0])
    out = np.empty_like(x)
    calls = [
        lambda: F.sigmoid(x32), lambda: F.gelu(x), lambda: F.tanh_backward(x, x), lambda: F.elu(x, 0.5, out=out),
        lambda: F.softmax(x), lambda: F.log_softmax_backward(x, x), lambda: F.dense(x, W, b),
        lambda: F.dense_backward(x, W, x[:, :3]), lambda: F.mse(x, x), lambda: F.binary_cross_entropy_with_logits_backward(x, x),
        lambda: F.cross_entropy(x[:, :3], labels), lambda: F.cross_entropy_backward(x[:, :3], labels),
    ]
    return calls


def test_a_million_kernel_calls_do_not_grow_memory():
    calls = kernel_calls()
    rounds = 1_000_000 // len(calls)
    for _ in range(2000):  # warm up: caches, the allocator's arenas
        for call in calls:
            call()
    before = rss()
    for _ in range(rounds):
        for call in calls:
            call()
    grown = rss() - before
    assert grown < ALLOWANCE, f"RSS grew by {grown / 2**20:.1f} MiB over {rounds * len(calls)} calls"


def test_a_hundred_training_runs_do_not_grow_memory():
    x, y = datasets.circle(n=500, seed=1)

    def run(seed):
        net = pyneuron.Network([2, 16, 16, 1], activation="relu", output_activation="sigmoid", seed=seed)
        traj = net.fit(x, y, loss="bce", epochs=60, snapshots=10, batch_size=100)
        net.predict(x)
        return traj

    for seed in range(10):
        run(seed)
    before = rss()
    for seed in range(100):
        run(seed)
    grown = rss() - before
    assert grown < ALLOWANCE, f"RSS grew by {grown / 2**20:.1f} MiB over 100 training runs"
