"""Every finite float32 through the float32 forward kernel of every
activation, at every SIMD level, against the float64 references of
tests/refs.py rounded to float32.

    .venv/bin/python tools/ulp_sweep.py                        # all 4,278,190,080 inputs: prints the table
    .venv/bin/python tools/ulp_sweep.py --stride 101 --check   # every 101st, as tests/test_ulp_sweep.py does
    .venv/bin/python tools/ulp_sweep.py --jobs 2 --write-docs  # docs/accuracy.md and pyneuron/accuracy.json

Inputs are numbered in bit-pattern order, +0 .. FLT_MAX then -0 .. -FLT_MAX
(the exponent-255 patterns, inf and NaN, are left out); --stride K takes
every K-th.  Each output is classified by the reference: normal (the
row's ulp_bound applies), subnormal or zero (SUBNORMAL_BOUND applies: 1
ulp, as the README states), special (inf or NaN, which must match
exactly).  A kernel's inf or NaN where the reference is finite is a
special mismatch too.  --check exits with status 1 if a bound is exceeded
or a special value mismatches.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import multiprocessing
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # refs.py: the references the test suite uses

import pyneuron  # noqa: E402
import pyneuron.functional as F  # noqa: E402
from pyneuron._registry import ACTIVATIONS  # noqa: E402
from refs import rounded_reference, ulp_distance, variants  # noqa: E402

POSITIVE_FINITE = 0x7F800000  # patterns +0 .. FLT_MAX; the next one is +inf
NEGATIVE_ZERO = 0x80000000
FINITE_INPUTS = 2 * POSITIVE_FINITE
SMALLEST_NORMAL = np.float32(2.0**-126)
# Inputs per work item: the reference formulas hold a few float64 arrays of
# this length at once (~100 MB per worker).
CHUNK = 1 << 21
KEEP = 5  # worst inputs kept per class
SUBNORMAL_BOUND = 1  # ulp, on subnormal or zero outputs, for every row with a nonzero bound
DOCS = ROOT / "docs" / "accuracy.md"
JSON = ROOT / "pyneuron" / "accuracy.json"


@dataclass(frozen=True)
class Case:
    name: str
    bound: int
    params: dict

    @property
    def label(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name} ({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def cases() -> list[Case]:
    """Every registry row at its defaults, and every variant of a variant parameter."""
    out = []
    for spec in ACTIVATIONS:
        defaults = {p.name: p.default for p in spec.params}
        out += [Case(spec.name, spec.ulp_bound, {**defaults, **params}) for params in variants(spec, numeric=False)]
    return out


def input_count(stride: int) -> int:
    return -(-FINITE_INPUTS // stride)


def input_bits(first: int, count: int, stride: int) -> np.ndarray:
    """Bit patterns of the inputs numbered first * stride, (first + 1) * stride, ... (count of them)."""
    index = np.arange(first, first + count, dtype=np.int64) * stride
    return np.where(index < POSITIVE_FINITE, index, index - POSITIVE_FINITE + NEGATIVE_ZERO).astype(np.uint32)


def as_float32(bits: int) -> np.float32:
    return np.uint32(bits).view(np.float32)


@dataclass
class Example:
    ulp: int
    bits: int
    got: float
    expected: float

    def describe(self) -> str:
        got, expected = np.float32(self.got), np.float32(self.expected)
        return (f"x={self.bits:#010x} ({as_float32(self.bits)!s}): got {got!s} ({got.view(np.uint32):#010x}), "
                f"expected {expected!s} ({expected.view(np.uint32):#010x}), {self.ulp} ulp")


@dataclass
class Worst:
    """The inputs of one class whose output is off: how many, and the KEEP
    worst (largest error first; among equal errors, the first input)."""
    count: int = 0
    examples: list[Example] = field(default_factory=list)

    @property
    def max_ulp(self) -> int:
        return self.examples[0].ulp if self.examples else 0

    def merged(self, later: Worst) -> Worst:
        examples = sorted(self.examples + later.examples, key=lambda e: -e.ulp)  # stable: earlier inputs first
        return Worst(self.count + later.count, examples[:KEEP])


def _worst(off: np.ndarray, ulp: np.ndarray, bits: np.ndarray, got: np.ndarray, expected: np.ndarray) -> Worst:
    """``off``: the indices of one class's inputs whose ulp is not 0."""
    errors = ulp[off]
    examples = []
    for _ in range(min(KEEP, len(off))):
        j = int(np.argmax(errors))
        i = off[j]
        examples.append(Example(int(errors[j]), int(bits[i]), float(got[i]), float(expected[i])))
        errors[j] = 0
    return Worst(len(off), examples)


