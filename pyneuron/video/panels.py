"""Panels: one recorded run drawn for a task, following a playhead --
a 1-D fit (prediction over the target, network diagram, readout), a
decision-boundary heatmap of a 2-D classifier (or the value map of a 2-D
regression), the playground's per-unit maps (input features included), per-layer gradient bars and the on/off state of every unit."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, RIGHT, UP, LEFT, Axes, DashedVMobject, Dot, Group, ImageMobject, Rectangle, Square,
                   ValueTracker, VGroup, config)
from PIL.Image import Resampling

from .. import Trajectory, features
from .. import functional as F
from .._expr import compile_expression
from ..datasets import EXTENT, plane_grid
from .runs import Playhead, epoch_and_loss, replay
from .theme import (BACKGROUND, FIELD_MID, FORMULAS, MUTED, NEGATIVE, POSITIVE, TARGET, TEXT, Label, label, sci, superscript,
                    text)
from .widgets import (GlyphReadout, LossChart, NetworkDiagram, clip_to_axes, follow_curve, polyline, to_points,
                      weight_scale)

__all__ = ["FitPanel", "Heatmap", "BoundaryPanel", "output_map", "PlaygroundDiagram", "GradientBars", "UnitGrid", "FitPlot",
           "prediction_field", "probability_to_unit", "field_colors", "unit_values", "units_off", "LOGITS", "DEAD"]

DEAD = "#3a3f4b"  # a unit that is off for every input and gets no gradient


class FitPanel(VGroup):
    """One 1-D run: header, axes with the target (the run's expression,
    dashed, or its training data as dots) and the prediction, a network
    diagram, an epoch and loss readout -- all following the playhead
    ``tracker``.  The prediction is clipped to the axes; the readout says
    when it has left them."""

    def __init__(self, traj: Trajectory, tracker: ValueTracker, x_range, y_range, center, w_max: float, color: str,
                 width: float = 5.6, height: float = 2.9, title_size: float = 30):
        super().__init__()
        self.traj, self.play_head, self.tracker, self.color = traj, Playhead(traj), tracker, color
        info = traj.info
        narrow = width < 3  # four panels in a row: fewer ticks, smaller readout
        self.axes = Axes(x_range=round_axis(*x_range, ticks=2 if narrow else 4),
                         y_range=[y_range[0], y_range[1], _tick_step(y_range)], x_length=width, y_length=height,
                         axis_config={"color": MUTED, "stroke_width": 2, "include_numbers": True,
                                      "font_size": 18, "label_constructor": Label},
                         tips=False).move_to(center)
        alpha = info.alphas[0] if info.alphas else None
        name = text(label(info.activation, alpha), title_size, color)
        formula = text(FORMULAS.get(info.activation, ""), 20, MUTED)
        self.header = VGroup(name, formula).arrange(RIGHT, buff=0.3, aligned_edge=DOWN)
        if self.header.width > width:  # a narrow panel: the formula goes under the name
            if formula.width > width + 0.6:
                formula.scale_to_fit_width(width + 0.6)
            self.header = VGroup(name, formula).arrange(DOWN, buff=0.08)
        self.header.next_to(self.axes, UP, buff=0.25)
        grid = traj.grid[:, 0]
        if info.target is not None:
            y, _ = clip_to_axes(self.axes, compile_expression(info.target)(grid))
            self.target = DashedVMobject(polyline(to_points(self.axes, grid, y), TARGET, 3), num_dashes=40)
        else:
            self.target = _data_dots(self.axes, traj)
        self.curve = follow_curve(self._prediction_points, color, 5)
        self.readout = GlyphReadout(12 if narrow else 20 * title_size / 30, TEXT).follow(
            self._readout_text, lambda g: g.next_to(self.axes, DOWN, buff=0.3))
        self.diagram = NetworkDiagram(traj.sizes, w_max=w_max).scale(0.8)
        self.diagram.add_updater(lambda d: d.set_weights(self.play_head.at(self.tracker.get_value()).params))
        self.add(self.header, self.axes, self.target)

    def state(self):
        return self.play_head.at(min(self.tracker.get_value(), len(self.traj) - 1))

    def _prediction_points(self):
        y, _ = clip_to_axes(self.axes, self.state().predictions[:, 0])
        return to_points(self.axes, self.traj.grid[:, 0], y)

    def _readout_text(self):
        u = self.tracker.get_value()
        if self.traj.diverged_at is not None and u >= len(self.traj) - 1:
            return f"diverged at epoch {self.traj.diverged_at:,}"
        state = self.state()
        if clip_to_axes(self.axes, state.predictions[:, 0])[1]:  # compact: the note must fit under the axes
            return f"epoch {int(round(state.epoch)):,}  loss {sci(state.loss)}  (off chart)"
        return f"epoch {int(round(state.epoch)):>6,}   loss {sci(state.loss)}"


def round_axis(lo: float, hi: float, ticks: int = 4) -> list[float]:
    """An axis range [lo', hi', step] covering lo..hi with at least ``ticks``
    steps of a round size (1, 2, 2.5 or 5 times a power of ten), from a
    multiple of it: ticks read 0, 0.5, 1 ..., never 0.0213, 0.7515 ...
    (``(0, 1)`` stays ``[0, 1, 0.25]``)."""
    raw = (hi - lo) / ticks
    power = 10.0 ** np.floor(np.log10(raw))
    step = max(m * power for m in (1, 2, 2.5, 5) if m * power <= raw * 1.001)  # never an axis far past the data
    start, stop = np.floor(lo / step + 1e-9) * step, np.ceil(hi / step - 1e-9) * step
    return [float(start), float(stop), float(step)]


def _tick_step(y_range) -> float:
    """A round tick step giving two to five ticks over y_range."""
    span = y_range[1] - y_range[0]
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if span / step <= 5:
            return step
    return span / 4


def _data_dots(axes, traj: Trajectory, most: int = 200) -> VGroup:
    """The training data of a run without a target expression, as dots (at
    most ``most`` of them, evenly picked), clipped to the axes."""
    if traj.data_x is None:
        return VGroup()
    pick = np.linspace(0, len(traj.data_x) - 1, min(most, len(traj.data_x))).astype(int)
    x, y = traj.data_x[pick, 0], np.asarray(traj.data_y, float).reshape(len(traj.data_x), -1)[pick, 0]
    y, _ = clip_to_axes(axes, y)
    return VGroup(*[Dot(p, radius=0.03, color=TARGET, fill_opacity=0.7) for p in to_points(axes, x, y)])


# ------------------------------------------------------------ the heatmaps

def rgb(color: str) -> np.ndarray:
    return np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)], float)


def field_colors(values: np.ndarray, strength: float = 0.85) -> np.ndarray:
    """Values in [-1, 1] -> RGB as the playground colours them: orange at -1,
    blue at +1, through a dark grey at 0 (the decision boundary).  Fields
    stay below full ``strength``: the data, at full strength, must stand out."""
    v = np.clip(values, -1, 1)[..., None] * strength
    mid = rgb(FIELD_MID)
    return mid + np.maximum(v, 0) * (rgb(POSITIVE) - mid) + np.maximum(-v, 0) * (rgb(NEGATIVE) - mid)


def upsampling(resolution: int, pixels: int) -> np.ndarray:
    """The (pixels, resolution) matrix of bilinear interpolation from grid
    points to pixel centres: the image is M @ values @ M.T."""
    t = np.clip((np.arange(pixels) + 0.5) / pixels * (resolution - 1), 0, resolution - 1)
    i = np.minimum(np.floor(t).astype(int), resolution - 2)
    w = t - i
    m = np.zeros((pixels, resolution))
    m[np.arange(pixels), i], m[np.arange(pixels), i + 1] = 1 - w, w
    return m


def dot_layer(x: np.ndarray, values: np.ndarray, pixels: int, radius: float, outlined: np.ndarray | None = None):
    """The data, drawn into the heatmap rather than as hundreds of mobjects:
    discs in the colour of their value in [-1, 1] (a class: -1 or +1; a
    regression target: itself) at full strength, with a light rim, anti-aliased; the
    ``outlined`` ones (test points) with a dark rim, as TensorFlow
    Playground draws its test data.  Returned sparse, as (flat pixel
    indices, alpha, alpha * colour) of the covered pixels."""
    outlined = np.zeros(len(x), bool) if outlined is None else outlined
    alpha, color = np.zeros((pixels, pixels, 1)), np.zeros((pixels, pixels, 3))
    centres = (x * [1, -1] + EXTENT) / (2 * EXTENT) * pixels  # (column, row) in pixels
    reach = int(np.ceil(radius)) + 1
    fills = field_colors(np.asarray(values, float), strength=1.0)
    for (cx, cy), fill_rgb, dark in zip(centres, fills, outlined):
        c0, r0 = int(cx) - reach, int(cy) - reach
        (top, bottom), (left, right) = ((max(v, 0), min(v + 2 * reach + 1, pixels)) for v in (r0, c0))
        if top >= bottom or left >= right:  # a point off the square (noisy data spreads past it)
            continue
        rows, cols = np.mgrid[top:bottom, left:right]
        d = np.hypot(cols + 0.5 - cx, rows + 0.5 - cy)
        cover = np.clip(radius + 0.5 - d, 0, 1)[..., None]
        rim = rgb(BACKGROUND if dark else TEXT)
        fill = np.where((d < radius - (1.6 if dark else 1.0))[..., None], fill_rgb, rim)
        alpha[rows, cols] = np.maximum(alpha[rows, cols], cover)
        color[rows, cols] = np.where(cover > 0, fill, color[rows, cols])
    covered = np.flatnonzero(alpha[..., 0] > 0)
    alpha, color = alpha.reshape(-1, 1)[covered], color.reshape(-1, 3)[covered]
    return covered, alpha, alpha * color


class Heatmap(ImageMobject):
    """A field over the square [-6, 6]^2, drawn in place every frame in which
    ``key()`` changes: ``field_of()`` is a (resolution, resolution) array of
    values in ``domain``, upsampled smoothly to pixels and coloured by
    ``field_colors(to_unit(value))``; the data, if given, on top: (x,
    values in [-1, 1][, outlined]), see :func:`dot_layer`.  One image
    pixel per screen pixel at the render's quality: manim then only has to
    copy it."""

    LEVELS = 2048  # colour steps over the domain

    def __init__(self, field_of, key, resolution: int, side: float, data=None, to_unit=None, domain=(-1.0, 1.0)):
        self.field_of, self.key, self.shown = field_of, key, None
        pixels = max(8, int(np.ceil(side / config.frame_height * config.pixel_height)))
        up = upsampling(resolution, pixels).astype(np.float32)
        self.up, self.up_t = up, np.ascontiguousarray(up.T)
        # to_unit is applied to the palette, once, not to every pixel of every frame
        self.lo, self.step = domain[0], (domain[1] - domain[0]) / (self.LEVELS - 1)
        levels = np.linspace(*domain, self.LEVELS)
        self.palette = np.round(field_colors(to_unit(levels) if to_unit else levels)).astype(np.uint8)
        self.dots = (dot_layer(data[0], data[1], pixels, radius=pixels / 70, outlined=data[2] if len(data) > 2 else None)
                     if data is not None else None)
        super().__init__(np.zeros((pixels, pixels, 4), np.uint8), resampling_algorithm=Resampling.BILINEAR)
        self.pixel_array[..., 3] = 255
        self.refresh()
        self.height = side
        self.add_updater(lambda m: m.refresh())

    def field(self) -> np.ndarray:
        """The field at pixel resolution."""
        # pyneuron's own GEMM: single-threaded, so no BLAS thread pool fights manim for the cores
        return F.dense(F.dense(self.up, np.ascontiguousarray(self.field_of(), np.float32)), self.up_t)

    def refresh(self):
        if self.key() == self.shown:
            return
        self.shown = self.key()
        levels = np.clip(((self.field() - self.lo) / self.step + 0.5).astype(np.int32), 0, self.LEVELS - 1)
        image = np.take(self.palette, levels, axis=0)
        if self.dots is not None:
            covered, alpha, premultiplied = self.dots
            flat = image.reshape(-1, 3)
            flat[covered] = flat[covered] * (1 - alpha) + premultiplied + 0.5
        self.pixel_array[..., :3] = image  # alpha is left to manim's fades


def prediction_field(state, resolution: int):
    """Output logits on the grid: smooth where the probability is steep, so
    they upsample into a crisp boundary; ``probability_to_unit`` colours them."""
    p = np.clip(state.predictions[:, 0], 1e-12, 1 - 1e-12).reshape(resolution, resolution)
    return np.log(p) - np.log1p(-p)


def probability_to_unit(logit: np.ndarray) -> np.ndarray:
    return np.tanh(logit / 2)  # = 2 sigmoid(logit) - 1


LOGITS = (-16.0, 16.0)  # past these the colour no longer changes


# ------------------------------------------------------------ per-unit maps

def unit_values(traj: Trajectory, params: list[dict], grid: np.ndarray) -> list[np.ndarray]:
    """Each layer's activations over the grid, (G, units), scaled to [-1, 1]
    for colouring: sigmoid-type outputs from (0, 1), unbounded ones by their
    largest magnitude on the grid.  The input column is the run's input
    features, if it had any, else x1, x2 themselves."""
    inputs = grid if traj.features is None else features.expand(grid, traj.features)
    layers = [inputs / np.maximum(np.abs(inputs).max(axis=0), 1e-12)]
    for (_, a), name in zip(replay(traj, params, grid), (*traj.info.activations, traj.info.output_activation)):
        if name == "sigmoid":
            layers.append(2 * a - 1)
        elif name == "tanh":
            layers.append(a)
        else:
            layers.append(a / max(float(np.abs(a).max()), 1e-12))
    return layers


def _train_and_test_points(traj: Trajectory):
    """(x, values in [-1, 1], outlined) of a run's training data and,
    outlined, its test set: classes as -1 and +1, regression targets as
    they are (clipped)."""
    regression = traj.info.task == "regression"

    def labels_of(y, n):
        y = np.asarray(y, float).reshape(n, -1)[:, 0]
        return np.clip(y, -1, 1) if regression else np.where(y > 0.5, 1.0, -1.0)
    x, labels = traj.data_x, labels_of(traj.data_y, len(traj.data_x))
    if traj.test is None or traj.test.x.shape[1] != 2:
        return x, labels, np.zeros(len(x), bool)
    tx, tl = traj.test.x, labels_of(traj.test.y, len(traj.test.x))
    return (np.concatenate([x, tx]), np.concatenate([labels, tl]),
            np.concatenate([np.zeros(len(x), bool), np.ones(len(tx), bool)]))


def output_map(traj: Trajectory, state, key, side: float, data) -> Heatmap:
    """The network's output over the plane at ``state()``: a classifier's
    decision boundary (the probability of the blue class, upsampled as
    logits), or a regression's predicted value."""
    res = int(round(np.sqrt(traj.grid.shape[0])))
    if traj.info.task == "regression":
        return Heatmap(lambda: state().predictions[:, 0].reshape(res, res), key, res, side, data=data)
    return Heatmap(lambda: prediction_field(state(), res), key, res, side, data=data, to_unit=probability_to_unit,
                   domain=LOGITS)


