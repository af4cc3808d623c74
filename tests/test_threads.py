"""Threads: every case of tests/kernel_cases.py called from many threads at
once gives, bit for bit, its serial results; networks trained and run
concurrently equal their serial runs; and a long C call releases the GIL,
so that other Python threads keep running meanwhile."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import pyneuron
import pyneuron.functional as F
from pyneuron import datasets
from kernel_cases import CASES, assert_identical, results

THREADS = 6
REPEATS = 3


def calls():
    """(label, thunk) for every case at its shortest and longest tail length
    and a length 20 times that, in both dtypes, with and without out= in place."""
    out = []
    for case in CASES:
        for length in (case.lengths[0], case.lengths[-1], 20 * case.lengths[-1]):
            for dtype in (np.float32, np.float64):
                inputs = case.make(np.random.default_rng(length), case.dims(length), dtype)
                label = f"{case.name} at length {length}, {dtype.__name__}"
                out.append((label, lambda case=case, inputs=inputs: results(case(*inputs))))
                for i in case.in_place:
                    def in_place(case=case, inputs=inputs, i=i):
                        args = list(inputs)
                        args[i] = inputs[i].copy()
                        return results(case(*args, out=args[i]))
                    out.append((f"{label}, in place of {case.inputs[i].name}", in_place))
    return out


def test_concurrent_calls_equal_serial_calls(simd):
    work = calls()
    serial = [thunk() for _, thunk in work]
    order = [k for k in range(len(work)) for _ in range(REPEATS)]
    random.Random(0).shuffle(order)
    with ThreadPoolExecutor(THREADS) as pool:
        concurrent = list(pool.map(lambda k: work[k][1](), order))
    for k, got in zip(order, concurrent):
        assert_identical(got, serial[k], work[k][0] + ", concurrently")


def networks():
    """Separate networks covering the losses, optimizers, dtypes and batching."""
    xy = datasets.exp_decay(n=128)
    circle = datasets.circle(n=200, seed=1)
    classes = (circle[0], (circle[1].ravel() + (circle[0][:, 0] > 0)).astype(np.int64))
    return [
        (dict(layers=[1, 8, 1], activation="tanh"), xy, dict(optimizer=pyneuron.Adam(lr=0.01))),
        (dict(layers=[1, 6, 6, 1], activation="gelu", dtype=np.float32), xy,
         dict(optimizer=pyneuron.SGD(lr=0.05, momentum=0.9), batch_size=16)),
        (dict(layers=[2, 8, 1], activation="relu", output_activation="sigmoid"), circle,
         dict(loss="bce", batch_size=32, seed=3)),
        (dict(layers=[2, 7, 3], activation="leaky_relu", output_activation="softmax", dtype=np.float32),
         classes, dict(loss="cross_entropy", optimizer=pyneuron.Adam(lr=0.02, weight_decay=1e-3))),
        (dict(layers=[2, 5, 5, 1], activation="silu", seed=5), circle, dict(batch_size=50, shuffle=False)),
    ]


TRAJECTORY_ARRAYS = ("epochs", "loss", "flat_params", "predictions", "grid", "grad_norms", "unit_stats")


def train_and_predict(spec):
    build, (x, y), fit = spec
    net = pyneuron.Network(**build)
    # Long enough for chunks whose length fit sets from their timing, which
    # differs under concurrency: the trajectory must not depend on it.
    traj = net.fit(x, y, epochs=3000, snapshots=20, **fit)
    grid = np.linspace(-6, 6, 2 * 91 * net.n_inputs).reshape(-1, net.n_inputs)
    return [np.asarray(getattr(traj, name)) for name in TRAJECTORY_ARRAYS] + [net.predict(grid)]


def test_concurrent_training_equals_serial_training(simd):
    specs = networks()
    serial = [train_and_predict(s) for s in specs]
    order = [k for k in range(len(specs)) for _ in range(REPEATS)]
    random.Random(1).shuffle(order)
    with ThreadPoolExecutor(THREADS) as pool:
        concurrent = list(pool.map(lambda k: train_and_predict(specs[k]), order))
    for k, got in zip(order, concurrent):
        assert_identical(got, serial[k], f"network {k} ({specs[k][0]}), concurrently")


# ------------------------------------------------------------------ the GIL

def main_thread_gaps(work) -> tuple[list[float], int, float]:
    """Run ``work`` in a thread while this one loops reading the clock: the
    gaps over a millisecond between two readings while ``work`` ran, the
    number of readings, and how long ``work`` took."""
    span = {}

    def timed():
        span["start"] = time.perf_counter()
        work()
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=timed)
    long_gaps, readings = [], 0
    worker.start()
    last = time.perf_counter()
    while worker.is_alive():
        now = time.perf_counter()
        readings += 1
        if now - last > 1e-3:
            long_gaps.append((last, now))
        last = now
    worker.join()
    start, end = span["start"], span["end"]
    inside = [min(b, end) - max(a, start) for a, b in long_gaps if b > start and a < end]
    return inside, readings, end - start


def long_array(seconds: float) -> np.ndarray:
    """float64 values that F.gelu takes about ``seconds`` over, in one call."""
    probe = np.linspace(-5, 5, 2_000_000)
    start = time.perf_counter()
    F.gelu(probe, out=probe)
    per_element = (time.perf_counter() - start) / probe.size
    return np.linspace(-5, 5, int(min(seconds / per_element, 4e7)))


def test_a_long_kernel_call_releases_the_gil():
    previous = pyneuron.simd_level()
    pyneuron.set_simd_level("baseline")  # the slowest kernels: the longest single call
    try:
        x = long_array(0.6)
        gaps, readings, seconds = main_thread_gaps(lambda: F.gelu(x, out=x))
    finally:
        pyneuron.set_simd_level(previous)
    assert seconds > 0.2, f"the call took only {seconds:.3f} s: too short to tell"
    assert readings > 1000, f"the main thread read the clock only {readings} times in {seconds:.3f} s"
    assert max(gaps, default=0) < seconds / 4, f"the main thread stalled {max(gaps):.3f} s of a {seconds:.3f} s call"


def test_training_releases_the_gil():
    """fit runs chunks of about 0.1 s in C; with the GIL held the main
    thread would stall for nearly all of it."""
    x, y = datasets.circle(n=400, seed=2)
    net = pyneuron.Network([2, 32, 32, 1], activation="tanh", output_activation="sigmoid")
    start = time.perf_counter()
    net.fit(x, y, loss="bce", epochs=200, snapshots=5)
    epochs = int(200 * 1.0 / (time.perf_counter() - start))  # about a second of training
    gaps, readings, seconds = main_thread_gaps(lambda: net.fit(x, y, loss="bce", epochs=epochs, snapshots=5))
    stalled = sum(g for g in gaps if g > 0.02)
    assert readings > 1000, f"the main thread read the clock only {readings} times in {seconds:.3f} s"
    assert seconds > 0.5, f"training took only {seconds:.3f} s: too short to tell"
    assert stalled < seconds / 2, f"the main thread stalled {stalled:.3f} s of {seconds:.3f} s of training"
