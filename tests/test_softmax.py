"""Softmax and log-softmax against float64 numpy (mpmath-free: the float64
formula with max subtraction is exact enough as a reference for float32,
and is checked itself against exact sums for float64)."""
import numpy as np
import pytest

import pyneuron.functional as F


def ref_softmax(x, axis=-1):
    x = x.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = x.max(axis=axis, keepdims=True)
        return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 3e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("cols", [1, 2, 3, 7, 8, 9, 16, 17, 100, 1000])
def test_matches_reference(simd, dtype, rtol, cols):
    x = np.random.default_rng(cols).normal(0, 5, (9, cols)).astype(dtype)
    y = F.softmax(x)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ref_softmax(x), rtol=rtol, atol=1e-30)
    np.testing.assert_allclose(F.log_softmax(x), ref_log_softmax(x), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(y.sum(-1), 1, rtol=cols * rtol)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_any_axis(simd, axis):
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    np.testing.assert_allclose(F.softmax(x, axis=axis), ref_softmax(x, axis), rtol=1e-13)
    np.testing.assert_allclose(F.log_softmax(x, axis=axis), ref_log_softmax(x, axis), rtol=1e-12, atol=1e-13)
    out = np.empty_like(x)
    assert F.softmax(x, axis=axis, out=out) is out
    np.testing.assert_allclose(out, ref_softmax(x, axis), rtol=1e-13)


def test_huge_and_special_rows(simd):
    rows = np.array([
        [1e30, 1e30, -1e30],
        [1000.0, 999.0, 998.0],
        [-1000.0, -1000.0, -1000.0],
        [np.inf, 1.0, 2.0],
        [np.nan, 1.0, 2.0],
        [-np.inf, 0.0, 0.0],
        [5.0, 5.0, 5.0],
    ])
    for dtype in (np.float32, np.float64):
        x = rows.astype(dtype)
        np.testing.assert_allclose(F.softmax(x), ref_softmax(x).astype(dtype), rtol=3e-6)
        np.testing.assert_allclose(F.log_softmax(x), ref_log_softmax(x).astype(dtype), rtol=3e-6)


def test_log_softmax_keeps_tiny_probabilities(simd):
    x = np.array([[0.0, -200.0]], np.float32)  # exp(-200) underflows float32
    np.testing.assert_allclose(F.log_softmax(x), [[0.0, -200.0]], rtol=1e-7)


@pytest.mark.parametrize("log", [False, True])
def test_backward_matches_finite_differences(simd, log):
    fwd = F.log_softmax if log else F.softmax
    bwd = F.log_softmax_backward if log else F.softmax_backward
    rng = np.random.default_rng(5)
    x, g = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    dx = bwd(x, g)
    h = 1e-6
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        fd[idx] = ((fwd(xp) - fwd(xm)) * g).sum() / (2 * h)
    np.testing.assert_allclose(dx, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(bwd(x.T, g.T, axis=0), dx.T, rtol=1e-13)


def test_scalar_and_empty(simd):
    assert F.softmax(np.float64(3.0)) == 1.0
    assert F.softmax(np.zeros((0, 4))).shape == (0, 4)
    assert F.softmax(np.zeros((3, 0))).shape == (3, 0)
