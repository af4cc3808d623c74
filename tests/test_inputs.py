"""What the public functions accept and how they refuse: array-likes,
dtypes, layouts, out=, empty and 0-d arrays."""
import numpy as np
import pytest

import pyneuron.functional as F
from kernel_cases import CASES, assert_identical, results
from pyneuron._registry import ACTIVATIONS
from pyneuron.functional import _COPY_MAX

NAMES = [spec.name for spec in ACTIVATIONS] + ["softmax", "log_softmax"]


@pytest.mark.parametrize("name", NAMES)
def test_array_likes_and_integers_compute_in_float64(name):
    fwd = getattr(F, name)
    ref = fwd(np.array([[-2.0, 0.0, 3.0]]))
    for like in ([[-2, 0, 3]], ((-2.0, 0.0, 3.0),), np.array([[-2, 0, 3]], np.int8), np.array([[-2, 0, 3]], np.int64)[:, ::1]):
        y = fwd(like)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_is_preserved(name):
    fwd = getattr(F, name)
    for dtype in (np.float32, np.float64):
        assert fwd(np.ones((2, 3), dtype)).dtype == dtype
    assert fwd(np.ones(3, np.float16)).dtype == np.float32
    assert fwd(np.ones(3, ">f8")).dtype == np.float64
    assert fwd(np.ones(3, np.uint16)).dtype == np.float64
    assert fwd(np.array([True, False])).dtype == np.float64


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.ones(3, complex), np.array(["a", "b"]), np.array([1, None], dtype=object),
                                 np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_unsupported_dtypes_are_type_errors_naming_the_dtype(name, bad):
    with pytest.raises(TypeError, match=str(bad.dtype).replace("[", r"\[").replace("]", r"\]")):
        getattr(F, name)(bad)


@pytest.mark.parametrize("name", [spec.name for spec in ACTIVATIONS])
def test_out_is_validated(name):
    fwd = getattr(F, name)
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="dtype float32, expected float64"):
        fwd(x, out=np.empty((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"shape \(3, 2\), expected \(2, 3\)"):
        fwd(x, out=np.empty((3, 2)))
    with pytest.raises(ValueError, match="C-contiguous"):
        fwd(x, out=np.empty((3, 2)).T)
    ro = np.empty((2, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fwd(x, out=ro)
    with pytest.raises(TypeError, match="numpy array"):
        fwd(x, out=[[0.0] * 3] * 2)
    out = np.empty((2, 3))
    assert fwd(x, out=out) is out
    assert fwd(out, out=out) is out  # in place


@pytest.mark.parametrize("name", [spec.name for spec in ACTIVATIONS])
def test_empty_and_zero_dimensional(name):
    fwd, bwd = getattr(F, name), getattr(F, name + "_backward")
    assert fwd(np.zeros((0, 5), np.float32)).shape == (0, 5)
    y = fwd(np.float64(0.5))
    assert y.shape == () and np.isfinite(y)
    assert bwd(np.float64(0.5), np.float64(1.0)).shape == ()


@pytest.mark.parametrize("name", [spec.name for spec in ACTIVATIONS] + ["softmax", "log_softmax"])
def test_backward_shape_mismatch(name):
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        getattr(F, name + "_backward")(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):  # as many elements, another shape
        getattr(F, name + "_backward")(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(3, 2\), expected \(2, 3\)"):
        getattr(F, name + "_backward")(np.zeros((2, 3)), np.zeros((2, 3)), out=np.zeros((3, 2)))


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="approximate must be one of"):
        F.gelu(np.ones(2), approximate="erf")
    with pytest.raises(TypeError, match="alpha must be a real number"):
        F.leaky_relu(np.ones(2), "0.1")
    with pytest.raises(ValueError, match="alpha must be finite"):
        F.elu(np.ones(2), alpha=np.nan)
    with pytest.raises(TypeError, match="unexpected keyword"):
        F.elu(np.ones(2), beta=1.0)
    np.testing.assert_allclose(F.leaky_relu([-1.0], alpha=0.2), [-0.2])
    np.testing.assert_allclose(F.leaky_relu([-1.0], 0.2), [-0.2])


def test_help_says_formula_and_accuracy():
    assert "1 / (1 + exp(-x))" in F.sigmoid.__doc__ and "ulp" in F.sigmoid.__doc__
    from pyneuron._registry import measured_accuracy
    sigmoid = next(row for row in measured_accuracy()["rows"] if row["name"] == "sigmoid")
    assert f"every finite float32 input, at every SIMD level: at most {max(sigmoid['max_ulp'].values())} ulp" \
        in F.sigmoid.__doc__
    import inspect
    assert str(inspect.signature(F.leaky_relu)) == \
        "(x: 'ArrayLike', alpha: 'float' = 0.01, *, out: 'np.ndarray | None' = None) -> 'np.ndarray'"
    assert str(inspect.signature(F.gelu_backward)) == ("(x: 'ArrayLike', grad: 'ArrayLike', approximate: "
                                                       "\"Literal['none', 'tanh']\" = 'none', *, "
                                                       "out: 'np.ndarray | None' = None) -> 'np.ndarray'")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [3, _COPY_MAX + 1], ids=["small", "large"])
def test_results_neither_overwrite_nor_share_the_inputs(case, dtype, length):
    """The fast paths make small results as copies of an input that the
    kernel overwrites in place, large ones as new arrays: either way the
    caller's arrays stay as they were and own no part of a result."""
    inputs = case.make(np.random.default_rng(0), case.dims(length), dtype)
    before = [a.copy() for a in inputs]
    got = results(case(*inputs))
    assert_identical(list(inputs), before, f"{case.name}: its inputs afterwards")
    for r in got:
        assert not any(np.shares_memory(r, a) for a in inputs), f"{case.name}: a result lies in an input"
