"""Why non-linearity matters, as TensorFlow Playground shows it.

    manim scenes/boundary.py          # 720p30, video in media/videos/boundary/
    manim -qh scenes/boundary.py      # 1080p60

A small 2-input classifier (2-4-4-1, sigmoid output, binary cross-entropy,
Adam) in three scenarios side by side, each with its decision-boundary
heatmap evolving over training, its data and its loss:

  (a) linearly separable data, linear hidden units: learnt at once;
  (b) two circles, linear hidden units: a stack of linear layers is one
      linear map, so the boundary stays a line and the loss stays high;
  (c) two circles, sigmoid hidden units: the boundary closes around the
      inner disc and the loss falls.

Then tanh and ReLU units on the circles, and what each unit of (c) has
learnt, drawn as the playground draws it.  Every heatmap is a prediction
pyneuron recorded on a grid while training; the per-unit maps are the
recorded weights run through pyneuron's own kernels.  Settings:
``scenes/boundary.toml`` or ``PYNEURON_<SETTING>`` (see ``DEFAULTS``).
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ImageMobject, Scene, Square, ValueTracker, VGroup,
                   config, linear)
from PIL.Image import Resampling

import pyneuron
import pyneuron.functional as F
from pyneuron import datasets

from common import (LABELS, MUTED, NEGATIVE, POSITIVE, RUN_COLORS, TEXT, Caption, GlyphReadout, LossChart,
                    NetworkDiagram, Playhead, cached, epoch_and_loss, load_config, optimizer, replay, text, title_card,
                    weight_scale)

DEFAULTS = {
    "scenarios": ["linear/identity", "circle/identity", "circle/sigmoid"],  # data/hidden activation
    "more_activations": ["tanh", "relu"],  # on the last scenario's data, beside it
    "layers": [2, 4, 4, 1],
    "points": 300,
    "noise": 0.05,
    "epochs": 1000,
    "optimizer": "adam",
    "lr": 0.03,
    "seed": 1,
    "resolution": 64,       # heatmap grid points per side
    "snapshots": 200,
    "train_seconds": 12.0,  # screen time of each training sweep
}
EXTENT = 6.0  # the playground's square, [-6, 6]^2
FIELD_MID = "#1c2028"  # the colour of "undecided" (0): a shade lighter than the background


def settings() -> dict:
    cfg = load_config(__file__, DEFAULTS)
    for spec in cfg["scenarios"]:
        data, _, activation = spec.partition("/")
        if data not in datasets.CLASSIFICATION or activation not in LABELS:
            raise ValueError(f"scenario {spec!r}: expected <data>/<activation> with data one of "
                             f"{', '.join(datasets.CLASSIFICATION)} and activation one of {', '.join(LABELS)}")
    return cfg


def samples(cfg: dict, data: str):
    return datasets.CLASSIFICATION[data](n=cfg["points"], noise=cfg["noise"], seed=cfg["seed"])


def plane_grid(resolution: int) -> np.ndarray:
    """Grid points row by row from the top-left corner, as an image is stored."""
    g = np.linspace(-EXTENT, EXTENT, resolution)
    xx, yy = np.meshgrid(g, g[::-1])
    return np.column_stack([xx.ravel(), yy.ravel()])


def train(cfg: dict, data: str, activation: str) -> pyneuron.Trajectory:
    keys = ("layers", "points", "noise", "epochs", "optimizer", "lr", "seed", "resolution", "snapshots")
    run_settings = {k: cfg[k] for k in keys} | {"data": data, "activation": activation}

    def run():
        x, y = samples(cfg, data)
        net = pyneuron.Network(cfg["layers"], activation=activation, output_activation="sigmoid", seed=cfg["seed"])
        return net.fit(x, y, loss="bce", optimizer=optimizer(cfg["optimizer"], cfg["lr"]), epochs=cfg["epochs"],
                       snapshots=cfg["snapshots"], grid=plane_grid(cfg["resolution"]))

    return cached(f"{data}-{activation}", run_settings, run)


# ------------------------------------------------------------ the heatmaps

def rgb(color: str) -> np.ndarray:
    return np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)], float)


def field_colors(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> RGB as the playground colours them: orange at -1,
    blue at +1, through a dark grey at 0 (the decision boundary)."""
    v = np.clip(values, -1, 1)[..., None] * 0.85  # never full strength: the data must stand out
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


