#!/usr/bin/env python3
"""Fit the float32 tanh pieces of csrc/kernels/activations.inc (reproducible).

Run:  python3 tools/fit_tanh.py > pieces.txt      (numpy only; ~2 s)
and paste the output between the "generated" markers of activations.inc
(tests/test_ulp_sweep.py checks that what is there is this output);
      python3 tools/fit_tanh.py --check [--stride K]
evaluates the pasted-to-be table as the kernel does (float32 Horner with
fused multiply-adds, emulated in float64) on every K-th non-negative
float32 and prints the worst error in ulp against float64 tanh rounded
to float32 (stride 1: every input, ~1 minute).  The kernel's own
exhaustive check is tools/ulp_sweep.py.

The pieces (32, the entries of a two-register AVX-512 permute):
  0        [0, 2^-4): y^1 + c3 y^3 + c5 y^5 (odd, c1 = 1 exactly, so that
           tiny and denormal x come out as themselves)
  1 .. 29  quarter binades [2^e (1 + q/4), 2^e (1 + (q+1)/4)), e = -4 .. 3,
           up to [8, 10): sum c_i y^i, y = |x| - start, i = 0 .. 5
  30, 31   from 10 on (and +-inf, NaN): 1, which tanh rounds to in float32
           beyond 9.01
Each piece is minimax in relative error (Lawson-weighted least squares),
its coefficients rounded to float32 one at a time from c0 up, the rest
refitted after each rounding, so that the rounding of the dominant terms
is compensated by the others.
"""
from __future__ import annotations

import argparse

import numpy as np

DEGREE = 5
FIRST_EXPONENT = -4  # piece 1 starts at 2^-4
PIECES = 32
LAST_START = 10.0  # pieces 30 and 31: the constant 1


def piece_bounds() -> list[tuple[float, float]]:
    bounds = [(0.0, 2.0 ** FIRST_EXPONENT)]
    for e in range(FIRST_EXPONENT, 4):
        for q in range(4):
            start = 2.0 ** e * (1 + q / 4)
            bounds.append((start, start + 2.0 ** e / 4))
    return bounds[:30]


def minimax(target: np.ndarray, basis: np.ndarray, rounds: int = 40) -> np.ndarray:
    """Coefficients c minimising max |basis @ c - target| over the samples,
    by Lawson's reweighting of least squares (the caller divides both by the
    function's values, which makes the error relative)."""
    weights = np.full(len(target), 1.0 / len(target))
    best_err, best = np.inf, None
    for _ in range(rounds):
        root = np.sqrt(weights)
        c, *_ = np.linalg.lstsq(basis * root[:, None], target * root, rcond=None)
        err = np.abs(basis @ c - target)
        if err.max() < best_err:
            best_err, best = err.max(), c
        weights = weights * err + 1e-30
        weights /= weights.sum()
    return best


def fit_piece(index: int, start: float, end: float) -> list[float]:
    """float32 coefficients c0..c5 of tanh(start + y) on [0, end - start]."""
    width = end - start
    y = np.unique(np.concatenate([np.linspace(0, width, 4000),
                                  width * (1 - np.cos(np.linspace(0, np.pi / 2, 4000)))]))
    if index == 0:
        y = y[1:]  # relative error at y = 0 is 0/0: the odd form is exact there
        coef = {0: 0.0, 1: 1.0, 2: 0.0, 4: 0.0}
        free = [3, 5]
    else:
        coef, free = {}, list(range(DEGREE + 1))
    f = np.tanh(start + y)
    while free:
        rest = f - sum(c * y ** p for p, c in coef.items())
        basis = np.stack([y ** p for p in free], axis=1) / f[:, None]
        c = minimax(rest / f, basis)
        coef[free[0]] = float(np.float32(c[0]))
        free = free[1:]
    return [coef[p] for p in range(DEGREE + 1)]


def table() -> tuple[np.ndarray, np.ndarray]:
    """starts[32] and coefficients[DEGREE + 1][32], float32."""
    rows = [(start, fit_piece(i, start, end)) for i, (start, end) in enumerate(piece_bounds())]
    rows += [(LAST_START, [1.0] + [0.0] * DEGREE)] * (PIECES - len(rows))
    starts = np.array([r[0] for r in rows], np.float32)
    coefficients = np.array([r[1] for r in rows], np.float32).T
    return starts, coefficients


def c_float(v: float) -> str:
    """v as a C float literal, in hex: exact."""
    if v == 0:
        return "0.0f"
    mantissa, exponent = float(v).hex().split("p")
    return f"{mantissa.rstrip('0').rstrip('.')}p{exponent}f"


def c_floats(values: np.ndarray, indent: str) -> str:
    items = [c_float(v) for v in values]
    lines = [", ".join(items[i:i + 4]) for i in range(0, len(items), 4)]
    return ",\n".join(indent + line for line in lines)


def emit(starts: np.ndarray, coefficients: np.ndarray) -> str:
    out = [f"#define TANH_FIRST_EXPONENT ({FIRST_EXPONENT}) /* piece 1 starts at 2^this */",
           "/* piece k's start, and its coefficients c0..c5 (coefficient i of every",
           " * piece in row i) */",
           "static const float pn_tanh_f32_starts[32] = {",
           c_floats(starts, "    "), "};",
           f"static const float pn_tanh_f32_coefficients[{DEGREE + 1}][32] = {{"]
    for row in coefficients:
        out += ["    {", c_floats(row, "        "), "    },"]
    out.append("};")
    return "\n".join(out)


def evaluate(x: np.ndarray, starts: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The kernel's arithmetic on x >= 0, in float32 with emulated FMAs."""
    a = np.minimum(np.float32(16), x)
    first = (127 + FIRST_EXPONENT) << 2
    k = np.clip((a.view(np.uint32) >> 21).astype(np.int64) - first + 1, 0, PIECES - 1)
    y = a - starts[k]
    p = coefficients[DEGREE][k]
    for i in range(DEGREE - 1, -1, -1):
        p = (p.astype(np.float64) * y + coefficients[i][k]).astype(np.float32)
    return p


def check(stride: int) -> int:
    starts, coefficients = table()
    worst, at = 0, None
    for begin in range(0, 0x7F800000, 1 << 24):
        bits = np.arange(begin, min(begin + (1 << 24), 0x7F800000), stride, dtype=np.uint32)
        x = bits.view(np.float32)
        got = evaluate(x, starts, coefficients)
        want = np.tanh(x.astype(np.float64)).astype(np.float32)
        err = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32))
        if err.max() > worst:
            worst, at = int(err.max()), float(x[err.argmax()])
    print(f"worst error {worst} ulp (at x = {at!r}) over every {stride}-th non-negative float32")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="evaluate the table on float32 inputs instead")
    parser.add_argument("--stride", type=int, default=1, help="with --check: every K-th input (default 1: all)")
    args = parser.parse_args()
    if args.check:
        check(args.stride)
    else:
        print(emit(*table()))


if __name__ == "__main__":
    main()
