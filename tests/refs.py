"""References for the accuracy tests: float64 formulas (for float32 results)
and mpmath at 40 digits (for float64 results), of every activation and of
its derivative, and ulp distances."""
from __future__ import annotations

import mpmath
import numpy as np
from scipy.special import erfc

SQRT_2_OVER_PI = np.sqrt(2 / np.pi)


def _sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x > 0, 1 / (1 + e), e / (1 + e))


def _gelu_tanh64(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return x * _sigmoid64(2 * SQRT_2_OVER_PI * (x + 0.044715 * x**3))


def _above_half_x_near_zero(f):
    """For f(x) = x/2 + c x^2 + O(x^3) with c > 0 (GELU, SiLU).

    Below |x| = 2^-60, c x^2 is under float64's resolution at x/2, so the
    formula returns x/2 exactly -- for an odd subnormal x a float32
    midpoint, which rounds to even, the wrong way half the time.  The
    float64 neighbour of x/2 on the side of c x^2 rounds to float32 as
    f(x) does: no float32 rounding boundary lies between them.
    """
    def wrapped(x, **params):
        tiny = (x != 0) & (np.abs(x) < 2.0**-60)
        return np.where(tiny, np.nextafter(0.5 * x, np.inf), f(x, **params))
    return wrapped


def _limit_at_minus_inf(f):
    """x * g(x) -> 0 as x -> -inf, where the float formula gives -inf * 0 = NaN."""
    def wrapped(x, **params):
        with np.errstate(invalid="ignore"):
            return np.where(x == -np.inf, -0.0, f(x, **params))
    return wrapped


#: name -> float64 numpy reference f(x, **params); accurate to far better
#: than a float32 ulp everywhere (the argument is exact; each formula is
#: stable in float64 over the float32 range).
FLOAT64 = {
    "identity": lambda x: x,
    "sigmoid": _sigmoid64,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x, alpha=0.01: np.where(x > 0, x, alpha * x),
    "elu": lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
    "gelu": _above_half_x_near_zero(_limit_at_minus_inf(lambda x, approximate="none": (
        0.5 * x * erfc(-x / np.sqrt(2)) if approximate == "none" else _gelu_tanh64(x)
    ))),
    "silu": _above_half_x_near_zero(_limit_at_minus_inf(lambda x: x * _sigmoid64(x))),
    "softplus": lambda x: np.logaddexp(0, x),
}

# ------------------------------------------------------------ derivatives
# Written from the calculus, independently of the kernels' formulas.  Where
# a derivative is a sum of terms that cancel (it crosses zero: SiLU, GELU),
# DERIVATIVE_TERMS gives the sum of the terms' magnitudes: near a zero no
# formula in the kernels' precision is accurate relative to the result,
# only relative to the terms, and the tests bound the error by that.

def _sigmoid_slope64(x):
    """sigmoid(x) sigmoid(-x) = e / (1 + e)^2, e = e^-|x|: no cancellation."""
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _phi64(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _gelu_tanh_terms64(x):
    """sigmoid(z) and x sigmoid(z) sigmoid(-z) z'(x), z = 2u(x)."""
    k1 = 2 * SQRT_2_OVER_PI
    z = k1 * (x + 0.044715 * x**3)
    return _sigmoid64(z), x * _sigmoid_slope64(z) * k1 * (1 + 3 * 0.044715 * x * x)


def _terms64(name, x, params):
    """The two terms of a derivative that crosses zero.  Infinite x is
    clipped to a finite one with the same limits (where inf * 0 = NaN)."""
    x = np.clip(x, -1e100, 1e100)
    if name == "silu":
        return _sigmoid64(x), x * _sigmoid_slope64(x)
    if params.get("approximate", "none") == "none":
        return 0.5 * erfc(-x / np.sqrt(2)), x * _phi64(x)
    return _gelu_tanh_terms64(x)


#: name -> float64 numpy derivative f'(x, **params), as accurate as FLOAT64.
FLOAT64_DERIVATIVE = {
    "identity": lambda x: np.ones_like(x),
    "sigmoid": _sigmoid_slope64,
    "tanh": lambda x: 4 * _sigmoid_slope64(2 * x),
    "relu": lambda x: (x > 0).astype(x.dtype),
    "leaky_relu": lambda x, alpha=0.01: np.where(x > 0, 1.0, alpha),
    "elu": lambda x, alpha=1.0: np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))),
    "gelu": lambda x, approximate="none": sum(_terms64("gelu", x, {"approximate": approximate})),
    "silu": lambda x: sum(_terms64("silu", x, {})),
    "softplus": _sigmoid64,
}

#: name -> |term 1| + |term 2| of a derivative that crosses zero.
DERIVATIVE_TERMS = {
    "gelu": lambda x, approximate="none": sum(map(np.abs, _terms64("gelu", x, {"approximate": approximate}))),
    "silu": lambda x: sum(map(np.abs, _terms64("silu", x, {}))),
}

mp = mpmath.mp


def _mp_sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _mp_gelu(x, approximate="none"):
    if approximate == "none":
        return x * mp.erfc(-x / mp.sqrt(2)) / 2
    u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
    return x * _mp_sigmoid(2 * u)


#: name -> mpmath reference f(mpf, **params) -> mpf.
MPMATH = {
    "identity": lambda x: x,
    "sigmoid": _mp_sigmoid,
    "tanh": mp.tanh,
    "relu": lambda x: max(x, 0),
    "leaky_relu": lambda x, alpha=0.01: x if x > 0 else mp.mpf(alpha) * x,
    "elu": lambda x, alpha=1.0: x if x > 0 else mp.mpf(alpha) * mp.expm1(x),
    "gelu": _mp_gelu,
    "silu": lambda x: x * _mp_sigmoid(x),
    "softplus": lambda x: mp.log1p(mp.exp(x)),
}


