"""pyneuron.video without rendering: replaying recorded networks, the
trajectory cache's key, which runs can share a scene, and the notebook
display of a rendered video.  (Rendering itself: test_scene_render.py.)"""
import numpy as np
import pytest

import pyneuron
from pyneuron import datasets, video
from pyneuron.network import ACTIVATION_NAMES, activation_function
from pyneuron.video import runs as R


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_every_activation_replays_what_the_network_computed(activation):
    x, y = datasets.exp_decay(n=32)
    alpha = 0.2 if activation in ("leaky_relu", "elu") else None
    run = pyneuron.Network([1, 3, 2, 1], activation=activation, alpha=alpha, seed=3).fit(x, y, epochs=40, snapshots=5)
    for k in (0, len(run) - 1):
        layers = video.replay(run, run.at(run.epochs[k]).params, run.grid)
        np.testing.assert_allclose(layers[-1][1], run.predictions[k], rtol=1e-12, atol=1e-14)
    hidden = layers[0][1]
    z = layers[0][0]
    np.testing.assert_allclose(hidden, activation_function(activation, alpha)(z), rtol=0, atol=0)


def test_a_rebuilt_kernel_trains_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path))
    calls = []

    def train():
        calls.append(1)
        return pyneuron.Network([1, 2, 1]).fit(*datasets.exp_decay(n=8), epochs=2)

    R.cached("run", {"a": 1}, train)
    R.cached("run", {"a": 1}, train)
    assert len(calls) == 1  # the second came from the cache
    monkeypatch.setattr(R, "build_identity", lambda: "another build")
    R.cached("run", {"a": 1}, train)
    assert len(calls) == 2 and len(list(tmp_path.glob("run-*.npz"))) == 2


def test_the_build_identity_names_the_extension_file():
    import hashlib
    from pathlib import Path

    import pyneuron._ffi as ext
    digest = hashlib.sha256(Path(ext.__file__).read_bytes()).hexdigest()[:16]
    assert R.build_identity().startswith(pyneuron.__version__ + "+") and R.build_identity().endswith(digest)


def test_the_cache_lives_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("PYNEURON_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert R.cache_dir() == tmp_path / "pyneuron"
    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "mine"))
    assert R.cache_dir() == tmp_path / "mine"


def fit_1d(activation="tanh", epochs=20, x_range=(0.0, 1.0), target="sin(3*x)"):
    x, y = datasets.function(target, n=16, x_range=x_range)
    return pyneuron.Network([1, 4, 1], activation=activation).fit(
        x, y, epochs=epochs, snapshots=6, grid=np.linspace(*x_range, 50), source=target)


def classify_2d(dataset="spiral", resolution=16, epochs=20):
    x, y = datasets.CLASSIFICATION[dataset](n=40)
    return pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=epochs, snapshots=6, grid=datasets.plane_grid(resolution), source=dataset)


def test_the_task_picks_the_scene():
    assert video.scene_for([fit_1d(), fit_1d("relu")]) == "fit"
    assert video.scene_for([classify_2d()]) == "boundary"
    with pytest.raises(video.RunsError, match=r"different tasks \(1-input regression, 2-input binary\)"):
        video.scene_for([fit_1d(), classify_2d()])


@pytest.mark.parametrize("runs, task, message", [
    (lambda: [fit_1d(), classify_2d()], "fit", "run 2 is a 2-input binary run; the fit scene shows"),
    (lambda: [classify_2d(), fit_1d()], "boundary", "run 2 is a 1-input regression run; the boundary scene"),
    (lambda: [fit_1d(), fit_1d(x_range=(0.0, 2.0))], "fit", "different x grids"),
    (lambda: [classify_2d(), classify_2d(resolution=20)], "boundary", "grids of different sizes"),
    (lambda: [fit_1d(), fit_1d(epochs=30)], "fit", "snapshots at different epochs"),
    (lambda: [fit_1d()] * 5, "fit", "one to four runs, got 5"),
])
def test_runs_that_cannot_share_a_scene_say_why(runs, task, message):
    with pytest.raises(video.RunsError, match=message):
        video.check_together(runs(), task)


def test_a_boundary_needs_the_plane_grid():
    x, y = datasets.circle(n=40)
    run = pyneuron.Network([2, 3, 1], output_activation="sigmoid").fit(x, y, loss="bce", epochs=5, snapshots=3)
    with pytest.raises(video.RunsError, match=r"run 1 recorded its predictions on 40 points.*plane_grid"):
        video.check_together([run], "boundary")


def test_files_that_cannot_be_runs_name_the_file(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(video.RunsError, match="truncated or corrupt"):
        video.load_runs([tmp_path / "bad.npz"])
    with pytest.raises(video.RunsError, match="missing.npz: no such file"):
        video.load_runs([tmp_path / "missing.npz"])
    one = pyneuron.Network([1, 2, 1]).fit(*datasets.exp_decay(n=8), epochs=1, schedule=[0])
    one.save(tmp_path / "one.npz")
    with pytest.raises(video.RunsError, match="one.npz: the run recorded 1 snapshot"):
        video.load_runs([tmp_path / "one.npz"])


@pytest.mark.parametrize("suffix, tag", [(".mp4", '<video controls'), (".webm", "data:video/webm"),
                                          (".gif", '<img src="data:image/gif;base64,')])
def test_a_video_displays_inline(tmp_path, suffix, tag):
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(b"\x00\x01movie bytes")
    html = video.Video(path, None)._repr_html_()
    assert tag in html and "AAFtb3ZpZSBieXRlcw==" in html  # the file itself, base64, so it plays offline


def test_a_test_split_is_drawn_outlined_and_captioned_from_the_record():
    from pyneuron.video.panels import _train_and_test_points
    from pyneuron.video.stories import test_caption

    x, y = datasets.circle(n=80, noise=0.2)
    run = pyneuron.Network([2, 5, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=200, snapshots=10, grid=datasets.plane_grid(16), source="circle", train_ratio=0.75)
    points, labels, outlined = _train_and_test_points(run)
    np.testing.assert_array_equal(points[outlined], run.test.x)
    np.testing.assert_array_equal(points[~outlined], run.data_x)
    np.testing.assert_array_equal(labels[outlined], 2 * run.test.y.ravel() - 1)  # classes drawn as -1 and +1
    assert test_caption([run], ["tanh"]) == (f"On the outlined test points, never trained on: tanh "
                                             f"{run.test.accuracy[-1]:.0%} (loss {run.test.loss[-1]:.3f}).")


def test_tiny_losses_read_in_scientific_notation():
    from pyneuron.video.stories import loss_text

    assert loss_text(0.1584) == "0.158" and loss_text(1.1e-5) == "1.1·10⁻⁵" and loss_text(0.0) == "0.000"


def test_a_run_with_input_features_replays_through_them(tmp_path):
    """What the videos replay of a recorded network goes through its input
    features, as the C loop did."""
    x, y = datasets.gauss(n=80, seed=2)
    net = pyneuron.Network([2, 4, 1], activation="relu", output_activation="sigmoid", features=["x1", "x1*x2"])
    net.fit(x, y, loss="bce", epochs=50, snapshots=6, grid=datasets.plane_grid(8)).save(tmp_path / "r.npz")
    run = pyneuron.Trajectory.load(tmp_path / "r.npz")
    out = R.replay(run, run.at(run.epochs[-1]).params, run.grid)[-1][1]
    np.testing.assert_allclose(out, run.predictions[-1], rtol=1e-13, atol=1e-15)
