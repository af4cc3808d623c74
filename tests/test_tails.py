"""The vector tails and memory layout: every length 1 .. 2 x widest tile + 1,
unaligned views, in-place operation, and no write past the end of out."""
import numpy as np
import pytest

import pyneuron.functional as F
from pyneuron._registry import ACTIVATIONS

WIDEST = 16  # float32 lanes of AVX-512
LENGTHS = range(1, 2 * WIDEST + 2)
NAMES = [spec.name for spec in ACTIVATIONS]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_every_length_matches_elementwise(simd, name, dtype):
    fwd, bwd = getattr(F, name), getattr(F, name + "_backward")
    rng = np.random.default_rng(3)
    full = rng.uniform(-6, 6, 64).astype(dtype)
    grad = rng.uniform(-2, 2, 64).astype(dtype)
    y_full, g_full = fwd(full), bwd(full, grad)
    for n in LENGTHS:
        np.testing.assert_array_equal(fwd(full[:n]), y_full[:n], err_msg=f"length {n}")
        np.testing.assert_array_equal(bwd(full[:n], grad[:n]), g_full[:n], err_msg=f"length {n}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_no_write_past_out(simd, name, dtype):
    fwd = getattr(F, name)
    sentinel = dtype(-12345.0)
    for n in LENGTHS:
        buf = np.full(n + WIDEST, sentinel, dtype)
        x = np.linspace(-3, 3, n).astype(dtype)
        fwd(x, out=buf[:n])
        assert (buf[n:] == sentinel).all(), f"{name} wrote past out at length {n}"


@pytest.mark.parametrize("name", NAMES)
def test_unaligned_views_and_in_place(simd, name):
    fwd = getattr(F, name)
    base = np.linspace(-5, 5, 100, dtype=np.float32)
    expected = fwd(base.copy())
    for offset in range(1, 8):  # views 4..28 bytes past the allocation's alignment
        buf = np.zeros(100 + offset, np.float32)
        buf[offset:] = base
        view = buf[offset:]
        np.testing.assert_array_equal(fwd(view), expected)
        fwd(view, out=view)
        np.testing.assert_array_equal(view, expected)


@pytest.mark.parametrize("name", NAMES)
def test_strided_input_equals_contiguous(simd, name):
    fwd = getattr(F, name)
    x = np.linspace(-4, 4, 2 * 37 * 3).reshape(2 * 37, 3)
    strided = x[::2, 1]
    np.testing.assert_array_equal(fwd(strided), fwd(np.ascontiguousarray(strided)))
    np.testing.assert_array_equal(fwd(x.T), fwd(np.ascontiguousarray(x.T)))
