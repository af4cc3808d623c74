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


# ---- gaps the fuzzer (fuzz/) found, pinned -----------------------------------

def c_net(sizes, acts, dtype=lib.PN_F64, softmax_output=0):
    """A pn_mlp over fresh buffers (returned too, to keep them alive)."""
    c_sizes, c_acts = ffi.new("int64_t[]", sizes), ffi.new("int[]", acts)
    c_alphas = ffi.new("double[]", [0.01] * len(acts))
    count = sum((i + 1) * o for i, o in zip(sizes[:-1], sizes[1:])) if all(0 < s < 2**24 for s in sizes) else 1
    params = np.random.default_rng(0).normal(size=count)
    net = ffi.new("pn_mlp *", {"dtype": dtype, "n_layers": len(acts), "sizes": c_sizes, "acts": c_acts,
                               "alphas": c_alphas, "softmax_output": softmax_output,
                               "params": ffi.from_buffer(params)})
    return net, (c_sizes, c_acts, c_alphas, params)


def test_results_and_network_arrays_must_be_aligned(bufs):
    x, y = bufs
    raw = ffi.new("char[]", 32)
    misaligned = ffi.cast("double *", raw + 1)
    assert lib.pn_loss(lib.PN_LOSS_MSE, lib.PN_F64, x, y, 8, misaligned) == lib.PN_ERR_ALIGN
    labels = ffi.new("int64_t[]", [0])
    assert lib.pn_cross_entropy(lib.PN_F64, x, labels, ffi.NULL, 1, 4, misaligned) == lib.PN_ERR_ALIGN
    net, keep = c_net([2, 3, 1], [lib.PN_ACT_TANH, lib.PN_ACT_IDENTITY])
    net.sizes = ffi.cast("int64_t *", ffi.cast("char *", keep[0]) + 1)
    assert lib.pn_mlp_forward(net, x, y, 1) == lib.PN_ERR_ALIGN
    assert lib.pn_mlp_param_count(net) == -1
    assert lib.pn_mlp_param_count(ffi.NULL) == -1


def test_widths_are_checked_before_they_are_multiplied(bufs):
    x, y = bufs
    net, _keep = c_net([7, 2**63 - 1, 1], [lib.PN_ACT_TANH, lib.PN_ACT_IDENTITY])
    assert lib.pn_mlp_forward(net, x, y, 1) == lib.PN_ERR_SIZE


def test_dense_without_inputs_gives_the_bias():
    b = np.array([1.5, -2.0, 0.25])
    y = np.full((2, 3), np.nan)
    assert lib.pn_dense_forward(lib.PN_F64, ffi.NULL, ffi.NULL, ffi.from_buffer(b), ffi.from_buffer(y), 2, 0, 3) == 0
    np.testing.assert_array_equal(y, [b, b])
    assert lib.pn_dense_forward(lib.PN_F64, ffi.NULL, ffi.NULL, ffi.NULL, ffi.from_buffer(y), 2, 0, 3) == 0
    np.testing.assert_array_equal(y, np.zeros((2, 3)))


