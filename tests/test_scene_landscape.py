"""scenes/landscape.py: the maps show the landscapes pyneuron computed, the
run's dot sits on its recorded path with its recorded loss, the captions'
numbers follow from the data, and it renders."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, fresh_dry_run, pixels_near, render_frames

import landscape  # noqa: E402  (scene_harness put scenes/ on the path)
from pyneuron.video import loss_colors  # noqa: E402

SMALL = {"epochs": 1500, "snapshots": 60, "resolution": 41, "train_seconds": 1}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(landscape.LossLandscape, tmp_path_factory, **SMALL)


@pytest.mark.parametrize("name, value, message", [
    ("RESOLUTION", "1", "resolution must be an integer from 2 to 1001"),
    ("SNAPSHOTS", "2", "snapshots must be an integer from 3 to 100000"),
])
def test_settings_no_plane_can_come_from_are_errors(monkeypatch, name, value, message):
    monkeypatch.setenv(f"PYNEURON_{name}", value)
    with pytest.raises(ValueError, match=f"PYNEURON_{name}={value}: {message}"):
        landscape.settings()


def test_layout_stays_inside_the_frame(scene):
    assert scene.layout_problems == []


def test_the_dot_follows_the_recorded_path_at_its_recorded_loss(scene):
    for lmap, traj in zip(scene.maps, scene.trajectories):
        land = lmap.land
        for k in (0, len(traj) // 2, len(traj) - 1):
            lmap.tracker.set_value(k)
            assert lmap.loss_now() == pytest.approx(traj.loss[k], rel=1e-12)
            np.testing.assert_allclose(lmap.point_now(), lmap.axes.c2p(*land.path[k]), atol=1e-9)
        # the end of the path is the plane's origin, whose surface value is the final loss
        assert np.array_equal(land.path[-1], [0, 0]) and land.plane_loss[-1] == traj.loss[-1]
        lmap.tracker.set_value(0)


def test_the_image_is_the_computed_surface(scene):
    lmap = scene.maps[0]
    land, pixels = lmap.land, lmap.image.pixel_array
    logs = np.log10(land.loss)
    # the pixel at the image's centre: the surface's centre (41 points: the middle one), on the ramp
    middle = pixels[pixels.shape[0] // 2, pixels.shape[1] // 2, :3].astype(float)
    expected = loss_colors(logs[20, 20], lmap.lo, lmap.hi)
    assert np.abs(middle - expected).max() < 40
    # the ramp spans the surface: lowest value darkest
    assert lmap.lo == logs.min() and lmap.hi == np.percentile(logs, 98)


def test_the_captions_numbers(scene):
    for land in scene.landscapes:
        width = np.ptp(land.path, axis=0).max()
        assert land.max_off_plane == pytest.approx(land.off_plane.max() / width)
        assert 0.5 < land.explained[0] <= 1 and land.explained[1] < land.explained[0]
    lmap = scene.maps[1]
    k = len(lmap.land.path) // 3
    assert scene.off_plane(lmap, k) == pytest.approx(lmap.land.off_plane[k] / np.ptp(lmap.land.path, axis=0).max())


def test_renders_non_blank_frames(scene_cache, monkeypatch):
    for key, value in {**SMALL, "train_seconds": 1.5}.items():
        monkeypatch.setenv(f"PYNEURON_{key.upper()}", str(value))
    frames = render_frames(landscape.LossLandscape, scene_cache)
    assert_not_blank(frames)
    for act in ("sigmoid", "leaky_relu"):
        assert pixels_near(frames[-1], landscape.RUN_COLORS[act]) > 100, f"{act} not visible"
