"""AArch64 instruction counts of pyneuron's kernels at the neon and baseline
levels, under emulation (run on an x86-64 host, after tools/test_arm64.sh).

    python benchmarks/bench_arm64_insns.py

Timings under qemu mean nothing, but the guest instructions it executes do:
qemu's `insn` plugin (built from Debian's qemu source package, see
tools/test_arm64.sh --insn-plugin) counts them.  Each row runs one
workload in a fresh emulated interpreter at one level and subtracts the
count of the same script with the workload left out, so only the kernel
calls remain; the table prints instructions per element (or per epoch) and
the neon/baseline ratio.  Fewer instructions is not the same as less time
on a real core (NEON's instructions do 2 or 4 lanes' work, and some cost
more cycles), so treat the ratio as the vectorisation's reach, and time
on real hardware with the other benchmarks, which run unchanged on ARM64.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARM64 = ROOT / "build" / "arm64"

SETUP = """
import numpy as np, pyneuron, pyneuron.functional as F
pyneuron.set_simd_level({level!r})
rng = np.random.default_rng(0)
x32 = rng.standard_normal(100_000).astype(np.float32); x64 = x32.astype(np.float64)
rows = rng.standard_normal((100, 1000)).astype(np.float32)
xd = rng.standard_normal((256, 64)); W = rng.standard_normal((64, 64)); b = np.zeros(64); dy = np.ones((256, 64))
xs = np.linspace(0, 1, 256)[:, None]; ys = np.exp(-5 * xs)
net = pyneuron.Network([1, 2, 2, 1], activation="sigmoid", seed=1)
"""

#: name -> (statement, repeats, elements per repeat, unit)
WORKLOADS = {
    "tanh f32, 1e5": ("F.tanh(x32)", 5, 100_000, "elem"),
    "sigmoid f64, 1e5": ("F.sigmoid(x64)", 5, 100_000, "elem"),
    "gelu f32, 1e5": ("F.gelu(x32)", 5, 100_000, "elem"),
    "softmax f32, 100x1000": ("F.softmax(rows)", 5, 100_000, "elem"),
    "dense fwd+bwd f64, 256x64x64": ("F.dense_backward(xd, W, dy)", 5, 256 * 64 * 64 * 4, "flop"),
    "headline 1-2-2-1 sigmoid, 1000 epochs": ("net.fit(xs, ys, epochs=1000, snapshots=10)", 1, 1000, "epoch"),
}


def count(plugin: Path, level: str, statement: str, repeats: int) -> int:
    body = SETUP.format(level=level) + (f"for _ in range({repeats}):\n    {statement}\n" if statement else "")
    # a fixed hash seed: the same script executes the same instructions
    env = {**os.environ, "PYTHONPATH": str(ARM64 / "pkg"), "QEMU_LD_PREFIX": str(ARM64 / "root"),
           "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(["qemu-aarch64", "-plugin", str(plugin), "-d", "plugin",
                             str(ARM64 / "root" / "usr" / "bin" / "python3"), "-c", body],
                            capture_output=True, text=True, env=env, cwd="/tmp")
    match = re.search(r"total insns: (\d+)", result.stdout + result.stderr)
    if result.returncode or not match:
        raise SystemExit(f"qemu run failed ({level}, {statement!r}):\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin", type=Path, default=ARM64 / "libinsn.so")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    if not args.plugin.exists() or not (ARM64 / "pkg").exists():
        raise SystemExit("run `bash tools/test_arm64.sh --insn-plugin` first: it builds the package and the plugin")
    levels = ("baseline", "neon")
    count(args.plugin, "baseline", "", 0)  # once first: it writes the bytecode the others then read
    jobs = [(level, name) for level in levels for name in [None, *WORKLOADS]]
    with ThreadPoolExecutor(args.jobs) as pool:
        counts = dict(zip(jobs, pool.map(
            lambda job: count(args.plugin, job[0], *(WORKLOADS[job[1]][:2] if job[1] else ("", 0))), jobs)))
    print("AArch64 guest instructions (qemu insn plugin), per unit of work; fewer is better\n")
    print(f"| workload | baseline | neon | neon / baseline |\n|---|--:|--:|--:|")
    for name, (_stmt, repeats, units, unit) in WORKLOADS.items():
        per = {lv: (counts[(lv, name)] - counts[(lv, None)]) / (repeats * units) for lv in levels}
        print(f"| {name} | {per['baseline']:.2f} / {unit} | {per['neon']:.2f} / {unit} | "
              f"{per['neon'] / per['baseline']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
