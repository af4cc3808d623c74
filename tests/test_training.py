"""The C training loop against the numpy reference (tests/reference_mlp.py):
the same net from the same weights must follow the same trajectory -- for
every activation, optimiser and loss, full batch and minibatch, float64 and
float32."""

import re

import numpy as np
import pytest

import pyneuron
from pyneuron import datasets
from pyneuron.network import ACTIVATION_NAMES
from reference_mlp import ACTS, AdamRef, ReferenceMLP, SGDRef, train

ACTIVATIONS = [a for a in ACTIVATION_NAMES if a != "linear"]  # "linear" is identity's alias
OPTIMIZERS = {
    "sgd": (lambda: pyneuron.SGD(lr=0.1), lambda: SGDRef(lr=0.1)),
    "sgd-nesterov": (lambda: pyneuron.SGD(lr=0.05, momentum=0.9, nesterov=True),
                     lambda: SGDRef(lr=0.05, momentum=0.9, nesterov=True)),
    "adam": (lambda: pyneuron.Adam(lr=0.01, weight_decay=1e-3), lambda: AdamRef(lr=0.01, weight_decay=1e-3)),
}


def reference_for(net, loss):
    return ReferenceMLP([l.W for l in net.layers], [l.b for l in net.layers],
                        [l.activation for l in net.layers], [l.alpha or 0.0 for l in net.layers], loss)


def assert_follows_reference(traj, expected, rtol=1e-10, atol=1e-10, norm_atol=1e-14):
    """Every snapshot of ``traj`` (recorded with the training inputs as its
    grid) against the reference's state at its epoch."""
    for s, e in enumerate(traj.epochs):
        loss, flat, grads, outputs = expected[int(e)]
        np.testing.assert_allclose(traj.predictions[s], outputs, rtol=rtol, atol=atol,
                                   err_msg=f"predictions at epoch {e}")
        assert traj.loss[s] == pytest.approx(loss, rel=rtol, abs=min(atol, 1e-14)), f"loss at epoch {e}"
        np.testing.assert_allclose(traj.flat_params[s], flat, rtol=rtol, atol=atol, err_msg=f"params at epoch {e}")
        norms = [np.sqrt((dW ** 2).sum() + (db ** 2).sum()) for dW, db in grads]
        np.testing.assert_allclose(traj.grad_norms[s], norms, rtol=10 * rtol, atol=norm_atol,
                                   err_msg=f"gradient norms at epoch {e}")


def test_every_network_activation_has_a_reference():
    assert set(ACTIVATIONS) <= set(ACTS)


@pytest.mark.parametrize("batch_size", [None, 48])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_matches_numpy_reference(simd, activation, opt, batch_size):
    x, y = datasets.function("exp(-5*x) + 0.3*sin(7*x)", n=100, x_range=(0, 1))
    net = pyneuron.Network([1, 5, 4, 1], activation=activation, seed=3)
    ref = reference_for(net, "mse")
    make_ours, make_ref = OPTIMIZERS[opt]
    epochs = 200
    traj = net.fit(x, y, optimizer=make_ours(), epochs=epochs, batch_size=batch_size, seed=11, snapshots=20)
    expected = train(ref, make_ref(), x, y, epochs, batch_size or len(x), True, 11, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)
    np.testing.assert_array_equal(net.params, traj.flat_params[-1])


