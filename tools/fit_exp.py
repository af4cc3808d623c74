"""Fit the float32 exp/expm1 polynomial of csrc/kernels/math.inc.

On |r| <= ln2/2 (+ a margin for the rounded n), e^r - 1 = r P(r) with P
of degree DEGREE minimising the maximum *relative error of P itself*, so
that r P(r) is an accurate expm1 near 0 and 1 + r P(r) an accurate exp
(Lawson's iteratively reweighted least squares on a dense grid; reference
in mpmath).  Prints the coefficients of P, lowest first, as float32 hex
literals, and the error with them rounded to float32.

    python tools/fit_exp.py [DEGREE]
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


if __name__ == "__main__":
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    coef, r, target = fit(degree)
    c32 = coef.astype(np.float32).astype(np.float64)
    err32 = np.abs(np.polyval(c32[::-1], r) - target) / target
    print(f"degree {degree}: max relative error of P with float32 coefficients {err32.max():.3g} "
          f"({err32.max() / 2**-24:.2f} ulp of float32)")
    for k, c in enumerate(np.float32(coef)):
        print(f"c{k} = {float(c).hex()}")
