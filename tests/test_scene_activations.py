"""The activation gallery, scenes/activations.py: settings, a structural run
whose curves, derivatives and shading are checked against pyneuron's
kernels, and a real low-quality render."""
import math

import numpy as np
import pytest
from manim import config

from scene_harness import assert_not_blank, dry_run, pixels_near, render_frames

import activations  # noqa: E402  (scene_harness put scenes/ on the path)
import pyneuron.functional as F

NINE = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus"]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    return dry_run(activations.ActivationGallery, tmp_path_factory.mktemp("media"))


def coords(axes, line):
    """Axes coordinates (n, 2) of both ends of every straight piece of line."""
    ends = line.points.reshape(-1, 4, 3)[:, [0, 3]].reshape(-1, 3)
    return np.asarray(axes.p2c(ends)).T


def test_settings_from_file_and_environment(monkeypatch):
    cfg = activations.settings()
    assert cfg["activations"] == NINE and cfg["threshold"] == 0.05
    monkeypatch.setenv("PYNEURON_ACTIVATIONS", "tanh,relu")
    monkeypatch.setenv("PYNEURON_X_RANGE", "-3,3")
    cfg = activations.settings()
    assert cfg["activations"] == ["tanh", "relu"] and cfg["x_range"] == [-3.0, 3.0]


def test_every_tile_is_drawn_from_the_kernels(gallery):
    assert [t.name for t in gallery.tiles] == NINE
    for tile in gallery.tiles:
        xs, (y_lo, y_hi) = tile.xs, tile.axes.y_range[:2]
        f, df = getattr(F, tile.name), getattr(F, f"{tile.name}_backward")
        for line, kernel in ((tile.curve, f), (tile.derivative, lambda x: df(x, np.ones_like(x)))):
            x, y = coords(tile.axes, line)
            # every anchor is a sample, at the kernel's value, inside the plot
            assert np.abs(xs[np.searchsorted(xs, x - 1e-9)] - x).max() < 1e-9, tile.name
            np.testing.assert_allclose(y, kernel(x), atol=1e-6, err_msg=tile.name)
            assert y.min() >= y_lo - 1e-9 and y.max() <= y_hi + 1e-9
        # the solid curve leaves out no sample inside the plot
        inside = np.flatnonzero((tile.values >= y_lo) & (tile.values <= y_hi))
        drawn = np.unique(np.searchsorted(xs, coords(tile.axes, tile.curve)[0] - 1e-9))
        np.testing.assert_array_equal(drawn, inside, err_msg=tile.name)
        # the derivative is dashed: many pieces, a good share of the samples
        assert len(tile.derivative.get_subpaths()) > 10
        assert 0.4 < len(np.unique(coords(tile.axes, tile.derivative)[0])) / len(xs) < 0.8


def test_relu_derivative_step_is_not_drawn_as_a_line(gallery):
    relu = next(t for t in gallery.tiles if t.name == "relu")
    pieces = relu.derivative.points.reshape(-1, 4, 3)
    rises = np.array([np.diff(np.asarray(relu.axes.p2c(p[[0, 3]]))[:, 1]) for p in pieces])
    assert np.abs(rises).max() < 1e-12  # every dash is flat: at 0 or at 1, nothing between


def test_shading_is_where_the_derivative_is_below_threshold(gallery):
    for tile in gallery.tiles:
        threshold, slope = tile.threshold, tile.slope
        shaded = np.zeros(len(tile.xs), bool)
        for region in tile.regions:
            inside = (tile.xs >= region.lo) & (tile.xs <= region.hi)
            assert region.zero == bool(np.all(slope[inside] == 0)), tile.name
            shaded |= inside
        np.testing.assert_array_equal(shaded, np.abs(slope) < threshold, err_msg=tile.name)
        # the drawn shading spans exactly the regions, full height
        assert len(tile.shading) == len(tile.regions)
        for shade, region in zip(tile.shading, tile.regions):
            x, y = np.asarray(tile.axes.p2c(shade.get_vertices())).T
            np.testing.assert_allclose([x.min(), x.max()], [region.lo, region.hi], atol=1e-9)
            np.testing.assert_allclose([y.min(), y.max()], tile.axes.y_range[:2], atol=1e-9)
    tiles = {t.name: t for t in gallery.tiles}
    assert tiles["identity"].regions == []
    # sigmoid' = 1 / (4 cosh²(x/2)) falls below t at |x| = 2 arccosh(1 / (2 √t))
    edge = 2 * math.acosh(1 / (2 * math.sqrt(0.05)))
    step = tiles["sigmoid"].xs[1] - tiles["sigmoid"].xs[0]
    left, right = tiles["sigmoid"].regions
    assert (left.lo, right.hi) == (-5, 5) and not left.zero and not right.zero
    assert abs(left.hi + edge) < step and abs(right.lo - edge) < step
    (dead,) = tiles["relu"].regions
    assert dead.zero and dead.lo == -5 and abs(dead.hi) < step
    (leaky,) = tiles["leaky_relu"].regions
    assert not leaky.zero and abs(leaky.hi) < step