@pytest.mark.parametrize("batch_size", [None, 48])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("layers", [[1, 5, 4, 1], [1, 70, 1]], ids=["lanes", "layers"])
def test_regularization_matches_numpy_reference(simd, kind, opt, batch_size, layers):
    x, y = datasets.function("exp(-5*x) + 0.3*sin(7*x)", n=100, x_range=(0, 1))
    net = pyneuron.Network(layers, activation="tanh", seed=3)
    ref = reference_for(net, "mse")
    make_ours, make_ref = OPTIMIZERS[opt]
    # L1 stops a weight at 0: where a weight's step lands within rounding of
    # 0, one run may stop it there and the other not, and the difference then
    # grows; at this rate no weight reaches 0 within 200 epochs, so the runs
    # agree to rounding (test_l1_leaves_weights_at_exactly_zero: what it does there).
    rate = 0.05 if kind == "l2" else 0.01
    traj = net.fit(x, y, optimizer=make_ours(), epochs=200, batch_size=batch_size, seed=11, snapshots=20,
                   regularization=kind, regularization_rate=rate)
    expected = train(ref, make_ref(), x, y, 200, batch_size or len(x), True, 11, set(traj.epochs.tolist()),
                     regularization=(kind, rate))
    assert_follows_reference(traj, expected)
    assert traj.config["regularization"] == {"kind": kind, "rate": rate, "on": "weights", "in_recorded_loss": False}


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_l1_leaves_weights_at_exactly_zero(simd, opt):
    """Playground's L1: after each step W -= lr rate sign(W), and a weight
    that crosses 0 stops there.  The weights the data does not need end at
    exactly 0 -- sparsity -- which L2, and a sign(W) added to the gradient,
    never give (they jitter around 0)."""
    x, y = datasets.exp_decay(n=64)
    make = {"sgd": lambda: pyneuron.SGD(lr=0.1), "adam": lambda: pyneuron.Adam(lr=0.01)}[opt]
    runs = {kind: pyneuron.Network([1, 12, 12, 1], activation="tanh", seed=2).fit(
        x, y, optimizer=make(), epochs=1500, snapshots=30, regularization=kind, regularization_rate=0.01)
        for kind in ("l1", "l2")}
    weights = lambda t, k: np.concatenate([p["W"][k].ravel() for p in t.params])  # noqa: E731
    zeros = weights(runs["l1"], -1) == 0.0
    assert zeros.mean() > 0.15 and not (weights(runs["l2"], -1) == 0.0).any()  # SGD: 98% of them, Adam: 23%
    assert runs["l1"].loss[-1] < 0.1 * runs["l1"].loss[0]  # it still fits
    biases = np.concatenate([p["b"][-1] for p in runs["l1"].params])
    assert not (biases == 0.0).any()  # biases are not penalised


def test_l2_shrinks_the_weights_and_spares_the_biases():
    x, y = datasets.exp_decay(n=32)
    plain = pyneuron.Network([1, 6, 1], seed=1).fit(x, y, optimizer=pyneuron.SGD(lr=0.1), epochs=300)
    shrunk = pyneuron.Network([1, 6, 1], seed=1).fit(x, y, optimizer=pyneuron.SGD(lr=0.1), epochs=300,
                                                      regularization="l2", regularization_rate=0.5)
    norm = lambda t: sum(np.linalg.norm(p["W"][-1]) for p in t.params)  # noqa: E731
    assert norm(shrunk) < 0.8 * norm(plain)


@pytest.mark.parametrize("kwargs, message", [
    (dict(regularization="l3"), "regularization must be None, 'l1' or 'l2', got 'l3'"),
    (dict(regularization="l2", regularization_rate=-1.0), "regularization_rate must be a finite number >= 0"),
    (dict(regularization="l2", regularization_rate=float("nan")), "regularization_rate must be a finite number"),
    (dict(regularization_rate=0.1), "regularization_rate needs regularization='l1' or 'l2'"),
])
def test_bad_regularization_is_refused(kwargs, message):
    x, y = datasets.exp_decay(n=8)
    with pytest.raises(ValueError, match=re.escape(message)):
        pyneuron.Network([1, 2, 1]).fit(x, y, epochs=2, **kwargs)


