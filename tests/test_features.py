"""Input features (TensorFlow Playground's x1^2, x1*x2, sin(x1) ...): computed
in C equal to a numpy reference; a network with features trains, records its
grid and tests exactly as a plain network fed the features would; what they
are for (a linear unit separates the circle on x1^2 and x2^2) holds; bad
names and bad C arguments are refused."""
import numpy as np
import pytest

import pyneuron
from pyneuron import Trajectory, datasets, features
from pyneuron._core import ffi, lib

PLAYGROUND_REFERENCE = {
    "x1": lambda x: x[:, 0], "x2": lambda x: x[:, 1], "x1^2": lambda x: x[:, 0] ** 2,
    "x2^2": lambda x: x[:, 1] ** 2, "x1*x2": lambda x: x[:, 0] * x[:, 1],
    "sin(x1)": lambda x: np.sin(x[:, 0].astype(np.float64)), "sin(x2)": lambda x: np.sin(x[:, 1].astype(np.float64)),
}


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(a.dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_playground_features_equal_numpy(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, (500, 2)), rng.normal(0, 1e4, (50, 2)), [[0.0, -0.0], [1e-30, -7.5]]])
    x = x.astype(dtype)
    got = features.expand(x, features.PLAYGROUND)
    assert got.dtype == dtype and got.shape == (len(x), 7)
    for j, name in enumerate(features.PLAYGROUND):
        want = PLAYGROUND_REFERENCE[name](x).astype(dtype)
        if name.startswith("sin"):  # libm's sin and numpy's: both within half an ulp or so
            assert ulps(got[:, j], want).max() <= 1, name
        else:  # one rounding, as numpy's
            np.testing.assert_array_equal(got[:, j], want, err_msg=name)


def test_features_of_any_input_and_canonical_names():
    x = np.arange(12.0).reshape(4, 3)
    names = features.canonical(["x3", " x1 * x3 ", "x2²", "sin(x3)"], 3)
    assert names == ("x3", "x1*x3", "x2^2", "sin(x3)")
    np.testing.assert_array_equal(features.expand(x, names),
                                  np.stack([x[:, 2], x[:, 0] * x[:, 2], x[:, 1] ** 2, np.sin(x[:, 2])], 1))
    assert [features.label(n) for n in ("x1", "x2^2", "x1*x2", "sin(x1)")] == ["x₁", "x₂²", "x₁x₂", "sin x₁"]


@pytest.mark.parametrize("names, message", [
    (["x0"], "unknown feature 'x0'"), (["cos(x1)"], "unknown feature"), (["x1", "x1"], "listed twice"),
    (["x1*x3"], "reads x3, but the network has 2 input"), ([], "non-empty list"), ("x1", "non-empty list"),
    ([3], "a feature is a name"),
])
def test_bad_feature_lists_are_refused_by_name(names, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("*", r"\*")):
        pyneuron.Network([2, 3, 1], features=names)


@pytest.mark.parametrize("batch_size", [None, 32])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_network_with_features_is_a_network_fed_the_features(batch_size, dtype):
    """Training, the recorded grid and the test set all go through the
    features: bit for bit what a plain network given the expanded arrays does."""
    names = ["x1", "x2", "x1*x2", "sin(x1)", "x2^2"]
    x, y = datasets.xor(n=160, noise=0.2, seed=3)
    tx, ty = datasets.xor(n=40, noise=0.2, seed=4)
    grid = datasets.plane_grid(9)
    kwargs = dict(activation="tanh", output_activation="sigmoid", seed=5, dtype=dtype)
    featured = pyneuron.Network([2, 6, 1], features=names, **kwargs)
    plain = pyneuron.Network([5, 6, 1], **kwargs)
    np.testing.assert_array_equal(featured.params, plain.params)
    fit = dict(loss="bce", epochs=150, snapshots=15, batch_size=batch_size, seed=1,
               optimizer=pyneuron.SGD(lr=0.1, momentum=0.5))
    run = featured.fit(x, y, grid=grid, validation=(tx, ty), **fit)
    ref = plain.fit(features.expand(x, names, dtype), y, grid=features.expand(grid, names, dtype),
                    validation=(features.expand(tx, names, dtype), ty), **fit)
    for name in ("loss", "flat_params", "predictions", "grad_norms", "unit_stats"):
        np.testing.assert_array_equal(getattr(run, name), getattr(ref, name), err_msg=name)
    np.testing.assert_array_equal(run.test.predictions, ref.test.predictions)
    np.testing.assert_array_equal(featured.predict(tx), plain.predict(features.expand(tx, names, dtype)))
    assert run.grid.shape == (81, 2) and run.data_x.shape == (160, 2) and run.test.x.shape == (40, 2)
    assert run.loss[-1] < 0.5 * run.loss[0]