class BoundaryPanel(Group):
    """One run: its title, the heatmap with the data, an epoch/loss readout and
    a loss chart, following the snapshot index ``tracker``.  A classifier's
    map is its decision boundary (the probability of the blue class); a
    regression's, its predicted value (blue above 0, orange below, full
    colour at +-1, as the playground's)."""

    def __init__(self, traj, title: str, subtitle: str, data, color: str, tracker: ValueTracker, side: float = 3.5):
        """``data``: (x, values in [-1, 1][, outlined]) to draw on the map;
        None: the run's own training data and test set."""
        super().__init__()
        self.traj, self.tracker, self.head = traj, tracker, Playhead(traj)
        if data is None and traj.data_x is not None:
            data = _train_and_test_points(traj)
        self.header = VGroup(text(title, 24, color), text(subtitle, 16, MUTED))
        self.map = output_map(traj, self.state, tracker.get_value, side, data)
        self.border = Square(side, stroke_color=MUTED, stroke_width=1.5).move_to(self.map)
        # by centre, not by edge: descenders would shift one header against another
        self.header[0].set_y(self.map.get_top()[1] + 0.68)
        self.header[1].set_y(self.map.get_top()[1] + 0.27)
        self.readout = GlyphReadout(16 if side >= 3.5 else 12, TEXT).follow(lambda: epoch_and_loss(self.state()),
                                                     lambda g: g.next_to(self.map, DOWN, buff=0.16))
        self.chart = LossChart([traj], tracker, width=side - 0.6, height=0.8,
                               title="loss: training —, test - - (log-log)" if traj.test is not None
                               else "loss vs epoch (log-log)", font_size=12, colors=[color])
        self.chart.next_to(self.map, DOWN, buff=0.5).shift(RIGHT * 0.3)
        self.add(self.header, self.map, self.border, self.chart, self.readout, *self.chart.curves)

    def state(self):
        return self.head.at(min(self.tracker.get_value(), len(self.traj) - 1))

    def place(self, center) -> "BoundaryPanel":
        """Put the heatmap's centre at ``center``."""
        return self.shift(center - self.map.get_center())


