"""Vector tails and memory layout, for every case of tests/kernel_cases.py at
every SIMD level and in float32 and float64:

 - every length 1 .. 2 x the widest tile + 1 (and each side of the chunk
   boundaries of the sums): element-wise results bit for bit the same as
   those elements of a longer run, reductions within their error bound of
   a float64 reference, in place too;
 - arrays that end exactly at, or start right after, a PROT_NONE page:
   no vector load or store may reach past either end (a fault kills pytest,
   loudly) -- full-width loads in a tail among them, which AddressSanitizer
   misses wherever the bytes past the array are still memory the allocator
   handed out (numpy rounds up and caches small allocations);
 - byte offsets 1..15 from a 64-byte-aligned base, strided and reversed
   views, and out= partly overlapping an input: the results of aligned,
   contiguous, separate arrays, bit for bit.
"""
from __future__ import annotations

import ctypes
import math
import mmap

import numpy as np
import pytest

import pyneuron._arrays as A
import pyneuron.functional as F
from kernel_cases import CASES, LAYOUTS, assert_identical, at_byte_offset, results, sharing_memory

DTYPES = [pytest.param(np.float32, id="float32"), pytest.param(np.float64, id="float64")]
ALL_CASES = [pytest.param(c, id=c.name) for c in CASES]
OUT_CASES = [pytest.param(c, id=c.name) for c in CASES if c.takes_out]


def as_float64(case, arrays):
    return tuple(a if spec.labels else a.astype(np.float64) for spec, a in zip(case.inputs, arrays))


def assert_within(got: np.ndarray, expected: np.ndarray, bound: np.ndarray, dtype, what: str) -> None:
    """|got - expected| <= bound eps(dtype), element-wise."""
    assert got.dtype == dtype, f"{what}: dtype {got.dtype}"
    err = np.abs(got.astype(np.float64) - expected)
    allowed = np.broadcast_to(bound * np.finfo(dtype).eps, err.shape)
    bad = ~(err <= allowed)
    assert not bad.any(), (f"{what}: error {err[bad].max():.3g} exceeds its bound {allowed[bad].min():.3g} "
                           f"at {np.flatnonzero(bad)[:8]} of {err.size}")


def test_every_public_function_has_cases():
    assert {c.function.__name__ for c in CASES} == set(F.__all__)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ALL_CASES)
def test_every_tail_length(simd, case, dtype):
    longest = case.make(np.random.default_rng(0), case.dims(case.lengths[-1]), dtype)
    long_results = results(case(*longest))
    for length in case.lengths:
        what = f"{case.name} at length {length}"
        inputs = case.restrict(longest, length)
        got = results(case(*inputs))
        reduced = any(spec.reduced for spec in case.outputs)
        reference = case.reference(*as_float64(case, inputs)) if reduced else None
        for k, (spec, g, full) in enumerate(zip(case.outputs, got, long_results)):
            if spec.reduced:
                assert_within(g, *reference[k], dtype, f"{what}, result {k}")
                continue
            axis = case.swept_axis(spec.layout)
            assert_identical([g], [full if axis is None else np.take(full, range(length), axis=axis)],
                             f"{what}, against the longest run")
        for i in case.in_place:
            args = list(inputs)
            args[i] = inputs[i].copy()
            assert case(*args, out=args[i]) is args[i]
            assert_identical([args[i]], got[:1], f"{what}, in place of {case.inputs[i].name}")


# ---------------------------------------------------------------- guard pages

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
PAGE = mmap.PAGESIZE
MAP_FAILED = ctypes.c_void_p(-1).value


