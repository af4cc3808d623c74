"""Softmax and log-softmax against float64 numpy (mpmath-free: the float64
formula with max subtraction is exact enough as a reference for float32,
and is checked itself against exact sums for float64)."""
import itertools

import numpy as np
import pytest

import pyneuron.functional as F
from kernel_cases import BY_NAME, SOFTMAX_ULPS, log_softmax_reference as ref_log_softmax, softmax_reference as ref_softmax
from refs import ulp_distance


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


# ------------------------------------------------------------- special rows

ROW_LENGTHS = BY_NAME["softmax"].lengths  # every vector tail, and each side of the sum's chunks
DTYPES = [pytest.param(np.float32, id="float32"), pytest.param(np.float64, id="float64")]


def special_entries(dtype) -> list[float]:
    info = np.finfo(dtype)
    return [np.inf, -np.inf, np.nan, 1e30, -1e30, info.max, -info.max, info.tiny,
            info.smallest_subnormal, -info.smallest_subnormal, 0.0, -0.0]


def special_rows(length: int, dtype) -> np.ndarray:
    """Rows of ``length``: all entries equal (to each special and to ordinary
    values); ordinary rows with one special first, in the middle or last (in
    the vector tail); with two, first and last; tiny entries among ordinary ones."""
    rng = np.random.default_rng(length)
    specials = special_entries(dtype)

    def ordinary():
        return rng.normal(0, 3, length)

    rows = [np.full(length, v) for v in specials + [5.0, -3.0]]
    for s, at in itertools.product(specials, sorted({0, length // 2, length - 1})):
        row = ordinary()
        row[at] = s
        rows.append(row)
    for first, last in itertools.product(specials, repeat=2):
        row = ordinary()
        row[0], row[-1] = first, last
        rows.append(row)
    row = ordinary()
    row[::2] = np.finfo(dtype).smallest_subnormal * rng.integers(-3, 4, row[::2].size)
    rows.append(row)
    return np.array(rows).astype(dtype)


def assert_like_reference(got, expected, off, what: str) -> None:
    """NaN exactly where the reference is NaN, the same infinities, and no
    finite value ``off`` (a mask computed by the caller)."""
    nan = np.isnan(expected)
    assert (np.isnan(got) == nan).all(), f"{what}: NaN at (row, col) {np.argwhere(np.isnan(got) != nan)[:4].tolist()}"
    inf = np.isinf(expected)
    assert (got[inf] == expected[inf]).all(), \
        f"{what}: infinities differ at (row, col) {np.argwhere(inf & (got != expected))[:4].tolist()}"
    finite = ~nan & ~inf
    assert np.isfinite(got[finite]).all(), f"{what}: non-finite where the reference is finite"
    bad = finite & off
    assert not bad.any(), (f"{what}: {bad.sum()} values off, first (row, col) {np.argwhere(bad)[:4].tolist()}: "
                           f"{got[bad][:3].tolist()} instead of {expected[bad][:3].tolist()}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_special_rows_behave_as_the_float64_formula(simd, name, dtype):
    reference = {"softmax": ref_softmax, "log_softmax": ref_log_softmax}[name]
    for length in ROW_LENGTHS:
        x = special_rows(length, dtype)
        with np.errstate(over="ignore"):  # float64 results beyond the dtype's range round to inf
            expected = reference(x).astype(dtype)
        got = getattr(F, name)(x)
        assert got.dtype == dtype
        off = ulp_distance(got, expected) > SOFTMAX_ULPS
        assert_like_reference(got, expected, off, f"{name} at row length {length}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax_backward", "log_softmax_backward"])
def test_backward_of_special_rows(simd, name, dtype):
    """Gradients cancel (grad - sum(grad y)): finite values are held to the
    error bound of the reference in tests/kernel_cases.py, scaled by the
    magnitudes that cancel, rather than to ulps of the result."""
    case = BY_NAME[name]
    for length in ROW_LENGTHS:
        x = special_rows(length, dtype)
        grad = np.random.default_rng(length).normal(size=x.shape).astype(dtype)
        with np.errstate(all="ignore"):
            ((expected, bound),) = case.reference(x.astype(np.float64), grad.astype(np.float64))
            got = case(x, grad)
            off = ~(np.abs(got - expected) <= bound * np.finfo(dtype).eps)
        assert got.dtype == dtype
        assert_like_reference(got.astype(np.float64), expected, off, f"{name} at row length {length}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_backward_of_gradients_near_the_dtype_maximum(simd, log, dtype):
    """Sums of such gradients (and grad - sum) overflow the dtype while the
    gradient does not: every result the exact formula keeps in range comes
    back finite and within the error bound, scaled by the row's magnitudes."""
    big = np.finfo(dtype).max
    backward = F.log_softmax_backward if log else F.softmax_backward
    for length in ROW_LENGTHS:
        rng = np.random.default_rng(length)
        x = rng.normal(0, 3, (6, length)).astype(dtype)
        x[1, 0] = 40  # one dominant probability
        grad = (big * rng.uniform(-1, 1, x.shape)).astype(dtype)
        grad[2] = big  # sum(grad y) is the maximum itself
        grad[3, ::2], grad[3, 1::2] = big, -big
        grad[4, 1:] *= 1e-30  # one huge entry among small ones
        with np.errstate(all="ignore"):
            got = backward(x, grad)
        xl, gl = x.astype(np.longdouble), grad.astype(np.longdouble)
        y = np.exp(xl - xl.max(-1, keepdims=True))
        y /= y.sum(-1, keepdims=True)
        if log:
            expected = gl - y * gl.sum(-1, keepdims=True)
            scale = np.abs(gl) + y * np.abs(gl).sum(-1, keepdims=True)
        else:
            expected = y * (gl - (gl * y).sum(-1, keepdims=True))
            scale = y * (np.abs(gl) + (np.abs(gl) * y).sum(-1, keepdims=True))
        in_range = np.abs(expected) < big / 2
        assert np.isfinite(got[in_range]).all(), \
            f"row length {length}: non-finite at {np.argwhere(in_range & ~np.isfinite(got))[:4].tolist()}"
        bound = SOFTMAX_ULPS * np.finfo(dtype).eps * scale + np.finfo(dtype).tiny
        off = in_range & ~(np.abs(got - expected) <= bound)
        assert not off.any(), f"row length {length}: off at {np.argwhere(off)[:4].tolist()}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_of_gradients_near_the_dtype_minimum(simd, dtype):
    """Gradients at the bottom of the dtype's range: their products with the
    probabilities, sum(grad y), underflow to subnormals where each rounding
    is a whole unit of the smallest subnormal, and a row of them adds up to
    several where the result is itself subnormal.  Every result stays within
    one smallest subnormal of the exact one, plus the usual bound."""
    info = np.finfo(dtype)
    for length in ROW_LENGTHS:
        rng = np.random.default_rng(length)
        x = (200 - rng.exponential(4, (4, length))).astype(dtype)  # e^(x - max) spread over (2^-30, 1]
        x[:, 0] = 210  # one dominant probability, whose gradient is sum(grad y) nearly whole
        grad = rng.choice([0.0, info.tiny, info.tiny / 2 ** 16, info.smallest_subnormal * 3],
                          size=x.shape).astype(dtype)
        grad[1] *= -1
        grad[3, ::2] = -grad[3, ::2]
        got = F.softmax_backward(x, grad)
        xl, gl = x.astype(np.longdouble), grad.astype(np.longdouble)
        y = np.exp(xl - xl.max(-1, keepdims=True))
        y /= y.sum(-1, keepdims=True)
        expected = y * (gl - (gl * y).sum(-1, keepdims=True))
        scale = y * (np.abs(gl) + (np.abs(gl) * y).sum(-1, keepdims=True))
        bound = SOFTMAX_ULPS * info.eps * scale + info.smallest_subnormal
        off = ~(np.abs(got - expected) <= bound)
        assert not off.any(), (f"row length {length}: off at {np.argwhere(off)[:4].tolist()}: "
                               f"{got[off][:3].tolist()} instead of {expected[off][:3].tolist()}")
