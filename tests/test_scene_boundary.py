"""scenes/boundary.py: the decision-boundary scenarios learn what the scene
says they learn, its maps are what pyneuron computed, and it renders."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, fresh_dry_run, pixels_near, render_frames

import boundary  # noqa: E402  (scene_harness put scenes/ on the path)
from pyneuron import video


@pytest.fixture
def short_video(monkeypatch, scene_cache):
    monkeypatch.setenv("PYNEURON_TRAIN_SECONDS", "1.5")
    return scene_cache


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(boundary.DecisionBoundaries, tmp_path_factory, train_seconds=1)


def test_a_bad_scenario_is_an_error(monkeypatch):
    monkeypatch.setenv("PYNEURON_SCENARIOS", "circle/sigmoid,moons/tanh")
    with pytest.raises(ValueError, match="PYNEURON_SCENARIOS=circle/sigmoid,moons/tanh: scenarios: 'moons/tanh' is not <data>/<activation>"):
        boundary.settings()


def test_scenarios_learn_what_the_captions_say(scene):
    separable, circles_linear, circles_sigmoid = scene.trajectories
    assert separable.loss[-1] < 0.05
    # linear units cannot separate the circles: no better than a constant guess
    assert circles_linear.loss[-1] > 0.95 * np.log(2)
    assert circles_sigmoid.loss[-1] < 0.05
    for traj in scene.more_trajectories:  # tanh, ReLU
        assert traj.loss[-1] < 0.05


@pytest.mark.parametrize("run", [0, 1])
def test_linear_units_draw_a_straight_boundary(scene, run):
    """With identity hidden units the logit is an affine function of the
    input at every snapshot, so the boundary (logit 0) is a line."""
    traj = scene.trajectories[run]
    grid = traj.grid
    design = np.column_stack([grid, np.ones(len(grid))])
    for p in traj.predictions[::40, :, 0]:
        known = (p > 1e-9) & (p < 1 - 1e-9)  # where the logit is not lost to rounding
        assert known.sum() > 100  # a plane has 3 parameters
        logit = np.log(p[known]) - np.log1p(-p[known])
        coef, *_ = np.linalg.lstsq(design[known], logit, rcond=None)
        np.testing.assert_allclose(design[known] @ coef, logit, atol=1e-6 * (1 + np.abs(logit).max()))


def test_unit_maps_reproduce_the_recorded_predictions(scene):
    """The per-unit maps come from the recorded weights through pyneuron's
    kernels; their last layer is the prediction the C loop recorded."""
    traj = scene.trajectories[-1]
    for index in (0, len(traj) // 2, len(traj) - 1):
        layers = video.unit_values(traj, traj.at(traj.epochs[index]).params, traj.grid)
        assert [l.shape[1] for l in layers] == traj.sizes
        np.testing.assert_allclose(layers[-1][:, 0], 2 * traj.predictions[index][:, 0] - 1, atol=1e-12)


def test_heatmap_shows_the_final_prediction(scene):
    column = scene.columns[-1]
    res = int(np.sqrt(column.traj.grid.shape[0]))
    values = 2 * column.traj.predictions[-1][:, 0].reshape(res, res) - 1
    # the pixel grid spans the square: its corners are the grid's corners
    shown = video.probability_to_unit(column.map.field())
    np.testing.assert_allclose(shown[[0, 0, -1, -1], [0, -1, 0, -1]], values[[0, 0, -1, -1], [0, -1, 0, -1]],
                               atol=0.02)
    at = np.round(np.arange(0, res, 7) / (res - 1) * (len(shown) - 1)).astype(int)  # grid points, in pixels
    assert np.mean(np.sign(shown[np.ix_(at, at)]) == np.sign(values[::7, ::7])) > 0.9
    image = column.map.pixel_array[..., :3].astype(float)
    mid = len(image) // 2
    corner, centre = image[:8, :8].mean(axis=(0, 1)), image[mid - 10:mid + 10, mid - 10:mid + 10].mean(axis=(0, 1))
    # the outer ring's class (orange: more red than blue), the inner disc's (blue)
    assert corner[0] > corner[2] + 60 and centre[2] > centre[0] + 40


def test_renders_non_blank_frames(short_video):
    frames = render_frames(boundary.DecisionBoundaries, short_video)
    assert_not_blank(frames)
    last = frames[-1]
    # the playground view: the output map's two classes and the unit maps
    assert pixels_near(last, video.POSITIVE, 60) > 2000
    assert pixels_near(last, video.NEGATIVE, 60) > 2000


def test_nothing_leaves_the_frame_or_covers_a_caption(scene):
    assert scene.layout_problems == []


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """Every Playground control set away from its default."""
    return fresh_dry_run(boundary.DecisionBoundaries, tmp_path_factory, train_seconds=1,
                         scenarios="circle/identity,xor/tanh", more_activations="", features="x1,x2,x1^2,x2^2,x1*x2",
                         regularization="l2", regularization_rate=0.001, train_ratio=0.6, batch_size=16, noise=0.2,
                         layers="2,5,1", epochs=300, lr=0.05, snapshots=40)


def test_every_playground_control_reaches_the_runs(playground):
    for traj, data in zip(playground.trajectories, ("circle", "xor")):
        cfg = traj.config
        assert traj.features == ("x1", "x2", "x1^2", "x2^2", "x1*x2") and traj.sizes == [5, 5, 1]
        assert cfg["regularization"] == {"kind": "l2", "rate": 0.001, "on": "weights", "in_recorded_loss": False}
        assert cfg["test"] == {"n": 120, "split": "train_ratio", "train_ratio": 0.6} and len(traj.data_x) == 180
        assert cfg["batch_size"] == 16 and cfg["optimizer"]["lr"] == 0.05 and cfg["data"]["dataset"] == data
        x, _ = boundary.samples(boundary.settings() | {"noise": 0.2}, data)
        assert {tuple(p) for p in traj.data_x} | {tuple(p) for p in traj.test.x} == {tuple(p) for p in x}
    # linear units on x1^2 and x2^2 separate the circle: the squares are what makes it possible
    assert playground.trajectories[0].test.accuracy[-1] > 0.9
    assert playground.layout_problems == []


@pytest.mark.parametrize("variable, value, message", [
    ("PYNEURON_FEATURES", "x1,cos(x2)", "features must be a list of distinct features of x1 and x2"),
    ("PYNEURON_SCENARIOS", "circle/tanh,plane/tanh", "scenarios mixes classification and regression data"),
    ("PYNEURON_TRAIN_RATIO", "0", "train_ratio must be a number in (0, 1]"),
    ("PYNEURON_REGULARIZATION", "l3", "regularization must be one of none, l1, l2"),
])
def test_bad_playground_settings_are_errors(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        boundary.settings()
