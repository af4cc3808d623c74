"""Neural-network kernels on numpy arrays, computed by pyneuron's SIMD C.

Use it as ``import pyneuron.functional as F``.  Every function takes numpy
arrays (or array-likes) and returns new numpy arrays, or writes into
``out=``.  float32 and float64 are computed in their own precision; integer
input in float64.  See the README's "Inputs and outputs" for the rules and
the errors bad input raises.

Activations (each with ``<name>_backward(x, grad, ...)`` returning dL/dx):
identity, sigmoid, tanh, relu, leaky_relu, elu, gelu, silu, softplus,
softmax, log_softmax.  Dense layer: dense, dense_backward.  Losses (each
with ``_backward``): mse, binary_cross_entropy_with_logits,
binary_cross_entropy, cross_entropy.
"""
from __future__ import annotations

import inspect
import sys
from typing import Any, Callable
import operator

import numpy as np
from numpy.typing import ArrayLike

from . import _arrays as A
from ._core import check, lib
from ._registry import ACTIVATIONS, EXAMPLE_INPUT, Activation, case_label, measured_accuracy

__all__: list[str] = []

_ACCURACY = (
    "Accuracy: within {ulp} ulp of the exact result for float32 and float64, "
    "tails and denormal results included; NaN propagates."
)


# ---------------------------------------------------------------- activations

_DTYPE_CODES = {A.F32: lib.PN_F32, A.F64: lib.PN_F64}
#: Up to this many elements, the fast paths make a result as a copy of an
#: input and run the kernel in place on it: on a few elements ``a.copy()``
#: costs half of ``np.empty_like`` and saves a ``ffi.from_buffer`` (together
#: about 140 ns of a 650 ns call); on large arrays the copy is one more pass
#: over memory, so they get a fresh array.
_COPY_MAX = 2048
_ndarray, _empty, _empty_like, _from_buffer, _NULL = np.ndarray, np.empty, np.empty_like, A.ffi.from_buffer, A.ffi.NULL
#: from_buffer's type for a writable out=, resolved once: the string costs a lookup per call (about 20 ns)
_CHARS = A.ffi.typeof("char[]")
_MISSING = object()


def _forward(code: int, alpha: float, x, out, where: str) -> np.ndarray:
    """The activation's general path: converts, copies or says what is wrong."""
    a = A.as_float(x, where)
    if out is None:
        y = np.empty_like(a)
    else:
        y = A.output(out, a.shape, a.dtype, where)
        a = A.apart(y, a)
    check(lib.pn_act_forward(code, A.dtype_code(a), A.buf(a), A.buf(y), a.size, alpha), where)
    return y


def _backward(code: int, alpha: float, x, grad, out, where: str) -> np.ndarray:
    a, g = A.common(where, A.as_float(x, where), A.as_float(grad, where, "grad"))
    A.same_shape(where, a, g, "x", "grad")
    dx = A.output(out, a.shape, a.dtype, where)
    a, g = A.apart(out, a), A.apart(out, g)
    check(lib.pn_act_backward(code, A.dtype_code(a), A.buf(a), A.buf(g), A.buf(dx), a.size, alpha), where)
    return dx


