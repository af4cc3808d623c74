"""The headline scene, scenes/fit.py: settings, a structural run checked
against its trajectories, and a real low-quality render."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, dry_run, pixels_near, render_frames

import fit  # noqa: E402  (scene_harness put scenes/ on the path)


@pytest.fixture
def short_video(monkeypatch, scene_cache):
    monkeypatch.setenv("PYNEURON_TRAIN_SECONDS", "3")
    return scene_cache


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
    scene = dry_run(fit.SigmoidVsLeakyReLU, short_video)
    assert scene.layout_problems == []
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
    frames = render_frames(fit.SigmoidVsLeakyReLU, short_video)
    assert len(frames) > 150
    assert_not_blank(frames)
    last = frames[-1]
    # both runs' curve colours are on screen at the end, each in its own half
    for color, half in ((fit.RUN_COLORS["sigmoid"], slice(0, 427)), (fit.RUN_COLORS["leaky_relu"], slice(427, 854))):
        assert pixels_near(last[:, half], color) > 200, f"{color} curve not visible in its panel"


def test_diverged_runs_are_shown_as_diverged(tmp_path_factory):
    """At a learning rate far too large both runs diverge: each panel
    replays its run up to the last finite snapshot, then says where it
    diverged, and the captions tell that story instead of the fits'."""
    from scene_harness import fresh_dry_run

    with pytest.warns(RuntimeWarning, match="diverged at epoch"):
        scene = fresh_dry_run(fit.SigmoidVsLeakyReLU, tmp_path_factory, optimizer="sgd", lr=200, epochs=2000,
                              train_seconds=1)
    assert scene.layout_problems == []
    for panel, traj in zip(scene.panels, scene.trajectories):
        assert traj.diverged_at is not None and np.isfinite(traj.loss).all()
        assert panel._readout_text() == f"diverged at epoch {traj.diverged_at:,}"
    final = fit.final_caption(scene.trajectories, ["sigmoid", "leaky_relu"], 2000)
    assert final.startswith("Diverged") and all(f" {t.diverged_at:,}" in final for t in scene.trajectories)
