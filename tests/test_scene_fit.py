"""The headline scene, scenes/fit.py: settings, a structural run checked
against its trajectories, and a real low-quality render."""
import re

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


@pytest.mark.parametrize("var, value, message", [
    ("PYNEURON_EPOCHS", "-5", "PYNEURON_EPOCHS=-5: epochs must be a positive integer"),
    ("PYNEURON_EPOCHS", "many", "PYNEURON_EPOCHS=many: not a int"),
    ("PYNEURON_LR", "inf", "PYNEURON_LR=inf: lr must be a positive number"),
    ("PYNEURON_ACTIVATIONS", "tanh,swish", "PYNEURON_ACTIVATIONS=tanh,swish: activations: 'swish' is not one of"),
    ("PYNEURON_TARGET", "exp(-5*y)", "PYNEURON_TARGET=exp(-5*y): target must be an expression in x"),
    ("PYNEURON_ACTIVATIONS", "tanh,relu,elu,gelu,silu", "activations must be a list of 1 to 4 items"),
    ("PYNEURON_LAYERS", "2,2,1", "PYNEURON_LAYERS=2,2,1: layers must be at least two positive layer sizes, starting with 1"),
    ("PYNEURON_X_RANGE", "1,0", "PYNEURON_X_RANGE=1.0,0.0: x_range must be two numbers lo,hi with lo < hi"),
])
def test_bad_setting_names_the_setting_the_value_and_what_is_allowed(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        fit.settings()


def test_bad_setting_value_in_the_file_names_the_file(monkeypatch, tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text("snapshots = 0\n")
    monkeypatch.setenv("PYNEURON_SCENE_CONFIG", str(bad))
    with pytest.raises(ValueError, match=r"snapshots = 0 \(mine.toml\): snapshots must be a positive integer"):
        fit.settings()


def test_manim_with_a_bad_setting_prints_one_line_and_exits_2(tmp_path):
    """What a user sees: no traceback panel, one line, status 2, before rendering."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYNEURON_EPOCHS="-5", PYNEURON_CACHE=str(tmp_path))
    manim = os.path.join(os.path.dirname(sys.executable), "manim")
    done = subprocess.run([manim, "--dry_run", "-ql", "--media_dir", str(tmp_path), str(fit.__file__)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip() == "fit.py: error: PYNEURON_EPOCHS=-5: epochs must be a positive integer"


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


def test_renders_non_blank_frames_from_a_title_frame_with_subtitles(short_video):
    from pyneuron.video import RUN_COLORS

    frames = render_frames(fit.SigmoidVsLeakyReLU, short_video)
    assert len(frames) > 150
    assert_not_blank(frames)
    # the first frame, the poster players and decks show, is the title, not black
    assert pixels_near(frames[0], "#e8eaed", 60) > 500, "the first frame shows no title"
    last = frames[-1]
    # both runs' curve colours are on screen at the end, each in its own half
    for color, half in ((RUN_COLORS["sigmoid"], slice(0, 427)), (RUN_COLORS["leaky_relu"], slice(427, 854))):
        assert pixels_near(last[:, half], color) > 200, f"{color} curve not visible in its panel"
    check_subtitles(short_video, "SigmoidVsLeakyReLU", len(frames) / 15)


def check_subtitles(media_dir, scene_name, seconds):
    """The .srt beside the video: the captions, in order, one at a time, within the video."""
    import srt

    [path] = list(media_dir.rglob(f"{scene_name}.srt"))
    subs = list(srt.parse(path.read_text()))
    assert len(subs) >= 5
    assert subs[0].content.startswith("Same network, same data")
    for a, b in zip(subs, subs[1:]):
        assert a.start < a.end <= b.start, f"subtitles overlap: {a.content!r} / {b.content!r}"
    assert subs[-1].end.total_seconds() <= seconds + 0.1
    assert subs[-1].content.startswith("After 10,000 epochs")


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
    from pyneuron.video.stories import final_caption

    final = final_caption(scene.trajectories, ["sigmoid", "leaky ReLU"])
    assert final.startswith("Diverged") and all(f" {t.diverged_at:,}" in final for t in scene.trajectories)


def test_recorded_runs_replace_the_settings_runs(monkeypatch, tmp_path):
    """PYNEURON_RUNS=a.npz,b.npz: the scene replays those runs, labelled from their metadata."""
    import pyneuron
    from pyneuron import datasets

    paths = []
    for act in ("tanh", "relu"):
        x, y = datasets.function("sin(3*x)", n=64)
        traj = pyneuron.Network([1, 4, 4, 1], activation=act).fit(x, y, epochs=300, snapshots=20,
                                                                   grid=np.linspace(0, 1, 50), source="sin(3*x)")
        traj.save(tmp_path / f"{act}.npz")
        paths.append(str(tmp_path / f"{act}.npz"))
    monkeypatch.setenv("PYNEURON_RUNS", ",".join(paths))
    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "cache"))
    scene = dry_run(fit.SigmoidVsLeakyReLU, tmp_path)
    assert scene.layout_problems == []
    assert [t.info.activation for t in scene.trajectories] == ["tanh", "relu"]
    assert [t.epochs[-1] for t in scene.trajectories] == [300, 300]
    assert not (tmp_path / "cache").exists()  # nothing was trained
