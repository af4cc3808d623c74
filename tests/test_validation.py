"""A test split: fit(validation=...) and fit(train_ratio=...) record the test
set's predictions, loss and accuracy at every snapshot; the recorded test
loss is what a separate forward pass gives, and on the training data itself
it is the recorded training loss."""
import numpy as np
import pytest

import pyneuron
from pyneuron import Trajectory, datasets


@pytest.mark.parametrize("loss, output, outputs", [("mse", "identity", 1), ("bce", "sigmoid", 1),
                                                    ("cross_entropy", "softmax", 3)])
def test_on_the_training_data_the_test_loss_is_the_training_loss(loss, output, outputs):
    x, y = datasets.gauss(n=120, noise=0.3, seed=1)
    if loss == "cross_entropy":
        y = (np.arange(120) % 3).astype(np.int64)
    net = pyneuron.Network([2, 5, outputs], activation="tanh", output_activation=output, seed=2)
    run = net.fit(x, y, loss=loss, epochs=200, snapshots=20, validation=(x, y))
    np.testing.assert_allclose(run.test.loss, run.loss, rtol=1e-9)
    np.testing.assert_array_equal(run.test.predictions[-1], net.predict(x))  # the trained network's outputs
    assert (run.test.accuracy is None) == (loss == "mse")


def test_the_test_record_is_a_separate_forward_pass_at_each_snapshot():
    x, y = datasets.circle(n=200, noise=0.1, seed=0)
    tx, ty = datasets.circle(n=50, noise=0.1, seed=9)
    net = pyneuron.Network([2, 6, 1], activation="relu", output_activation="sigmoid")
    run = net.fit(x, y, loss="bce", epochs=300, snapshots=12, validation=(tx, ty))
    for k in (0, 5, 11):
        replica = pyneuron.Network([2, 6, 1], activation="relu", output_activation="sigmoid")
        replica.params[:] = run.flat_params[k]
        p = replica.predict(tx)
        np.testing.assert_array_equal(run.test.predictions[k], p)
        bce = -np.mean(ty * np.log(p) + (1 - ty) * np.log1p(-p))
        np.testing.assert_allclose(run.test.loss[k], bce, rtol=1e-12)
        assert run.test.accuracy[k] == np.mean((p > 0.5) == (ty > 0.5))
    assert run.test.accuracy[-1] > 0.9 and run.config["test"] == {"n": 50, "split": "validation"}


def test_train_ratio_splits_by_the_seed_and_trains_on_its_share_only(tmp_path):
    x, y = datasets.spiral(n=100, seed=0)
    net = pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid")
    run = net.fit(x, y, loss="bce", epochs=50, snapshots=5, train_ratio=0.7, seed=3)
    assert run.data_x.shape == (70, 2) and run.test.x.shape == (30, 2) and run.config["data"]["n"] == 70
    both = np.concatenate([run.data_x, run.test.x])
    assert sorted(map(tuple, both)) == sorted(map(tuple, x))  # a partition: every sample once
    again = pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=50, snapshots=5, train_ratio=0.7, seed=3)
    np.testing.assert_array_equal(again.test.x, run.test.x)
    run.save(tmp_path / "run.npz")
    back = Trajectory.load(tmp_path / "run.npz")
    for name in ("x", "y", "predictions", "loss", "accuracy"):
        np.testing.assert_array_equal(getattr(back.test, name), getattr(run.test, name))
    assert back.config["test"] == {"n": 30, "split": "train_ratio", "train_ratio": 0.7}


@pytest.mark.parametrize("kwargs, message", [
    (dict(train_ratio=1.0), "train_ratio must be a number strictly between 0 and 1, got 1.0"),
    (dict(train_ratio=0.001), "leaves 0 to train on and 10 to test on"),
    (dict(train_ratio=True), "train_ratio must be a number"),
    (dict(train_ratio=0.5, validation=(np.zeros((2, 1)), np.zeros(2))), "not both"),
    (dict(validation=np.zeros((2, 1))), "validation must be a pair"),
    (dict(validation=(np.zeros((2, 3)), np.zeros(2))), r"shape \(2, 3\)"),
    (dict(validation=(np.zeros((2, 1)), np.zeros(3))), "fit: validation targets: y has shape"),
    (dict(validation=(np.zeros((0, 1)), np.zeros(0))), "the validation set has no rows"),
])
def test_bad_splits_are_refused(kwargs, message):
    x = np.linspace(0, 1, 10).reshape(-1, 1)
    with pytest.raises(ValueError, match=message):
        pyneuron.Network([1, 2, 1]).fit(x, x, epochs=2, **kwargs)
