"""The C layer checks its own arguments and answers with a status: the
public header's contract, exercised directly through the cffi module."""
import numpy as np
import pytest

from pyneuron._core import ffi, lib

INT64_MAX = 2**63 - 1


@pytest.fixture
def bufs():
    x, y = np.zeros(8), np.zeros(8)
    return ffi.from_buffer(x), ffi.from_buffer(y)


def test_activation_arguments(bufs):
    x, y = bufs
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, lib.PN_F64, x, y, 8, 0.0) == lib.PN_OK
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, lib.PN_F64, x, y, -1, 0.0) == lib.PN_ERR_SIZE
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, lib.PN_F64, ffi.NULL, y, 8, 0.0) == lib.PN_ERR_NULL
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, lib.PN_F64, ffi.NULL, ffi.NULL, 0, 0.0) == lib.PN_OK
    assert lib.pn_act_forward(lib.PN_ACT_COUNT, lib.PN_F64, x, y, 8, 0.0) == lib.PN_ERR_OP
    assert lib.pn_act_forward(-1, lib.PN_F64, x, y, 8, 0.0) == lib.PN_ERR_OP
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, 7, x, y, 8, 0.0) == lib.PN_ERR_DTYPE
    assert lib.pn_act_forward(lib.PN_ACT_SIGMOID, lib.PN_F64, x, y, INT64_MAX, 0.0) == lib.PN_ERR_OVERFLOW
    assert lib.pn_act_backward(lib.PN_ACT_SIGMOID, lib.PN_F64, x, ffi.NULL, y, 8, 0.0) == lib.PN_ERR_NULL


def test_matrix_size_overflow_is_caught(bufs):
    x, y = bufs
    big = 2**32
    assert lib.pn_softmax(lib.PN_F64, 0, x, y, big, big) == lib.PN_ERR_OVERFLOW
    assert lib.pn_dense_forward(lib.PN_F32, x, x, ffi.NULL, y, big, big, 2) == lib.PN_ERR_OVERFLOW
    assert lib.pn_dense_forward(lib.PN_F32, x, x, ffi.NULL, y, 2, -1, 2) == lib.PN_ERR_SIZE
    assert lib.pn_dense_forward(lib.PN_F32, x, ffi.NULL, ffi.NULL, y, 2, 2, 2) == lib.PN_ERR_NULL


def test_softmax_backward_refuses_dx_aliasing_x(bufs):
    x, y = bufs
    assert lib.pn_softmax_backward(lib.PN_F64, 0, x, y, x, 2, 4) == lib.PN_ERR_ARG


def test_loss_arguments(bufs):
    x, y = bufs
    result = ffi.new("double *")
    assert lib.pn_loss(lib.PN_LOSS_MSE, lib.PN_F64, x, y, 8, result) == lib.PN_OK
    assert lib.pn_loss(lib.PN_LOSS_MSE, lib.PN_F64, x, y, 8, ffi.NULL) == lib.PN_ERR_NULL
    assert lib.pn_loss(lib.PN_LOSS_COUNT, lib.PN_F64, x, y, 8, result) == lib.PN_ERR_OP


def test_cross_entropy_labels_checked_in_c(bufs):
    x, y = bufs
    result = ffi.new("double *")
    labels = ffi.new("int64_t[]", [0, 4])
    assert lib.pn_cross_entropy(lib.PN_F64, x, labels, ffi.NULL, 2, 4, result) == lib.PN_ERR_LABEL
    labels[1] = 3
    assert lib.pn_cross_entropy(lib.PN_F64, x, labels, ffi.NULL, 2, 4, result) == lib.PN_OK
    assert lib.pn_cross_entropy(lib.PN_F64, x, labels, x, 2, 4, result) == lib.PN_ERR_ARG
    assert lib.pn_cross_entropy(lib.PN_F64, x, ffi.NULL, ffi.NULL, 2, 4, result) == lib.PN_ERR_ARG


def test_simd_set_rejects_unknown_levels():
    assert lib.pn_simd_set(-1) == lib.PN_ERR_SIMD
    assert lib.pn_simd_set(lib.PN_SIMD_COUNT) == lib.PN_ERR_SIMD


def test_every_status_has_a_message():
    for code in range(1, lib.PN_ERR_ALIGN + 1):
        assert ffi.string(lib.pn_status_message(code)) != b"unknown status"
