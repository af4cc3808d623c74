"""scenes/softmax.py: every number it shows agrees with an independent
float64 computation, its text stays inside the frame, its settings apply,
and it renders."""
import math

import numpy as np
import pytest

from scene_harness import assert_not_blank, dry_run, fresh_dry_run, pixels_near, render_frames

import softmax as softmax_scene  # noqa: E402  (scene_harness put scenes/ on the path)

PACE = "0.15"


def reference_softmax(z):
    """Softmax in plain Python floats, max subtracted: independent of numpy and pyneuron."""
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    return np.array([e / sum(exps) for e in exps])


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return fresh_dry_run(softmax_scene.Softmax, tmp_path_factory, pace=PACE)


def test_worked_example_shows_float64_softmax(scene):
    w = scene.worked
    z = [2.0, 1.0, 0.1]
    np.testing.assert_array_equal(w["logits"], z)
    np.testing.assert_allclose(w["exps"], [math.exp(v) for v in z], rtol=1e-15)
    assert w["total"] == pytest.approx(math.exp(2) + math.exp(1) + math.exp(0.1), rel=1e-15)
    np.testing.assert_allclose(w["probabilities"], reference_softmax(z), rtol=0, atol=1e-12)
    assert abs(w["probabilities"].sum() - 1) < 1e-12
    assert [f"{p:.2f}" for p in w["probabilities"]] == ["0.66", "0.24", "0.10"]
    # bars are drawn to scale: logits against the largest, probabilities against 1
    logit_bars, exp_bars, probability_bars = w["bar_lengths"]
    space = softmax_scene.BAR_SPACE
    np.testing.assert_allclose(logit_bars, np.array(z) / max(z) * space, atol=1e-9)
    np.testing.assert_allclose(exp_bars, w["exps"] / w["exps"].max() * space, atol=1e-9)
    np.testing.assert_allclose(probability_bars, w["probabilities"] * space, atol=1e-9)


def test_overflow_is_real_and_the_shift_removes_it(scene):
    o = scene.overflow
    z = [1000.0, 999.0, 998.0]
    assert np.isposinf(o["naive_exps"]).all() and np.isposinf(o["naive_total"])
    assert np.isnan(o["naive_probabilities"]).all()
    np.testing.assert_array_equal(o["shifted_logits"], [0.0, -1.0, -2.0])
    assert np.isfinite(o["shifted_exps"]).all() and o["shifted_exps"].max() == 1.0
    np.testing.assert_allclose(o["probabilities"], reference_softmax(z), rtol=0, atol=1e-12)
    # the same distribution as logits [2, 1, 0]: softmax ignores a common shift
    np.testing.assert_allclose(o["probabilities"], reference_softmax([2.0, 1.0, 0.0]), rtol=0, atol=1e-12)


def test_sigmoids_do_not_compete_softmax_does(scene):
    v = scene.versus
    z = np.array([2.0, 1.0, 0.1])
    np.testing.assert_allclose(v["sigmoids"], 1 / (1 + np.exp(-z)), rtol=1e-14)
    assert f"{v['sigmoids'].sum():.2f}" == "2.14"  # not a distribution
    raised = v["raised_logits"] != z
    assert raised.tolist() == [False, False, True]  # the smallest logit is the one raised
    np.testing.assert_array_equal(v["raised_sigmoids"][~raised], v["sigmoids"][~raised])
    assert (v["raised_softmax"][~raised] < v["softmax"][~raised]).all()
    np.testing.assert_allclose(v["raised_softmax"], reference_softmax(v["raised_logits"]), rtol=0, atol=1e-12)


def test_trained_softmax_sums_to_one_and_the_sigmoids_do_not(scene):
    softmax_run, sigmoid_run = scene.trained["softmax"], scene.trained["sigmoid"]
    np.testing.assert_allclose(softmax_run.predictions.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    sigmoid_sums = sigmoid_run.predictions.sum(axis=-1)
    assert np.abs(sigmoid_sums - 1).max() > 0.3
    for run in (softmax_run, sigmoid_run):
        assert run.epochs[-1] == 2000 and run.loss[-1] < 0.1 * run.loss[0]


def test_text_stays_in_the_frame_and_out_of_the_captions(scene):
    assert scene.layout_problems == []


def test_logits_from_the_environment(monkeypatch, scene_cache):
    monkeypatch.setenv("PYNEURON_LOGITS", "3,1,0.2")
    monkeypatch.setenv("PYNEURON_PACE", PACE)
    scene = dry_run(softmax_scene.Softmax, scene_cache)
    np.testing.assert_array_equal(scene.worked["logits"], [3.0, 1.0, 0.2])
    np.testing.assert_allclose(scene.worked["probabilities"], reference_softmax([3.0, 1.0, 0.2]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(scene.versus["sigmoids"], 1 / (1 + np.exp(-np.array([3.0, 1.0, 0.2]))), rtol=1e-14)


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("PYNEURON_LARGE_LOGITS", "700,699,698")
    with pytest.raises(ValueError, match="large_logits must overflow"):
        softmax_scene.settings()
    monkeypatch.setenv("PYNEURON_LOGITS", "1,2")
    with pytest.raises(ValueError, match="logits has 2 values for 3 classes"):
        softmax_scene.settings()
    monkeypatch.setenv("PYNEURON_CLASSES", "a,b,c,d,e")
    with pytest.raises(ValueError, match="classes must be a list of 2 to 4 items"):
        softmax_scene.settings()


def test_renders_non_blank_frames(monkeypatch, scene_cache):
    monkeypatch.setenv("PYNEURON_PACE", PACE)
    frames = render_frames(softmax_scene.Softmax, scene_cache)
    assert len(frames) > 150
    assert_not_blank(frames)
    # the summary's three key phrases, in the first three class colours
    for color in softmax_scene.CLASS_COLORS[:3]:
        assert pixels_near(frames[-1], color) > 150, f"{color} missing from the summary"
