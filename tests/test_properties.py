"""Property tests (hypothesis) of what every case of tests/kernel_cases.py
accepts and how it refuses: random shapes (0- and 1-sized dims, 0-d),
dtypes (float16/32/64, integers, bool, big-endian; complex, object, strings
and datetimes refused), layouts, special values, out= aliasing, mismatched
shapes and bad parameters.

Properties: no crash; every rejection is a TypeError or ValueError whose
message starts with the function's name and says which argument is wrong
(never only a bare C status text); accepted calls return the documented
shape and dtype, bit for bit the results of contiguous float copies.

Deterministic (derandomized, no example database) and bounded by a
max_examples budget per test.  Runs at the default (best) SIMD level:
the tail tests cover the kernels at every level.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import pyneuron.functional as F
from pyneuron._core import ffi, lib
from pyneuron._registry import ACTIVATIONS
from kernel_cases import ANY, CASES, LAYOUTS, assert_identical, at_byte_offset, results, sharing_memory


def budget(examples: int):
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


ALL_CASES = [pytest.param(c, id=c.name) for c in CASES]
OUT_CASES = [pytest.param(c, id=c.name) for c in CASES if c.takes_out]

#: Accepted dtypes of float inputs, and of class labels.
FLOAT_DTYPES = [np.dtype(d) for d in ("<f2", "<f4", "<f8", ">f4", ">f8", "i1", "<i4", ">i8", "u1", "<u8", "?")]
LABEL_DTYPES = [np.dtype(d) for d in ("i1", "<i2", "<i4", "<i8", ">i8", "u1", "<u4", "<u8")]
#: Refused dtypes, made from an array of accepted values.
UNSUPPORTED = {
    "complex64": lambda a: a.astype(np.complex64),
    "complex128": lambda a: a.astype(np.complex128),
    "object": lambda a: a.astype(object),
    "str": lambda a: a.astype(str),
    "bytes": lambda a: a.astype("S8"),
    "datetime64": lambda a: np.zeros(a.shape, "datetime64[D]"),
}
NOT_LABELS = {"float32": lambda a: a.astype(np.float32), "float64": lambda a: a.astype(np.float64),
              "bool": lambda a: a.astype(bool)}
#: A rejection must say more than the C layer's status text, which names no argument.
C_STATUS_TEXTS = [ffi.string(lib.pn_status_message(s)).decode() for s in range(1, 32)]  # "unknown status" too


def special_values(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    return np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal,
                     info.tiny, info.max, -info.max, 1e30, -1e30], dtype)


def computed_dtype(dtype: np.dtype) -> np.dtype:
    """The documented rule: float32/float64 kept, float16 to float32, integers and bool to float64."""
    if dtype.kind == "f":
        return np.dtype(np.float32 if dtype.itemsize <= 4 else np.float64)
    return np.dtype(np.float64)


def with_dtype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a``'s values in ``dtype``: rounded and kept small for integers, > 0 for bool."""
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            return a.astype(dtype)
    if a.dtype.kind in "iu":  # class labels: small non-negative already
        return a.astype(dtype)
    small = np.where(np.abs(a) < 100, a, 0)  # NaN and the huge specials too
    return np.asarray((small > 0) if dtype.kind == "b" else np.round(small), dtype)


def read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def layouts():
    """How an input reaches the function: an array-like of the same values."""
    return st.one_of(
        st.sampled_from(["contiguous", "read-only", "list", *LAYOUTS]).map(lambda name: (name, None)),
        st.integers(1, 15).map(lambda offset: ("byte offset", offset)),
    )


def laid_out(a: np.ndarray, layout) -> object:
    name, offset = layout
    if name == "contiguous":
        return a
    if name == "read-only":
        return read_only(a)
    if name == "list":  # nested lists cannot hold a shape like (0, 3): those stay arrays
        return a.tolist() if np.shape(a.tolist()) == a.shape else a
    if name == "byte offset":
        return at_byte_offset(a, offset)
    return LAYOUTS[name](a)


def dims_for(case):
    """Sizes 0..6: every shape an element-wise case takes (0-d included)."""
    if any(spec.layout is ANY for spec in case.inputs):
        return array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)
    return st.tuples(*[st.integers(0, 6) for _ in case.sweep_dims])