def _param_value(spec: Activation, where: str, args: tuple, kwargs: dict):
    """The op's one parameter from (args, kwargs), by position or name, validated."""
    p = spec.params[0]
    if len(args) > 1 or (args and p.name in kwargs):
        raise TypeError(f"{where}() takes one {p.name} argument")
    value = args[0] if args else kwargs.pop(p.name, p.default)
    if kwargs:
        raise TypeError(f"{where}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    return spec.kernel_args({p.name: value}, where)


#: max ulp of each row at its default parameters, over every finite float32 and every level
_MEASURED = {row["name"]: max(row["max_ulp"].values()) for row in measured_accuracy()["rows"]
             if case_label(row["name"], row["params"]) == row["name"]}


def _docstring(spec: Activation, backward: bool) -> str:
    params = "".join(f", {p.name}={p.default!r}" for p in spec.params)
    accuracy = "Exact." if spec.ulp_bound == 0 else _ACCURACY.format(ulp=spec.ulp_bound)
    if not backward and spec.ulp_bound:
        accuracy += (f"  Measured over every finite float32 input, at every SIMD level: at most "
                     f"{_MEASURED[spec.name]} ulp (docs/accuracy.md).")
    if backward:
        return (
            f"Gradient of {spec.name}: dL/dx = {spec.name}'(x) * grad, with {spec.name}'(x) = "
            f"{spec.derivative}.\n\n``{spec.name}_backward(x, grad{params}, *, out=None)``; x and grad "
            "have the same shape; the result has their dtype (float64 if they differ).\n\n" + accuracy
        )
    return (
        f"{spec.name}(x) = {spec.formula}, element-wise; output range {spec.output_range}.\n\n"
        f"``{spec.name}(x{params}, *, out=None)``: x of any shape; float32 and float64 are "
        "computed in their own precision, integers in float64.  ``out`` (same shape and dtype, "
        "C-contiguous, writeable) receives the result; it may be x itself.\n\n" + accuracy
        + f"\n\n>>> import numpy as np, pyneuron.functional as F\n"
        f">>> F.{spec.name}(np.array({list(EXAMPLE_INPUT)}))\n{spec.example}\n"
    )


def _signature(spec: Activation, backward: bool) -> inspect.Signature:
    """The signature help() shows and the type stub (functional.pyi) states."""
    P = inspect.Parameter
    params = [P("x", P.POSITIONAL_OR_KEYWORD, annotation="ArrayLike")]
    if backward:
        params.append(P("grad", P.POSITIONAL_OR_KEYWORD, annotation="ArrayLike"))
    for p in spec.params:
        kind = f"Literal[{', '.join(map(repr, p.variants))}]" if p.variants else "float"
        params.append(P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default, annotation=kind))
    params.append(P("out", P.KEYWORD_ONLY, default=None, annotation="np.ndarray | None"))
    return inspect.Signature(params, return_annotation="np.ndarray")


Kernel = Callable[..., np.ndarray]


