"""Argument checking shared by the public functions: numpy in, numpy out.

Rules (the README's "Inputs and outputs"):
 - array-likes are accepted; float32 and float64 are computed in their own
   precision; integer and boolean input in float64; float16 in float32;
   anything else (complex, object, strings, datetimes) is a TypeError;
 - inputs are made C-contiguous and element-aligned (strided and
   misaligned views are copied), so results never depend on the memory
   layout;
 - ``out=`` must have exactly the result's dtype and shape and be
   C-contiguous, aligned and writeable, or it is a ValueError; where it
   overlaps an input other than exactly (in place), the input is copied
   first, so the result is the one a separate ``out`` would get.
"""
from __future__ import annotations

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds
except ImportError:  # numpy < 2
    byte_bounds = np.byte_bounds  # type: ignore[attr-defined]

from ._core import ffi, lib

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)


def as_float(x, where: str, name: str = "x") -> np.ndarray:
    """``x`` as a C-contiguous float32/float64 array, converted by the rules."""
    if type(x) is np.ndarray and (x.dtype is F32 or x.dtype is F64) and x.flags.c_contiguous and x.flags.aligned:
        return x  # the common case, kept cheap for tiny arrays
    a = np.asarray(x)
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize in (4, 8):
        a = a.astype(F32 if dt.itemsize == 4 else F64, copy=False)
    elif dt.kind in "biu":
        a = a.astype(F64)
    elif dt.kind == "f" and dt.itemsize == 2:
        a = a.astype(F32)
    else:
        raise TypeError(
            f"{where}: {name} has unsupported dtype {dt}; pyneuron computes in float32 or "
            "float64 (integer and boolean input in float64)"
        )
    # Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.
    return a if a.flags.c_contiguous and a.flags.aligned else a.copy(order="C")


def common(where: str, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Bring float arrays to one dtype: float64 if any of them is."""
    if all(a.dtype == arrays[0].dtype for a in arrays):
        return arrays
    return tuple(a.astype(F64) for a in arrays)


def dtype_code(a: np.ndarray) -> int:
    return lib.PN_F32 if a.dtype.itemsize == 4 else lib.PN_F64


def output(out, shape: tuple, dtype: np.dtype, where: str, name: str = "out") -> np.ndarray:
    """A new result array, or ``out`` checked to be a valid destination."""
    if out is None:
        return np.empty(shape, dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{where}: {name} must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype:
        raise ValueError(f"{where}: {name} has dtype {out.dtype}, expected {dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{where}: {name} has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{where}: {name} must be C-contiguous")
    if not out.flags.aligned:
        raise ValueError(f"{where}: {name} is not aligned to its {dtype.itemsize}-byte elements")
    if not out.flags.writeable:
        raise ValueError(f"{where}: {name} is read-only")
    return out


def apart(out: np.ndarray | None, a: np.ndarray, in_place: bool = True) -> np.ndarray:
    """``a``, or a copy of it where it overlaps ``out`` -- unless ``out``
    is exactly ``a`` and the operation may run in place."""
    if out is None or not np.may_share_memory(out, a):
        return a
    if in_place and out.nbytes == a.nbytes and byte_bounds(out) == byte_bounds(a):
        return a
    return a.copy()


def same_shape(where: str, a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{where}: {name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match")


def buf(a: np.ndarray):
    """The array's memory as a C argument; keeps ``a`` alive during the call.

    Outputs too: every output array is either freshly allocated or checked
    writeable by :func:`output`, which is cheaper than cffi's own check.
    """
    return ffi.from_buffer(a)