def result_shapes(case, dims) -> list[tuple]:
    return [case.shape(spec.layout, dims) for spec in case.outputs]


def outcome(call):
    """The call's results, or the exception it raised (only TypeError and ValueError are allowed)."""
    try:
        return results(call())
    except (TypeError, ValueError) as exc:
        return exc


def assert_names_the_problem(exc: Exception, case, *words: str) -> None:
    message = str(exc)
    name = case.function.__name__
    assert message.startswith(f"{name}: "), f"{type(exc).__name__} not from {name}'s checks: {message!r}"
    assert not any(message == f"{name}: {text}" for text in C_STATUS_TEXTS), f"only a C status: {message!r}"
    for word in words:
        assert word in message, f"{message!r} does not mention {word!r}"


def seeded(data) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))


def valid_inputs(case, data):
    dims = data.draw(dims_for(case), label="dims")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    return dims, case.make(seeded(data), dims, dtype)


@budget(30)
@given(data=st.data())
@pytest.mark.parametrize("case", ALL_CASES)
def test_accepted_inputs_give_the_results_of_contiguous_float_copies(case, data):
    dims, inputs = valid_inputs(case, data)
    rng = seeded(data)
    args = []
    for spec, a in zip(case.inputs, inputs):
        if not spec.labels and a.size and data.draw(st.booleans(), label="special values"):
            a = a.copy()
            hit = rng.random(a.shape) < 0.3
            a[hit] = rng.choice(special_values(a.dtype), hit.sum())
        a = with_dtype(a, data.draw(st.sampled_from(LABEL_DTYPES if spec.labels else FLOAT_DTYPES), label="dtype"))
        args.append(laid_out(a, data.draw(layouts(), label="layout")))

    def contiguous_copy(spec, v):
        v = np.asarray(v)
        return np.array(v, np.int64 if spec.labels else computed_dtype(v.dtype), order="C")

    copies = [contiguous_copy(spec, v) for spec, v in zip(case.inputs, args)]
    with np.errstate(all="ignore"):
        expected = outcome(lambda: case(*copies))
        got = outcome(lambda: case(*args))
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected), f"{got!r} instead of {expected!r}"
        assert_names_the_problem(got, case)
        return
    assert not isinstance(got, Exception), f"refused what its contiguous copy is not: {got!r}"
    floats = [c.dtype for spec, c in zip(case.inputs, copies) if not spec.labels]
    dtype = np.dtype(np.float64) if np.dtype(np.float64) in floats else np.dtype(np.float32)
    assert [(r.shape, r.dtype) for r in got] == [(s, dtype) for s in result_shapes(case, dims)]
    assert_identical(got, expected, case.name)


@budget(8)
@given(data=st.data())
@pytest.mark.parametrize("case", ALL_CASES)
def test_unsupported_dtypes_are_type_errors_naming_the_dtype(case, data):
    dims, inputs = valid_inputs(case, data)
    k = data.draw(st.integers(0, len(inputs) - 1), label="input")
    table = UNSUPPORTED | (NOT_LABELS if case.inputs[k].labels else {})
    bad = table[data.draw(st.sampled_from(sorted(table)), label="dtype")](inputs[k])
    args = list(inputs)
    args[k] = bad
    with pytest.raises(TypeError) as info:
        case(*args)
    assert_names_the_problem(info.value, case, str(bad.dtype))


def bad_outs(shape, dtype):
    """(out, exception type, what its message must mention) for invalid destinations."""
    other = np.float32 if dtype == np.float64 else np.float64
    wrong_shape = shape[::-1] if shape[::-1] != shape else shape + (1,)
    yield np.empty(shape, other), ValueError, "dtype"
    yield np.empty(shape, np.dtype(dtype).newbyteorder(">")), ValueError, "dtype"
    yield np.empty(wrong_shape, dtype), ValueError, "shape"
    yield read_only(np.empty(shape, dtype)), ValueError, "read-only"
    yield np.zeros(shape, dtype).tolist(), TypeError, "numpy array"
    if np.prod(shape) > 1:
        yield LAYOUTS["every other element"](np.empty(shape, dtype)), ValueError, "C-contiguous"
    if np.prod(shape) > 0:
        yield at_byte_offset(np.empty(shape, dtype), 1), ValueError, "aligned"


