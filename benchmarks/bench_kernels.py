#!/usr/bin/env python
"""Benchmarks of pyneuron's SIMD kernels against numpy and PyTorch.

Run it from anywhere pyneuron is importable (an editable install will do)::

    python benchmarks/bench_kernels.py                  # full run, about a minute or two
    python benchmarks/bench_kernels.py --quick          # CI smoke run, < 60 s
    python benchmarks/bench_kernels.py --levels avx2 --json bench.json

Everything runs single-threaded, in float32 and float64 (``--dtypes``):
numpy's BLAS is held to one thread (the variables are set below, before
numpy is imported) and so is PyTorch (``torch.set_num_threads(1)``).
PyTorch is optional; without it its columns are left out.

Timing: after a warm-up call, each contender gets enough calls per repeat
for a repeat to last at least ~20 ms, and its figure is the best (minimum)
of several repeats.  The repeats go round the contenders of one line in
turn (pyneuron at each SIMD level, numpy, torch), so that the drift of a
shared machine hits them alike: absolute figures drift, the ratios are what
to compare.  A ratio is always pyneuron's speed over the other's speed:
above 1 means pyneuron is faster.

Sections of the output:

1. Environment: versions, SIMD levels, numpy's BLAS and the OpenBLAS core
   it loaded, torch threads, ``OPENBLAS_CORETYPE``.
2. Activations, forward and backward, per dtype: throughput in Melem/s
   for every row of ``pyneuron._registry.ACTIVATIONS`` (each other value
   of a string parameter on its own line, e.g. ``gelu(tanh)``) and softmax
   over rows of 1000, at 1e3, 1e5 and 1e7 elements.  pyneuron is timed at
   every SIMD level with the output allocated (``F.sigmoid(x)``,
   ``F.sigmoid_backward(x, g)``) and, at the largest size, also writing
   into a preallocated ``out=``; against the registry's numpy expressions
   and PyTorch: the functional op forward, the aten backward kernel that
   autograd calls backward (given x, as pyneuron's backward is: for
   sigmoid and tanh, whose aten kernels take the output, the forward is
   part of the timed call).  Then, at the largest size, ``relu`` with
   ``out=`` against ``np.copyto``, the memory-bandwidth ceiling of a
   read-one-write-one kernel.
3. Small-call latency: ns per call on an 8-element float32 array, output
   allocated and into ``out=``: the cost of the Python layer.
4. Dense layer forward + backward in GFLOP/s, batch 256, widths 16, 64,
   256, 1024, per dtype: ``F.dense`` + ``F.dense_backward`` against numpy
   (``x @ W + b``, ``grad @ W.T``, ``x.T @ grad``, ``grad.sum(0)``) and
   torch (``addmm``, ``matmul``), counting 2*n*w*w flops forward and
   4*n*w*w backward.
5. The dense numpy figure with ``OPENBLAS_CORETYPE=Haswell`` and with it
   unset.  OpenBLAS reads the variable once, when it loads, so each is
   measured in a fresh subprocess (this script's ``--dense-subprocess``
   mode, which prints JSON), timing pyneuron at the highest level
   benchmarked side by side with numpy, so that each ratio comes from one
   process.

``--quick`` leaves out 1e7 elements (out= and copyto then use 1e5) and
takes fewer, shorter repeats.

``--peers avx2`` (x86-64) asks, on a CPU with AVX-512, how the avx2
level fares against peers that cannot use it either: numpy, OpenBLAS and
PyTorch are held to their AVX2 code (``avx2_peers_environment``: numpy's
dispatch targets beyond AVX2 disabled, ``OPENBLAS_CORETYPE=Haswell``,
``ATEN_CPU_CAPABILITY=avx2``; each library reads its variable once, when
it loads, so the script starts itself again with them set) and pyneuron
is timed at its levels up to avx2.  The header prints what each peer then
runs.  The microarchitecture is still this CPU's, so these are not an
AVX2-only machine's figures, but each ratio compares code for the same
instruction set.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import subprocess
import sys
import time
import timeit
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ContextManager

# Read by OpenBLAS / OpenMP when they load: set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

import pyneuron  # noqa: E402
import pyneuron.functional as F  # noqa: E402
from pyneuron._registry import ACTIVATIONS  # noqa: E402

TORCH_HINT = "torch not installed (pip install torch==2.13.0)"
SIZES = (10**3, 10**5, 10**7)
QUICK_SIZES = (10**3, 10**5)
LATENCY_SIZE = 8
SOFTMAX_COLS = 1000
DENSE_BATCH = 256
DENSE_WIDTHS = (16, 64, 256, 1024)
DTYPES = ("float32", "float64")
CORETYPE = "OPENBLAS_CORETYPE"
# run name -> value of OPENBLAS_CORETYPE; Haswell is an x86-64 kernel set, so elsewhere (ARM64) only unset
X86 = platform.machine() in ("x86_64", "AMD64")
CORETYPE_RUNS = {"Haswell": "Haswell", "unset": None} if X86 else {"unset": None}
PEERS_VARIABLE = "PYNEURON_BENCH_PEERS"  # set in the process --peers starts: the peers are held already

torch: Any = None  # set by load_torch()


def finish(results: dict, start: float, json_path: str | None) -> None:
    """Print the total time and write the results as JSON when asked."""
    results["seconds"] = time.perf_counter() - start
    print(f"\nTotal time: {results['seconds']:.0f} s")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=2)
        print(f"Wrote {json_path}")


def import_torch():
    """PyTorch held to one thread, or None if it is not installed."""
    try:
        import torch as _torch
    except ImportError:
        return None
    _torch.set_num_threads(1)
    return _torch


def load_torch() -> None:
    global torch
    torch = import_torch()


# -------------------------------------------------------------------- timing

def simd(level: str | None) -> ContextManager[None]:
    """Run pyneuron at SIMD ``level`` inside the block (None: leave it)."""
    return nullcontext() if level is None else _simd(level)


@contextmanager
def _simd(level: str):
    previous = pyneuron.simd_level()
    pyneuron.set_simd_level(level)
    try:
        yield
    finally:
        pyneuron.set_simd_level(previous)


@dataclass(frozen=True)
class Call:
    """One contender: ``fn(*args, **kwargs)``, at pyneuron SIMD ``level``."""

    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    level: str | None = None

    def run(self, number: int) -> float:
        """Seconds that ``number`` calls take, each written out as a user
        writes it, ``fn(a0, out=k_out)``: unpacking ``*args, **kwargs`` would
        add up to 150 ns a call, more than some of the calls cost."""
        names = {f"a{i}": a for i, a in enumerate(self.args)} | {f"k_{k}": v for k, v in self.kwargs.items()}
        arguments = [f"a{i}" for i in range(len(self.args))] + [f"{k}=k_{k}" for k in self.kwargs]
        timer = timeit.Timer(f"fn({', '.join(arguments)})", globals={"fn": self.fn, **names})
        with simd(self.level):
            return timer.timeit(number)


#: A contender's key: (kind, SIMD level), e.g. ("pyneuron", "avx2"), ("numpy", None).
Key = tuple[str, "str | None"]
NUMPY: Key = ("numpy", None)
TORCH: Key = ("torch", None)


def at_levels(kind: str, call: Call, levels: list[str]) -> dict[Key, Call]:
    return {(kind, level): replace(call, level=level) for level in levels}


@dataclass(frozen=True)
class Timer:
    repeats: int
    min_time: float  # seconds that one repeat lasts at least

    def best(self, calls: dict[Key, Call]) -> dict[Key, float]:
        """Best seconds per call of each contender; the repeats go round them in turn."""
        numbers = {key: self._calls_per_repeat(call) for key, call in calls.items()}
        best = dict.fromkeys(calls, math.inf)
        for _ in range(self.repeats):
            for key, call in calls.items():
                best[key] = min(best[key], call.run(numbers[key]) / numbers[key])
        return best

    def _calls_per_repeat(self, call: Call) -> int:
        call.run(1)  # warm-up
        number, elapsed = 1, call.run(1)
        while elapsed < self.min_time:
            number = max(2 * number, math.ceil(number * 1.2 * self.min_time / max(elapsed, 1e-9)))
            elapsed = call.run(number)
        return number


FULL_TIMER = Timer(repeats=5, min_time=0.02)
QUICK_TIMER = Timer(repeats=3, min_time=0.005)


def summarize(seconds: dict[Key, float], figure: Callable[[float], float]) -> dict[str, Any]:
    """Each contender's ``figure(seconds per call)`` (per level for pyneuron's
    kinds), and pyneuron's speed over numpy's and torch's, per level."""
    row: dict[str, Any] = {"torch": None}
    for (kind, level), s in seconds.items():
        if level is None:
            row[kind] = figure(s)
        else:
            row.setdefault(kind, {})[level] = figure(s)
    pyneuron_seconds = {level: s for (kind, level), s in seconds.items() if kind == "pyneuron"}
    for ref in (NUMPY, TORCH):
        t = seconds.get(ref)
        row[f"vs_{ref[0]}"] = None if t is None else {level: t / s for level, s in pyneuron_seconds.items()}
    return row