def test_captions_come_from_the_samples(gallery):
    tiles = {t.name: t for t in gallery.tiles}
    assert tiles["sigmoid"].caption().startswith("sigmoid: f′ ≤ 0.25, |f′| < 0.05 for |x| > 2.9 — saturated")
    assert "exactly 0 for x < 0" in tiles["relu"].caption()
    assert "f′ is 0.01 or 1" in tiles["leaky_relu"].caption() and "never 0" in tiles["leaky_relu"].caption()
    assert "never flat" in tiles["identity"].caption()
    assert "near x = −0.8" in tiles["gelu"].caption()  # GELU's dip, where f′ crosses 0
    assert activations.output_range("elu") == "range (−1, ∞)"
    assert activations.output_range("gelu") == "range [−0.17, ∞)"


def test_layout_fits_the_frame_without_overlaps(gallery):
    boxes = [(t.get_left()[0], t.get_right()[0], t.get_bottom()[1], t.get_top()[1]) for t in gallery.tiles]
    w, h = config.frame_width / 2, config.frame_height / 2
    caption_top = gallery.caption.current.get_top()[1]
    for i, (l, r, b, t) in enumerate(boxes):
        assert -w < l and r < w and caption_top < b and t < h, gallery.tiles[i].name
        for l2, r2, b2, t2 in boxes[i + 1:]:
            assert r <= l2 or r2 <= l or t <= b2 or t2 <= b, "tiles overlap"
    assert gallery.caption.current.width < config.frame_width


def test_environment_chooses_the_tiles(monkeypatch, tmp_path):
    monkeypatch.setenv("PYNEURON_ACTIVATIONS", "tanh,relu")
    monkeypatch.setenv("PYNEURON_TILE_SECONDS", "0.5")
    scene = dry_run(activations.ActivationGallery, tmp_path)
    assert [t.name for t in scene.tiles] == ["tanh", "relu"]
    assert scene.tiles[0].axes.get_center()[0] < scene.tiles[1].axes.get_center()[0]
    monkeypatch.setenv("PYNEURON_ACTIVATIONS", "swish")
    with pytest.raises(ValueError, match="PYNEURON_ACTIVATIONS=swish: activations: 'swish' is not one of identity"):
        dry_run(activations.ActivationGallery, tmp_path)


def test_renders_non_blank_frames(monkeypatch, tmp_path, gallery):
    monkeypatch.setenv("PYNEURON_TILE_SECONDS", "0.5")
    monkeypatch.setenv("PYNEURON_HOLD_SECONDS", "1")
    frames = render_frames(activations.ActivationGallery, tmp_path)
    assert len(frames) > 100
    assert_not_blank(frames, start_fraction=0.5)  # the title card takes ~4.4 s of this ~11 s video
    last = frames[-1]
    height, width = last.shape[:2]
    for tile in gallery.tiles:  # the dry run's layout is the render's: each curve shows in its own plot
        (l, b, _), (r, t, _) = tile.axes.get_corner([-1, -1, 0]), tile.axes.get_corner([1, 1, 0])
        cols = slice(int((l / config.frame_width + 0.5) * width), int((r / config.frame_width + 0.5) * width))
        rows = slice(int((0.5 - t / config.frame_height) * height), int((0.5 - b / config.frame_height) * height))
        assert pixels_near(last[rows, cols], tile.run_color) > 30, f"{tile.name} curve not visible in its plot"


def test_nothing_leaves_the_frame_or_covers_a_caption(gallery):
    assert gallery.layout_problems == []