@budget(20)
@given(data=st.data())
@pytest.mark.parametrize("case", OUT_CASES)
def test_out_receives_the_result_wherever_it_lies(case, data):
    dims, inputs = valid_inputs(case, data)
    with np.errstate(all="ignore"):
        plain = outcome(lambda: case(*inputs))
    assume(not isinstance(plain, Exception))  # logits without classes, say
    (expected,) = plain
    where = data.draw(st.sampled_from(["new", "overlapping"] + (["in place"] if case.in_place else [])), label="out")
    args = list(inputs)
    if where == "new":
        out = np.empty_like(expected)
    else:
        candidates = case.in_place if where == "in place" else range(len(inputs))
        k = data.draw(st.sampled_from(candidates), label="input")
        if where == "in place":
            out = args[k] = inputs[k].copy()
        else:  # shifted by a multiple of 8 bytes: every element stays aligned
            args[k], out = sharing_memory(inputs[k], expected, 8 * data.draw(st.integers(-3, 3), label="shift"))
    with np.errstate(all="ignore"):
        assert case(*args, out=out) is out
    assert_identical([out], [expected], f"{case.name}, out {where}")


@budget(4)
@given(data=st.data())
@pytest.mark.parametrize("case", OUT_CASES)
def test_invalid_out_is_refused(case, data):
    dims, inputs = valid_inputs(case, data)
    plain = outcome(lambda: case(*inputs))
    assume(not isinstance(plain, Exception))
    (expected,) = plain
    for out, error, word in bad_outs(expected.shape, expected.dtype):
        with pytest.raises(error) as info:
            case(*inputs, out=out)
        assert_names_the_problem(info.value, case, "out", word)


def shared_dims(case) -> list[tuple[int, int]]:
    """(input, dim) pairs where the dim is shared with another input: a
    different size there makes the shapes inconsistent."""
    layouts_ = [spec.layout for spec in case.inputs]
    if ANY in layouts_:
        return [(k, -1) for k in range(len(layouts_))] if len(layouts_) > 1 else []
    used = [d for layout in layouts_ for d in set(layout)]
    return [(k, d) for k, layout in enumerate(layouts_) for d in layout if used.count(d) > 1]


MISMATCH_CASES = [pytest.param(c, id=c.name) for c in CASES if shared_dims(c)]


@budget(12)
@given(data=st.data())
@pytest.mark.parametrize("case", MISMATCH_CASES)
def test_mismatched_shapes_are_value_errors_naming_the_shapes(case, data):
    dims, inputs = valid_inputs(case, data)
    k, dim = data.draw(st.sampled_from(shared_dims(case)), label="input and dim")
    if dim == -1:
        other = data.draw(dims_for(case).filter(lambda d: d != tuple(dims)), label="other shape")
    else:
        other = tuple(size + data.draw(st.integers(1, 2), label="extra") if i == dim else size
                      for i, size in enumerate(dims))
    args = list(inputs)
    args[k] = case.make(seeded(data), other, inputs[0].dtype)[k]
    with pytest.raises(ValueError) as info:
        case(*args)
    assert_names_the_problem(info.value, case)
    assert any(str(np.shape(a)) in str(info.value) for a in args), f"no shape in {info.value}"


# ---------------------------------------------------------------- parameters

NUMERIC_PARAMS = [pytest.param(spec, p.name, id=f"{spec.name}-{p.name}")
                  for spec in ACTIVATIONS for p in spec.params if p.variants is None]
VARIANT_PARAMS = [pytest.param(spec, p.name, sorted(p.variants), id=f"{spec.name}-{p.name}")
                  for spec in ACTIVATIONS for p in spec.params if p.variants is not None]
NOT_A_NUMBER = st.one_of(st.text(max_size=3), st.none(), st.booleans(), st.complex_numbers(),
                         st.lists(st.floats(), max_size=2), st.just(np.array(0.5)))
