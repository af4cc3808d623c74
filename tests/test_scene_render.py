"""pyneuron render / pyneuron.video.render: a user's own recorded runs
become a video with the scene their task calls for; the layout holds for
one to four runs; runs that cannot share a scene are a one-line error."""
import subprocess
import sys

import numpy as np
import pytest
from scene_harness import dry_run, pixels_near

import pyneuron
from pyneuron import datasets, video

ACTIVATIONS = ["tanh", "relu", "sigmoid", "gelu_tanh"]


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyneuron", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def fit_run(activation, epochs=600):
    x, y = datasets.function("sin(3*x)", n=64)
    return pyneuron.Network([1, 4, 4, 1], activation=activation).fit(
        x, y, epochs=epochs, snapshots=40, grid=np.linspace(0, 1, 100), source="sin(3*x)")


def boundary_run(activation, dataset="circle"):
    x, y = datasets.CLASSIFICATION[dataset](n=100)
    return pyneuron.Network([2, 6, 1], activation=activation, output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=300, snapshots=30, grid=datasets.plane_grid(24), source=dataset)


def shown(scene_class, runs, media, **attrs):
    return dry_run(type(scene_class.__name__, (scene_class,), {"runs": runs, "train_seconds": 2.0, **attrs}), media)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_one_to_four_fits_lay_out_cleanly(n, tmp_path):
    runs = [fit_run(a) for a in ACTIVATIONS[:n]]
    scene = shown(video.FitVideo, runs, tmp_path)
    assert scene.layout_problems == []
    assert [p.traj for p in scene.panels] == runs


@pytest.mark.parametrize("n", [1, 4])
def test_one_to_four_boundaries_lay_out_cleanly(n, tmp_path):
    runs = [boundary_run(a) for a in ACTIVATIONS[:n]]
    assert shown(video.BoundaryVideo, runs, tmp_path).layout_problems == []


@pytest.mark.parametrize("n", [1, 3])
def test_dynamics_of_any_runs_lay_out_cleanly(n, tmp_path):
    runs = [fit_run(a) for a in ACTIVATIONS[:n]]
    assert shown(video.DynamicsVideo, runs, tmp_path).layout_problems == []


def test_a_dead_relu_run_is_called_dead_and_shows_no_kinks():
    """The seed-0 1-4-4-1 ReLU net of the README's example kills its second
    layer: the video must say so, not point at kinks of a flat line."""
    x, y = datasets.function("sin(3*x)", n=256)
    run = pyneuron.Network([1, 4, 4, 1], activation="relu").fit(x, y, epochs=10_000, grid=np.linspace(0, 1, 200),
                                                                 source="sin(3*x)")
    assert run.unit_stats[-1, 1, 0] == 1.0  # the premise: layer 2 all dead
    assert video.kink_inputs(run, run.grid[:, 0]) == []
    assert video.dead_caption(run, "ReLU") == ("Every ReLU unit in hidden layer 2 is dead: no gradient flows, "
                                               "the fit stays constant.")
    alive = fit_run("relu", epochs=3000)
    assert video.dead_caption(alive, "ReLU") is None or alive.unit_stats[-1, :-1, 0].max() == 1.0