def dot_layer(x: np.ndarray, labels: np.ndarray, pixels: int, radius: float):
    """The data, drawn into the heatmap rather than as hundreds of mobjects:
    discs in their class colour with a light rim, anti-aliased.  Returned
    sparse, as (flat pixel indices, alpha, alpha * colour) of the covered pixels."""
    alpha, color = np.zeros((pixels, pixels, 1)), np.zeros((pixels, pixels, 3))
    centres = (x * [1, -1] + EXTENT) / (2 * EXTENT) * pixels  # (column, row) in pixels
    reach = int(np.ceil(radius)) + 1
    for (cx, cy), label in zip(centres, labels):
        c0, r0 = int(cx) - reach, int(cy) - reach
        rows, cols = np.mgrid[max(r0, 0):min(r0 + 2 * reach + 1, pixels), max(c0, 0):min(c0 + 2 * reach + 1, pixels)]
        d = np.hypot(cols + 0.5 - cx, rows + 0.5 - cy)
        cover = np.clip(radius + 0.5 - d, 0, 1)[..., None]
        fill = np.where((d < radius - 1.0)[..., None], rgb(POSITIVE if label > 0.5 else NEGATIVE), rgb(TEXT))
        alpha[rows, cols] = np.maximum(alpha[rows, cols], cover)
        color[rows, cols] = np.where(cover > 0, fill, color[rows, cols])
    covered = np.flatnonzero(alpha[..., 0] > 0)
    alpha, color = alpha.reshape(-1, 1)[covered], color.reshape(-1, 3)[covered]
    return covered, alpha, alpha * color


class Heatmap(ImageMobject):
    """A field over the square [-6, 6]^2, drawn in place every frame in which
    ``key()`` changes: ``field_of()`` is a (resolution, resolution) array of
    values in ``domain``, upsampled smoothly to pixels and coloured by
    ``field_colors(to_unit(value))``; the data, if given, on top.  One image
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
        self.dots = dot_layer(*data, pixels, radius=pixels / 70) if data is not None else None
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

def unit_values(traj: pyneuron.Trajectory, params: list[dict], grid: np.ndarray) -> list[np.ndarray]:
    """Each layer's activations over the grid, (G, units), scaled to [-1, 1]
    for colouring: sigmoid-type outputs from (0, 1), unbounded ones by their
    largest magnitude on the grid."""
    layers = [grid / EXTENT]
    for (_, a), name in zip(replay(traj, params, grid), traj.config["network"]["activations"]):
        if name == "sigmoid":
            layers.append(2 * a - 1)
        elif name == "tanh":
            layers.append(a)
        else:
            layers.append(a / max(float(np.abs(a).max()), 1e-12))
    return layers


class Column(Group):
    """One run: its title, the heatmap with the data, an epoch/loss readout and
    a loss chart, following the snapshot index ``tracker``."""

    def __init__(self, traj, title: str, subtitle: str, data, color: str, tracker: ValueTracker, side: float = 3.5):
        super().__init__()
        self.traj, self.tracker, self.head = traj, tracker, Playhead(traj)
        res = int(round(np.sqrt(traj.grid.shape[0])))
        self.header = VGroup(text(title, 24, color), text(subtitle, 16, MUTED))
        self.map = Heatmap(lambda: prediction_field(self.state(), res), tracker.get_value, res, side, data=data,
                           to_unit=probability_to_unit, domain=LOGITS)
        self.border = Square(side, stroke_color=MUTED, stroke_width=1.5).move_to(self.map)
        # by centre, not by edge: descenders would shift one header against another
        self.header[0].set_y(self.map.get_top()[1] + 0.68)
        self.header[1].set_y(self.map.get_top()[1] + 0.27)
        self.readout = GlyphReadout(16, TEXT).follow(lambda: epoch_and_loss(self.state()),
                                                     lambda g: g.next_to(self.map, DOWN, buff=0.16))
        self.chart = LossChart([traj], tracker, width=side - 0.6, height=0.8, title="loss vs epoch (log-log)",
                               font_size=12, colors=[color])
        self.chart.next_to(self.map, DOWN, buff=0.5).shift(RIGHT * 0.3)
        self.add(self.header, self.map, self.border, self.chart, self.readout, *self.chart.curves)

    def state(self):
        return self.head.at(self.tracker.get_value())

    def place(self, center) -> "Column":
        """Put the heatmap's centre at ``center``."""
        return self.shift(center - self.map.get_center())


