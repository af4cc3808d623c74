"""Every activation's backward pass, dx = f'(x) * grad, at every SIMD level:

 - against an independent reference of the derivative (tests/refs.py: the
   calculus in float64 for float32 results, mpmath for float64 ones) within
   the row's ulp bound -- relative to the terms of the derivative where it
   crosses zero (SiLU, GELU), since near a zero only that is attainable --
   and f'(x) within SUBNORMAL_BOUND ulp on denormal results (so f'(x) grad
   within |grad| times that: the denormal spacing does not scale);
 - against central finite differences of the forward pass;
 - in the tails, where the textbook formulas cancel to zero.
"""
import numpy as np
import pytest

import pyneuron.functional as F
from pyneuron._registry import ACTIVATIONS
from refs import (DERIVATIVE_TERMS, FLOAT64_DERIVATIVE, MPMATH_DERIVATIVE, MPMATH_DERIVATIVE_TERMS,
                  float32_sweep, float64_sample, in_dtype, mp_reference, ulp_distance, variants)

CASES = [(spec, params) for spec in ACTIVATIONS for params in variants(spec)]
IDS = [spec.name + "".join(f"-{v}" for v in params.values()) for spec, params in CASES]

#: Incoming gradients: dx is f'(x) scaled exactly, so the bound on normal
#: results is f'(x)'s own.
GRADS = (1.0, -2.0)
#: ulp bound on denormal results, as for the forward kernels (README, Accuracy).
SUBNORMAL_BOUND = 1

X32 = float32_sweep()
X64 = float64_sample()
MP_CACHE: dict = {}


def test_every_registry_row_has_derivative_references():
    for spec in ACTIVATIONS:
        assert spec.name in FLOAT64_DERIVATIVE and spec.name in MPMATH_DERIVATIVE, spec.name


def assert_within(x, ours, exact, terms, bound, grad, what):
    """ours (float32 or float64) against exact (float64 values, or mpmath
    rounded once) times grad: normal results within ``bound`` ulp of exact
    or, where ``terms`` is given, within ``bound`` ulp of the terms'
    magnitude; denormal results within SUBNORMAL_BOUND |grad|; inf and NaN
    exactly."""
    dtype = ours.dtype
    exact = exact * grad
    terms = None if terms is None else terms * abs(grad)
    rounded = exact.astype(dtype)
    ulps = ulp_distance(ours, rounded)
    normal = np.abs(rounded) >= np.finfo(dtype).tiny
    allowed = np.where(normal, bound, np.ceil(SUBNORMAL_BOUND * abs(grad))).astype(np.uint64)
    ok = ulps <= allowed
    if terms is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(ours.astype(np.float64) - exact)
            ok |= np.isfinite(exact) & (err <= bound * np.spacing(terms.astype(dtype)).astype(np.float64))
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, (
        f"{what}: {bad.size} results beyond the bound; worst: "
        + "; ".join(f"x={x[i]!r} got {ours[i]!r} expected {rounded[i]!r} ({int(ulps[i])} ulp)"
                    for i in bad[np.argsort(ulps[bad])[::-1][:4]]))


@pytest.mark.parametrize("grad", GRADS)
@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_float32_backward_within_bound(simd, spec, params, grad):
    bwd = getattr(F, spec.name + "_backward")
    ours = bwd(X32, np.full_like(X32, grad), **params)
    assert ours.dtype == np.float32
    p32 = in_dtype(params, np.float32)
    x = X32.astype(np.float64)
    with np.errstate(all="ignore"):
        exact = FLOAT64_DERIVATIVE[spec.name](x, **p32)
        terms = DERIVATIVE_TERMS[spec.name](x, **p32) if spec.name in DERIVATIVE_TERMS else None
        assert_within(X32, ours, exact, terms, spec.ulp_bound, grad, f"{spec.name}_backward float32 at {simd}")


@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_float64_backward_within_bound(simd, spec, params):
    key = (spec.name, tuple(params.items()))
    if key not in MP_CACHE:
        terms = (mp_reference(spec.name, X64, MPMATH_DERIVATIVE_TERMS, **params)
                 if spec.name in MPMATH_DERIVATIVE_TERMS else None)
        MP_CACHE[key] = mp_reference(spec.name, X64, MPMATH_DERIVATIVE, **params), terms
    exact, terms = MP_CACHE[key]
    for grad in GRADS:
        ours = getattr(F, spec.name + "_backward")(X64, np.full_like(X64, grad), **params)
        assert_within(X64, ours, exact, terms, spec.ulp_bound, grad,
                      f"{spec.name}_backward float64 at {simd}, grad {grad}")


# Points away from the kinks at 0 (relu, leaky_relu, elu), where a finite
# difference straddles two pieces.
X = np.concatenate([np.linspace(-12, -0.05, 240), np.linspace(0.05, 12, 240)])


@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_backward_matches_finite_differences(simd, spec, params):
    fwd, bwd = getattr(F, spec.name), getattr(F, spec.name + "_backward")
    rng = np.random.default_rng(0)
    grad = rng.uniform(0.5, 2.0, X.shape)
    h = 1e-6 * np.maximum(1.0, np.abs(X))
    fd = (fwd(X + h, **params) - fwd(X - h, **params)) / (2 * h) * grad
    np.testing.assert_allclose(bwd(X, grad, **params), fd, rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_tails_keep_relative_accuracy(simd, dtype):
    # s (1 - s) and 1 - tanh^2 round to 0 here; the exact values are tiny, not 0.
    x = np.array([20.0, -20.0, 30.0, -30.0], dtype)
    one = np.ones_like(x)
    a = np.abs(x.astype(np.float64))
    e, e2 = np.exp(-a), np.exp(-2 * a)
    np.testing.assert_allclose(F.sigmoid_backward(x, one), e / (1 + e) ** 2, rtol=1e-5)
    np.testing.assert_allclose(F.tanh_backward(x, one), 4 * e2 / (1 + e2) ** 2, rtol=1e-5)


def test_relu_family_gradient_values(simd):
    x = np.array([-2.0, -0.0, 0.0, 3.0])
    g = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(F.relu_backward(x, g), [0, 0, 0, 4])
    np.testing.assert_array_equal(F.leaky_relu_backward(x, g, 0.1), [0.1 * 1, 0.1 * 2, 0.1 * 3, 4])
    np.testing.assert_array_equal(F.identity_backward(x, g), g)
