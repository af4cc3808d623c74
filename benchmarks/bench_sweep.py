#!/usr/bin/env python
"""Benchmarks of sweeps and loss landscapes (pyneuron.sweep, pyneuron.landscape).

    python benchmarks/bench_sweep.py                 # full run, about a minute
    python benchmarks/bench_sweep.py --quick         # 100 runs of 2,000 epochs
    python benchmarks/bench_sweep.py --json sweep.json

1. The headline runs, many times: the 1-2-2-1 net on 256 points of
   e^(-5x), MSE, Adam (lr 0.01), 10,000 epochs, half the runs sigmoid and
   half leaky ReLU, from seeds 0, 1, ...; summaries recorded (the loss at 50
   log-spaced epochs, final parameters, unit statistics).  Wall time of
   ``pyneuron.sweep`` at 1 thread and at every core this process may use,
   and the speed-up of the threads; target: 1,000 runs in at most 10 s on
   two cores, two threads at least 1.8x one.
2. The same runs with JAX: ``jax.jit(jax.vmap(train))`` over the initial
   weights (pyneuron's own, so both train the same networks), float64,
   ``train`` a ``lax.scan`` of epochs with PyTorch's Adam written out
   (training_peers.py); XLA may use every core the sweep does.  Compilation is timed
   apart (the first call's time less a run's).  Agreement: the final losses' median relative difference (Adam
   at lr 0.01 amplifies rounding over 10,000 epochs: only its magnitude is
   comparable, see bench_training.py).
3. A 201 x 201 loss landscape of a headline run over its 256 points
   (``pyneuron.landscape``, one C call per 4,096 points); target: at most
   1 s.

Each time is the best of 3 (``--quick``: 1).  JAX is optional (``pip
install jax``); without it, its rows are left out.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import pyneuron
from pyneuron import datasets

from bench_kernels import cpu_model, finish, fmt, print_table  # noqa: E402  (this script's directory)

_CORES = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
import bench_training  # noqa: E402  (it pins the process to one core: undone below)
import training_peers as peers  # noqa: E402

if _CORES is not None:
    os.sched_setaffinity(0, _CORES)

ACTIVATIONS = ("sigmoid", "leaky_relu")


def best_of(repeats: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t)
    return best, result


def time_sweeps(runs: int, epochs: int, repeats: int) -> dict:
    x, y = datasets.exp_decay()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    seconds, results = {}, {}
    for threads in sorted({1, cores}):
        seconds[threads], results[threads] = best_of(repeats, lambda: pyneuron.sweep(
            x, y, [1, 2, 2, 1], activation=list(ACTIVATIONS), seed=range(runs // 2),
            optimizer=pyneuron.Adam(lr=0.01), epochs=epochs, threads=threads))
    first = results[1]
    same = all(np.array_equal(first.loss, r.loss, equal_nan=True) for r in results.values())
    return {"runs": runs, "epochs": epochs, "cores": cores, "seconds": seconds, "identical": same,
            "result": results[cores]}


def time_jax(result: pyneuron.SweepResult, runs: int, epochs: int, repeats: int) -> dict | None:
    if not peers.load_jax(one_core=False):
        return None
    jax, jnp = peers.jax, peers.jnp
    seconds, compile_seconds, differences = 0.0, 0.0, []
    for act in ACTIVATIONS:
        problem = bench_training.headline(act, epochs)
        weights = []
        for seed in range(runs // 2):
            net = pyneuron.Network([1, 2, 2, 1], activation=act, seed=seed)
            weights.append([(layer.W.copy(), layer.b.copy()) for layer in net.layers])
        params = [(jnp.asarray(np.stack([w[i][0] for w in weights])), jnp.asarray(np.stack([w[i][1] for w in weights])))
                  for i in range(3)]
        x, y = jnp.asarray(problem.x), jnp.asarray(problem.y)
        train = jax.jit(jax.vmap(peers.jax_trainer(problem), in_axes=(0, None, None)))
        t = time.perf_counter()
        jax.block_until_ready(train(params, x, y))
        first = time.perf_counter() - t
        s, losses = best_of(repeats, lambda: jax.block_until_ready(train(params, x, y)))
        seconds += s
        compile_seconds += first - s  # the first call compiles, then runs
        ours = result.final_loss[result.where(activation=act)]
        differences.append(np.abs(np.asarray(losses) - ours) / ours)
    return {"seconds": seconds, "compile_seconds": compile_seconds,
            "median_relative_difference": float(np.median(np.concatenate(differences)))}


def time_landscape(epochs: int, repeats: int) -> dict:
    x, y = datasets.exp_decay()
    traj = pyneuron.Network([1, 2, 2, 1], activation="sigmoid").fit(x, y, epochs=epochs)
    seconds, land = best_of(repeats, lambda: pyneuron.landscape(traj, resolution=201))
    return {"seconds": seconds, "points": int(land.loss.size), "samples": int(len(x))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 runs of 2,000 epochs, one repeat")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    start = time.perf_counter()
    runs, epochs, repeats = (100, 2000, 1) if args.quick else (args.runs, 10_000, 3)
    print("## pyneuron sweep and landscape benchmarks\n")
    print(f"- cpu: {cpu_model()}; SIMD level: {pyneuron.simd_level()}; pyneuron {pyneuron.__version__}\n")

    sweeps = time_sweeps(runs, epochs, repeats)
    jax_row = time_jax(sweeps["result"], runs, epochs, repeats)
    cores, s = sweeps["cores"], sweeps["seconds"]
    rows = [[f"pyneuron.sweep, 1 thread", fmt(s[1]), fmt(s[1] / runs * 1e3), "-"]]
    if cores > 1:
        rows.append([f"pyneuron.sweep, {cores} threads", fmt(s[cores]), fmt(s[cores] / runs * 1e3),
                     f"{s[1] / s[cores]:.2f}x of 1 thread"])
    if jax_row:
        rows.append(["JAX jit(vmap(train)), float64", fmt(jax_row["seconds"]), fmt(jax_row["seconds"] / runs * 1e3),
                     f"pyneuron {jax_row['seconds'] / s[cores]:.2f}x faster; compile {jax_row['compile_seconds']:.1f} s"])
    notes = [f"{runs:,} headline runs (half sigmoid, half leaky ReLU) x {epochs:,} epochs, summaries recorded; "
             f"best of {repeats}.",
             f"Results identical at every thread count: {sweeps['identical']}."]
    if jax_row:
        notes.append(f"JAX's final losses vs pyneuron's: median relative difference "
                     f"{jax_row['median_relative_difference']:.1e}.")
    else:
        notes.append(peers.JAX_HINT)
    print_table("1. Sweeps", ["", "wall s", "ms per run", "note"], rows, notes)

    land = time_landscape(epochs, repeats)
    print_table("2. Loss landscape", ["", "wall s", "losses per s"],
                [[f"201 x 201 plane, {land['samples']} samples", fmt(land["seconds"]),
                  fmt(land["points"] / land["seconds"])]],
                ["pyneuron.landscape of a headline sigmoid run; target: at most 1 s."])
    results = {"sweep": {k: v for k, v in sweeps.items() if k != "result"}, "jax": jax_row, "landscape": land}
    results["sweep"]["seconds"] = {str(k): v for k, v in s.items()}
    finish(results, start, args.json)


if __name__ == "__main__":
    main()
