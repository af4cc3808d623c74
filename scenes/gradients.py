"""Vanishing gradients and dying ReLUs, from what pyneuron recorded.

    manim scenes/gradients.py          # 720p30, video in media/videos/gradients/
    manim -qh scenes/gradients.py      # 1080p60

1. A deep narrow classifier (8 hidden layers of 8 units) on the circles,
   sigmoid vs ReLU: the gradient norm of every layer, recorded at each
   snapshot, as bars on a log scale.  Sigmoid's derivative is at most 1/4,
   so the gradient shrinks layer by layer on its way back and the first
   layers barely learn; ReLU passes it back undiminished where units are on.
2. A wider net fitting sin(6x) with a learning rate too large: ReLU vs
   leaky ReLU.  Every hidden unit is a dot; a unit that is off for every
   input gets no gradient through a ReLU and can never come back (dead),
   while a leaky unit still passes 1 % of it and keeps learning.

The bars are the recorded per-layer gradient norms; the unit states are the
recorded weights run through pyneuron's kernels on the training inputs (and
agree with the dead fractions the C loop recorded).  Settings:
``scenes/gradients.toml`` or ``PYNEURON_<SETTING>`` (see ``DEFAULTS``).
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, DashedVMobject, Dot, FadeIn, FadeOut, Rectangle, Scene,
                   ValueTracker, VGroup, linear)

import pyneuron
from pyneuron import datasets
from pyneuron._expr import compile_expression

from common import (LABELS, MUTED, RUN_COLORS, TARGET, TEXT, Caption, GlyphReadout, Label, Playhead, cached,
                    epoch_and_loss, follow_curve, load_config, optimizer, polyline, replay, sci, superscript, text,
                    title_card, to_points)

DEAD = "#3a3f4b"

DEFAULTS = {
    # part 1: vanishing gradients
    "deep_activations": ["sigmoid", "relu"],
    "depth": 8,             # hidden layers
    "width": 8,             # units per hidden layer
    "deep_data": "circle",  # a pyneuron.datasets classification set
    "deep_optimizer": "sgd",
    "deep_lr": 0.1,
    "deep_epochs": 3000,
    # part 2: dying ReLU
    "dying_activations": ["relu", "leaky_relu"],
    "dying_target": "sin(6*x)",
    "dying_x_range": [-1.0, 1.0],
    "dying_layers": [1, 32, 32, 32, 1],
    "dying_optimizer": "adam",
    "dying_lr": 0.3,        # too large on purpose: the first steps knock most units off
    "dying_epochs": 3000,
    "seed": 0,
    "snapshots": 200,
    "train_seconds": 12.0,  # screen time of each training sweep
}


def settings() -> dict:
    cfg = load_config(__file__, DEFAULTS)
    if cfg["deep_data"] not in datasets.CLASSIFICATION:
        raise ValueError(f"deep_data {cfg['deep_data']!r}: expected one of {', '.join(datasets.CLASSIFICATION)}")
    return cfg


def deep_layers(cfg: dict) -> list[int]:
    return [2] + [cfg["width"]] * cfg["depth"] + [1]


def train_deep(cfg: dict, activation: str) -> pyneuron.Trajectory:
    keys = ("depth", "width", "deep_data", "deep_optimizer", "deep_lr", "deep_epochs", "seed", "snapshots")

    def run():
        x, y = datasets.CLASSIFICATION[cfg["deep_data"]](n=400, seed=cfg["seed"])
        net = pyneuron.Network(deep_layers(cfg), activation=activation, output_activation="sigmoid", seed=cfg["seed"])
        return net.fit(x, y, loss="bce", optimizer=optimizer(cfg["deep_optimizer"], cfg["deep_lr"]),
                       epochs=cfg["deep_epochs"], snapshots=cfg["snapshots"])

    return cached(f"deep-{activation}", {k: cfg[k] for k in keys} | {"activation": activation}, run)


def dying_data(cfg: dict):
    return datasets.function(cfg["dying_target"], n=256, x_range=cfg["dying_x_range"])


def train_dying(cfg: dict, activation: str) -> pyneuron.Trajectory:
    keys = ("dying_target", "dying_x_range", "dying_layers", "dying_optimizer", "dying_lr", "dying_epochs", "seed",
            "snapshots")

    def run():
        x, y = dying_data(cfg)
        net = pyneuron.Network(cfg["dying_layers"], activation=activation, seed=cfg["seed"])
        grid = np.linspace(*cfg["dying_x_range"], 200)
        return net.fit(x, y, optimizer=optimizer(cfg["dying_optimizer"], cfg["dying_lr"]), epochs=cfg["dying_epochs"],
                       snapshots=cfg["snapshots"], grid=grid)

    return cached(f"dying-{activation}", {k: cfg[k] for k in keys} | {"activation": activation}, run)


def units_off(traj: pyneuron.Trajectory, params: list[dict], x: np.ndarray) -> np.ndarray:
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
        self.dies = traj.config["network"]["activations"][0] == "relu"
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
    """The target (dashed) and the prediction at the playhead."""

    def __init__(self, traj, tracker: ValueTracker, target: str, color: str, x_range, width=5.2, height=2.2):
        super().__init__()
        self.head, self.tracker, self.grid = Playhead(traj), tracker, traj.grid[:, 0]
        y = compile_expression(target)(self.grid)
        pad = 0.25 * (y.max() - y.min())
        self.axes = Axes(x_range=[x_range[0], x_range[1], (x_range[1] - x_range[0]) / 4],
                         y_range=[y.min() - pad, y.max() + pad, 1], x_length=width, y_length=height,
                         axis_config={"color": MUTED, "stroke_width": 2}, tips=False)
        self.target = DashedVMobject(polyline(to_points(self.axes, self.grid, y), TARGET, 2.5), num_dashes=50)
        self.curve = follow_curve(self._points, color, 4)
        self.add(self.axes, self.target, self.curve)

    def _points(self):
        y = np.clip(self.head.at(self.tracker.get_value()).predictions[:, 0], *self.axes.y_range[:2])
        return to_points(self.axes, self.grid, y)


# ------------------------------------------------------------------- scene

class VanishingAndDying(Scene):
    def construct(self):
        cfg = settings()
        caption = Caption(self)
        title_card(self, "Vanishing gradients, dying ReLUs", "what the gradient does on its way back through a network")
        self.vanishing(cfg, caption)
        self.dying(cfg, caption)

    def sweep(self, tracker, traj, to_epoch: float, seconds: float):
        u = Playhead(traj).index_of_epoch(min(to_epoch, traj.epochs[-1]))
        self.play(tracker.animate.set_value(u), run_time=seconds, rate_func=linear)

    def vanishing(self, cfg, caption):
        acts = cfg["deep_activations"]
        trajs = [train_deep(cfg, a) for a in acts]
        self.deep_trajectories = trajs
        tracker = ValueTracker(0.0)
        logs = np.log10(np.concatenate([t.grad_norms[t.grad_norms > 0] for t in trajs]))
        log_range = (float(np.floor(np.percentile(logs, 1))), float(np.ceil(logs.max())))
        panels = []
        for traj, act, side in zip(trajs, acts, (LEFT, RIGHT)):
            color = RUN_COLORS.get(act, TEXT)
            bars = GradientBars(traj, tracker, log_range, color).move_to(side * 3.55 + UP * 0.35)
            header = VGroup(text(LABELS.get(act, act), 30, color), text("gradient norm per layer", 17, MUTED)) \
                .arrange(RIGHT, buff=0.3, aligned_edge=DOWN).next_to(bars, UP, buff=0.3)
            head = Playhead(traj)
            readout = GlyphReadout(17, TEXT).follow(lambda h=head: epoch_and_loss(h.at(tracker.get_value())),
                                                    lambda g, b=bars: g.next_to(b, DOWN, buff=0.2))
            panels.append(VGroup(header, bars, readout))
        self.bars = [p[1] for p in panels]
        depth = len(trajs[0].sizes) - 2
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say(f"{depth} hidden layers of {cfg['width']} units learn the circles; bars: each layer's recorded "
                    "gradient.")
        self.wait(2.5)
        first = [t.grad_norms[0] for t in trajs]
        ratio = first[0][0] / first[0][-2]
        why = ": σ′ ≤ 1/4 at every layer" if acts[0] == "sigmoid" else ""
        caption.say(f"At the start, {LABELS.get(acts[0], acts[0])}'s layer 1 gets {sci(ratio)} of layer {depth}'s "
                    f"gradient{why}.")
        self.wait(4.0)
        caption.say("Training: watch which bars move.")
        self.sweep(tracker, trajs[0], trajs[0].epochs[-1] * 0.05, cfg["train_seconds"] * 0.4)
        self.sweep(tracker, trajs[0], trajs[0].epochs[-1], cfg["train_seconds"] * 0.6)
        losses = [t.loss[-1] for t in trajs]
        verdict = "never learns" if losses[0] > 0.9 * np.log(2) else "learns its first layers slowly"
        caption.say(f"Final loss: {LABELS.get(acts[0], acts[0])} {losses[0]:.3f}, {LABELS.get(acts[1], acts[1])} "
                    f"{losses[1]:.4f}: starved of gradient, {LABELS.get(acts[0], acts[0])} {verdict}.")
        self.wait(4.0)
        self.play(*[FadeOut(p) for p in panels], caption.fade_out(), run_time=0.8)

    def dying(self, cfg, caption):
        acts = cfg["dying_activations"]
        trajs = [train_dying(cfg, a) for a in acts]
        self.dying_trajectories = trajs
        x, _ = dying_data(cfg)
        tracker = ValueTracker(0.0)
        panels, self.grids = [], []
        for traj, act, side in zip(trajs, acts, (LEFT, RIGHT)):
            color = RUN_COLORS.get(act, TEXT)
            plot = FitPlot(traj, tracker, cfg["dying_target"], color, cfg["dying_x_range"])
            plot.move_to(side * 3.55 + UP * 1.1)
            header = text(LABELS.get(act, act), 30, color).next_to(plot, UP, buff=0.25)
            grid = UnitGrid(traj, tracker, x, color).next_to(plot, DOWN, buff=0.55)
            head = Playhead(traj)
            readout = GlyphReadout(17, TEXT).follow(
                lambda h=head, g=grid: f"off for every input {g.off().mean():>4.0%}   loss "
                                       f"{h.at(tracker.get_value()).loss:.4f}",
                lambda r, g=grid: r.next_to(g, DOWN, buff=0.25))
            self.grids.append(grid)
            panels.append(VGroup(header, plot, grid, readout))
        layers = "-".join(map(str, cfg["dying_layers"]))
        ring = Dot(radius=0.06, fill_opacity=0, stroke_color=TEXT, stroke_width=1.5)
        keys = [(Dot(radius=0.06, color=TEXT), "on for some input"),
                (ring, "off for every input, still learning"),
                (Dot(radius=0.06, color=DEAD), "off for every input, no gradient: dead")]
        legend = VGroup(*[VGroup(dot, text(label, 16, MUTED)).arrange(RIGHT, buff=0.1) for dot, label in keys])
        legend.arrange(RIGHT, buff=0.5)
        legend.next_to(VGroup(*panels), DOWN, buff=0.3)
        self.play(*[FadeIn(p) for p in panels], FadeIn(legend), run_time=1.2)
        caption.say(f"Two {layers} nets fit {cfg['dying_target']} with Adam at lr {cfg['dying_lr']}: too large on "
                    "purpose.")
        self.wait(2.5)
        self.sweep(tracker, trajs[0], trajs[0].epochs[min(3, len(trajs[0]) - 1)], 2.0)
        off = [float(g.off().mean()) for g in self.grids]
        caption.say(f"The first steps overshoot and push most units off for every input: {off[0]:.0%} and "
                    f"{off[1]:.0%}.")
        self.wait(3.0)
        alpha = trajs[1].config["network"]["alphas"][0]
        still = f"still get {alpha:.0%} of it" if alpha else "are no different"
        caption.say(f"Off {LABELS.get(acts[0], acts[0])} units get no gradient: dead for good. "
                    f"Off {LABELS.get(acts[1], acts[1])} units {still}.")
        self.sweep(tracker, trajs[0], trajs[0].epochs[-1], cfg["train_seconds"])
        losses = [t.loss[-1] for t in trajs]
        caption.say(f"Final loss: {LABELS.get(acts[0], acts[0])} {losses[0]:.3f} with its dead units, "
                    f"{LABELS.get(acts[1], acts[1])} {losses[1]:.4f}: its off units kept learning.")
        self.wait(4.0)