class PlaygroundDiagram(Group):
    """The network as the playground draws it: every unit a small heatmap of
    its activation over the plane, edges coloured and sized by the weights,
    and the output's map, with the data, large on the right."""

    def __init__(self, traj, tracker: ValueTracker, unit_side: float = 0.78):
        """The output's map shows the run's training data and, outlined, its test set."""
        super().__init__()
        self.traj, self.tracker, self.head = traj, tracker, Playhead(traj)
        res = int(round(np.sqrt(traj.grid.shape[0])))
        self.grid = plane_grid(res)
        unit_side = min(unit_side, 3.3 / max(traj.sizes))  # a tall column (7 features, 8 units) still fits
        self.diagram = NetworkDiagram(traj.sizes, width=7.6, height=4.0, w_max=weight_scale(traj),
                                      node=lambda: Square(unit_side, stroke_color=MUTED, stroke_width=1.5))
        self.diagram.move_to(LEFT * 2.3 + DOWN * 0.1)
        self._frame_values, self._frame_u = None, None
        maps = [Heatmap(lambda l=l, j=j: self.values(l)[:, j].reshape(res, res), tracker.get_value, res,
                        unit_side - 0.04)
                .move_to(node) for l, layer in enumerate(self.diagram.neurons) for j, node in enumerate(layer)]
        self.output = output_map(traj, lambda: self.head.at(tracker.get_value()), tracker.get_value, 3.4,
                                 _train_and_test_points(traj))
        self.output.move_to(RIGHT * 4.6 + DOWN * 0.1)
        info = traj.info
        names = info.features or ("x1", "x2")
        self.input_labels = VGroup(*[text(features.label(name), 15, TEXT).next_to(node, LEFT, buff=0.12)
                                     for name, node in zip(names, self.diagram.neurons[0])])
        titles = ["features" if info.features else "inputs"] + [f"layer {l + 1}: {label(a, al)}" for l, (a, al) in
                                      enumerate(zip(info.activations, info.alphas))] + [
            f"output: {label(info.output_activation)}"]
        self.titles = VGroup(*[text(t, 15, MUTED).next_to(layer[0], UP, buff=0.2).set_y(2.45)
                               for t, layer in zip(titles, self.diagram.neurons)])
        self.diagram.add_updater(lambda d: d.set_weights(self.head.at(tracker.get_value()).params))
        self.add(self.diagram, *maps, self.output, Square(3.4, stroke_color=MUTED, stroke_width=1.5)
                 .move_to(self.output), self.titles, self.input_labels)

    def values(self, layer: int) -> np.ndarray:
        """Every layer's scaled activations at the playhead, computed once a frame."""
        u = self.tracker.get_value()
        if u != self._frame_u:
            self._frame_u = u
            self._frame_values = unit_values(self.traj, self.head.at(u).params, self.grid)
        return self._frame_values[layer]


