"""scenes/overfitting.py: the two recorded runs do what the scene says --
without the penalty the training loss falls while the test loss turns up
and the boundary winds; with it the test loss stays low and the boundary
smooth -- the measures it reads are right, and it renders."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, fresh_dry_run, pixels_near, render_frames

import overfitting  # noqa: E402  (scene_harness put scenes/ on the path)
import pyneuron
from pyneuron import datasets, video
from pyneuron.video.stories import boundary_length, lowest_test_loss


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(overfitting.Overfitting, tmp_path_factory, train_seconds=1)


def test_without_the_penalty_the_test_loss_turns_up(scene):
    plain, _ = scene.trajectories
    epoch, lowest, final = lowest_test_loss(plain)
    assert 0 < epoch < plain.epochs[-1] // 10  # early
    assert final > 3 * lowest  # then up
    assert plain.loss[-1] < 1e-3 * plain.loss[0]  # while the training loss falls towards 0


def test_with_the_penalty_the_test_loss_stays_low_and_the_boundary_smooth(scene):
    plain, penalised = scene.trajectories
    assert penalised.config["regularization"]["kind"] == "l2"
    assert penalised.test.loss[-1] < 1.3 * penalised.test.loss.min()  # no turn
    assert penalised.test.loss[-1] < 0.5 * plain.test.loss[-1]
    assert penalised.test.accuracy[-1] > plain.test.accuracy[-1]
    assert boundary_length(plain) > 1.2 * boundary_length(penalised)
    # same split, same start: the penalty is the only difference
    np.testing.assert_array_equal(plain.test.x, penalised.test.x)
    np.testing.assert_array_equal(plain.flat_params[0], penalised.flat_params[0])


def test_the_split_is_the_settings(scene):
    plain, _ = scene.trajectories
    assert len(plain.data_x) == 60 and len(plain.test.x) == 140


def test_boundary_length_counts_class_changes_between_neighbours():
    x, y = datasets.linear(n=40)
    run = pyneuron.Network([2, 1], output_activation="sigmoid").fit(x, y, loss="bce", epochs=1, snapshots=2,
                                                                    grid=datasets.plane_grid(4))
    # a vertical boundary between columns 1 and 2 of a 4 x 4 grid: 4 changes across, none down
    run.predictions[-1][:, 0] = np.tile([0.1, 0.2, 0.8, 0.9], 4)
    assert boundary_length(run) == 4
    run.predictions[-1][:, 0] = np.tile([0.1, 0.8, 0.2, 0.9], 4)  # three stripes
    assert boundary_length(run) == 12
    run.predictions[-1][:, 0] = np.repeat([0.1, 0.9, 0.9, 0.9], 4)  # a horizontal one
    assert boundary_length(run) == 4


def test_lowest_test_loss_is_read_from_the_record():
    x, y = datasets.gauss(n=60, noise=0.5, seed=0)
    run = pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=50, snapshots=6, schedule="linear", train_ratio=0.5)
    run.test.loss[:] = [0.9, 0.5, 0.3, 0.4, 0.6, 0.8]
    assert lowest_test_loss(run) == (int(run.epochs[2]), 0.3, 0.8)


def test_nothing_leaves_the_frame_or_covers_a_caption(scene):
    assert scene.layout_problems == []


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("PYNEURON_TRAIN_RATIO", "1.5")
    with pytest.raises(ValueError, match="PYNEURON_TRAIN_RATIO=1.5: train_ratio must be a number strictly between"):
        overfitting.settings()


def test_renders_non_blank_frames(monkeypatch, scene_cache):
    monkeypatch.setenv("PYNEURON_TRAIN_SECONDS", "1.5")
    frames = render_frames(overfitting.Overfitting, scene_cache)
    assert_not_blank(frames)
    # the two classes of the maps, somewhere in the video
    assert max(pixels_near(f, video.POSITIVE, 60) for f in frames) > 2000
    assert max(pixels_near(f, video.NEGATIVE, 60) for f in frames) > 2000
