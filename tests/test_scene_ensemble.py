"""scenes/ensemble.py: the sweep it shows is the headline runs' (each run
what fit gives), its histogram and fan show the sweep's numbers, its
captions' claims follow from the data, and it renders."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, fresh_dry_run, pixels_near, render_frames

import ensemble  # noqa: E402  (scene_harness put scenes/ on the path)
import pyneuron  # noqa: E402
from pyneuron import datasets  # noqa: E402
from pyneuron.video import losses_at, stuck  # noqa: E402

SMALL = {"seeds": 40, "epochs": 2000, "train_seconds": 1}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(ensemble.OneRunIsAnAnecdote, tmp_path_factory, **SMALL)


@pytest.fixture
def cfg(monkeypatch):
    for key, value in SMALL.items():
        monkeypatch.setenv(f"PYNEURON_{key.upper()}", str(value))
    return ensemble.settings()


def test_layout_stays_inside_the_frame(scene):
    assert scene.layout_problems == []


def test_the_headline_run_is_the_headline_videos(scene, cfg):
    """The runs the video marks as the headline video's are what fit trains
    from the headline settings, bit for bit."""
    x, y = datasets.function(cfg["target"], n=cfg["points"], x_range=cfg["x_range"])
    for act, run in zip(cfg["activations"], ensemble.headline_runs(scene.result, cfg)):
        net = pyneuron.Network(cfg["layers"], activation=act, init=cfg["init"], seed=cfg["headline_seed"])
        traj = net.fit(x, y, optimizer=pyneuron.Adam(lr=cfg["lr"]), epochs=cfg["epochs"])
        assert scene.result.runs[run]["activation"] == act and scene.result.runs[run]["seed"] == cfg["headline_seed"]
        assert scene.result.final_loss[run] == traj.loss[-1]


def test_histogram_bars_are_the_shares_of_the_sweeps_losses(scene):
    hist, result = scene.histogram, scene.result
    for runs, _ in scene.groups:
        for k in (0, len(result.epochs) // 2, len(result.epochs) - 1):
            logs = np.log10(result.loss[runs, k])
            expected = np.histogram(np.clip(logs, hist.lo, hist.hi), hist.edges)[0] / len(runs)
            np.testing.assert_array_equal(hist.shares(runs, k), expected)
        assert hist.shares(runs, 0).sum() == pytest.approx(1.0)


def test_fan_median_and_interpolation(scene):
    result = scene.result
    for runs, _ in scene.groups:
        np.testing.assert_array_equal(scene.fan.median(runs), np.median(result.loss[runs], axis=0))
        # between two snapshots the losses move geometrically, as one run's playhead moves them
        halfway = losses_at(result.loss[runs], 3.5)
        np.testing.assert_allclose(halfway, np.sqrt(result.loss[runs, 3] * result.loss[runs, 4]), rtol=1e-12)


def test_the_captions_claims_follow_from_the_sweep(scene, cfg):
    result = scene.result
    (sig, _), (leaky, _) = scene.groups
    assert len(sig) == len(leaky) == cfg["seeds"]
    # stuck: final loss above the share of the first, counted directly
    for runs in (sig, leaky):
        direct = np.array([not result.final_loss[r] <= cfg["stuck_share"] * result.loss[r, 0] for r in runs])
        np.testing.assert_array_equal(stuck(result, runs, cfg["stuck_share"]), direct)
    # the headline runs' ranks and the paired wins
    head = ensemble.headline_runs(result, cfg)
    assert ensemble.better_than(result, sig, head[0]) == np.mean(result.final_loss[sig] > result.final_loss[head[0]])
    paired = np.mean(result.final_loss[sig] < result.final_loss[leaky])  # sig[i] and leaky[i] share seed i
    assert scene.wins(0) == paired and scene.wins(1) == np.mean(result.final_loss[leaky] < result.final_loss[sig])
    # what the video is about: the same net, the spread of its outcomes over seeds is wide
    assert np.ptp(np.log10(result.final_loss[leaky])) > 1 and (result.dead_fraction[leaky] > 0).any()


def test_a_headline_seed_outside_the_sweep_is_an_error(monkeypatch):
    monkeypatch.setenv("PYNEURON_SEEDS", "10")
    monkeypatch.setenv("PYNEURON_HEADLINE_SEED", "10")
    with pytest.raises(ValueError, match="headline_seed 10 is not among the 10 seeds"):
        ensemble.settings()


def test_renders_non_blank_frames(scene_cache, monkeypatch):
    for key, value in {"seeds": 12, "epochs": 500, "train_seconds": 1.5}.items():
        monkeypatch.setenv(f"PYNEURON_{key.upper()}", str(value))
    frames = render_frames(ensemble.OneRunIsAnAnecdote, scene_cache)
    assert_not_blank(frames)
    for act in ("sigmoid", "leaky_relu"):
        assert pixels_near(frames[-1], ensemble.RUN_COLORS[act]) > 300, f"{act} not visible"