def compare(bits: np.ndarray, got: np.ndarray, expected: np.ndarray) -> dict[str, Worst]:
    """The errors of ``got`` (float32 outputs at the inputs ``bits``) against
    ``expected``, by class: normal, subnormal (or zero) and special."""
    # Most outputs are bit-identical to the reference: measure only the others.
    differ = np.flatnonzero(got.view(np.uint32) != expected.view(np.uint32))
    bits, got, expected = bits[differ], got[differ], expected[differ]
    ulp = ulp_distance(got, expected)
    off = ulp > 0  # differing bits with no distance: NaN payloads, the sign of zero
    special = ~np.isfinite(expected)
    normal = ~special & (np.abs(expected) >= SMALLEST_NORMAL)
    classes = {"normal": normal, "subnormal": ~special & ~normal, "special": special | ~np.isfinite(got)}
    return {name: _worst(np.flatnonzero(members & off), ulp, bits, got, expected) for name, members in classes.items()}


@contextlib.contextmanager
def _simd_level_kept():
    previous = pyneuron.simd_level()
    try:
        yield
    finally:
        pyneuron.set_simd_level(previous)


def sweep_chunk(job: tuple[int, int, tuple[str, ...]]) -> dict[tuple[str, str], dict[str, Worst]]:
    """One run of consecutive inputs through every case at every level;
    each case's reference is computed once and shared by the levels."""
    chunk, stride, levels = job
    first = chunk * CHUNK
    bits = input_bits(first, min(CHUNK, input_count(stride) - first), stride)
    x = bits.view(np.float32)
    got = np.empty_like(x)
    tallies = {}
    with _simd_level_kept():
        for case in cases():
            expected = rounded_reference(case.name, x, **case.params)
            kernel = getattr(F, case.name)
            for level in levels:
                pyneuron.set_simd_level(level)
                kernel(x, **case.params, out=got)
                tallies[case.label, level] = compare(bits, got, expected)
    return tallies


@dataclass
class Sweep:
    stride: int
    inputs: int
    levels: list[str]
    cases: list[Case]
    #: (case label, level) -> class -> Worst
    tallies: dict[tuple[str, str], dict[str, Worst]]
    seconds: float

    def worst(self, case: Case, level: str, kind: str) -> Worst:
        return self.tallies[case.label, level][kind]


def sweep(stride: int = 1, jobs: int | None = None, progress: bool = False) -> Sweep:
    """Every ``stride``-th finite float32 through every case at every SIMD
    level of this CPU, in ``jobs`` processes (default: one per CPU; 1 runs
    in this process)."""
    levels = tuple(pyneuron.simd_levels())
    chunks = -(-input_count(stride) // CHUNK)
    work = [(chunk, stride, levels) for chunk in range(chunks)]
    started = time.perf_counter()
    tallies: dict[tuple[str, str], dict[str, Worst]] = {}
    with contextlib.ExitStack() as stack:
        if jobs == 1:
            results = map(sweep_chunk, work)
        else:
            results = stack.enter_context(multiprocessing.Pool(jobs)).imap(sweep_chunk, work)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=chunks, unit="chunk", mininterval=10, file=sys.stderr)
        for chunk_tallies in results:  # in input order, so ties keep the first input
            for key, by_class in chunk_tallies.items():
                so_far = tallies.get(key)
                tallies[key] = by_class if so_far is None else {k: so_far[k].merged(w) for k, w in by_class.items()}
    return Sweep(stride, input_count(stride), list(levels), cases(), tallies, time.perf_counter() - started)


def subnormal_bound(case: Case) -> int:
    """Exact rows stay exact on subnormal outputs too."""
    return min(case.bound, SUBNORMAL_BOUND)


def failures(result: Sweep) -> list[str]:
    """Each case and level whose normal outputs exceed the row's ulp_bound,
    whose subnormal outputs exceed subnormal_bound, or whose special values
    mismatch, with its worst inputs."""
    out = []
    for case in result.cases:
        for level in result.levels:
            for kind, bound in (("normal", case.bound), ("subnormal", subnormal_bound(case))):
                worst = result.worst(case, level, kind)
                if worst.max_ulp > bound:
                    out.append(f"{case.label} at {level}: {worst.max_ulp} ulp on {kind} outputs, bound {bound}; "
                               f"worst: {'; '.join(e.describe() for e in worst.examples)}")
            special = result.worst(case, level, "special")
            if special.count:
                out.append(f"{case.label} at {level}: {special.count} special mismatches; "
                           f"worst: {'; '.join(e.describe() for e in special.examples)}")
    return out


