"""Losses against numpy formulas, their gradients against finite
differences, and the numerically hard corners (huge logits, p = 0 or 1)."""
import numpy as np
import pytest

import pyneuron.functional as F


def fd_grad(loss, p, t, h=1e-6):
    g = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (loss(up, t) - loss(down, t)) / (2 * h)
    return g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, 8, 33, 1000, 100_003])
def test_mse(simd, dtype, n):
    rng = np.random.default_rng(n)
    p, t = rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)
    loss = F.mse(p, t)
    assert isinstance(loss, dtype)
    ref = np.mean((p.astype(np.float64) - t) ** 2)
    assert loss == pytest.approx(ref, rel=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(F.mse_backward(p, t), 2 * (p.astype(np.float64) - t) / n, rtol=1e-6)


def test_bce_with_logits_is_stable(simd):
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 40.0, 1000.0])
    t = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0])
    ref = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    for dtype in (np.float32, np.float64):
        assert F.binary_cross_entropy_with_logits(z.astype(dtype), t.astype(dtype)) == pytest.approx(ref, rel=1e-6)
    zz = np.random.default_rng(0).normal(0, 3, 12)
    tt = np.random.default_rng(1).uniform(0, 1, 12)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits_backward(zz, tt),
                               fd_grad(F.binary_cross_entropy_with_logits, zz, tt), rtol=1e-6, atol=1e-10)


def test_bce_on_probabilities(simd):
    p = np.array([0.0, 1e-30, 0.2, 0.5, 0.9, 1.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    with np.errstate(divide="ignore"):
        lp, lq = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    ref = -np.mean(t * lp + (1 - t) * lq)
    assert F.binary_cross_entropy(p, t) == pytest.approx(ref, rel=1e-12)
    assert F.binary_cross_entropy(p.astype(np.float32), t.astype(np.float32)) == pytest.approx(ref, rel=1e-6)
    pp = np.random.default_rng(2).uniform(0.05, 0.95, 10)
    tt = np.random.default_rng(3).uniform(0, 1, 10)
    np.testing.assert_allclose(F.binary_cross_entropy_backward(pp, tt),
                               fd_grad(F.binary_cross_entropy, pp, tt), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_labels_and_one_hot(simd, dtype):
    rng = np.random.default_rng(4)
    z = rng.normal(0, 3, (6, 5)).astype(dtype)
    labels = rng.integers(0, 5, 6)
    z64 = z.astype(np.float64)
    lse = np.log(np.exp(z64 - z64.max(1, keepdims=True)).sum(1)) + z64.max(1)
    ref = np.mean(lse - z64[np.arange(6), labels])
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    assert F.cross_entropy(z, labels) == pytest.approx(ref, rel=rtol)
    one_hot = np.eye(5, dtype=dtype)[labels]
    assert F.cross_entropy(z, one_hot) == pytest.approx(ref, rel=rtol)
    g = F.cross_entropy_backward(z, labels)
    np.testing.assert_allclose(g, F.cross_entropy_backward(z, one_hot), rtol=rtol, atol=rtol)
    if dtype == np.float64:
        np.testing.assert_allclose(g, fd_grad(F.cross_entropy, z, labels), rtol=1e-6, atol=1e-8)


def test_cross_entropy_huge_logits(simd):
    z = np.array([[1e4, 0.0, -1e4]], np.float32)
    assert F.cross_entropy(z, np.array([0])) == 0.0
    assert F.cross_entropy(z, np.array([2])) == pytest.approx(2e4, rel=1e-6)


def test_cross_entropy_bad_labels():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\(5,\)"):
        F.cross_entropy(z, np.array([0, 1, 2, 3, 0]))


def test_loss_shape_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        F.mse(np.zeros(3), np.zeros(4))
