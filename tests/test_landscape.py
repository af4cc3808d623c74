"""Loss landscapes: Network.losses (pn_mlp_losses) gives, bit for bit, the
loss fit records at each snapshot, on both training paths, every loss and
dtype, at every SIMD level; pyneuron.landscape's plane, path and grid."""
from __future__ import annotations

import numpy as np
import pytest

import pyneuron
from pyneuron import _arrays as A
from pyneuron import datasets
from pyneuron._core import ffi, lib

CASES = {  # name: (layers, network kwargs, loss, data)
    "mse lanes": ([1, 3, 3, 1], {"activation": "tanh"}, "mse", "exp"),
    "mse layers": ([1, 80, 1], {"activation": "relu"}, "mse", "exp"),
    "bce lanes": ([2, 6, 1], {"activation": "tanh", "output_activation": "sigmoid"}, "bce", "circle"),
    "xent lanes": ([2, 5, 3], {"activation": "relu", "output_activation": "softmax"}, "cross_entropy", "blobs"),
    "xent layers": ([2, 70, 3], {"activation": "elu", "output_activation": "softmax"}, "cross_entropy", "blobs"),
}


def data(name):
    if name == "exp":
        return datasets.exp_decay()
    if name == "circle":
        return datasets.circle(n=200, seed=1)
    return blobs(150, seed=2)