def test_the_path_follows_the_widths():
    assert pyneuron.Network([1, 64, 64, 1]).path == "lanes"
    assert pyneuron.Network([1, 65, 1]).path == "layers"
    assert pyneuron.Network([65, 2, 1]).path == "layers"
    assert pyneuron.Network([1, 8, 1], activation="gelu_tanh").path == "lanes"
    # float32 tanh-GELU computes in float64 (isa_kernels.inc), on the layer-by-layer path
    assert pyneuron.Network([1, 8, 1], activation="gelu_tanh", dtype=np.float32).path == "layers"
    x, y = datasets.exp_decay(n=16)
    assert pyneuron.Network([1, 2, 1]).fit(x, y, epochs=2).config["path"] == "lanes"


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_lanes_tiles_and_their_remainders_match_reference(simd, opt):
    """Widths 3, 7, 5, 2: the lanes pass's register tiles (kernels/lanes.inc,
    per level: 4, 3 or 2 units by 4 vectors, 4, 3 or 2 inputs by 4 units)
    and every remainder they leave -- 7 = 4 + 2 + 1 = 3 + 3 + 1 and
    5 = 4 + 1 = 3 + 2 --, against the numpy reference."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (70, 3))
    y = np.stack([np.sin(2 * x[:, 0]) * x[:, 1], np.cos(x.sum(1))], axis=1)
    net = pyneuron.Network([3, 7, 5, 2], activation="tanh", seed=3)
    assert net.path == "lanes"
    ref = reference_for(net, "mse")
    make_ours, make_ref = OPTIMIZERS[opt]
    traj = net.fit(x, y, optimizer=make_ours(), epochs=60, seed=7, snapshots=10)
    expected = train(ref, make_ref(), x, y, 60, len(x), True, 7, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)


@pytest.mark.parametrize("batch_size", [None, 48])
@pytest.mark.parametrize("activation", ["sigmoid", "leaky_relu"])
def test_tiny_networks_in_long_blocks_match_reference(simd, activation, batch_size):
    """The headline's 1-2-2-1 net, whose work set fits L1 in blocks of twice
    the samples (train.c, lanes_block: 256 float64 samples), on 300 samples:
    a whole block, then a partial one; and minibatches of 48, each one
    partial block."""
    x, y = datasets.function("exp(-5*x)", n=300, x_range=(0, 1))
    net = pyneuron.Network([1, 2, 2, 1], activation=activation, seed=3)
    assert net.path == "lanes"
    ref = reference_for(net, "mse")
    traj = net.fit(x, y, optimizer=pyneuron.Adam(lr=0.01), epochs=60, batch_size=batch_size, seed=7, snapshots=10)
    expected = train(ref, AdamRef(lr=0.01), x, y, 60, batch_size or len(x), True, 7, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)


#: Wide layers run the layer-by-layer path: the same reference checks there,
#: on sample counts that leave a partial vector (101, 103: no multiple of 2,
#: 4, 8 or 16 lanes), minibatches of 48 and 32 ending in one too.
WIDE_CASES = [("tanh", "mse", "adam", None), ("relu", "mse", "sgd-nesterov", 48), ("sigmoid", "bce", "sgd", None),
              ("elu", "cross_entropy", "adam", 32), ("silu", "cross_entropy", "sgd", None)]


@pytest.mark.parametrize("activation,loss,opt,batch_size", WIDE_CASES, ids=["-".join(map(str, c)) for c in WIDE_CASES])
def test_wide_networks_match_reference(simd, activation, loss, opt, batch_size):
    if loss == "cross_entropy":
        X, y = three_blobs(n=101, seed=4)
        sizes, output = [2, 70, 3], "softmax"
    elif loss == "bce":
        X, y = datasets.circle(n=103, noise=0.1, seed=2)
        sizes, output = [2, 70, 1], "sigmoid"
    else:
        X, y = datasets.function("exp(-5*x) + 0.3*sin(7*x)", n=101, x_range=(0, 1))
        sizes, output = [1, 72, 1], "identity"
    net = pyneuron.Network(sizes, activation=activation, output_activation=output, seed=3)
    assert net.path == "layers"
    ref = reference_for(net, loss)
    make_ours, make_ref = OPTIMIZERS[opt]
    traj = net.fit(X, y, loss=loss, optimizer=make_ours(), epochs=60, batch_size=batch_size, seed=7, snapshots=10)
    expected = train(ref, make_ref(), X, y, 60, batch_size or len(X), True, 7, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)
    np.testing.assert_allclose(traj.predictions[-1], net.predict(X), rtol=1e-13, atol=1e-15)


def test_bce_classifier_matches_reference(simd):
    X, Y = datasets.circle(n=120, noise=0.1, seed=2)
    net = pyneuron.Network([2, 6, 1], activation="tanh", output_activation="sigmoid", seed=1)
    ref = reference_for(net, "bce")
    traj = net.fit(X, Y, loss="bce", optimizer=pyneuron.SGD(lr=0.5, momentum=0.5), epochs=150, snapshots=10)
    expected = train(ref, SGDRef(lr=0.5, momentum=0.5), X, Y, 150, len(X), True, 0, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)
    np.testing.assert_allclose(traj.predictions[-1], net.predict(X), rtol=1e-15)
    assert ((net.predict(X) > 0.5) == (Y > 0.5)).mean() > 0.9


def test_mse_through_an_output_activation_matches_reference(simd):
    """MSE behind a sigmoid output, on the lanes path: the output layer's
    gradient carries the activation's derivative (identity outputs skip it)."""
    X, Y = datasets.circle(n=120, noise=0.1, seed=2)
    net = pyneuron.Network([2, 6, 1], activation="tanh", output_activation="sigmoid", seed=1)
    assert net.path == "lanes"
    ref = reference_for(net, "mse")
    traj = net.fit(X, Y, loss="mse", optimizer=pyneuron.SGD(lr=0.5), epochs=150, snapshots=10)
    expected = train(ref, SGDRef(lr=0.5), X, Y, 150, len(X), True, 0, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)


