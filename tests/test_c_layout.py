"""Every C entry point at every element offset of a 64-byte line, through raw
pointers (the Python layer copies misaligned and strided input, so only a
direct call shows what the kernels do with the placements a C caller may
use), and refusing every pointer that is not element-aligned -- at every
SIMD level, float32 and float64.

Each call's arrays start at the same element offset k from a 64-byte
boundary (the outputs at another one), for every k the widest vector spans;
the results must be those of the 64-byte-aligned call bit for bit.  An array
moved by a fraction of an element must be refused with PN_ERR_ALIGN, with
no output written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from pyneuron._core import ffi, lib

LINE = 64  # bytes: the widest vector (AVX-512)
N = 2 * 16 + 5  # two float32 AVX-512 vectors and a tail
ROWS, COLS = 3, 21  # matrices: rows of a vector and a tail
DENSE = (13, 7, 19)  # n, in, out

DTYPES = {lib.PN_F32: np.float32, lib.PN_F64: np.float64}


@dataclass
class Array:
    name: str
    count: int
    output: bool = False
    kind: str = "float"  # "float" (the call's dtype), "label" (int64), "result" (one double)


@dataclass
class Entry:
    name: str
    arrays: list[Array]
    #: status = call(dtype, pointers in the order of ``arrays``)
    call: Callable[..., int]
    #: runs the SIMD level's kernels (pn_features is scalar code, the same at every level)
    dispatched: bool = True


def _labels(count, classes):
    return np.arange(count, dtype=np.int64) * 7 % classes


def entries() -> list[Entry]:
    out = []
    for act in range(lib.PN_ACT_COUNT):
        out.append(Entry(f"pn_act_forward[{act}]", [Array("x", N), Array("y", N, True)],
                         lambda dt, x, y, act=act: lib.pn_act_forward(act, dt, x, y, N, 0.3)))
        out.append(Entry(f"pn_act_backward[{act}]", [Array("x", N), Array("dy", N), Array("dx", N, True)],
                         lambda dt, x, dy, dx, act=act: lib.pn_act_backward(act, dt, x, dy, dx, N, 0.3)))
    m = ROWS * COLS
    for log in (0, 1):
        out.append(Entry(f"pn_softmax[log={log}]", [Array("x", m), Array("y", m, True)],
                         lambda dt, x, y, log=log: lib.pn_softmax(dt, log, x, y, ROWS, COLS)))
        out.append(Entry(f"pn_softmax_backward[log={log}]", [Array("x", m), Array("dy", m), Array("dx", m, True)],
                         lambda dt, x, dy, dx, log=log: lib.pn_softmax_backward(dt, log, x, dy, dx, ROWS, COLS)))
    n, i, o = DENSE
    out.append(Entry("pn_dense_forward", [Array("x", n * i), Array("W", i * o), Array("b", o), Array("y", n * o, True)],
                     lambda dt, x, W, b, y: lib.pn_dense_forward(dt, x, W, b, y, n, i, o)))
    out.append(Entry("pn_dense_backward",
                     [Array("x", n * i), Array("W", i * o), Array("dy", n * o), Array("dx", n * i, True),
                      Array("dW", i * o, True), Array("db", o, True)],
                     lambda dt, x, W, dy, dx, dW, db: lib.pn_dense_backward(dt, x, W, dy, dx, dW, db, n, i, o)))
    for loss in range(lib.PN_LOSS_COUNT):
        out.append(Entry(f"pn_loss[{loss}]", [Array("pred", N), Array("target", N), Array("result", 1, True, "result")],
                         lambda dt, p, t, r, loss=loss: lib.pn_loss(loss, dt, p, t, N, ffi.cast("double *", r))))
        out.append(Entry(f"pn_loss_backward[{loss}]", [Array("pred", N), Array("target", N), Array("grad", N, True)],
                         lambda dt, p, t, g, loss=loss: lib.pn_loss_backward(loss, dt, p, t, g, N)))
    out.append(Entry("pn_cross_entropy[labels]",
                     [Array("logits", m), Array("labels", ROWS, kind="label"), Array("result", 1, True, "result")],
                     lambda dt, z, lab, r: lib.pn_cross_entropy(dt, z, ffi.cast("int64_t *", lab), ffi.NULL,
                                                                ROWS, COLS, ffi.cast("double *", r))))
    out.append(Entry("pn_cross_entropy[target]",
                     [Array("logits", m), Array("target", m), Array("result", 1, True, "result")],
                     lambda dt, z, t, r: lib.pn_cross_entropy(dt, z, ffi.NULL, t, ROWS, COLS, ffi.cast("double *", r))))
    out.append(Entry("pn_cross_entropy_backward[labels]",
                     [Array("logits", m), Array("labels", ROWS, kind="label"), Array("grad", m, True)],
                     lambda dt, z, lab, g: lib.pn_cross_entropy_backward(dt, z, ffi.cast("int64_t *", lab), ffi.NULL,
                                                                         g, ROWS, COLS)))
    out.append(Entry("pn_cross_entropy_backward[target]",
                     [Array("logits", m), Array("target", m), Array("grad", m, True)],
                     lambda dt, z, t, g: lib.pn_cross_entropy_backward(dt, z, ffi.NULL, t, g, ROWS, COLS)))
    specs = ffi.new("pn_feature[]", [(k, a, 1 - a) for k in range(lib.PN_FEATURE_COUNT) for a in (0, 1)])
    out.append(Entry("pn_features", [Array("x", ROWS * 2), Array("out", ROWS * len(specs), True)],
                     lambda dt, x, y: lib.pn_features(dt, specs, len(specs), x, 2, y, ROWS), dispatched=False))
    return out


ENTRIES = entries()


def test_every_entry_point_with_arrays_is_covered():
    """Each public function of the C API that takes kernel arrays has an
    entry here (pn_mlp_forward and pn_train, whose arrays are struct fields,
    are checked in test_c_api.py; pn_train_jobs, which runs pn_train on
    arrays of its jobs, in test_sweep.py; pn_mlp_losses in test_landscape.py)."""
    functions = {name for name in dir(lib) if name.startswith("pn_") and callable(getattr(lib, name))}
    without_arrays = {"pn_simd_supported", "pn_simd_set", "pn_simd_get", "pn_simd_disable", "pn_simd_served", "pn_simd_describe", "pn_act_describe",
                      "pn_status_message", "pn_build_info", "pn_build_sanitized", "pn_mlp_param_count", "pn_mlp_path"}
    assert functions - without_arrays == {e.name.split("[")[0] for e in ENTRIES} | {"pn_mlp_forward", "pn_train",
                                                                                         "pn_train_jobs", "pn_mlp_losses"}


class Buffers:
    """One 64-byte-aligned allocation per array, with room to place the array
    at any byte offset in [0, LINE); inputs are filled once (moved with the
    array), outputs are filled with a sentinel before each call."""

    SENTINEL = 0x5A

    def __init__(self, entry: Entry, dtype, rng):
        self.entry, self.dtype = entry, dtype
        self.raw, self.values = [], []
        for a in entry.arrays:
            size = self.itemsize(a) * a.count
            raw = np.empty(size + 2 * LINE, np.uint8)
            self.raw.append(raw)
            if a.output:
                self.values.append(None)
            elif a.kind == "label":
                self.values.append(_labels(a.count, COLS))
            else:  # probabilities suit every loss; centred values every activation
                lo, hi = (0.05, 0.95) if entry.name.startswith(("pn_loss", "pn_cross_entropy[target]")) else (-3, 3)
                self.values.append(rng.uniform(lo, hi, a.count).astype(dtype))

    def itemsize(self, a: Array) -> int:
        return np.dtype(self.dtype).itemsize if a.kind == "float" else 8

    def call(self, offsets: list[int]):
        """Place every array at its byte offset from a 64-byte boundary, call,
        and return (status, the output arrays' bytes)."""
        pointers, views = [], []
        for a, raw, value, offset in zip(self.entry.arrays, self.raw, self.values, offsets):
            base = (-raw.ctypes.data) % LINE + offset
            size = self.itemsize(a) * a.count
            view = raw[base:base + size]
            if value is None:
                view[:] = self.SENTINEL
            else:
                view[:] = value.view(np.uint8)
            views.append(view)
            pointers.append(ffi.cast("void *", ffi.from_buffer(raw)) + base)
        status = self.entry.call(lib.PN_F32 if self.dtype == np.float32 else lib.PN_F64, *pointers)
        return status, [v.copy() for a, v in zip(self.entry.arrays, views) if a.output]


DISPATCHED = [e for e in ENTRIES if e.dispatched]
UNDISPATCHED = [e for e in ENTRIES if not e.dispatched]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("entry", DISPATCHED, ids=[e.name for e in DISPATCHED])
def test_every_element_offset_gives_the_aligned_results(simd, entry, dtype):
    check_offsets(entry, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("entry", UNDISPATCHED, ids=[e.name for e in UNDISPATCHED])
def test_every_element_offset_of_scalar_entry_points(entry, dtype):
    check_offsets(entry, dtype)


def check_offsets(entry: Entry, dtype) -> None:
    bufs = Buffers(entry, dtype, np.random.default_rng(0))
    status, aligned = bufs.call([0] * len(entry.arrays))
    assert status == lib.PN_OK
    es = np.dtype(dtype).itemsize
    for k in range(1, LINE // es):
        # inputs at element offset k, outputs at another one
        offsets = [(k if not a.output else (5 * k + 3) % (LINE // es)) * bufs.itemsize(a) % LINE
                   for a in entry.arrays]
        status, got = bufs.call(offsets)
        assert status == lib.PN_OK, (k, status)
        for a, g, want in zip([a for a in entry.arrays if a.output], got, aligned):
            assert g.tobytes() == want.tobytes(), f"{entry.name}: {a.name} differs at element offset {k}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_pointers_off_their_element_size_are_refused(entry, dtype):
    bufs = Buffers(entry, dtype, np.random.default_rng(1))
    for j, a in enumerate(entry.arrays):
        for shift in range(1, bufs.itemsize(a)):
            offsets = [0] * len(entry.arrays)
            offsets[j] = shift
            status, outputs = bufs.call(offsets)
            assert status == lib.PN_ERR_ALIGN, f"{entry.name}: {a.name} at byte {shift}: status {status}"
            for out in outputs:
                assert (out == Buffers.SENTINEL).all(), f"{entry.name} wrote an output before refusing"