def _markdown(header: list[str], rows: list[list]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def tables(result: Sweep) -> str:
    """The summary table (max ulp on normal outputs per level; subnormal
    maxima and special mismatches as level / level / ...), then the worst
    input of each case and level."""
    def per_level(case, kind, figure):
        return " / ".join(str(figure(result.worst(case, level, kind))) for level in result.levels)

    levels = " / ".join(result.levels)
    summary = _markdown(
        ["case", "bound", *result.levels, f"subnormal max ({levels})", f"special mismatches ({levels})"],
        [[case.label, case.bound, *(result.worst(case, level, "normal").max_ulp for level in result.levels),
          per_level(case, "subnormal", lambda w: w.max_ulp), per_level(case, "special", lambda w: w.count)]
         for case in result.cases])

    def worst_input(w: Worst) -> str:
        return f"{w.count:,} off; {w.examples[0].describe()}" if w.examples else "none off"

    worst = _markdown(
        ["case", "level", "normal outputs: inputs off, worst", "subnormal outputs: inputs off, worst"],
        [[case.label, level, worst_input(result.worst(case, level, "normal")),
          worst_input(result.worst(case, level, "subnormal"))]
         for case in result.cases for level in result.levels])
    return f"{summary}\n\nWorst inputs:\n\n{worst}\n"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def _command(argv: list[str]) -> str:
    """This run's command line, with paths inside the checkout relative to it."""
    def shown(path: Path) -> str:
        with contextlib.suppress(ValueError):
            return str(path.relative_to(ROOT))
        return str(path)

    return shlex.join([shown(Path(sys.executable)), shown(Path(__file__).resolve()), *argv])


def write_docs(result: Sweep, command: str, date: str, cpu: str) -> None:
    scope = "every finite float32" if result.stride == 1 else f"a sample, 1 in {result.stride:,} finite float32 values"
    DOCS.write_text(f"""# float32 accuracy: {scope}

`tools/ulp_sweep.py` passes {scope} ({result.inputs:,} inputs) through
the float32 forward kernel of every activation of `pyneuron/_registry.py`
(each row at its defaults, plus every variant of a variant parameter) at
every SIMD level of the machine below, and compares each output with the
float64 reference of `tests/refs.py` rounded to float32.  The error is the
number of float32 values between output and reference (ulp); +0 and -0 count
as one.

- command: `{command}`
- stride: {result.stride}
- inputs: {result.inputs:,}
- date: {date}
- CPU: {cpu}
- seconds: {result.seconds:.0f}

Outputs are classified by the reference: **normal** (|ref| >= 2^-126), where
the row's bound applies; **subnormal or zero**, where the bound is
{SUBNORMAL_BOUND} ulp (0 for exact rows); and **special** (inf or NaN), which
must match exactly, as must a kernel's inf or NaN where the reference is
finite.  The level columns give the maximum error on normal
outputs; bound is the row's `ulp_bound` (0: exact).  The references are
within 3e-7 ulp of the exact result (checked against mpmath in
`tests/test_ulp_sweep.py`) but are rounded to float32 once more, so where the
exact result lies that close to a float32 rounding boundary the reference can
itself be 1 ulp off.

{tables(result)}""")
    JSON.write_text(json.dumps({
        "stride": result.stride, "inputs": result.inputs, "date": date, "cpu": cpu, "levels": result.levels,
        "rows": [{
            "name": case.name, "params": case.params, "bound": case.bound,
            **{key: {level: figure(result.worst(case, level, kind)) for level in result.levels}
               for key, kind, figure in (("max_ulp", "normal", lambda w: w.max_ulp),
                                         ("max_ulp_subnormal", "subnormal", lambda w: w.max_ulp),
                                         ("special_mismatches", "special", lambda w: w.count))},
        } for case in result.cases],
    }, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stride", type=int, default=1, help="sweep every K-th finite float32 (default 1: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes (default: one per CPU)")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if a bound is exceeded or a special value mismatches")
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOCS.relative_to(ROOT)} and "
                        f"{JSON.relative_to(ROOT)} (needs --stride 1)")
    parser.add_argument("--allow-sample-docs", action="store_true",
                        help="let --write-docs write the figures of a stride > 1 (they then say so)")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.stride < 1 or args.jobs < 1:
        parser.error("--stride and --jobs must be at least 1")
    if args.write_docs and args.stride > 1 and not args.allow_sample_docs:
        parser.error("--write-docs records the exhaustive sweep: use --stride 1, "
                     "or add --allow-sample-docs to write a sample's figures")
    result = sweep(args.stride, args.jobs, progress=True)
    print(f"{result.inputs:,} inputs (stride {result.stride}), levels {', '.join(result.levels)}, "
          f"{result.seconds:.0f} s\n")
    print(tables(result))
    if args.write_docs:
        write_docs(result, _command(argv), datetime.date.today().isoformat(), cpu_model())
        print(f"wrote {DOCS.relative_to(ROOT)} and {JSON.relative_to(ROOT)}")
    problems = failures(result)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