# ----------------------------------------------------------------- the cases

def numpy_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def numpy_softmax_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    y = numpy_softmax(x)
    return y * (g - (g * y).sum(-1, keepdims=True))


@dataclass(frozen=True)
class Op:
    """One line of the activation tables: forward f(x) or backward f(x, g)."""

    label: str
    pyneuron: Callable  # f(x, [g,] **kwargs, out=None)
    numpy: Callable  # f(x, [g,] **kwargs)
    torch: Callable  # f(torch, t, [tg,] **kwargs)
    kwargs: dict = field(default_factory=dict)
    row_length: int | None = None  # softmax: x has shape (n // row_length, row_length)
    backward: bool = False

    def arrays(self, n: int, rng: np.random.Generator, dtype) -> tuple[np.ndarray, ...]:
        shape = (-1, self.row_length) if self.row_length else (-1,)
        x = (2 * rng.standard_normal(n)).astype(dtype).reshape(shape)
        return (x, rng.uniform(0.5, 1.5, n).astype(dtype).reshape(shape)) if self.backward else (x,)

    def calls(self, arrays: tuple, levels: list[str], with_out: bool) -> dict[Key, Call]:
        calls = at_levels("pyneuron", Call(self.pyneuron, arrays, self.kwargs), levels)
        if with_out:
            out = {**self.kwargs, "out": np.empty_like(arrays[0])}
            calls |= at_levels("pyneuron_out", Call(self.pyneuron, arrays, out), levels)
        calls[NUMPY] = Call(self.numpy, arrays, self.kwargs)
        if torch:
            calls[TORCH] = Call(self.torch, (torch, *map(torch.from_numpy, arrays)), self.kwargs)
        return calls

    def numpy_dtype(self, dtype) -> str:
        """The dtype the numpy expression gives for input of ``dtype``."""
        arrays = self.arrays(SOFTMAX_COLS, np.random.default_rng(0), dtype)
        return str(self.numpy(*arrays, **self.kwargs).dtype)