def blobs(n, seed):
    """Three classes of points around three centres: (x (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    return centres[labels] + rng.standard_normal((n, 2)), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_losses_at_the_snapshots_are_the_recorded_ones(simd, case, dtype):
    layers, kwargs, loss, source = CASES[case]
    x, y = data(source)
    net = pyneuron.Network(layers, dtype=dtype, **kwargs)
    traj = net.fit(x, y, loss=loss, optimizer=pyneuron.Adam(lr=0.02), epochs=60, snapshots=12)
    assert np.array_equal(net.losses(traj.flat_params, x, y, loss), traj.loss)
    # one vector at a time too: each loss depends on its own parameters only
    assert np.array_equal([net.losses(p[None], x, y, loss)[0] for p in traj.flat_params[::5]], traj.loss[::5])


def test_landscape_plane_path_and_grid():
    x, y = datasets.exp_decay()
    traj = pyneuron.Network([1, 2, 2, 1], activation="sigmoid").fit(x, y, epochs=400, snapshots=40)
    land = pyneuron.landscape(traj, resolution=15, margin=0.1)
    assert land.loss.shape == (15, 15) and land.a.shape == land.b.shape == (15,)
    assert np.allclose(land.directions @ land.directions.T, np.eye(2), atol=1e-12)
    assert np.array_equal(land.origin, traj.flat_params[-1])
    assert np.array_equal(land.path[-1], [0.0, 0.0]) and land.plane_loss[-1] == traj.loss[-1]
    assert np.array_equal(land.path_loss, traj.loss) and np.array_equal(land.epochs, traj.epochs)
    # Pythagoras: each snapshot's move from the origin is its in-plane part and its distance from the plane
    moves = traj.flat_params - traj.flat_params[-1]
    assert np.allclose((moves ** 2).sum(1), (land.path ** 2).sum(1) + land.off_plane ** 2, rtol=1e-9, atol=1e-20)
    assert 0 < land.explained[1] <= land.explained[0] <= 1 and land.explained.sum() <= 1 + 1e-12
    # the grid covers the path, with the margin on every side
    for k, axis in enumerate((land.a, land.b)):
        span = max(land.path[:, k].max(), 0) - min(land.path[:, k].min(), 0)
        assert axis[0] == pytest.approx(min(land.path[:, k].min(), 0) - 0.1 * span)
        assert axis[-1] == pytest.approx(max(land.path[:, k].max(), 0) + 0.1 * span)
    # a grid point is the network's loss there
    net = pyneuron.Network([1, 2, 2, 1], activation="sigmoid")
    i, j = 3, 11
    point = land.origin + land.a[i] * land.directions[0] + land.b[j] * land.directions[1]
    assert land.loss[j, i] == net.losses(point[None], x, y)[0]
    # the plane's own points: projections of the path, whose loss differs from the path's (the known pitfall)
    assert land.max_off_plane > 0 and not np.array_equal(land.plane_loss, land.path_loss)


@pytest.mark.parametrize("call, message", [
    (lambda net, x, y: net.losses(np.zeros((2, 5)), x, y), r"losses: params has shape \(2, 5\); expected \(k, 7\)"),
    (lambda net, x, y: net.losses(np.zeros(7), x, y), r"losses: params has shape \(7,\)"),
    (lambda net, x, y: net.losses(np.zeros((1, 7)), x, y, loss="hinge"), "losses: unknown loss 'hinge'"),
    (lambda net, x, y: net.losses(np.zeros((1, 7)), x, y, loss="bce"), "losses: loss 'bce' needs output_activation"),
    (lambda net, x, y: net.losses(np.zeros((1, 7)), x, y[:-1]), r"losses: y has shape \(255, 1\)"),
    (lambda net, x, y: net.losses(np.zeros((1, 7)), x[:0], y[:0]), "losses: x has no rows"),
])
def test_losses_refuse_bad_input(call, message):
    x, y = datasets.exp_decay()
    with pytest.raises(ValueError, match=message):
        call(pyneuron.Network([1, 2, 1]), x, y)


def test_landscape_refuses_what_spans_no_plane():
    x, y = datasets.exp_decay()
    traj = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=1, snapshots=2)
    with pytest.raises(ValueError, match="at least 3 snapshots"):
        pyneuron.landscape(traj)
    with pytest.raises(ValueError, match="resolution must be an integer >= 2"):
        pyneuron.landscape(traj, resolution=1)
    with pytest.raises(TypeError, match="expected a Trajectory"):
        pyneuron.landscape(traj.loss)
    # plain SGD on one linear unit with its bias: every step along the same gradient direction
    line = pyneuron.Network([1, 1], activation="sigmoid", init="tutorial")
    flat = line.fit(np.zeros((4, 1)), np.ones(4), optimizer=pyneuron.SGD(lr=0.1), epochs=20, snapshots=10)
    with pytest.raises(ValueError, match="spans no plane"):
        pyneuron.landscape(flat)


def test_pn_mlp_losses_checks_its_arguments():
    x, labels = blobs(30, seed=0)
    net = pyneuron.Network([2, 4, 3], output_activation="softmax")
    cnet, _keep = net._c_net()
    params = np.ascontiguousarray(np.tile(net.params, (2, 1)))
    labels = np.ascontiguousarray(labels, np.int64)
    d = ffi.new("pn_train_data *")
    d.x, d.labels, d.n = A.buf(x), ffi.cast("int64_t *", A.buf(labels)), 30
    out = np.zeros(3)
    losses = ffi.cast("double *", A.buf(out))
    xent = lib.PN_TRAIN_XENT
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 2, d, losses) == lib.PN_OK and out[0] == out[1] > 0
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 0, d, ffi.NULL) == lib.PN_OK
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 2, ffi.NULL, losses) == lib.PN_ERR_NULL
    assert lib.pn_mlp_losses(cnet, xent, ffi.NULL, 2, d, losses) == lib.PN_ERR_NULL
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 2, d, ffi.NULL) == lib.PN_ERR_NULL
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), -1, d, losses) == lib.PN_ERR_SIZE
    assert lib.pn_mlp_losses(cnet, 7, A.buf(params), 2, d, losses) == lib.PN_ERR_OP
    assert lib.pn_mlp_losses(cnet, lib.PN_TRAIN_MSE, A.buf(params), 2, d, losses) == lib.PN_ERR_ARG
    misaligned = ffi.cast("double *", ffi.cast("char *", losses) + 4)
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 2, d, misaligned) == lib.PN_ERR_ALIGN
    labels[7] = 3
    out[:] = -1
    assert lib.pn_mlp_losses(cnet, xent, A.buf(params), 2, d, losses) == lib.PN_ERR_LABEL
    assert (out == -1).all()  # refused: nothing written