class PlaygroundDiagram(Group):
    """The network as the playground draws it: every unit a small heatmap of
    its activation over the plane, edges coloured and sized by the weights,
    and the output's map, with the data, large on the right."""

    def __init__(self, traj, data, tracker: ValueTracker, unit_side: float = 0.78):
        super().__init__()
        self.traj, self.tracker, self.head = traj, tracker, Playhead(traj)
        res = int(round(np.sqrt(traj.grid.shape[0])))
        self.grid = plane_grid(res)
        self.diagram = NetworkDiagram(traj.sizes, width=7.6, height=4.0, w_max=weight_scale(traj),
                                      node=lambda: Square(unit_side, stroke_color=MUTED, stroke_width=1.5))
        self.diagram.move_to(LEFT * 2.3 + DOWN * 0.1)
        self._frame_values, self._frame_u = None, None
        maps = [Heatmap(lambda l=l, j=j: self.values(l)[:, j].reshape(res, res), tracker.get_value, res,
                        unit_side - 0.04)
                .move_to(node) for l, layer in enumerate(self.diagram.neurons) for j, node in enumerate(layer)]
        self.output = Heatmap(lambda: prediction_field(self.head.at(tracker.get_value()), res), tracker.get_value,
                              res, 3.4, data=data, to_unit=probability_to_unit, domain=LOGITS)
        self.output.move_to(RIGHT * 4.6 + DOWN * 0.1)
        acts = traj.config["network"]["activations"]
        titles = ["inputs x₁, x₂"] + [f"layer {l + 1}: {LABELS.get(a, a)}" for l, a in enumerate(acts[:-1])] + [
            f"output: {LABELS.get(acts[-1], acts[-1])}"]
        self.titles = VGroup(*[text(t, 15, MUTED).next_to(layer[0], UP, buff=0.2).set_y(2.45)
                               for t, layer in zip(titles, self.diagram.neurons)])
        self.diagram.add_updater(lambda d: d.set_weights(self.head.at(tracker.get_value()).params))
        self.add(self.diagram, *maps, self.output, Square(3.4, stroke_color=MUTED, stroke_width=1.5)
                 .move_to(self.output), self.titles)

    def values(self, layer: int) -> np.ndarray:
        """Every layer's scaled activations at the playhead, computed once a frame."""
        u = self.tracker.get_value()
        if u != self._frame_u:
            self._frame_u = u
            self._frame_values = unit_values(self.traj, self.head.at(u).params, self.grid)
        return self._frame_values[layer]


# ------------------------------------------------------------------- scene