def activation_ops(backward: bool = False) -> list[Op]:
    """Every registry row with its default parameters, a line for each other
    value of a string-valued parameter, and softmax; forward or backward."""
    ops = []
    for spec in ACTIVATIONS:
        fn = getattr(F, spec.name + ("_backward" if backward else ""))
        ref = (spec.numpy_backward, spec.torch_backward) if backward else (spec.numpy, spec.torch)
        ops.append(Op(spec.name, fn, *ref, backward=backward))
        for p in spec.params:
            for value in p.variants or ():
                if value != p.default:
                    ops.append(Op(f"{spec.name}({value})", fn, *ref, {p.name: value}, backward=backward))
    if backward:
        ops.append(Op("softmax", F.softmax_backward, numpy_softmax_backward,
                      lambda t, x, g: t._softmax_backward_data(g, t.softmax(x, -1), -1, x.dtype),
                      row_length=SOFTMAX_COLS, backward=True))
    else:
        ops.append(Op("softmax", F.softmax, numpy_softmax, lambda t, x: t.softmax(x, -1), row_length=SOFTMAX_COLS))
    return ops


# -------------------------------------------------------- section 2: activations

def measure_activation(op: Op, n: int, dtype: str, levels: list[str], timer: Timer, with_out: bool) -> dict:
    arrays = op.arrays(n, np.random.default_rng(0), dtype)
    seconds = timer.best(op.calls(arrays, levels, with_out))
    row = {"op": op.label, "direction": "backward" if op.backward else "forward", "dtype": dtype, "elements": n,
           "numpy_dtype": op.numpy_dtype(dtype)}
    return row | summarize(seconds, lambda s: n / s / 1e6)  # Melem/s


