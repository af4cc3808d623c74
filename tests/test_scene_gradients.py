"""scenes/gradients.py: the recorded statistics show what the captions say
(vanishing gradients in the deep sigmoid net, dead ReLU units), the unit
states it draws agree with the C loop's records, and it renders."""
import numpy as np
import pytest

from scene_harness import assert_not_blank, fresh_dry_run, pixels_near, render_frames

import gradients  # noqa: E402  (scene_harness put scenes/ on the path)
from pyneuron.video import units_off  # noqa: E402


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(gradients.VanishingAndDying, tmp_path_factory, train_seconds=1)


def test_a_bad_dataset_is_an_error(monkeypatch):
    monkeypatch.setenv("PYNEURON_DEEP_DATA", "moons")
    with pytest.raises(ValueError, match="PYNEURON_DEEP_DATA=moons: deep_data must be one of circle"):
        gradients.settings()


def test_sigmoid_gradient_vanishes_towards_the_input(scene):
    sigmoid, relu = scene.deep_trajectories
    start = sigmoid.grad_norms[0][:-1]  # hidden layers, input side first
    # shrinking layer by layer, by orders of magnitude in all
    assert np.all(np.diff(np.log10(start)) > 0)
    assert start[0] < 1e-3 * start[-1]
    assert relu.grad_norms[0][0] > 0.05 * relu.grad_norms[0][-2]
    assert sigmoid.loss[-1] > 0.9 * np.log(2) and relu.loss[-1] < 0.01


def test_bars_show_the_recorded_norms(scene):
    bars = scene.bars[0]
    np.testing.assert_allclose(bars.norms(), scene.deep_trajectories[0].grad_norms[-1])
    tops = [bars.axes.p2c(bar.get_top())[1] + bars.lo for bar in bars.bars]
    expected = np.clip(np.log10(scene.deep_trajectories[0].grad_norms[-1]), bars.lo + 0.02, bars.hi)
    np.testing.assert_allclose(tops, expected, atol=1e-6)


def test_unit_states_agree_with_the_recorded_dead_fractions(scene):
    x, _ = gradients.dying_data(gradients.settings())
    for traj in scene.dying_trajectories:
        for s in (0, len(traj) // 3, len(traj) - 1):
            off = units_off(traj, traj.at(traj.epochs[s]).params, x)
            per_layer = np.split(off, np.cumsum(traj.sizes[1:-2]))
            # the C loop records the dead fraction for relu and leaky_relu alike
            np.testing.assert_allclose([p.mean() for p in per_layer], traj.unit_stats[s, :-1, 0])


def test_dead_relu_units_stay_dead_and_leaky_units_keep_learning(scene):
    relu, leaky = scene.dying_trajectories
    x, _ = gradients.dying_data(gradients.settings())
    middle, last = len(relu) // 2, len(relu) - 1
    dead_then = units_off(relu, relu.at(relu.epochs[middle]).params, x)
    dead_now = units_off(relu, relu.at(relu.epochs[last]).params, x)
    assert dead_then.mean() > 0.5
    assert np.all(dead_now[dead_then]), "a dead ReLU unit came back"
    # no gradient reaches a dead first-layer unit: once Adam's momentum from
    # before it died has decayed (0.9^t), its weights stop moving
    later = int(np.searchsorted(relu.epochs, relu.epochs[-1] // 3))
    frozen = dead_then[:relu.sizes[1]]
    for name in ("W", "b"):
        a, b = relu.params[0][name][later], relu.params[0][name][last]
        np.testing.assert_allclose(a[..., frozen], b[..., frozen], rtol=0, atol=1e-12)
    # leaky units that are off for every input still change
    off = units_off(leaky, leaky.at(leaky.epochs[middle]).params, x)[:leaky.sizes[1]]
    moved = np.abs(leaky.params[0]["W"][last] - leaky.params[0]["W"][middle]).max(axis=0)
    assert off.any() and np.all(moved[off] > 0)
    assert leaky.loss[-1] < 0.1 * relu.loss[-1]


def test_renders_non_blank_frames(scene_cache, monkeypatch):
    monkeypatch.setenv("PYNEURON_TRAIN_SECONDS", "1.5")
    frames = render_frames(gradients.VanishingAndDying, scene_cache)
    assert_not_blank(frames)
    last = frames[-1]
    for act, half in (("relu", slice(0, 427)), ("leaky_relu", slice(427, 854))):
        assert pixels_near(last[:, half], gradients.RUN_COLORS[act]) > 300, f"{act} panel not visible"


def test_nothing_leaves_the_frame_or_covers_a_caption(scene):
    assert scene.layout_problems == []