class DecisionBoundaries(Scene):
    def construct(self):
        cfg = settings()
        specs = [spec.split("/") for spec in cfg["scenarios"]]
        trajs = [train(cfg, data, act) for data, act in specs]
        self.trajectories = trajs  # for tests
        tracker = ValueTracker(0.0)
        head = Playhead(trajs[0])  # every run records the same epochs
        slots = [LEFT * 4.7 + UP * 1.05, UP * 1.05, RIGHT * 4.7 + UP * 1.05]
        layers = "-".join(map(str, cfg["layers"]))

        def column(traj, data, act, tag, slot):
            kind = "linearly separable data" if data == "linear" else f"{data} data"
            return Column(traj, f"{tag}{LABELS[act]} units", kind, samples(cfg, data), RUN_COLORS.get(act, TEXT),
                          tracker).place(slot)

        def sweep(to_epoch: float, seconds: float):
            u = head.index_of_epoch(min(to_epoch, trajs[0].epochs[-1]))
            self.play(tracker.animate.set_value(u), run_time=seconds, rate_func=linear)

        epochs, seconds = cfg["epochs"], cfg["train_seconds"]
        title_card(self, "Why non-linearity matters",
                   f"a {layers} classifier on the plane, as in TensorFlow Playground")
        caption = Caption(self)

        # ---- (a), (b), (c)
        columns = [column(t, data, act, f"({chr(97 + i)}) ", slot)
                   for i, (t, (data, act), slot) in enumerate(zip(trajs, specs, slots))]
        self.columns = columns
        self.play(*[FadeIn(c) for c in columns], run_time=1.2)
        caption.say("Colour: the prediction everywhere in the plane, blue for one class, orange for the other.")
        self.wait(2.0)
        caption.say(f"Three {layers} networks train with pyneuron: Adam on binary cross-entropy.")
        sweep(epochs * 0.05, seconds * 0.4)
        if any(act == "identity" for _, act in specs):
            caption.say("Linear units only: a stack of linear layers is one linear map, so the boundary is a line.")
        sweep(epochs, seconds * 0.6)
        losses = ",  ".join(f"({chr(97 + i)}) {t.loss[-1]:.3f}" for i, t in enumerate(trajs))
        caption.say(f"Final losses {losses};  a constant 50 % guess scores ln 2 ≈ 0.693.")
        self.wait(3.0)
        last_data, last_act = specs[-1]
        caption.say(f"{LABELS[last_act]} units bend the boundary around the inner circle; linear units cannot.")
        self.wait(3.0)

        # ---- the same data with other non-linearities, beside the last scenario
        kept = columns[-1]
        more = [train(cfg, last_data, act) for act in cfg["more_activations"]]
        self.more_trajectories = more
        others = [column(t, last_data, act, "", slot)
                  for t, act, slot in zip(more, cfg["more_activations"], slots[1:])]
        self.play(*[FadeOut(c) for c in columns[:-1]], caption.fade_out(),
                  kept.animate.shift(slots[0] - slots[-1]), run_time=1.0)
        if others:
            self.play(tracker.animate.set_value(0), *[FadeIn(c) for c in others], run_time=1.0)
            names = " and ".join(LABELS[a] for a in cfg["more_activations"])
            caption.say(f"{names} units bend it too, trained from the same start on the same data.")
            sweep(epochs, seconds)
            if {"relu", "leaky_relu"} & set(cfg["more_activations"]):
                caption.say("ReLU-type units switch along straight lines: their boundary is a polygon.")
                self.wait(3.0)
        self.play(*[FadeOut(c) for c in [kept, *others]], caption.fade_out(), run_time=0.8)

        # ---- inside the last scenario's network: what every unit computes
        tracker.set_value(0)
        playground = PlaygroundDiagram(trajs[-1], samples(cfg, last_data), tracker)
        self.playground = playground
        readout = GlyphReadout(16, TEXT).follow(lambda: epoch_and_loss(playground.head.at(tracker.get_value())),
                                                lambda g: g.next_to(playground.output, DOWN, buff=0.2))
        heading = text(f"Inside ({chr(96 + len(trajs))}): {LABELS[last_act]} units on {last_data} data", 26,
                       RUN_COLORS.get(last_act, TEXT)).to_edge(UP, buff=0.35)
        self.play(FadeIn(heading), FadeIn(playground), FadeIn(readout), run_time=1.2)
        caption.say("Each small square is one unit's output over the whole plane, as in the playground.")
        self.wait(1.5)
        caption.say("Layer 1 cuts the plane along lines; layer 2 combines the cuts into a closed shape.")
        sweep(epochs, seconds)
        caption.say("Edges: blue weights positive, orange negative; the wider, the larger.")
        self.wait(4.0)