NOT_AN_INTEGER = st.one_of(st.floats(allow_nan=True), st.none(), st.text(max_size=2), st.complex_numbers(),
                           st.lists(st.integers(), max_size=2))


def assert_names_the_parameter(exc: Exception, fn, param: str) -> None:
    message = str(exc)
    assert message.startswith(f"{fn.__name__}: ") and param in message, \
        f"{message!r} does not name {fn.__name__} and {param}"


def both_directions(spec):
    x = np.linspace(-2, 2, 5)
    return [(getattr(F, spec.name), (x,)), (getattr(F, spec.name + "_backward"), (x, np.ones(5)))]


@budget(30)
@given(value=st.one_of(NOT_A_NUMBER, st.sampled_from([np.nan, np.inf, -np.inf])),
       finite=st.floats(-1e300, 1e300))
@pytest.mark.parametrize("spec,param", NUMERIC_PARAMS)
def test_numeric_parameters(spec, param, value, finite):
    """Real finite numbers are taken (by position or keyword); anything else
    is a TypeError, and NaN or inf a ValueError, naming the parameter."""
    for fn, args in both_directions(spec):
        assert fn(*args, finite).shape == args[0].shape
        assert fn(*args, **{param: finite}).shape == args[0].shape
        with pytest.raises((TypeError, ValueError)) as info:
            fn(*args, **{param: value})
        assert info.type is (ValueError if isinstance(value, float) else TypeError)
        assert_names_the_parameter(info.value, fn, param)


@budget(20)
@given(value=st.one_of(st.text(max_size=6), st.none(), st.integers(), st.lists(st.text(max_size=4), max_size=2)))
@pytest.mark.parametrize("spec,param,choices", VARIANT_PARAMS)
def test_variant_parameters(spec, param, choices, value):
    for fn, args in both_directions(spec):
        if value in choices:
            assert fn(*args, **{param: value}).shape == args[0].shape
            continue
        with pytest.raises((TypeError, ValueError)) as info:
            fn(*args, **{param: value})
        assert_names_the_parameter(info.value, fn, param)


def test_unknown_and_repeated_arguments_are_type_errors():
    x = np.ones(3)
    for spec in ACTIVATIONS:
        for fn, args in both_directions(spec):
            with pytest.raises(TypeError, match="unexpected keyword"):
                fn(*args, no_such_parameter=1)
            if spec.params:
                with pytest.raises(TypeError, match=spec.params[0].name):
                    fn(*args, spec.params[0].default, **{spec.params[0].name: spec.params[0].default})
    with pytest.raises(TypeError):
        F.softmax(x, -1, -1)


ROW_CASES = [pytest.param(c, id=c.name) for c in CASES if "axis" in inspect.signature(c.function).parameters]


@budget(30)
@given(data=st.data())
@pytest.mark.parametrize("case", ROW_CASES)
def test_softmax_any_shape_and_axis(case, data):
    """Along any axis of any shape (0-d: one row of one element), as the
    same rows made contiguous and last; out= too."""
    shape = data.draw(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), label="shape")
    ndim = max(len(shape), 1)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    rng = seeded(data)
    arrays = [rng.normal(0, 3, shape) for _ in case.inputs]
    got = case(*arrays, axis=axis)
    assert got.shape == shape and got.dtype == np.float64
    if len(shape):
        last = [np.ascontiguousarray(np.moveaxis(a, axis, -1)) for a in arrays]
        assert_identical([got], [np.moveaxis(case(*last), -1, axis)], f"{case.name} along axis {axis}")
    out = np.empty(shape)
    assert case(*arrays, axis=axis, out=out) is out
    assert_identical([out], [got])
    beyond = data.draw(st.one_of(st.integers(ndim, ndim + 3), st.integers(-ndim - 3, -ndim - 1)), label="bad axis")
    with pytest.raises(ValueError) as info:
        case(*arrays, axis=beyond)
    assert_names_the_problem(info.value, case, "axis", str(beyond))
    not_integer = data.draw(NOT_AN_INTEGER, label="not an axis")
    with pytest.raises(TypeError) as info:
        case(*arrays, axis=not_integer)
    assert_names_the_problem(info.value, case, "axis")