def measure_bandwidth(n: int, levels: list[str], timer: Timer) -> dict:
    """relu writing into out= against np.copyto: both read n floats and write n."""
    src, dst = np.random.default_rng(0).standard_normal(n).astype(np.float32), np.empty(n, np.float32)
    calls = {("copyto", None): Call(np.copyto, (dst, src))}
    calls |= at_levels("relu_out", Call(F.relu, (src,), {"out": dst}), levels)
    seconds = timer.best(calls)
    copyto = seconds[("copyto", None)]
    return {
        "elements": n,
        "copyto_melem_per_s": n / copyto / 1e6,
        "copyto_gb_per_s": 2 * src.nbytes / copyto / 1e9,
        "relu_out_melem_per_s": {level: n / seconds[("relu_out", level)] / 1e6 for level in levels},
        "relu_out_over_copyto": {level: copyto / seconds[("relu_out", level)] for level in levels},
    }


# ---------------------------------------------------- section 3: small-call latency

def measure_latency(op: Op, levels: list[str], timer: Timer) -> dict:
    x = np.linspace(-3, 3, LATENCY_SIZE, dtype=np.float32)
    seconds = timer.best(op.calls((x.reshape(1, -1) if op.row_length else x,), levels, with_out=True))
    return {"op": op.label, "numpy_dtype": op.numpy_dtype("float32")} | summarize(seconds, lambda s: s * 1e9)  # ns


# ---------------------------------------------------------- section 4: dense layer

def dense_pyneuron(x, W, b, g):
    return F.dense(x, W, b), F.dense_backward(x, W, g)


def dense_numpy(x, W, b, g):
    return x @ W + b, g @ W.T, x.T @ g, g.sum(0)


def dense_torch(x, W, b, g):
    return torch.addmm(b, x, W), torch.matmul(g, W.t()), torch.matmul(x.t(), g), g.sum(0)


def dense_operands(width: int, dtype: str = "float32") -> tuple[np.ndarray, ...]:
    """x (batch, w), W (w, w), b (w,), grad (batch, w)."""
    rng = np.random.default_rng(width)
    shapes = ((DENSE_BATCH, width), (width, width), (width,), (DENSE_BATCH, width))
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


def dense_gflops(width: int) -> Callable[[float], float]:
    flops = 6 * DENSE_BATCH * width * width  # 2 n w w forward, 4 n w w backward (dx, dW)
    return lambda seconds: flops / seconds / 1e9


def measure_dense(width: int, levels: list[str], timer: Timer, dtype: str = "float32") -> dict:
    operands = dense_operands(width, dtype)
    calls = at_levels("pyneuron", Call(dense_pyneuron, operands), levels)
    calls[NUMPY] = Call(dense_numpy, operands)
    if torch:
        calls[TORCH] = Call(dense_torch, tuple(torch.from_numpy(a) for a in operands))
    return {"batch": DENSE_BATCH, "width": width, "dtype": dtype} | summarize(timer.best(calls), dense_gflops(width))


# ----------------------------------------------- section 5: OPENBLAS_CORETYPE runs