def _kernels(spec: Activation) -> tuple[Kernel, Kernel]:
    """F.<name>(x, [param,] out=None) and F.<name>_backward(x, grad, [param,] out=None).

    Each starts with a fast path: C-contiguous float32/float64 arrays of one
    dtype and shape go straight to C, which checks alignment and overlap
    itself; whatever it refuses -- a misaligned view, an out= that partly
    overlaps an input -- and whatever cffi cannot pass (a strided or
    read-only array) takes the general path, which converts, copies or says
    what is wrong.  On 8 elements the Python layer costs more than the
    kernel, so the fast path is written out here, once, for every row, and
    a small result is made as a copy of the input the kernel then
    overwrites in place (see _COPY_MAX)."""
    name, bname = spec.name, spec.name + "_backward"
    default = spec.kernel_args({p.name: p.default for p in spec.params})
    codes, ndarray, empty_like, from_buffer, chars = _DTYPE_CODES, _ndarray, _empty_like, _from_buffer, _CHARS
    # identity's result is the copy itself, which the kernel then leaves alone
    copy_max = sys.maxsize if spec.code == lib.PN_ACT_IDENTITY else _COPY_MAX
    act_forward, act_backward = lib.pn_act_forward, lib.pn_act_backward

    pname, variants = (spec.params[0].name, spec.params[0].variants) if spec.params else (None, None)

    def parameter(args: tuple, kwargs: dict, where: str) -> tuple[int, float]:
        if pname and len(args) + len(kwargs) == 1:  # one value, checked here at a fraction of kernel_args' cost
            value = args[0] if args else kwargs.get(pname, _MISSING)
            if variants:
                if type(value) is str and value in variants:
                    return variants[value], 0.0
            elif type(value) is float and value - value == 0.0:  # finite: x - x is NaN for inf and NaN
                return spec.code, value
        if pname:
            return _param_value(spec, where, args, kwargs)
        if kwargs:
            raise TypeError(f"{where}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        raise TypeError(f"{where}() takes {2 if where == bname else 1} positional argument(s) but "
                        f"{len(args) + (2 if where == bname else 1)} were given")

    def forward(x: ArrayLike, *args: Any, out: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        code, alpha = parameter(args, kwargs, name) if args or kwargs else default
        if type(x) is ndarray and (out is None or type(out) is ndarray):
            dtype = codes.get(x.dtype)
            if dtype is not None:
                try:
                    if out is None:
                        n = x.size
                        if n <= copy_max:
                            y = x.copy()
                            b = from_buffer(y)
                            if not act_forward(code, dtype, b, b, n, alpha):
                                return y
                        else:
                            y = empty_like(x)
                            if not act_forward(code, dtype, from_buffer(x), from_buffer(y), n, alpha):
                                return y
                    elif out.dtype is x.dtype and out.shape == x.shape:
                        if not act_forward(code, dtype, from_buffer(x), from_buffer(chars, out, True), x.size,
                                           alpha):
                            return out
                except ValueError:  # not C-contiguous, or out is read-only
                    pass
        return _forward(code, alpha, x, out, name)

    def backward(x: ArrayLike, grad: ArrayLike, *args: Any, out: np.ndarray | None = None,
                 **kwargs: Any) -> np.ndarray:
        code, alpha = parameter(args, kwargs, bname) if args or kwargs else default
        if type(x) is ndarray and type(grad) is ndarray and (out is None or type(out) is ndarray):
            dtype = codes.get(x.dtype)
            if dtype is not None and grad.dtype is x.dtype and grad.shape == x.shape:
                try:
                    if out is None:
                        n = x.size
                        if n <= copy_max:
                            dx = grad.copy()
                            b = from_buffer(dx)
                            if not act_backward(code, dtype, from_buffer(x), b, b, n, alpha):
                                return dx
                        else:
                            dx = empty_like(x)
                            if not act_backward(code, dtype, from_buffer(x), from_buffer(grad), from_buffer(dx), n,
                                                alpha):
                                return dx
                    elif out.dtype is x.dtype and out.shape == x.shape:
                        if not act_backward(code, dtype, from_buffer(x), from_buffer(grad),
                                            from_buffer(chars, out, True), x.size, alpha):
                            return out
                except ValueError:
                    pass
        return _backward(code, alpha, x, grad, out, bname)

    return forward, backward


def _define(spec: Activation) -> None:
    for fn, is_backward in zip(_kernels(spec), (False, True)):
        fname = spec.name + ("_backward" if is_backward else "")
        fn.__name__ = fn.__qualname__ = fname
        fn.__module__ = __name__
        fn.__doc__ = _docstring(spec, is_backward)
        setattr(fn, "__signature__", _signature(spec, is_backward))
        globals()[fname] = fn
        __all__.append(fname)


for _spec in ACTIVATIONS:
    _define(_spec)


# ------------------------------------------------------- softmax, log-softmax

def _rows_last(a: np.ndarray, axis: int, where: str) -> tuple[np.ndarray, int]:
    """``a`` with ``axis`` moved last (contiguous), and the normalised axis."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{where}: axis must be an integer, got {type(axis).__name__}") from None
    if not -max(a.ndim, 1) <= axis < max(a.ndim, 1):  # a 0-d array is one row of one element
        raise ValueError(f"{where}: axis {axis} is out of bounds for an array of shape {a.shape}")
    if a.ndim == 0:
        return a.reshape(1), 0
    axis %= a.ndim
    if axis == a.ndim - 1:
        return a, axis
    return np.ascontiguousarray(np.moveaxis(a, axis, -1)), axis


def _restore(result: np.ndarray, shape: tuple, axis: int, moved: bool, out, where: str) -> np.ndarray:
    if moved:
        result = np.moveaxis(result, -1, axis)
    result = result.reshape(shape)
    if out is None:  # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
        return result if result.flags.c_contiguous else result.copy()
    target = A.output(out, shape, result.dtype, where)
    if target is not result:
        np.copyto(target, result)
    return target


_pn_softmax, _pn_softmax_backward = lib.pn_softmax, lib.pn_softmax_backward


def _rows_direct(log: int, x, grad, axis, out):
    """The fast path of softmax (grad None) and of its backward, for rows
    along the last axis: the result, or None where the general path must
    convert, copy or say what is wrong (as for the activations' fast path)."""
    if not (type(x) is _ndarray and type(axis) is int and axis == -1 and x.ndim
            and (grad is None or type(grad) is _ndarray) and (out is None or type(out) is _ndarray)):
        return None
    dtype, cols = _DTYPE_CODES.get(x.dtype), x.shape[-1]
    if dtype is None or not cols or (grad is not None and (grad.dtype is not x.dtype or grad.shape != x.shape)):
        return None
    if out is not None and (out.dtype is not x.dtype or out.shape != x.shape):
        return None
    n = x.size
    try:
        if out is None and n <= _COPY_MAX:  # the result starts as a copy of the input overwritten in place
            result = x.copy() if grad is None else grad.copy()
            dst = _from_buffer(result)
            src, dy = (dst, None) if grad is None else (_from_buffer(x), dst)
        else:
            result = _empty_like(x) if out is None else out
            dst = _from_buffer(result) if out is None else _from_buffer(_CHARS, out, True)
            src = _from_buffer(x)
            dy = None if grad is None else _from_buffer(grad)
        if grad is None:
            status = _pn_softmax(dtype, log, src, dst, n // cols, cols)
        else:
            status = _pn_softmax_backward(dtype, log, src, dy, dst, n // cols, cols)
    except ValueError:  # not C-contiguous, or out is read-only
        return None
    return None if status else result


def _softmax(log: int, x, axis: int, out, where: str) -> np.ndarray:
    """The general path, for what _rows_direct leaves."""
    a = A.as_float(x, where)
    rows_last, ax = _rows_last(a, axis, where)
    moved = a.ndim > 0 and ax != a.ndim - 1
    direct = out is not None and not moved
    y = A.output(out, a.shape, a.dtype, where) if direct else np.empty_like(rows_last)
    rows_last = A.apart(y, rows_last)
    cols = rows_last.shape[-1]
    rows = rows_last.size // cols if cols else 0
    check(lib.pn_softmax(A.dtype_code(a), log, A.buf(rows_last), A.buf(y), rows, cols), where)
    return y if direct else _restore(y, a.shape, ax, moved, out, where)


def _softmax_backward(log: int, x, grad, axis: int, out, where: str) -> np.ndarray:
    """The general path of the backward, for what _rows_direct leaves."""
    a, g = A.common(where, A.as_float(x, where), A.as_float(grad, where, "grad"))
    A.same_shape(where, a, g, "x", "grad")
    xr, ax = _rows_last(a, axis, where)
    gr, _ = _rows_last(g, axis, where)
    moved = a.ndim > 0 and ax != a.ndim - 1
    dx = np.empty_like(xr)
    cols = xr.shape[-1]
    rows = xr.size // cols if cols else 0
    check(lib.pn_softmax_backward(A.dtype_code(a), log, A.buf(xr), A.buf(gr), A.buf(dx), rows, cols), where)
    return _restore(dx, a.shape, ax, moved, out, where)


def softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x) along ``axis``.

    Subtracting the row maximum first keeps every exponent <= 0, so large
    logits never overflow.  A row holding NaN gives NaN; a row holding +inf
    gives NaN, as the float64 numpy formula does.

    >>> import numpy as np, pyneuron.functional as F
    >>> F.softmax(np.log([[1.0, 2.0, 5.0]]))
    array([[0.125, 0.25 , 0.625]])
    >>> F.softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    result = _rows_direct(0, x, None, axis, out)
    return result if result is not None else _softmax(0, x, axis, out, "softmax")


def log_softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """log_softmax(x)_i = x_i - max x - log(sum_j exp(x_j - max x)) along ``axis``.

    Never takes the log of a rounded-to-zero probability:

    >>> import numpy as np, pyneuron.functional as F
    >>> F.log_softmax(np.array([0.0, -800.0]))
    array([   0., -800.])
    """
    result = _rows_direct(1, x, None, axis, out)
    return result if result is not None else _softmax(1, x, axis, out, "log_softmax")


def softmax_backward(x: ArrayLike, grad: ArrayLike, axis: int = -1, *,
                     out: np.ndarray | None = None) -> np.ndarray:
    """dL/dx = y (grad - sum(grad y)) with y = softmax(x), along ``axis``."""
    result = _rows_direct(0, x, grad, axis, out)
    return result if result is not None else _softmax_backward(0, x, grad, axis, out, "softmax_backward")


def log_softmax_backward(x: ArrayLike, grad: ArrayLike, axis: int = -1, *,
                         out: np.ndarray | None = None) -> np.ndarray:
    """dL/dx = grad - softmax(x) sum(grad), along ``axis``."""
    result = _rows_direct(1, x, grad, axis, out)
    return result if result is not None else _softmax_backward(1, x, grad, axis, out, "log_softmax_backward")


__all__ += ["softmax", "log_softmax", "softmax_backward", "log_softmax_backward"]


# ---------------------------------------------------------------- dense layer

def _dense_operands(x, W, where: str):
    x = A.as_float(x, where)
    W = A.as_float(W, where, "W")
    if W.ndim != 2:
        raise ValueError(f"{where}: W must be 2-D (in, out), got shape {W.shape}")
    if x.ndim not in (1, 2) or x.shape[-1] != W.shape[0]:
        raise ValueError(
            f"{where}: x has shape {x.shape} and W has shape {W.shape}; "
            "expected x (n, in) or (in,) and W (in, out)"
        )
    return x, W


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None, *, out: np.ndarray | None = None) -> np.ndarray:
    """y = x @ W + b: x (n, in) or (in,), W (in, out), b (out,) or None.

    The matrix product runs on pyneuron's own register-blocked SIMD GEMM.

    >>> import numpy as np, pyneuron.functional as F
    >>> F.dense(np.array([[1.0, 2.0]]), np.array([[1.0], [3.0]]), np.array([0.5]))
    array([[7.5]])
    """
    if out is None and type(x) is _ndarray and type(W) is _ndarray and (b is None or type(b) is _ndarray):
        # The fast path, for batches of one dtype: on a 256 x 16 layer the
        # general path's checks cost as much as the product.  C checks the
        # alignment; whatever it or cffi refuses takes the general path.
        code = _DTYPE_CODES.get(x.dtype)
        if (code is not None and W.dtype is x.dtype and x.ndim == 2 and W.ndim == 2 and x.shape[1] == W.shape[0]
                and (b is None or (b.dtype is x.dtype and b.shape == W.shape[1:]))):
            try:
                y = _empty((x.shape[0], W.shape[1]), x.dtype)
                if not lib.pn_dense_forward(code, _from_buffer(x), _from_buffer(W),
                                            _NULL if b is None else _from_buffer(b), _from_buffer(y),
                                            x.shape[0], W.shape[0], W.shape[1]):
                    return y
            except ValueError:  # not C-contiguous
                pass
    xa, Wa = _dense_operands(x, W, "dense")
    given = [xa, Wa] if b is None else [xa, Wa, A.as_float(b, "dense", "b")]
    xa, Wa, *bias = A.common("dense", *given)
    n, (din, dout) = (xa.shape[0] if xa.ndim == 2 else 1), Wa.shape
    if bias and bias[0].shape != (dout,):
        raise ValueError(f"dense: b has shape {bias[0].shape}, expected ({dout},) to match W {Wa.shape}")
    y = A.output(out, xa.shape[:-1] + (dout,), xa.dtype, "dense")
    xa, Wa, *bias = (A.apart(y, a, in_place=False) for a in (xa, Wa, *bias))
    bptr = A.buf(bias[0]) if bias else A.ffi.NULL
    check(lib.pn_dense_forward(A.dtype_code(xa), A.buf(xa), A.buf(Wa), bptr, A.buf(y), n, din, dout), "dense")
    return y


def dense_backward(x: ArrayLike, W: ArrayLike, grad: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of y = x @ W + b given grad = dL/dy: returns (dx, dW, db).

    dx = grad @ W.T, dW = x.T @ grad, db = grad summed over the batch.
    """
    if type(x) is _ndarray and type(W) is _ndarray and type(grad) is _ndarray:  # the fast path, as in dense
        code = _DTYPE_CODES.get(x.dtype)
        if (code is not None and W.dtype is x.dtype and grad.dtype is x.dtype and x.ndim == 2 and W.ndim == 2
                and x.shape[1] == W.shape[0] and grad.shape == (x.shape[0], W.shape[1])):
            try:
                dx, dW, db = _empty_like(x), _empty_like(W), _empty(W.shape[1], x.dtype)
                if not lib.pn_dense_backward(code, _from_buffer(x), _from_buffer(W), _from_buffer(grad),
                                             _from_buffer(dx), _from_buffer(dW), _from_buffer(db),
                                             x.shape[0], W.shape[0], W.shape[1]):
                    return dx, dW, db
            except ValueError:
                pass
    xa, Wa = _dense_operands(x, W, "dense_backward")
    g = A.as_float(grad, "dense_backward", "grad")
    xa, Wa, g = A.common("dense_backward", xa, Wa, g)
    din, dout = Wa.shape
    if g.shape != xa.shape[:-1] + (dout,):
        raise ValueError(
            f"dense_backward: grad has shape {g.shape}, expected {xa.shape[:-1] + (dout,)} "
            f"for x {xa.shape} and W {Wa.shape}"
        )
    n = xa.shape[0] if xa.ndim == 2 else 1
    dx, dW, db = np.empty_like(xa), np.empty_like(Wa), np.empty(dout, xa.dtype)
    check(
        lib.pn_dense_backward(A.dtype_code(xa), A.buf(xa), A.buf(Wa), A.buf(g),
                              A.buf(dx), A.buf(dW), A.buf(db), n, din, dout),
        "dense_backward",
    )
    return dx, dW, db


__all__ += ["dense", "dense_backward"]


# --------------------------------------------------------------------- losses

def _pair(pred, target, where: str, pred_name: str = "pred"):
    p, t = A.common(where, A.as_float(pred, where, pred_name), A.as_float(target, where, "target"))
    A.same_shape(where, p, t, pred_name, "target")
    return p, t


def _loss(kind: int, pred, target, where: str, pred_name: str = "pred"):
    p, t = _pair(pred, target, where, pred_name)
    if kind == lib.PN_LOSS_BCE:
        _check_probabilities(p, where)
    result = A.ffi.new("double *")
    check(lib.pn_loss(kind, A.dtype_code(p), A.buf(p), A.buf(t), p.size, result), where)
    return p.dtype.type(result[0])


def _loss_backward(kind: int, pred, target, out, where: str, pred_name: str = "pred"):
    p, t = _pair(pred, target, where, pred_name)
    if kind == lib.PN_LOSS_BCE:
        _check_probabilities(p, where)
    g = A.output(out, p.shape, p.dtype, where)
    p, t = A.apart(out, p), A.apart(out, t)
    check(lib.pn_loss_backward(kind, A.dtype_code(p), A.buf(p), A.buf(t), A.buf(g), p.size), where)
    return g


def _check_probabilities(p: np.ndarray, where: str) -> None:
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"{where}: probabilities must lie in [0, 1] (got values from {p.min()} to {p.max()})")


def mse(pred: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean squared error, mean((pred - target)^2) over all elements (same shapes).

    >>> import pyneuron.functional as F
    >>> float(F.mse([1.0, 2.0], [1.0, 4.0]))
    2.0
    """
    return _loss(lib.PN_LOSS_MSE, pred, target, "mse")


def mse_backward(pred: ArrayLike, target: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """dL/dpred of :func:`mse`: 2 (pred - target) / pred.size."""
    return _loss_backward(lib.PN_LOSS_MSE, pred, target, out, "mse_backward")


def binary_cross_entropy_with_logits(logits: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1].

    Computed stably from the logits, max(z, 0) - z t + log(1 + exp(-|z|)):
    no overflow and no log(0) for any logit.

    >>> import pyneuron.functional as F
    >>> round(float(F.binary_cross_entropy_with_logits([0.0], [1.0])), 12)   # log 2
    0.69314718056
    >>> float(F.binary_cross_entropy_with_logits([-1000.0], [1.0]))
    1000.0
    """
    return _loss(lib.PN_LOSS_BCE_LOGITS, logits, target, "binary_cross_entropy_with_logits", "logits")


def binary_cross_entropy_with_logits_backward(logits: ArrayLike, target: ArrayLike, *,
                                              out: np.ndarray | None = None) -> np.ndarray:
    """dL/dlogits = (sigmoid(logits) - target) / logits.size."""
    return _loss_backward(lib.PN_LOSS_BCE_LOGITS, logits, target, out,
                          "binary_cross_entropy_with_logits_backward", "logits")


def binary_cross_entropy(prob: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean binary cross-entropy of probabilities in [0, 1]; logs clamped at -100 as in PyTorch.

    >>> import pyneuron.functional as F
    >>> round(float(F.binary_cross_entropy([0.5], [1.0])), 12)   # -log(1/2)
    0.69314718056
    >>> float(F.binary_cross_entropy([0.0], [1.0]))
    100.0
    """
    return _loss(lib.PN_LOSS_BCE, prob, target, "binary_cross_entropy", "prob")


def binary_cross_entropy_backward(prob: ArrayLike, target: ArrayLike, *,
                                  out: np.ndarray | None = None) -> np.ndarray:
    """dL/dprob = (prob - target) / max(prob (1 - prob), 1e-12) / prob.size, as in PyTorch."""
    return _loss_backward(lib.PN_LOSS_BCE, prob, target, out, "binary_cross_entropy_backward", "prob")


def _xent_operands(logits, labels, where: str, out=None):
    """Checked operands, C pointers and, for the gradient, its destination
    (``out`` validated, or a new array): inputs overlapping it are copied."""
    z = A.as_float(logits, where, "logits")
    if z.ndim not in (1, 2):
        raise ValueError(f"{where}: logits must be (n, classes) or (classes,), got shape {z.shape}")
    lab = np.asarray(labels)
    if lab.shape == z.shape:
        if lab.dtype.kind not in "fiub":
            raise TypeError(f"{where}: target probabilities have unsupported dtype {lab.dtype}")
        (z, t), idx = A.common(where, z, A.as_float(lab, where, "labels")), None
    elif lab.shape == z.shape[:-1]:
        if lab.dtype.kind not in "iu":
            raise TypeError(
                f"{where}: class labels of shape {lab.shape} must be integers, got dtype {lab.dtype} "
                f"(or pass probabilities / one-hot of shape {z.shape})"
            )
        classes = z.shape[-1]
        if lab.size and (lab.min() < 0 or lab.max() >= classes):
            raise ValueError(f"{where}: labels must lie in [0, {classes}), got {lab.min()} to {lab.max()}")
        # Aligned too: ascontiguousarray keeps a misaligned view, which the C layer refuses.
        idx, t = np.require(lab, np.int64, ["C_CONTIGUOUS", "ALIGNED"]), None
    else:
        raise ValueError(
            f"{where}: labels have shape {lab.shape}; expected class indices of shape {z.shape[:-1]} "
            f"or probabilities of shape {z.shape} for logits {z.shape}"
        )
    if z.shape[-1] == 0 and (z.ndim == 1 or z.shape[0] > 0):
        raise ValueError(f"{where}: logits of shape {z.shape} have no classes")
    g = np.empty_like(z) if out is None else A.output(out, z.shape, z.dtype, where)
    z = A.apart(out, z)
    t = None if t is None else A.apart(out, t, in_place=False)
    idx = None if idx is None else A.apart(out, idx, in_place=False)
    rows = z.shape[0] if z.ndim == 2 else 1
    lab_ptr = A.ffi.cast("int64_t *", A.buf(idx)) if idx is not None else A.ffi.NULL
    t_ptr = A.buf(t) if t is not None else A.ffi.NULL
    return z, rows, z.shape[-1], lab_ptr, t_ptr, g, (idx, t)


def cross_entropy(logits: ArrayLike, labels: ArrayLike) -> np.floating:
    """Softmax cross-entropy, mean over rows: logsumexp(z) - z[label].

    ``labels``: class indices (n,) of an integer dtype, or probabilities /
    one-hot rows of the logits' shape (n, classes).  Softmax and log are
    fused, so no probability is ever rounded to 0 before the log.

    >>> import numpy as np, pyneuron.functional as F
    >>> round(float(F.cross_entropy(np.log([[1.0, 1.0, 2.0]]), [2])), 12)   # -log(2/4)
    0.69314718056
    """
    z, rows, classes, lab_ptr, t_ptr, _, _keep = _xent_operands(logits, labels, "cross_entropy")
    result = A.ffi.new("double *")
    check(lib.pn_cross_entropy(A.dtype_code(z), A.buf(z), lab_ptr, t_ptr, rows, classes, result), "cross_entropy")
    return z.dtype.type(result[0])


def cross_entropy_backward(logits: ArrayLike, labels: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """dL/dlogits of :func:`cross_entropy`: (softmax(z) sum(t) - t) / n, t the one-hot or target rows."""
    where = "cross_entropy_backward"
    z, rows, classes, lab_ptr, t_ptr, g, _keep = _xent_operands(logits, labels, where, out)
    check(lib.pn_cross_entropy_backward(A.dtype_code(z), A.buf(z), lab_ptr, t_ptr, A.buf(g), rows, classes), where)
    return g


__all__ += [
    "mse", "mse_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward",
    "cross_entropy", "cross_entropy_backward",
]