class GuardedMemory:
    """Arrays that end exactly at a PROT_NONE page (``"end"``) or start right
    after one (``"start"``).

    Slots are reused call after call and never unmapped: a view kept by
    mistake (say, in an assertion's traceback) can show stale values but
    never fault.  One slot per array of a call, so that each has its guard.
    """

    def __init__(self, placement: str):
        self.placement = placement
        self._slots: list[tuple[int, int]] = []  # (data address, capacity)
        self._next = 0

    def reset(self) -> None:
        """Start a new call: its arrays may reuse the previous call's slots."""
        self._next = 0

    def empty(self, shape, dtype) -> np.ndarray:
        shape = (int(shape),) if np.ndim(shape) == 0 else tuple(shape)
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes == 0:
            return np.empty(shape, dtype)
        if self._next == len(self._slots):
            self._slots.append(self._map(nbytes))
        elif self._slots[self._next][1] < nbytes:
            self._slots[self._next] = self._map(nbytes)
        data, capacity = self._slots[self._next]
        self._next += 1
        start = data + capacity - nbytes if self.placement == "end" else data
        return np.frombuffer((ctypes.c_char * nbytes).from_address(start), dtype).reshape(shape)

    def copy(self, a: np.ndarray) -> np.ndarray:
        g = self.empty(a.shape, a.dtype)
        g[...] = a
        return g

    def _map(self, nbytes: int) -> tuple[int, int]:
        capacity = -(-nbytes // PAGE) * PAGE
        base = _libc.mmap(None, capacity + PAGE, mmap.PROT_READ | mmap.PROT_WRITE,
                          mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        if base in (None, MAP_FAILED):
            raise OSError(ctypes.get_errno(), "mmap failed")
        guard, data = (base + capacity, base) if self.placement == "end" else (base, base + PAGE)
        if _libc.mprotect(guard, PAGE, 0) != 0:  # PROT_NONE
            raise OSError(ctypes.get_errno(), "mprotect failed")
        return data, capacity


GUARDED = {placement: GuardedMemory(placement) for placement in ("end", "start")}


class AllocatingFrom:
    """numpy, except that the empty arrays pyneuron's Python layer allocates
    for results come from ``memory``: the kernels write their outputs there,
    so that every output, not only an ``out=``, sits next to a guard page."""

    def __init__(self, memory: GuardedMemory):
        self._memory = memory

    def __getattr__(self, name):
        return getattr(np, name)

    def empty(self, shape, dtype=float):
        return self._memory.empty(shape, dtype)

    def empty_like(self, a):
        return self._memory.empty(a.shape, a.dtype)


@pytest.mark.parametrize("placement", ["end", "start"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ALL_CASES)
def test_guard_pages(simd, case, dtype, placement, monkeypatch):
    memory = GUARDED[placement]
    longest = case.make(np.random.default_rng(1), case.dims(case.lengths[-1]), dtype)
    for length in case.lengths:
        inputs = case.restrict(longest, length)
        expected = results(case(*inputs))
        with monkeypatch.context() as patch:
            patch.setattr(F, "np", AllocatingFrom(memory))
            patch.setattr(A, "np", AllocatingFrom(memory))
            memory.reset()
            got = [r.copy() for r in results(case(*[memory.copy(a) for a in inputs]))]
            assert_identical(got, expected, f"{case.name} at length {length}, guarded")
            for i in case.in_place:
                memory.reset()
                guarded = [memory.copy(a) for a in inputs]
                case(*guarded, out=guarded[i])
                assert_identical([guarded[i].copy()], expected[:1], f"{case.name} at length {length}, in place")


# --------------------------------------------------------------------- layout

def layout_lengths(case) -> tuple[int, int]:
    return case.lengths[0], case.lengths[-1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ALL_CASES)
def test_byte_offsets(simd, case, dtype):
    for length in layout_lengths(case):
        inputs = case.make(np.random.default_rng(2), case.dims(length), dtype)
        expected = results(case(*inputs))
        for offset in range(1, 16):
            what = f"{case.name} at length {length}, byte offset {offset}"
            assert_identical(results(case(*[at_byte_offset(a, offset) for a in inputs])), expected, what)
            for i in case.in_place:
                views = [at_byte_offset(a, offset) for a in inputs]
                if views[i].flags.aligned:
                    case(*views, out=views[i])
                    assert_identical([views[i]], expected[:1], what + ", in place")
                else:
                    with pytest.raises(ValueError, match="out is not aligned"):
                        case(*views, out=views[i])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ALL_CASES)
def test_strided_inputs(simd, case, dtype):
    for length in layout_lengths(case):
        inputs = case.make(np.random.default_rng(3), case.dims(length), dtype)
        expected = results(case(*inputs))
        for name, layout in LAYOUTS.items():
            views = [layout(a) for a in inputs]
            for v, a in zip(views, inputs):
                assert np.array_equal(v, a, equal_nan=True)
            assert_identical(results(case(*views)), expected, f"{case.name} at length {length}, {name}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", OUT_CASES)
def test_out_overlapping_an_input(simd, case, dtype):
    """out= sharing part of an input's memory, before or after its start."""
    length = case.lengths[-1]
    inputs = case.make(np.random.default_rng(4), case.dims(length), dtype)
    expected = results(case(*inputs))[0]
    for i, a in enumerate(inputs):
        # 8 bytes keeps every element aligned; at most half the smaller array, so they overlap
        half = min(a.nbytes, expected.nbytes) // 16 * 8
        for shift in sorted({8, half, -8, -half}):
            args = list(inputs)
            args[i], out = sharing_memory(a, expected, shift)
            assert np.shares_memory(args[i], out)
            assert case(*args, out=out) is out
            assert_identical([out], [expected], f"{case.name}: {case.inputs[i].name} {shift} bytes after out")
