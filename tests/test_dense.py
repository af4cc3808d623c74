"""The dense layer y = x W + b and its gradients against numpy, across the
GEMM's blocking edges (micro-tile remainders, K and N block boundaries)."""
import numpy as np
import pytest

import pyneuron.functional as F

SHAPES = [  # (n, in, out)
    (1, 1, 1), (2, 1, 2), (256, 1, 2), (256, 2, 2), (7, 13, 5), (6, 16, 32), (13, 3, 33),
    (25, 17, 47), (64, 64, 64), (3, 300, 5), (5, 600, 1030), (300, 5, 7), (0, 3, 4), (4, 0, 3),
    (300, 130, 70),  # dW = x^T dy blocked: x^T packed down its columns, two K and two MC blocks
]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def operands(n, din, dout, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, din)).astype(dtype), rng.standard_normal((din, dout)).astype(dtype),
            rng.standard_normal(dout).astype(dtype), rng.standard_normal((n, dout)).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{n}x{i}x{o}" for n, i, o in SHAPES])
def test_forward_and_backward_match_numpy(simd, shape, dtype):
    x, W, b, g = operands(*shape, dtype)
    scale = max(1.0, np.sqrt(shape[1]))  # rounding grows with the dot-product length
    tol = {k: v * scale for k, v in TOL[dtype].items()}
    y = F.dense(x, W, b)
    assert y.dtype == dtype and y.shape == (shape[0], shape[2])
    np.testing.assert_allclose(y, x @ W + b, **tol)
    np.testing.assert_allclose(F.dense(x, W), x @ W, **tol)
    dx, dW, db = F.dense_backward(x, W, g)
    assert dx.dtype == dW.dtype == db.dtype == dtype
    np.testing.assert_allclose(dx, g @ W.T, **{k: v * max(1.0, np.sqrt(shape[2])) for k, v in TOL[dtype].items()})
    np.testing.assert_allclose(dW, x.T @ g, **{k: v * max(1.0, np.sqrt(shape[0])) for k, v in TOL[dtype].items()})
    np.testing.assert_allclose(db, g.sum(0), **{k: v * max(1.0, np.sqrt(shape[0])) for k, v in TOL[dtype].items()})


def test_backward_is_the_gradient_of_forward(simd):
    """Finite differences of L = sum(dense(x, W, b) * g) in float64."""
    x, W, b, g = operands(5, 4, 3, np.float64, seed=1)
    dx, dW, db = F.dense_backward(x, W, g)
    h = 1e-6
    for arr, grad in ((x, dx), (W, dW), (b, db)):
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            up = (F.dense(x, W, b) * g).sum()
            arr[idx] = old - h
            down = (F.dense(x, W, b) * g).sum()
            arr[idx] = old
            assert abs((up - down) / (2 * h) - grad[idx]) < 1e-7


def test_single_sample_and_out(simd):
    x, W, b, _ = operands(1, 6, 4, np.float64)
    y = F.dense(x[0], W, b)
    assert y.shape == (4,)
    np.testing.assert_allclose(y, x[0] @ W + b, rtol=1e-14)
    out = np.empty((1, 4))
    assert F.dense(x, W, b, out=out) is out
    np.testing.assert_allclose(out, x @ W + b, rtol=1e-14)


def test_mixed_dtypes_compute_in_float64(simd):
    x, W, b, _ = operands(3, 4, 2, np.float32)
    y = F.dense(x, W.astype(np.float64), b)
    assert y.dtype == np.float64


@pytest.mark.parametrize("x_shape,w_shape,b_shape", [
    ((3, 4), (5, 2), None), ((3, 4), (4,), None), ((3, 4, 1), (4, 2), None), ((3, 4), (4, 2), (3,)),
])
def test_shape_errors_name_the_shapes(x_shape, w_shape, b_shape):
    b = None if b_shape is None else np.zeros(b_shape)
    with pytest.raises(ValueError) as err:
        F.dense(np.zeros(x_shape), np.zeros(w_shape), b)
    assert str(w_shape) in str(err.value) or str(b_shape) in str(err.value)


def test_backward_grad_shape_error():
    with pytest.raises(ValueError, match=r"\(3, 5\)"):
        F.dense_backward(np.zeros((3, 4)), np.zeros((4, 2)), np.zeros((3, 5)))