def training_call(n=16, batch=4, epochs=3, with_labels=False, epoch=0, step=0, count=4, dtype=lib.PN_F64,
                  **settings):
    """pn_train of a 1-3-1 MSE net on n points: (status, final parameters).
    (A float32 net is only for calls refused before any array is read.)"""
    net, keep = c_net([1, 3, 1], [lib.PN_ACT_TANH, lib.PN_ACT_IDENTITY], dtype)
    x = np.linspace(0, 1, 16).reshape(-1, 1)
    y = np.exp(-5 * x)
    labels = np.zeros(16, np.int64)
    P = 10
    order, opt_a, opt_b = np.arange(16, dtype=np.int64), np.zeros(P), np.zeros(P)
    rec_epochs = np.arange(4, dtype=np.int64)
    loss, rec_params, norms, stats = np.zeros(4), np.zeros((4, P)), np.zeros((4, 2)), np.zeros((4, 2, 2))
    cfg = ffi.new("pn_train_config *", {"loss": lib.PN_TRAIN_MSE, "optimizer": lib.PN_OPT_SGD, "lr": 0.1,
                                         "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "batch_size": batch,
                                         "shuffle": 1, **settings})
    data = ffi.new("pn_train_data *", {"x": ffi.from_buffer(x), "y": ffi.from_buffer(y), "n": n,
                                        "labels": ffi.cast("int64_t *", ffi.from_buffer(labels))
                                        if with_labels else ffi.NULL})
    state = ffi.new("pn_train_state *", {"epoch": epoch, "step": step, "rng": 5,
                                          "opt_a": ffi.from_buffer(opt_a), "opt_b": ffi.from_buffer(opt_b),
                                          "order": ffi.cast("int64_t *", ffi.from_buffer(order))})
    rec = ffi.new("pn_recording *", {"count": count, "epochs": ffi.cast("int64_t *", ffi.from_buffer(rec_epochs)),
                                      "loss": ffi.cast("double *", ffi.from_buffer(loss)),
                                      "params": ffi.from_buffer(rec_params),
                                      "grad_norms": ffi.cast("double *", ffi.from_buffer(norms)),
                                      "unit_stats": ffi.cast("double *", ffi.from_buffer(stats))})
    status = lib.pn_train(net, cfg, data, state, rec, epochs)
    return status, keep[3].copy()


def test_minibatch_targets_do_not_depend_on_unused_labels():
    plain, with_labels = training_call(), training_call(with_labels=True)
    assert plain[0] == with_labels[0] == lib.PN_OK
    np.testing.assert_array_equal(plain[1], with_labels[1])


def test_the_c_layer_checks_the_regularization():
    assert training_call(regularization=lib.PN_REG_L2, regularization_rate=0.1)[0] == lib.PN_OK
    assert training_call(regularization=3, regularization_rate=0.1)[0] == lib.PN_ERR_OP
    assert training_call(regularization=-1)[0] == lib.PN_ERR_OP
    assert training_call(regularization=lib.PN_REG_L1, regularization_rate=-0.5)[0] == lib.PN_ERR_ARG
    assert training_call(regularization=lib.PN_REG_L1, regularization_rate=float("inf"))[0] == lib.PN_ERR_ARG
    assert training_call(regularization=lib.PN_REG_L1, regularization_rate=float("nan"))[0] == lib.PN_ERR_ARG
    plain, zero = training_call(), training_call(regularization=lib.PN_REG_L2, regularization_rate=0.0)
    np.testing.assert_array_equal(plain[1], zero[1])


def test_training_sizes_and_counters_that_overflow_are_refused():
    assert training_call(n=2**61)[0] == lib.PN_ERR_OVERFLOW
    assert training_call(count=2**61)[0] == lib.PN_ERR_OVERFLOW
    assert training_call(epoch=2**63 - 2, epochs=5)[0] == lib.PN_ERR_OVERFLOW
    assert training_call(step=2**63 - 1)[0] == lib.PN_ERR_OVERFLOW


def test_dense_bias_counts_that_overflow_are_refused():
    b = np.zeros(4)
    assert lib.pn_dense_forward(lib.PN_F64, ffi.NULL, ffi.NULL, ffi.from_buffer(b), ffi.NULL, 0, 0, 2**62) \
        == lib.PN_ERR_OVERFLOW
    assert lib.pn_dense_backward(lib.PN_F64, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL,
                                 ffi.from_buffer(b), 0, 0, 2**62) == lib.PN_ERR_OVERFLOW


def test_batch_sizes_and_sample_counts_near_the_limits():
    assert training_call(batch=2**63 - 1)[0] == lib.PN_OK  # larger than n: full batch
    # float32 inputs of 2^60 + 1 rows fit; the 8-byte order and labels arrays do not
    assert training_call(n=2**60 + 1, dtype=lib.PN_F32)[0] == lib.PN_ERR_OVERFLOW