# ------------------------------------------------------------ training dynamics

def units_off(traj: Trajectory, params: list[dict], x: np.ndarray) -> np.ndarray:
    """For every hidden unit, layer after layer: is its pre-activation <= 0
    for every training input?  Through a ReLU such a unit passes back no
    gradient at all, so nothing can turn it back on."""
    return np.concatenate([(z <= 0).all(axis=0) for z, _ in replay(traj, params, x)[:-1]])


# ----------------------------------------------------------------- widgets

class GradientBars(VGroup):
    """One bar per layer: its gradient norm at the playhead, on a log scale
    shared by both runs so that their bars compare."""

    def __init__(self, traj, tracker: ValueTracker, log_range, color: str, width: float = 5.4, height: float = 3.0):
        super().__init__()
        self.head, self.tracker, (self.lo, self.hi) = Playhead(traj), tracker, log_range
        layers = traj.grad_norms.shape[1]
        # y is log10(norm) - lo, so that the x axis sits at the bottom
        self.axes = Axes(x_range=[0, layers, 1], y_range=[0, self.hi - self.lo, 1], x_length=width, y_length=height,
                         axis_config={"color": MUTED, "stroke_width": 2}, x_axis_config={"include_ticks": False},
                         tips=False)
        step = max(1, int(np.ceil((self.hi - self.lo) / 4)))
        ticks = VGroup(*[text(f"10{superscript(p)}", 15, MUTED).next_to(self.axes.c2p(0, p - self.lo), LEFT, 0.1)
                         for p in range(int(self.hi), int(self.lo) - 1, -step)])
        names = VGroup(*[Label(str(l + 1) if l < layers - 1 else "out", font_size=15)
                         .next_to(self.axes.c2p(l + 0.5, 0), DOWN, 0.12) for l in range(layers)])
        axis_name = text("layer", 15, MUTED).next_to(names, DOWN, buff=0.1)
        self.bars = VGroup(*[Rectangle(width=0.1, height=0.1, fill_color=color, fill_opacity=0.85, stroke_width=0)
                             for _ in range(layers)])
        self.bars.add_updater(lambda bars: self._resize())
        self._resize()
        self.add(self.axes, ticks, names, axis_name, self.bars)

    def norms(self) -> np.ndarray:
        return self.head.at(self.tracker.get_value()).grad_norms

    def _resize(self):
        heights = np.clip(np.log10(np.maximum(self.norms(), 1e-300)) - self.lo, 0.02, self.hi - self.lo)
        for l, (bar, top) in enumerate(zip(self.bars, heights)):
            left, right = self.axes.c2p(l + 0.18, 0), self.axes.c2p(l + 0.82, 0)
            bar.set_points_as_corners([left, right, self.axes.c2p(l + 0.82, top), self.axes.c2p(l + 0.18, top), left])