def test_pyneuron_render_turns_two_trained_runs_into_a_video(tmp_path):
    """The issue's own example: two 1-D runs of the CLI, rendered side by
    side, with the labels, formulas and captions of those runs."""
    import av
    import srt

    for act, out in (("tanh", "a.npz"), ("relu", "b.npz")):
        done = cli("train", "--layers", "1,4,4,1", "--activation", act, "--target", "sin(3*x)", "--epochs", 3000,
                   "--out", out, cwd=tmp_path)
        assert done.returncode in (0, 1), done.stderr
    done = cli("render", "a.npz", "b.npz", "-ql", "--seconds", 6, "--out", "videos/cmp.mp4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("-> videos/cmp.mp4 (subtitles videos/cmp.srt)")
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == ["cmp.mp4", "cmp.srt"]  # nothing else left
    with av.open(str(tmp_path / "videos" / "cmp.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (854, 480)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    seconds = len(frames) / 15
    assert 15 < seconds < 60
    assert pixels_near(frames[0], video.TEXT, 60) > 500  # the title, from the first frame
    tanh, relu = video.run_colors(["tanh", "relu"])
    assert pixels_near(frames[-1], tanh, 60) > 50 and pixels_near(frames[-1], relu, 60) > 50  # both runs' curves
    subs = list(srt.parse((tmp_path / "videos" / "cmp.srt").read_text()))
    said = [s.content for s in subs]
    assert said[0] == "The runs differ in the hidden activation and the starting weights."
    assert any("tanh" in s and "ReLU" in s for s in said)
    assert said[-1].startswith("After 3,000 epochs: tanh ")
    for a, b in zip(subs, subs[1:]):
        assert a.end <= b.start
    assert subs[-1].end.total_seconds() <= seconds + 0.1


def test_a_spiral_run_becomes_a_boundary_video(tmp_path):
    done = cli("train", "--layers", "2,8,8,1", "--activation", "tanh", "--dataset", "spiral", "--epochs", 300,
               "--out", "c.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = cli("render", "c.npz", "-ql", "--seconds", 2, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "boundary.mp4").exists() and (tmp_path / "boundary.srt").exists()  # the task chose the scene
    said = (tmp_path / "boundary.srt").read_text()
    assert "Training accuracy: tanh" in said


@pytest.mark.parametrize("args, message", [
    (["a.npz", "c.npz"], "the runs are of different tasks (1-input regression, 2-input binary)"),
    (["a.npz", "c.npz", "--scene", "fit"], "run 2 is a 2-input binary run; the fit scene shows"),
    (["bad.npz"], "truncated or corrupt"),
    (["a.npz", "--out", "x.gif"], "does not end in .mp4"),
    (["a.npz", "--seconds", "0"], "seconds must be a number from 1 to 600"),
])
def test_render_errors_are_one_line(tmp_path, args, message):
    fit_run("tanh", epochs=50).save(tmp_path / "a.npz")
    boundary_run("tanh").save(tmp_path / "c.npz")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    done = cli("render", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("pyneuron: error: ") and message in done.stderr
    assert not list(tmp_path.glob("*.mp4"))


def test_a_run_with_a_test_split_lays_out_cleanly_and_says_how_it_did(tmp_path):
    x, y = datasets.spiral(n=120, noise=0.3)
    run = pyneuron.Network([2, 8, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=300, snapshots=30, grid=datasets.plane_grid(24), source="spiral", train_ratio=0.5)
    scene = shown(video.BoundaryVideo, [run], tmp_path)
    assert scene.layout_problems == []
    assert len(scene.panels[0].chart.curves) == 2  # training loss, and the test loss dashed


def regression_run(dataset="multi_gauss", **fit):
    x, y = datasets.REGRESSION_2D[dataset](n=150)
    return pyneuron.Network([2, 8, 1], activation="tanh").fit(
        x, y, epochs=300, snapshots=30, grid=datasets.plane_grid(24), source=dataset, **fit)


def test_a_2d_regression_is_a_map_of_its_predicted_value(tmp_path):
    """plane and multi_gauss render as the predicted value over the plane
    (blue above 0, orange below), the data coloured by its targets."""
    runs = [regression_run(), regression_run("plane", train_ratio=0.5)]
    assert video.scene_for(runs) == "boundary"
    scene = shown(video.BoundaryVideo, runs, tmp_path)
    assert scene.layout_problems == []
    for panel in scene.panels:
        traj = panel.traj
        res = int(np.sqrt(traj.grid.shape[0]))
        shown_field = panel.map.field()  # at the end of the video: the final snapshot, upsampled
        want = traj.predictions[-1][:, 0].reshape(res, res)
        np.testing.assert_allclose(shown_field[[0, 0, -1, -1], [0, -1, 0, -1]], want[[0, 0, -1, -1], [0, -1, 0, -1]],
                                   atol=0.02)
    # not recorded on the plane: no map to draw, the dynamics instead
    x, y = datasets.plane(n=50)
    off_plane = pyneuron.Network([2, 3, 1]).fit(x, y, epochs=5, snapshots=3)
    assert video.scene_for([off_plane]) == "gradients"
    with pytest.raises(video.RunsError, match="mix classifiers and regressions"):
        video.check_together([runs[0], boundary_run("tanh")], "boundary")


def test_input_features_are_the_first_column_of_maps(tmp_path):
    """The playground view of a run with input features: a map per feature
    (the feature over the plane, scaled), labelled with its formula."""
    x, y = datasets.circle(n=100)
    names = ["x1^2", "x2^2", "x1*x2", "sin(x1)"]
    run = pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid", features=names).fit(
        x, y, loss="bce", epochs=200, snapshots=20, grid=datasets.plane_grid(24), source="circle")
    first = video.unit_values(run, run.at(run.epochs[-1]).params, run.grid)[0]
    g = run.grid
    want = np.stack([g[:, 0] ** 2, g[:, 1] ** 2, g[:, 0] * g[:, 1], np.sin(g[:, 0])], axis=1)
    np.testing.assert_allclose(first, want / np.abs(want).max(axis=0), rtol=1e-12, atol=1e-15)
    tracker = __import__("manim").ValueTracker(0.0)
    playground = video.PlaygroundDiagram(run, tracker)
    assert [t.text for t in playground.input_labels] == ["x₁²", "x₂²", "x₁x₂", "sinx₁"]
    assert shown(video.BoundaryVideo, [run], tmp_path).layout_problems == []