def dense_subprocess_mode(level: str, timer: Timer) -> dict:
    """The ``--dense-subprocess`` mode: section 4 without torch, pyneuron at
    ``level`` only, under whatever OPENBLAS_CORETYPE this process was given."""
    return {
        CORETYPE: os.environ.get(CORETYPE),
        "openblas_core": openblas_core(),
        "dense": [measure_dense(width, [level], timer) for width in DENSE_WIDTHS],
    }


def dense_subprocess(coretype: str | None, level: str, quick: bool) -> dict:
    """``dense_subprocess_mode`` in a fresh interpreter, with OPENBLAS_CORETYPE
    set to ``coretype`` (removed if None)."""
    env = {k: v for k, v in os.environ.items() if k != CORETYPE}
    if coretype is not None:
        env[CORETYPE] = coretype
    cmd = [sys.executable, os.path.abspath(__file__), "--dense-subprocess", "--levels", level]
    done = subprocess.run(cmd + (["--quick"] if quick else []), env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def coretype_runs() -> dict[str, str | None]:
    """CORETYPE_RUNS, or only Haswell when the peers are held to AVX2 (unset
    would let OpenBLAS load its AVX-512 kernels)."""
    return {"Haswell": "Haswell"} if os.environ.get(PEERS_VARIABLE) == "avx2" else CORETYPE_RUNS


def measure_coretypes(level: str, quick: bool) -> dict:
    """Dense GFLOP/s of numpy and pyneuron (at ``level``) under each of
    coretype_runs(): for each, the best of rounds that alternate between them."""
    runs: dict[str, list[dict]] = {name: [] for name in coretype_runs()}
    for _ in range(1 if quick else 2):
        for name, value in coretype_runs().items():
            runs[name].append(dense_subprocess(value, level, quick))
    rows = []
    for i, width in enumerate(DENSE_WIDTHS):
        row: dict[str, Any] = {"width": width}
        for name, rounds in runs.items():
            pn = max(r["dense"][i]["pyneuron"][level] for r in rounds)
            numpy_gflops = max(r["dense"][i]["numpy"] for r in rounds)
            row[name] = {"pyneuron": pn, "numpy": numpy_gflops, "vs_numpy": pn / numpy_gflops}
        rows.append(row)
    cores = {name: rounds[0]["openblas_core"] for name, rounds in runs.items()}
    return {"level": level, "openblas_core": cores, "rows": rows}


# ------------------------------------------------------------- environment

def openblas_core() -> str | None:
    """The OpenBLAS kernel set numpy is running (e.g. 'Haswell', 'Zen')."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        for info in threadpool_info():
            if info.get("internal_api") == "openblas":
                return info.get("architecture")
    # Without threadpoolctl (Linux): ask the OpenBLAS that numpy has loaded.
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    names = ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
             "openblas_get_corename")
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def numpy_features():
    """numpy's CPU feature table (True: present and enabled)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return __cpu_dispatch__, __cpu_features__


def numpy_dispatch() -> str:
    """The SIMD targets numpy dispatches to in this process, e.g. 'X86_V3 X86_V4'."""
    targets, features = numpy_features()
    return " ".join(t for t in targets if features.get(t)) or "baseline only"


def avx2_peers_environment() -> dict[str, str]:
    """This process's environment, plus what holds each peer to its AVX2
    code: numpy's dispatch targets beyond AVX2 disabled, OpenBLAS's Haswell
    kernels, PyTorch's AVX2 kernels (and its MKL and oneDNN), XLA's code
    generation and numba's target CPU."""
    beyond_avx2 = [t for t in numpy_features()[0] if "AVX512" in t or t == "X86_V4"]
    return {**os.environ, PEERS_VARIABLE: "avx2", "NPY_DISABLE_CPU_FEATURES": " ".join(beyond_avx2),
            CORETYPE: "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "ONEDNN_MAX_CPU_ISA": "AVX2", "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_max_isa=AVX2",
            "NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": "+avx2,+fma,-avx512f"}  # a name alone keeps the host's


def hold_peers(peers: str, script: str) -> bool:
    """For ``--peers``: True if the peers are held to AVX2 in this process.
    With ``peers`` "avx2" in a process not yet started so, runs ``script``
    again in this process with avx2_peers_environment() -- each library
    reads its variable once, when it loads, and numpy already has."""
    if peers != "avx2":
        return False
    if not X86 or "avx2" not in pyneuron.simd_levels():
        sys.exit(f"{os.path.basename(script)}: --peers avx2 needs an x86-64 CPU with AVX2")
    if os.environ.get(PEERS_VARIABLE) != "avx2":
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, os.path.abspath(script), *sys.argv[1:]], avx2_peers_environment())
    return True