class UnitGrid(VGroup):
    """Every hidden unit as a dot, a row per layer: filled while it is on for
    some input; when it is off for all of them, a grey dot if its activation
    passes back no gradient there (dead), a ring if it still passes some."""

    def __init__(self, traj, tracker: ValueTracker, x: np.ndarray, color: str, spacing: float = 0.165):
        super().__init__()
        self.traj, self.head, self.tracker, self.x, self.color = traj, Playhead(traj), tracker, x, color
        self.dies = traj.info.activations[0] == "relu"
        self._off_at, self._off = None, None
        rows = traj.sizes[1:-1]
        self.dots = VGroup(*[Dot([(j - (n - 1) / 2) * spacing, -l * spacing * 1.6, 0], radius=spacing * 0.36)
                             for l, n in enumerate(rows) for j in range(n)])
        self.dots.add_updater(lambda dots: self._restyle())
        self._restyle()
        self.add(self.dots)

    def off(self) -> np.ndarray:
        """Which units are off at the playhead; computed once a frame (the dots and the readout both ask)."""
        u = self.tracker.get_value()
        if u != self._off_at:
            self._off_at, self._off = u, units_off(self.traj, self.head.at(u).params, self.x)
        return self._off

    def _restyle(self):
        for dot, off in zip(self.dots, self.off()):
            if not off:
                dot.set_style(fill_color=self.color, fill_opacity=1.0, stroke_width=0)
            elif self.dies:
                dot.set_style(fill_color=DEAD, fill_opacity=1.0, stroke_width=0)
            else:
                dot.set_style(fill_opacity=0.0, stroke_color=self.color, stroke_width=1.5, stroke_opacity=0.8)