def three_blobs(n=150, seed=0):
    """Three Gaussian blobs in random order (so a minibatch's labels are
    only right if they are taken with their shuffled rows)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[0, 3], [3, -2], [-3, -2]])
    return centers[labels] + rng.normal(0, 1.5, (n, 2)), labels


@pytest.mark.parametrize("targets", ["labels", "one_hot"])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_cross_entropy_matches_reference(simd, batch_size, targets):
    X, labels = three_blobs()
    net = pyneuron.Network([2, 6, 3], activation="tanh", output_activation="softmax", seed=2)
    ref = reference_for(net, "cross_entropy")
    y = labels if targets == "labels" else np.eye(3)[labels]
    traj = net.fit(X, y, loss="cross_entropy", optimizer=pyneuron.Adam(lr=0.02), epochs=80, batch_size=batch_size,
                   seed=5, snapshots=12)
    expected = train(ref, AdamRef(lr=0.02), X, labels, 80, batch_size or len(X), True, 5, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected)
    probs = net.predict(X)
    np.testing.assert_allclose(traj.predictions[-1], probs, rtol=1e-14)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-12)


#: float32 networks against the float64 reference from the same float32
#: weights and data: the trajectories part only by float32 rounding (seen:
#: parameters within 2e-6, losses within 3e-5 relative, over 60 epochs).
FLOAT32_RTOL, FLOAT32_ATOL = 1e-4, 1e-5
FLOAT32_CASES = [
    ("sigmoid", "mse", "adam", None), ("tanh", "mse", "sgd-nesterov", 32), ("gelu", "mse", "sgd", None),
    ("leaky_relu", "mse", "adam", 32), ("silu", "mse", "adam", None), ("softplus", "mse", "sgd", 32),
    ("elu", "mse", "adam", None), ("gelu_tanh", "mse", "adam", 32),
    ("tanh", "bce", "adam", None), ("tanh", "cross_entropy", "adam", 32), ("relu", "cross_entropy", "sgd", None),
]


@pytest.mark.parametrize("activation,loss,opt,batch_size", FLOAT32_CASES,
                         ids=["-".join(map(str, c)) for c in FLOAT32_CASES])
def test_float32_networks_match_reference(simd, activation, loss, opt, batch_size):
    if loss == "cross_entropy":
        X, y = three_blobs(n=100, seed=1)
        sizes, output = [2, 5, 3], "softmax"
    elif loss == "bce":
        X, y = datasets.circle(n=100, noise=0.1, seed=2)
        sizes, output = [2, 5, 1], "sigmoid"
    else:
        X, y = datasets.function("exp(-5*x) + 0.3*sin(7*x)", n=100, x_range=(0, 1))
        sizes, output = [1, 5, 4, 1], "identity"
    X = X.astype(np.float32).astype(np.float64)  # the data the float32 network sees
    if loss != "cross_entropy":
        y = y.astype(np.float32).astype(np.float64)
    net = pyneuron.Network(sizes, activation=activation, output_activation=output, seed=3, dtype=np.float32)
    ref = reference_for(net, loss)
    make_ours, make_ref = OPTIMIZERS[opt]
    epochs = 60
    traj = net.fit(X, y, loss=loss, optimizer=make_ours(), epochs=epochs, batch_size=batch_size, seed=7,
                   snapshots=10)
    assert traj.flat_params.dtype == np.float32 and traj.predictions.dtype == np.float32
    expected = train(ref, make_ref(), X, y, epochs, batch_size or len(X), True, 7, set(traj.epochs.tolist()))
    assert_follows_reference(traj, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, norm_atol=FLOAT32_ATOL)


@pytest.mark.parametrize("width,path", [(2, "lanes"), (16, "lanes"), (72, "layers")])
def test_unit_statistics_match_their_definitions(simd, width, path):
    # 300 samples: whole blocks of the lanes pass (256 samples for width 2,
    # 128 for 16: train.c, lanes_block), then a partial one that is not a
    # whole number of vectors, so the statistics must skip the padding
    # lanes, whose x = 0 lies outside the data
    x, y = datasets.function("exp(-5*x)", n=300, x_range=(0.5, 1.5))
    # column: dead (0) or saturated (1); None: the smooth ReLU-likes record neither
    for act, column in (("relu", 0), ("leaky_relu", 0), ("sigmoid", 1), ("tanh", 1), ("elu", None)):
        net = pyneuron.Network([1, width, width, 1], activation=act, init="he", seed=5)
        assert net.path == path
        for layer in net.layers[:-1]:
            layer.W *= 6  # push units into the dead / saturated regions
            layer.b[...] = 1.0  # ... and make some dead on the data alive at x = 0
        traj = net.fit(x, y, optimizer=pyneuron.SGD(lr=0.01), epochs=3, schedule=np.array([0, 3]))
        for s in range(2):
            ref = reference_for(net, "mse")
            ref.W = [p["W"][s] for p in traj.params]
            ref.b = [p["b"][s] for p in traj.params]
            ref.forward(x)
            for l, z in enumerate(ref.zs[:-1]):
                if column is None:
                    assert traj.unit_stats[s, l].tolist() == [0.0, 0.0], (act, s, l)
                    continue
                if column == 0:
                    expected = np.mean((z <= 0).all(axis=0))
                else:
                    deriv = ACTS[act][1](z, 0.0)
                    peak = 0.25 if act == "sigmoid" else 1.0
                    expected = np.mean(deriv < 0.05 * peak)
                assert traj.unit_stats[s, l, column] == pytest.approx(expected, abs=1e-12), (act, s, l)
                assert traj.unit_stats[s, l, 1 - column] == 0.0
        assert traj.unit_stats[:, -1].sum() == 0.0  # identity output: neither


def test_same_seed_same_trajectory_bit_for_bit(simd):
    x, y = datasets.exp_decay()
    runs = []
    for _ in range(2):
        net = pyneuron.Network([1, 4, 4, 1], activation="tanh", seed=7)
        runs.append(net.fit(x, y, epochs=300, batch_size=32, seed=9, snapshots=30))
    for name in ("epochs", "loss", "flat_params", "predictions", "grad_norms", "unit_stats"):
        assert np.array_equal(getattr(runs[0], name), getattr(runs[1], name)), name
    other = pyneuron.Network([1, 4, 4, 1], activation="tanh", seed=7).fit(x, y, epochs=300, batch_size=32, seed=10,
                                                                           snapshots=30)
    assert not np.array_equal(other.flat_params, runs[0].flat_params)  # the shuffling seed matters


@pytest.mark.parametrize("layers,activation,scale,lr,snapshots", [
    ([1, 8, 8, 1], "relu", 1e3, 50.0, 50),      # sparse snapshots: found by an epoch's own loss
    ([1, 2, 2, 1], "sigmoid", 1.0, 200.0, 300),  # every early epoch recorded: found by a snapshot's
])
def test_divergence_is_detected_and_recorded(layers, activation, scale, lr, snapshots):
    x, y = datasets.exp_decay()
    net = pyneuron.Network(layers, activation=activation)
    with pytest.warns(RuntimeWarning, match="diverged at epoch"):
        traj = net.fit(x, y * scale, optimizer=pyneuron.SGD(lr=lr), epochs=1000, snapshots=snapshots)
    assert traj.diverged_at is not None and traj.diverged_at < 1000
    assert traj.epochs[-1] == traj.diverged_at
    assert not np.isfinite(traj.loss[-1]) and np.isfinite(traj.loss[:-1]).all()
    assert traj.config["epochs_run"] == traj.diverged_at
    # Where it stops does not depend on the snapshots: every epoch recorded,
    # the first state whose loss is not finite is at most one epoch earlier.
    dense = pyneuron.Network(layers, activation=activation)
    with pytest.warns(RuntimeWarning, match="diverged at epoch"):
        every = dense.fit(x, y * scale, optimizer=pyneuron.SGD(lr=lr), epochs=1000, schedule=np.arange(1001))
    first_bad = int(every.epochs[np.flatnonzero(~np.isfinite(every.loss))[0]])
    assert first_bad <= traj.diverged_at <= first_bad + 1, (first_bad, traj.diverged_at)


def test_interrupt_keeps_what_was_recorded(interrupt_at_second_update):
    import pyneuron.network as network

    interrupt_at_second_update(network)
    x, y = datasets.exp_decay()
    try:
        traj = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=1_000_000, snapshots=100, progress=True)
    except KeyboardInterrupt:  # a failure of this test, not the end of the session
        pytest.fail("Ctrl-C escaped fit instead of ending it with the trajectory recorded so far")
    assert traj.partial
    assert 0 < len(traj) < 100 and traj.epochs[-1] < 1_000_000
    assert np.isfinite(traj.loss).all()


def test_progress_bar_counts_the_epochs_and_shows_the_loss(capsys, monkeypatch):
    import pyneuron.network as network

    made = network._progress_bar

    def drawing_every_update(total, label):  # tqdm draws at most every 0.1 s; a test run is faster
        bar = made(total, label)
        bar.mininterval, bar.miniters = 0, 0
        return bar

    monkeypatch.setattr(network, "_progress_bar", drawing_every_update)
    x, y = datasets.exp_decay(n=32)
    traj = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=500, progress=True)
    assert traj.epochs[-1] == 500
    states = [s.strip() for s in capsys.readouterr().err.split("\r") if s.strip()]
    assert states[0].startswith("1-2-1 sigmoid:   0%") and "/500 " in states[0], states[0]
    assert len(states) >= 3  # chunks of epochs, each drawn as it ends
    last = states[-1]  # the last state drawn before the bar was cleared
    assert last.startswith("1-2-1 sigmoid: 100%") and "500/500" in last and "loss=" in last, last
    shown = float(last.split("loss=")[1].rstrip("]"))
    assert shown == pytest.approx(traj.loss[-1], rel=5e-3)  # the loss of the last snapshot, to 3 digits


@pytest.mark.parametrize("kwargs,match", [
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(loss="hinge"), "unknown loss"),
    (dict(loss="bce"), "needs output_activation='sigmoid'"),
    (dict(batch_size=0), "batch_size"),
    (dict(snapshots=1), "snapshots must be an integer >= 2"),
    (dict(schedule="cubic"), "unknown schedule"),
    (dict(schedule=np.array([0, 5000])), r"lie in \[0, 100\]"),
    (dict(grid=np.zeros((3, 2))), r"grid has shape \(3, 2\)"),
])
def test_fit_rejects_bad_arguments(kwargs, match):
    x, y = datasets.exp_decay(n=16)
    args = dict(epochs=100) | kwargs
    with pytest.raises(ValueError, match=match):
        pyneuron.Network([1, 2, 1]).fit(x, y, **args)


def test_fit_rejects_bad_data():
    x, y = datasets.exp_decay(n=16)
    net = pyneuron.Network([1, 2, 1])
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(x, bad, epochs=10)
    with pytest.raises(ValueError, match=r"y has shape \(15, 1\)"):
        net.fit(x, y[:15], epochs=10)
    with pytest.raises(ValueError, match=r"this network takes \(n, 1\)"):
        net.fit(np.zeros((16, 2)), y, epochs=10)
    with pytest.raises(ValueError, match="lr must be in"):
        pyneuron.Adam(lr=0)
    with pytest.raises(ValueError, match="lr must be in"):
        pyneuron.SGD(lr=-1)
    with pytest.raises(TypeError, match="optimizer"):
        net.fit(x, y, optimizer="adam")


def test_misaligned_data_trains_like_aligned(simd):
    """Views at odd byte offsets (np.frombuffer) are copied, never refused."""
    rng = np.random.default_rng(4)
    X, labels = rng.normal(size=(40, 2)), rng.integers(0, 3, 40)

    def misaligned(a):
        raw = bytearray(a.nbytes + 1)
        view = np.frombuffer(raw, a.dtype, a.size, offset=1).reshape(a.shape)
        view[...] = a
        return view

    def run(x, y):
        net = pyneuron.Network([2, 4, 3], activation="tanh", output_activation="softmax", seed=1)
        traj = net.fit(x, y, loss="cross_entropy", epochs=20, snapshots=3)
        return traj.flat_params, net.predict(x)

    for got, expected in zip(run(misaligned(X), misaligned(labels)), run(X, labels)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_float32_networks_regularize_as_float64_ones(simd, kind):
    x, y = datasets.exp_decay(n=40)
    runs = [pyneuron.Network([1, 6, 1], activation="tanh", seed=5, dtype=dtype).fit(
        x.astype(dtype), y.astype(dtype), optimizer=pyneuron.SGD(lr=0.1), epochs=60, regularization=kind,
        regularization_rate=0.02) for dtype in (np.float32, np.float64)]
    plain = pyneuron.Network([1, 6, 1], activation="tanh", seed=5, dtype=np.float32).fit(
        x.astype(np.float32), y.astype(np.float32), optimizer=pyneuron.SGD(lr=0.1), epochs=60)
    np.testing.assert_allclose(runs[0].flat_params[-1], runs[1].flat_params[-1], rtol=1e-4, atol=1e-5)
    assert np.abs(runs[0].flat_params[-1] - plain.flat_params[-1]).max() > 1e-3  # the penalty did act


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", ["adam", "sgd-momentum"])
def test_moments_of_a_dead_unit_go_to_zero_not_subnormal(simd, dtype, optimizer):
    """A dead ReLU unit's gradient is exactly 0, so its optimizer moments
    decay geometrically; they become 0 before they turn subnormal (on x86
    every operation on a subnormal takes a microcode assist:
    csrc/kernels/optim.inc), while the live parameters train on."""
    from pyneuron._core import ffi, lib

    def buf(a, ctype="void *"):
        return ffi.cast(ctype, ffi.from_buffer(a))

    tiny = np.finfo(dtype).tiny
    # 1-3-1 ReLU net; hidden unit 0 has w = 1, b = -10: dead on x in [0, 1]
    params = np.array([1.0, 0.5, -0.7, -10.0, 0.1, 0.2, 0.3, -0.4, 0.6, 0.0], dtype)
    dead = [0, 3, 6]  # its input weight, its bias, its output weight
    sizes, acts = ffi.new("int64_t[]", [1, 3, 1]), ffi.new("int[]", [lib.PN_ACT_RELU, lib.PN_ACT_IDENTITY])
    alphas = ffi.new("double[]", [0.0, 0.0])
    net = ffi.new("pn_mlp *", {"dtype": lib.PN_F32 if dtype == np.float32 else lib.PN_F64, "n_layers": 2,
                               "sizes": sizes, "acts": acts, "alphas": alphas, "params": buf(params)})
    x = np.linspace(0, 1, 16, dtype=dtype).reshape(-1, 1)
    y = np.exp(-5 * x)
    # the dead unit's moments start just above the smallest normal number:
    # one step of decay would make them subnormal
    opt_a, opt_b = np.zeros(10, dtype), np.zeros(10, dtype)
    opt_a[dead] = opt_b[dead] = 1.0005 * tiny
    settings = ({"optimizer": lib.PN_OPT_ADAM, "lr": 0.01} if optimizer == "adam"
                else {"optimizer": lib.PN_OPT_SGD, "lr": 0.05, "momentum": 0.9})
    cfg = ffi.new("pn_train_config *", {"loss": lib.PN_TRAIN_MSE, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                         "batch_size": 16, **settings})
    data = ffi.new("pn_train_data *", {"x": buf(x), "y": buf(y), "n": 16})
    order = np.arange(16, dtype=np.int64)
    # step 1: SGD's buffer carries over (on step 0 it would be set to the gradient)
    state = ffi.new("pn_train_state *", {"step": 1, "opt_a": buf(opt_a), "opt_b": buf(opt_b),
                                          "order": buf(order, "int64_t *")})
    rec_epochs, loss = np.zeros(1, np.int64), np.zeros(1)
    rec_params, norms, stats = np.zeros((1, 10), dtype), np.zeros((1, 2)), np.zeros((1, 2, 2))
    rec = ffi.new("pn_recording *", {"count": 1, "epochs": buf(rec_epochs, "int64_t *"),
                                      "loss": buf(loss, "double *"), "params": buf(rec_params),
                                      "grad_norms": buf(norms, "double *"), "unit_stats": buf(stats, "double *")})
    before = params.copy()
    assert lib.pn_train(net, cfg, data, state, rec, 3) == lib.PN_OK
    assert stats[0, 0, 0] == pytest.approx(1 / 3), "hidden unit 0 is dead"
    moments = opt_a if optimizer == "sgd-momentum" else np.concatenate([opt_a, opt_b])
    subnormal = (moments != 0) & (np.abs(moments) < tiny)
    assert not subnormal.any(), f"subnormal moments: {moments[subnormal]}"
    np.testing.assert_array_equal(opt_a[dead], 0)
    np.testing.assert_array_equal(params[dead], before[dead])
    live = [i for i in range(10) if i not in dead]
    assert (params[live] != before[live]).all() and (opt_a[live] != 0).all()


@pytest.mark.parametrize("betas", [(0.01, 0.05), (0.0, 0.2)])
def test_adam_steps_bit_for_bit_as_its_formula_past_the_bias_corrections_end(simd, betas):
    """Adam's bias corrections 1 - beta^t round to exactly 1 from some step
    on (t = 9, 13 and 24 for betas 0.01, 0.05 and 0.2); the C loop then
    stops calling pow, and must not stop early: small betas make a step too
    early visible (1 - 0.01^8 is 1 - 1e-16).  A 1-1 linear net on one sample
    at x = 1 has a gradient without rounding, 2 (w + b - y) for both
    parameters, so its whole trajectory is the update formula's, bit for bit."""
    epochs = 120
    net = pyneuron.Network([1, 1], output_activation="identity", seed=0)
    w, b = float(net.layers[0].W[0, 0]), float(net.layers[0].b[0])
    traj = net.fit(np.ones((1, 1)), np.full((1, 1), 0.3), optimizer=pyneuron.Adam(lr=0.05, betas=betas),
                   epochs=epochs, schedule=np.arange(epochs + 1))
    params, opt = [np.array([w]), np.array([b])], AdamRef(lr=0.05, betas=betas)
    for epoch in range(epochs + 1):
        np.testing.assert_array_equal(traj.flat_params[epoch], np.concatenate(params), err_msg=f"epoch {epoch}")
        g = 2 * (params[0] + params[1] - 0.3)
        opt.step(params, [g, g.copy()])
