"""Every activation's backward against central finite differences of its
forward in float64, its float32 backward against the float64 one, and the
tails where the textbook derivative formulas cancel to zero."""
import numpy as np
import pytest

import pyneuron.functional as F
from pyneuron._registry import ACTIVATIONS
from refs import variants

CASES = [(spec, params) for spec in ACTIVATIONS for params in variants(spec)]
IDS = [spec.name + "".join(f"-{v}" for v in params.values()) for spec, params in CASES]

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


@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_float32_backward_agrees_with_float64(simd, spec, params):
    bwd = getattr(F, spec.name + "_backward")
    x32 = np.linspace(-20, 20, 4001, dtype=np.float32)
    g32 = np.full_like(x32, 1.5)
    ours = bwd(x32, g32, **params)
    assert ours.dtype == np.float32
    ref = bwd(x32.astype(np.float64), g32.astype(np.float64), **params)
    # atol: derivatives such as SiLU' cross zero, where relative error means nothing
    np.testing.assert_allclose(ours, ref, rtol=4e-6, atol=1e-6)


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