class FitPlot(VGroup):
    """The target (dashed) and the prediction at the playhead, clipped to
    the axes; ``off_chart()`` says when the prediction has left them."""

    def __init__(self, traj, tracker: ValueTracker, target: str, color: str, x_range, width=5.2, height=2.2):
        super().__init__()
        self.head, self.tracker, self.grid = Playhead(traj), tracker, traj.grid[:, 0]
        y = compile_expression(target)(self.grid)
        pad = 0.25 * (y.max() - y.min())
        self.axes = Axes(x_range=round_axis(*x_range, ticks=4),
                         y_range=[y.min() - pad, y.max() + pad, 1], x_length=width, y_length=height,
                         axis_config={"color": MUTED, "stroke_width": 2}, tips=False)
        self.target = DashedVMobject(polyline(to_points(self.axes, self.grid, y), TARGET, 2.5), num_dashes=50)
        self.curve = follow_curve(self._points, color, 4)
        self.add(self.axes, self.target, self.curve)

    def off_chart(self) -> bool:
        return clip_to_axes(self.axes, self.head.at(self.tracker.get_value()).predictions[:, 0])[1]

    def _points(self):
        y, _ = clip_to_axes(self.axes, self.head.at(self.tracker.get_value()).predictions[:, 0])
        return to_points(self.axes, self.grid, y)


