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
from manim import DOWN, LEFT, RIGHT, UP, Dot, FadeIn, FadeOut, ValueTracker, VGroup

import pyneuron
from pyneuron import datasets
from pyneuron.network import ACTIVATION_NAMES
from pyneuron.video import (DEAD, LABELS, MUTED, RUN_COLORS, TEXT, Caption, FitPlot, GlyphReadout, GradientBars,
                            Playhead, UnitGrid, cached, epoch_and_loss, load_settings, optimizer,
                            runs_from_environment, sci, settings_or_exit, text, title_card)
from pyneuron.video.settings import each, expression, interval, layer_sizes, non_negative, one_of, positive
from pyneuron.video.stories import DynamicsVideo

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


PAIR = each(one_of(*ACTIVATION_NAMES), 2, 2)
RULES = {
    "deep_activations": PAIR, "depth": positive(), "width": positive(),
    "deep_data": one_of(*datasets.CLASSIFICATION), "deep_optimizer": one_of("adam", "sgd"), "deep_lr": positive(float),
    "deep_epochs": positive(), "dying_activations": PAIR, "dying_target": expression(), "dying_x_range": interval(),
    "dying_layers": layer_sizes(1, 1), "dying_optimizer": one_of("adam", "sgd"), "dying_lr": positive(float),
    "dying_epochs": positive(), "seed": non_negative(), "snapshots": positive(), "train_seconds": positive(float),
}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def deep_layers(cfg: dict) -> list[int]:
    return [2] + [cfg["width"]] * cfg["depth"] + [1]


def train_deep(cfg: dict, activation: str) -> pyneuron.Trajectory:
    keys = ("depth", "width", "deep_data", "deep_optimizer", "deep_lr", "deep_epochs", "seed", "snapshots")

    def run():
        x, y = datasets.CLASSIFICATION[cfg["deep_data"]](n=400, seed=cfg["seed"])
        net = pyneuron.Network(deep_layers(cfg), activation=activation, output_activation="sigmoid", seed=cfg["seed"])
        return net.fit(x, y, loss="bce", optimizer=optimizer(cfg["deep_optimizer"], cfg["deep_lr"]),
                       epochs=cfg["deep_epochs"], snapshots=cfg["snapshots"], source=cfg["deep_data"])

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
                       snapshots=cfg["snapshots"], grid=grid, source=cfg["dying_target"])

    return cached(f"dying-{activation}", {k: cfg[k] for k in keys} | {"activation": activation}, run)


# ------------------------------------------------------------------- scene

class VanishingAndDying(DynamicsVideo):
    def construct(self):
        if runs_from_environment() is not None:  # PYNEURON_RUNS: those runs, in the generic dynamics video
            return super().construct()
        cfg = settings()
        caption = Caption(self)
        title_card(self, "Vanishing gradients, dying ReLUs", "what the gradient does on its way back through a network")
        self.vanishing(cfg, caption)
        self.dying(cfg, caption)

    def sweep(self, tracker, traj, to_epoch: float, seconds: float):
        super().sweep(tracker, Playhead(traj), to_epoch, seconds)

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
        alpha = trajs[1].info.alphas[0]
        still = f"still get {alpha:.0%} of it" if alpha else "are no different"
        caption.say(f"Off {LABELS.get(acts[0], acts[0])} units get no gradient: dead for good. "
                    f"Off {LABELS.get(acts[1], acts[1])} units {still}.")
        self.sweep(tracker, trajs[0], trajs[0].epochs[-1], cfg["train_seconds"])
        losses = [t.loss[-1] for t in trajs]
        caption.say(f"Final loss: {LABELS.get(acts[0], acts[0])} {losses[0]:.3f} with its dead units, "
                    f"{LABELS.get(acts[1], acts[1])} {losses[1]:.4f}: its off units kept learning.")
        self.wait(4.0)


# a bad setting or run: one line and exit status 2, before manim renders
settings_or_exit(lambda: (settings(), runs_from_environment()), __file__)
