"""Fit the float32 exp polynomial of csrc/kernels/math.inc.

e^r on |r| <= ln2/2 (+ a margin for the rounded n), as 1 + r p(r) with p of
degree 4, minimising the maximum relative error (Lawson's iteratively
reweighted least squares on a dense grid, computed in mpmath).  Prints the
coefficients of p, lowest first, as float32 hex literals, and the error.

    python tools/fit_exp.py
"""
import mpmath
import numpy as np

mpmath.mp.dps = 40
DEGREE = 4  # of p: e^r ~ 1 + c1 r + ... + c5 r^5
HALF_WIDTH = float(mpmath.log(2)) / 2 * 1.0001


def fit():
    r = np.cos(np.linspace(0, np.pi, 4001)) * HALF_WIDTH
    target = np.array([float((mpmath.exp(mpmath.mpf(v)) - 1) / mpmath.mpf(v)) if v else 1.0 for v in r])
    exact = np.exp(r)
    A = np.vander(r, DEGREE + 1, increasing=True) * r[:, None]  # r * r^k
    w = np.ones_like(r)
    for _ in range(200):  # Lawson: weights follow the error envelope
        sw = np.sqrt(w) / exact
        coef, *_ = np.linalg.lstsq(A * sw[:, None], (target * r) * sw, rcond=None)
        err = np.abs(A @ coef - target * r) / exact
        w = w * err / np.sum(w * err)
    return coef, err.max()


if __name__ == "__main__":
    coef, err = fit()
    c32 = coef.astype(np.float32)
    r = np.linspace(-HALF_WIDTH, HALF_WIDTH, 200001)
    p = 1 + r * np.polyval(c32[::-1].astype(np.float64), r)
    print("max relative error, exact arithmetic: %.3g; with float32 coefficients: %.3g"
          % (err, np.abs(p / np.exp(r) - 1).max()))
    for k, c in enumerate(c32, start=1):
        print(f"c{k} = {float(c).hex()}  ({float(c)!r})")
