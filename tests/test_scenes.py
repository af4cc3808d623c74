"""The manim scenes: a structural run of each, and a real low-quality
render of the headline whose frames are checked against its trajectories."""
import sys
from pathlib import Path

import numpy as np
import pytest

SCENES = Path(__file__).resolve().parent.parent / "scenes"
sys.path.insert(0, str(SCENES))

from manim import tempconfig  # noqa: E402  (a missing manim fails the run: no skip)

import fit  # noqa: E402


@pytest.fixture
def short_video(monkeypatch, tmp_path):
    monkeypatch.setenv("PYNEURON_TRAIN_SECONDS", "3")
    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "cache"))
    import common
    monkeypatch.setattr(common, "CACHE", tmp_path / "cache")
    return tmp_path


def test_settings_from_file_and_environment(monkeypatch):
    assert fit.settings()["activations"] == ["sigmoid", "leaky_relu"]
    monkeypatch.setenv("PYNEURON_ACTIVATIONS", "tanh,relu")
    monkeypatch.setenv("PYNEURON_EPOCHS", "300")
    cfg = fit.settings()
    assert cfg["activations"] == ["tanh", "relu"] and cfg["epochs"] == 300


def test_unknown_setting_is_an_error(monkeypatch, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('colour = "red"\n')
    monkeypatch.setenv("PYNEURON_SCENE_CONFIG", str(bad))
    with pytest.raises(ValueError, match="unknown scene settings: colour"):
        fit.settings()


def test_dry_run_and_final_curves_match_trajectories(short_video):
    with tempconfig({"dry_run": True, "quality": "low_quality", "media_dir": str(short_video)}):
        scene = fit.SigmoidVsLeakyReLU()
        scene.render()
    assert len(scene.panels) == 2
    for panel, traj in zip(scene.panels, scene.trajectories):
        points = panel.curve.get_anchors()
        coords = np.array([panel.axes.p2c(p) for p in points])
        # the drawn curve is the final recorded prediction, point for point
        xs, ys = np.unique(coords[:, 0], return_index=True)
        expected = np.interp(xs, traj.grid[:, 0], traj.predictions[-1][:, 0])
        np.testing.assert_allclose(coords[ys, 1], np.clip(expected, *panel.axes.y_range[:2]), atol=1e-6)
        assert traj.epochs[-1] == 10_000 and traj.loss[-1] < 0.01 * traj.loss[0]


def test_renders_non_blank_frames(short_video):
    import av

    with tempconfig({"quality": "low_quality", "media_dir": str(short_video), "disable_caching": True}):
        scene = fit.SigmoidVsLeakyReLU()
        scene.render()
        movie = Path(scene.renderer.file_writer.movie_file_path)
    assert movie.exists()
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (854, 480)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) > 150
    for i in np.linspace(len(frames) // 5, len(frames) - 1, 6).astype(int):
        frame = frames[i].astype(float)
        assert frame.std() > 10, f"frame {i} is blank"
    last = frames[-1]
    # both runs' curve colours are on screen at the end, each in its own half
    for color, half in ((fit.RUN_COLORS["sigmoid"], slice(0, 427)), (fit.RUN_COLORS["leaky_relu"], slice(427, 854))):
        rgb = np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)])
        close = (np.abs(last[:, half].astype(int) - rgb).sum(axis=2) < 40).sum()
        assert close > 200, f"{color} curve not visible in its panel"