def _mp_sigmoid_slope(x):
    return _mp_sigmoid(x) * _mp_sigmoid(-x)


def _mp_terms(name, x, approximate="none"):
    """The two terms of a derivative that crosses zero (constants made at
    the working precision, not at import)."""
    if name == "silu":
        return _mp_sigmoid(x), x * _mp_sigmoid_slope(x)
    if approximate == "none":
        return mp.erfc(-x / mp.sqrt(2)) / 2, x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)
    k1, c = 2 * mp.sqrt(2 / mp.pi), mp.mpf("0.044715")
    z = k1 * (x + c * x**3)
    return _mp_sigmoid(z), x * _mp_sigmoid_slope(z) * k1 * (1 + 3 * c * x * x)


#: name -> mpmath derivative f'(mpf, **params) -> mpf.
MPMATH_DERIVATIVE = {
    "identity": lambda x: mp.mpf(1),
    "sigmoid": _mp_sigmoid_slope,
    "tanh": lambda x: 1 / mp.cosh(x) ** 2,
    "relu": lambda x: mp.mpf(1 if x > 0 else 0),
    "leaky_relu": lambda x, alpha=0.01: mp.mpf(1) if x > 0 else mp.mpf(alpha),
    "elu": lambda x, alpha=1.0: mp.mpf(1) if x > 0 else mp.mpf(alpha) * mp.exp(x),
    "gelu": lambda x, approximate="none": sum(_mp_terms("gelu", x, approximate)),
    "silu": lambda x: sum(_mp_terms("silu", x)),
    "softplus": _mp_sigmoid,
}

MPMATH_DERIVATIVE_TERMS = {
    "gelu": lambda x, approximate="none": sum(map(abs, _mp_terms("gelu", x, approximate))),
    "silu": lambda x: sum(map(abs, _mp_terms("silu", x))),
}


def mp_reference(name: str, x: np.ndarray, table=None, **params) -> np.ndarray:
    """The exact function (or ``table``'s, e.g. MPMATH_DERIVATIVE) at each
    float64 x, rounded once to float64."""
    f = (MPMATH if table is None else table)[name]
    with mp.workdps(40):
        return np.array([float(f(mp.mpf(float(v)), **params)) for v in x])


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of representable values between a and b (same float dtype).

    +0 and -0 are the same point; NaN vs NaN is 0 and NaN vs a number is
    the largest distance.
    """
    assert a.dtype == b.dtype
    itype = np.int32 if a.dtype == np.float32 else np.int64
    sign_bit = np.iinfo(itype).min

    def ordered(v):
        i = v.view(itype).astype(np.int64)
        return np.where(i < 0, -(i & ~np.int64(sign_bit)), i)

    oa, ob = ordered(a), ordered(b)
    same_side = (oa >= 0) == (ob >= 0)
    with np.errstate(over="ignore"):
        d = np.where(
            same_side,
            np.abs(oa - ob).astype(np.uint64),
            np.abs(oa).astype(np.uint64) + np.abs(ob).astype(np.uint64),
        )
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    d = np.where(nan_a & nan_b, 0, d)
    return np.where(nan_a ^ nan_b, np.iinfo(np.uint64).max, d)


def float32_sweep() -> np.ndarray:
    """A dense run over [-100, 100], tiny magnitudes of both signs (denormal
    results) and the special values: the float32 inputs of the accuracy tests."""
    dense = np.linspace(-100, 100, 2_000_001).astype(np.float32)
    tiny = np.logspace(-45, 1, 100_000).astype(np.float32)
    return np.concatenate([dense, tiny, -tiny, special_values(np.float32)])


def float64_sample() -> np.ndarray:
    """The float64 inputs checked against mpmath: the working range, around
    0, tiny magnitudes, and the tails where results turn denormal."""
    rng = np.random.default_rng(1)
    return np.concatenate([
        rng.uniform(-40, 40, 1500),
        rng.uniform(-2, 2, 500),
        np.logspace(-300, 0, 200), -np.logspace(-300, 0, 200),
        rng.uniform(-745, -700, 50), rng.uniform(700, 745, 50),
    ])


def special_values(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    tiny = info.smallest_subnormal
    vals = [0.0, -0.0, tiny, -tiny, info.tiny, -info.tiny, info.tiny - tiny, -(info.tiny - tiny),
            info.max, -info.max, np.inf, -np.inf, np.nan, 1.0, -1.0, info.eps, -info.eps]
    return np.array(vals, dtype=dtype)


def variants(spec, numeric=True):
    """Parameter sets to test an activation row with: defaults, every
    variant of a variant parameter, and (if ``numeric``) a second value
    for a numeric parameter."""
    out = [{p.name: p.default for p in spec.params}]
    for p in spec.params:
        if p.variants:
            out += [{p.name: v} for v in p.variants if v != p.default]
        elif numeric:
            out.append({p.name: 0.3})
    return out


def in_dtype(params, dtype):
    """Numeric parameters as the kernel sees them: rounded to the array's dtype."""
    return {k: float(dtype(v)) if isinstance(v, float) else v for k, v in params.items()}


def rounded_reference(name: str, x: np.ndarray, **params) -> np.ndarray:
    """FLOAT64[name] at x, with the parameters in x's dtype, rounded to that dtype."""
    dtype = x.dtype.type
    with np.errstate(all="ignore"):
        return FLOAT64[name](x.astype(np.float64), **in_dtype(params, dtype)).astype(dtype)