def levels_up_to(top: str, levels: list[str]) -> list[str]:
    """The SIMD levels among ``levels`` no higher than ``top``."""
    order = pyneuron.simd_levels()
    return [level for level in levels if order.index(level) <= order.index(top)]


def numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older numpy: no mode="dicts"
        return "see numpy.show_config()"
    config = " ".join(blas.get("openblas configuration", "").split())
    return f"{blas.get('name')} {blas.get('version')}" + (f" ({config})" if config else "")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(levels: list[str]) -> dict:
    env = {
        "pyneuron": pyneuron.__version__,
        "simd_levels": pyneuron.simd_levels(),
        "simd_level_default": pyneuron.simd_level(),
        "simd_levels_benchmarked": levels,
        "python": platform.python_version(),
        "cpu": f"{cpu_model()}, {os.cpu_count()} logical cores",
        "numpy": np.__version__,
        "numpy_blas": numpy_blas(),
        "openblas_core": openblas_core(),
        CORETYPE: os.environ.get(CORETYPE),
        "OPENBLAS_NUM_THREADS": os.environ["OPENBLAS_NUM_THREADS"],
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability() if torch else None,
        "numpy_dispatch": numpy_dispatch(),
        "peers": os.environ.get(PEERS_VARIABLE, "native"),
    }
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        env["threadpoolctl"] = threadpool_info()
    return env


# ---------------------------------------------------------------- printing

def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.3g}"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def count(n: int) -> str:
    """1000 -> '1e3'."""
    exponent = round(math.log10(n))
    return f"1e{exponent}" if 10**exponent == n else f"{n:,}"


def print_table(title: str, headers: list[str], rows: list[list[str]], notes: list[str] = ()) -> None:
    """A markdown table, padded so that it also reads well in a terminal."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:  # first column left-aligned, numbers right-aligned
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = [":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)]
    print(f"\n### {title}\n")
    print(line(headers))
    print("|" + "|".join(rule) + "|")
    for r in rows:
        print(line(r))
    for note in notes:
        print(f"\n{note}")
    sys.stdout.flush()


def comparison_columns(levels: list[str], with_out: bool = False) -> list[str]:
    """Headers: pyneuron per level (and with out=), numpy, torch, then the ratios."""
    headers = [f"pyneuron {level}" for level in levels]
    headers += [f"{level} out=" for level in levels] if with_out else []
    headers += ["numpy"] + (["torch"] if torch else [])
    headers += [f"{level}/numpy" for level in levels]
    headers += [f"{level}/torch" for level in levels] if torch else []
    return headers


def comparison_cells(row: dict, levels: list[str], with_out: bool = False) -> list[str]:
    cells = [fmt(row["pyneuron"][level]) for level in levels]
    cells += [fmt(row["pyneuron_out"][level]) for level in levels] if with_out else []
    cells += [fmt(row["numpy"])] + ([fmt(row["torch"])] if torch else [])
    cells += [ratio(row["vs_numpy"][level]) for level in levels]
    cells += [ratio(row["vs_torch"][level]) for level in levels] if torch else []
    return cells


def marked(row: dict, dtype: str = "float32") -> str:
    """The op's label, starred if its numpy expression does not stay in ``dtype``."""
    return row["op"] + (" *" if row["numpy_dtype"] != dtype else "")


