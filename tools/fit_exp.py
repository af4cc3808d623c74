"""Fit the exp/expm1 polynomials of csrc/kernels/math.inc.

On |r| <= ln2/2 (+ a margin for the rounded n), e^r - 1 = r P(r) with P of
degree DEGREE close to minimising the maximum *relative error of P
itself*, so that r P(r) is an accurate expm1 near 0 and 1 + r P(r) an
accurate exp.  Prints the coefficients of P, lowest first, as hex
literals of the precision's type, and the error with them rounded to it.

    python tools/fit_exp.py [DEGREE]              # float32 (default 5): Lawson's IRLS in float64
    python tools/fit_exp.py --float64 [DEGREE]    # float64 (default 11): Chebyshev fit in mpmath
    python tools/fit_exp.py --float64-table [DEGREE]  # float64 after a 16-entry table (default 6)

The table variant (levels with PN_EXP_TABLE) reduces further, by n/16:
e^z = 2^(n/16) e^r with |r| <= ln2/32, 2^(j/16) from a table of 16
doubles and each entry's own rounding error (relative to it) from a second
one; it prints both tables too.

float32 uses Lawson's iteratively reweighted least squares on a dense grid
(reference in mpmath); float64 needs more precision than a float64 least
squares has, so its fit is mpmath's Chebyshev interpolation at 60 digits
(within a few percent of the minimax error for a function this smooth).
P(0) = 1 is kept exact either way.
"""
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 40
HALF_WIDTH = float(mpmath.log(2)) / 2 * 1.0001


def fit(degree: int):
    r = np.cos(np.linspace(0, np.pi, 4001)) * HALF_WIDTH
    target = np.array([float(mpmath.expm1(mpmath.mpf(v)) / mpmath.mpf(v)) if v else 1.0 for v in r])
    A = np.vander(r, degree + 1, increasing=True)
    w = np.ones_like(r)
    for _ in range(300):  # Lawson: the weights follow the error envelope
        sw = np.sqrt(w) / target
        coef, *_ = np.linalg.lstsq(A * sw[:, None], target * sw, rcond=None)
        err = np.abs(A @ coef - target) / target
        w = w * err / np.sum(w * err)
    return coef, r, target


def fit_float64(degree: int, steps: int = 1):
    """Coefficients (mpf, lowest first) and the maximum relative error of P
    with them rounded to float64, over a dense grid of |r| <= ln2 / (2 steps)."""
    with mpmath.workdps(60):
        a = mpmath.log(2) / (2 * steps) * mpmath.mpf("1.0001")

        def p(r):
            return mpmath.expm1(r) / r if r else mpmath.mpf(1)

        coef = mpmath.chebyfit(p, [-a, a], degree + 1)[::-1]
        rounded = [mpmath.mpf(1)] + [mpmath.mpf(float(c)) for c in coef[1:]]
        grid = [a * mpmath.cos(mpmath.pi * k / 2000) for k in range(2001)]
        worst = max(abs(mpmath.polyval(rounded[::-1], r) - p(r)) / p(r) for r in grid)
    return [float(c) for c in rounded], float(worst)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--float64-table"]:
        degree = int(sys.argv[2]) if len(sys.argv) > 2 else 6
        coef, worst = fit_float64(degree, steps=16)
        print(f"degree {degree}: max relative error of P with float64 coefficients {worst:.3g} "
              f"({worst / 2**-53:.3f} ulp of float64)")
        print("P:", ", ".join(c.hex() for c in coef))
        with mpmath.workdps(60):
            exact = [mpmath.mpf(2) ** (mpmath.mpf(j) / 16) for j in range(16)]
            hi = [float(t) for t in exact]
            print("2^(j/16):", ", ".join(t.hex() for t in hi))
            print("its error:", ", ".join(float((t - h) / h).hex() for t, h in zip(exact, hi)))
        sys.exit()
    if sys.argv[1:2] == ["--float64"]:
        degree = int(sys.argv[2]) if len(sys.argv) > 2 else 11
        coef, worst = fit_float64(degree)
        print(f"degree {degree}: max relative error of P with float64 coefficients {worst:.3g} "
              f"({worst / 2**-53:.3f} ulp of float64)")
        for k, c in enumerate(coef):
            print(f"c{k} = {c.hex()}")
        sys.exit()
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    coef, r, target = fit(degree)
    c32 = coef.astype(np.float32).astype(np.float64)
    err32 = np.abs(np.polyval(c32[::-1], r) - target) / target
    print(f"degree {degree}: max relative error of P with float32 coefficients {err32.max():.3g} "
          f"({err32.max() / 2**-24:.2f} ulp of float32)")
    for k, c in enumerate(np.float32(coef)):
        print(f"c{k} = {float(c).hex()}")