def test_squares_let_a_linear_unit_separate_the_circle():
    """What Playground's features are for: no hidden layer, one sigmoid unit,
    cannot separate the circle from x1, x2 but does from x1^2, x2^2."""
    x, y = datasets.circle(n=300, seed=0)
    fit = dict(loss="bce", optimizer=pyneuron.Adam(lr=0.05), epochs=1500, snapshots=5)
    accuracy = {}
    for names in (["x1", "x2"], ["x1^2", "x2^2"]):
        net = pyneuron.Network([2, 1], output_activation="sigmoid", features=names)
        net.fit(x, y, **fit)
        accuracy[names[0]] = np.mean((net.predict(x)[:, 0] > 0.5) == (y[:, 0] > 0.5))
    assert accuracy["x1^2"] > 0.97 and accuracy["x1"] < 0.75


def test_the_trajectory_records_the_features(tmp_path):
    x, y = datasets.gauss(n=80, seed=2)
    net = pyneuron.Network([2, 4, 1], activation="relu", output_activation="sigmoid", features=["x1", "x1*x2"])
    run = net.fit(x, y, loss="bce", epochs=50, snapshots=6)
    assert run.features == ("x1", "x1*x2") and run.inputs == 2 and run.sizes == [2, 4, 1]
    assert run.info.features == ("x1", "x1*x2") and run.info.inputs == 2
    run.save(tmp_path / "r.npz")
    back = Trajectory.load(tmp_path / "r.npz")
    assert back.features == run.features and back.info == run.info


def test_a_plain_trajectory_has_no_features():
    x, y = datasets.exp_decay(n=32)
    run = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=5, snapshots=2)
    assert run.features is None and run.inputs == 1 and run.info.features is None


def test_c_layer_checks_its_arguments():
    x, out = np.ones((4, 2)), np.empty((4, 3))
    xb, ob = ffi.from_buffer(x), ffi.from_buffer(out)
    spec = ffi.new("pn_feature[]", [(lib.PN_FEATURE_INPUT, 1, 0), (lib.PN_FEATURE_PRODUCT, 0, 1),
                                    (lib.PN_FEATURE_SIN, 0, 99)])  # b is read by products only
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, ob, 4) == lib.PN_OK
    assert out[0].tolist() == [1.0, 1.0, np.sin(1.0)]
    assert lib.pn_features(7, spec, 3, xb, 2, ob, 4) == lib.PN_ERR_DTYPE
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, ob, -1) == lib.PN_ERR_SIZE
    assert lib.pn_features(lib.PN_F64, ffi.NULL, 3, xb, 2, ob, 4) == lib.PN_ERR_NULL
    assert lib.pn_features(lib.PN_F64, spec, 3, ffi.NULL, 2, ob, 4) == lib.PN_ERR_NULL
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, ob, 2**62) == lib.PN_ERR_OVERFLOW
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, xb, 2) == lib.PN_ERR_ARG  # out overlaps x
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 1, ob, 4) == lib.PN_ERR_ARG  # x2 of 1 input
    spec[1].b = -1
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, ob, 4) == lib.PN_ERR_ARG
    spec[1].b, spec[2].kind = 1, lib.PN_FEATURE_COUNT
    assert lib.pn_features(lib.PN_F64, spec, 3, xb, 2, ob, 4) == lib.PN_ERR_OP
    assert lib.pn_features(lib.PN_F64, spec, 0, ffi.NULL, 0, ffi.NULL, 4) == lib.PN_OK  # nothing to compute


def test_cli_trains_on_input_features(tmp_path, capsys):
    from pyneuron.cli import main

    out = tmp_path / "run.npz"
    assert main(["train", "--dataset", "circle", "--layers", "2,1", "--input-features", "x1^2,x2^2", "--epochs",
                 "300", "--lr", "0.05", "--out", str(out), "--no-progress"]) == 0
    assert "2-1 no hidden layer on x1^2, x2^2" in capsys.readouterr().out
    assert Trajectory.load(out).features == ("x1^2", "x2^2")
    assert main(["train", "--dataset", "circle", "--layers", "2,1", "--input-features", "x1,tan(x2)"]) == 2
    assert "unknown feature 'tan(x2)'" in capsys.readouterr().err