def promotion_note(rows: list[dict], dtype: str = "float32") -> list[str]:
    promoted = {r["op"]: r["numpy_dtype"] for r in rows if r["numpy_dtype"] != dtype}
    if not promoted:
        return []
    ops = ", ".join(f"{op} ({numpy_dtype})" for op, numpy_dtype in promoted.items())
    return [f"\\* the numpy expression does not stay {dtype} on {dtype} input: {ops}; "
            "numpy computes it in that precision."]


def print_header(env: dict) -> None:
    print("## pyneuron kernel benchmarks\n")
    simd_line = (f"{env['pyneuron']}; SIMD levels available: {', '.join(env['simd_levels'])}; "
                 f"in use by default: {env['simd_level_default']}; "
                 f"benchmarked: {', '.join(env['simd_levels_benchmarked'])}")
    lines = [
        ("pyneuron", simd_line),
        ("python", env["python"]),
        ("cpu", env["cpu"]),
        ("numpy", f"{env['numpy']}; BLAS: {env['numpy_blas']}"),
        ("OpenBLAS core in use", env["openblas_core"] or "unknown"),
        (CORETYPE, env[CORETYPE] if env[CORETYPE] is not None else "(unset)"),
        ("OPENBLAS_NUM_THREADS", env["OPENBLAS_NUM_THREADS"]),
        ("torch", f"{env['torch']}, {env['torch_threads']} thread(s), CPU capability "
                  f"{env['torch_cpu_capability']}" if torch else TORCH_HINT),
        ("numpy SIMD dispatch", env["numpy_dispatch"]),
        ("peers", "held to AVX2 (--peers avx2)" if env["peers"] == "avx2" else "native (all this CPU runs)"),
    ]
    for name, value in lines:
        print(f"- {name}: {value}")
    print("\nSingle-threaded; best of several interleaved repeats. "
          "Ratios are pyneuron's speed over the other's (> 1: pyneuron faster).")


def print_activations(rows: list[dict], levels: list[str]) -> None:
    largest = max(r["elements"] for r in rows)
    groups = sorted({(r["dtype"], r["direction"], r["elements"]) for r in rows},
                    key=lambda g: (g[0], g[1] == "backward", g[2]))
    for dtype, direction, n in groups:
        table = [r for r in rows if (r["dtype"], r["direction"], r["elements"]) == (dtype, direction, n)]
        with_out = n == largest
        body = [[marked(r, dtype)] + comparison_cells(r, levels, with_out) for r in table]
        print_table(f"2. Activations {direction}, {count(n)} {dtype} elements (Melem/s; softmax over rows of "
                    f"{SOFTMAX_COLS})", ["op"] + comparison_columns(levels, with_out), body,
                    promotion_note(table, dtype))


def print_bandwidth(bw: dict, levels: list[str]) -> None:
    headers = ["np.copyto Melem/s", "np.copyto GB/s (read + write)"]
    headers += [f"relu {level} out= Melem/s" for level in levels]
    headers += [f"relu {level} out= / copyto" for level in levels]
    cells = [fmt(bw["copyto_melem_per_s"]), fmt(bw["copyto_gb_per_s"])]
    cells += [fmt(bw["relu_out_melem_per_s"][level]) for level in levels]
    cells += [ratio(bw["relu_out_over_copyto"][level]) for level in levels]
    print_table(f"2b. Memory-bandwidth ceiling, {count(bw['elements'])} float32 elements",
                ["elements"] + headers, [[count(bw["elements"])] + cells])


def print_latency(rows: list[dict], levels: list[str]) -> None:
    body = [[marked(r)] + comparison_cells(r, levels, with_out=True) for r in rows]
    print_table(f"3. Small-call latency, {LATENCY_SIZE} float32 elements, output allocated and into out= "
                "(ns per call; ratios are speed ratios, the output allocated: the other's ns over pyneuron's)",
                ["op"] + comparison_columns(levels, with_out=True), body, promotion_note(rows))


def print_dense(rows: list[dict], levels: list[str]) -> None:
    for dtype in sorted({r["dtype"] for r in rows}):
        body = [[f"{r['batch']} x {r['width']}"] + comparison_cells(r, levels) for r in rows if r["dtype"] == dtype]
        print_table(f"4. Dense forward + backward, {dtype}, x ({DENSE_BATCH}, w), W (w, w), b (w,) "
                    "(GFLOP/s, 6*n*w*w flops)", ["n x w"] + comparison_columns(levels), body)


def print_coretypes(result: dict) -> None:
    level, cores = result["level"], result["openblas_core"]
    headers, body = ["n x w"], [[f"{DENSE_BATCH} x {r['width']}"] for r in result["rows"]]
    for name in cores:
        headers += [f"{name}: pyneuron {level}", f"{name}: numpy", f"{name}: {level}/numpy"]
        for cells, r in zip(body, result["rows"], strict=True):
            cells += [fmt(r[name]["pyneuron"]), fmt(r[name]["numpy"]), ratio(r[name]["vs_numpy"])]
    loaded = "; ".join(f"{name}: {core or 'unknown'}" for name, core in cores.items())
    notes = [f"OpenBLAS core that numpy loaded, by {CORETYPE}: {loaded}."]
    if len(cores) > 1 and len(set(cores.values())) == 1 and None not in cores.values():
        notes.append(f"Both runs load the same kernels: on this CPU and build {CORETYPE} changes nothing, "
                     "so the two numpy columns differ by run-to-run noise only.")
    print_table(f"5. Dense forward + backward with {CORETYPE}={' and '.join(cores)} (GFLOP/s; each in a fresh "
                "subprocess, pyneuron and numpy timed side by side)", headers, body, notes)


# -------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", nargs="+", metavar="LEVEL", choices=pyneuron.simd_levels(),
                        default=pyneuron.simd_levels(),
                        help="SIMD levels to time pyneuron at (default: all this CPU runs: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats and no 1e7 (CI smoke run)")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES),
                        help="dtypes of the activation and dense sections (default: %(default)s)")
    parser.add_argument("--only", choices=("activations", "latency", "dense"), help="run one section only")
    parser.add_argument("--json", metavar="PATH", help="also write every number to PATH as JSON")
    parser.add_argument("--peers", choices=("native", "avx2"), default="native",
                        help="native: numpy and PyTorch use all this CPU runs; avx2 (x86-64): hold them to their "
                             "AVX2 code and time pyneuron at levels up to avx2 (default: %(default)s)")
    parser.add_argument("--dense-subprocess", action="store_true",
                        help="internal, for section 5: time dense for numpy and pyneuron at the last of "
                             "--levels only, and print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    timer = QUICK_TIMER if args.quick else FULL_TIMER
    levels = [level for level in pyneuron.simd_levels() if level in args.levels]  # lowest first
    if hold_peers(args.peers, __file__):
        levels = levels_up_to("avx2", levels)
    if args.dense_subprocess:
        print(json.dumps(dense_subprocess_mode(levels[-1], timer)))
        return
    start = time.perf_counter()
    load_torch()
    sizes = QUICK_SIZES if args.quick else SIZES
    results: dict[str, Any] = {"quick": args.quick, "environment": environment(levels)}
    print_header(results["environment"])

    section = args.only
    if section in (None, "activations"):
        results["activations"] = [
            measure_activation(op, n, dtype, levels, timer, with_out=n == sizes[-1])
            for dtype in args.dtypes for backward in (False, True) for n in sizes for op in activation_ops(backward)]
        print_activations(results["activations"], levels)
        results["bandwidth"] = measure_bandwidth(sizes[-1], levels, timer)
        print_bandwidth(results["bandwidth"], levels)

    if section in (None, "latency"):
        results["latency"] = [measure_latency(op, levels, timer) for op in activation_ops()]
        print_latency(results["latency"], levels)

    if section in (None, "dense"):
        results["dense"] = [measure_dense(width, levels, timer, dtype) for dtype in args.dtypes
                            for width in DENSE_WIDTHS]
        print_dense(results["dense"], levels)
        results["coretype_dense"] = measure_coretypes(levels[-1], args.quick)
        print_coretypes(results["coretype_dense"])

    finish(results, start, args.json)


if __name__ == "__main__":
    main()
