"""Sigmoid vs leaky ReLU learning y = e^(-5x): the headline video.

    manim scenes/fit.py            # 720p30 (manim.cfg), video in media/videos/fit/
    manim -qh scenes/fit.py        # 1080p60

Two 1-2-2-1 networks, identical but for their hidden activation, start
from the same weights and train with Adam; the video replays what
pyneuron recorded: the prediction curves, the weights, the losses, and the
gradient statistics behind the captions.  Change the target, the
activations, the network or the training in ``scenes/fit.toml`` or with
``PYNEURON_<SETTING>`` environment variables (see ``DEFAULTS``).
"""
from __future__ import annotations

import re

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedVMobject, Dot, FadeIn, Indicate, Scene,
                   ValueTracker, VGroup, linear)

from common import (FORMULAS, LABELS, MUTED, NEGATIVE, POSITIVE, RUN_COLORS, TARGET, TEXT, Caption, GlyphReadout,
                    Label, LossChart, NetworkDiagram, Playhead, finite_part, follow_curve, load_config, polyline, sci,
                    text, title_card, to_points, train_1d, weight_scale)

DEFAULTS = {
    "target": "exp(-5*x)",
    "x_range": [0.0, 1.0],
    "points": 256,
    "layers": [1, 2, 2, 1],
    "activations": ["sigmoid", "leaky_relu"],
    "epochs": 10_000,
    "optimizer": "adam",
    "lr": 0.01,
    "seed": 0,
    "init": "xavier",       # the same for both, so both nets start from the same weights
    "snapshots": 300,
    "train_seconds": 32.0,  # screen time of the training sweep
}


def settings() -> dict:
    return load_config(__file__, DEFAULTS)


def trajectories(cfg: dict):
    """The runs, each up to its last finite snapshot (see finite_part)."""
    return [finite_part(train_1d(cfg["target"], cfg["x_range"], cfg["points"], cfg["layers"], act, cfg["epochs"],
                     cfg["optimizer"], cfg["lr"], cfg["seed"], cfg["init"], cfg["snapshots"]))
            for act in cfg["activations"]]


def pretty_target(expr: str) -> str:
    """'exp(-5*x)' -> 'y = e^(−5x)': for reading, not for parsing."""
    s = re.sub(r"(\d)\*x", r"\1x", expr.replace(" ", "")).replace("**", "^").replace("*", "·")
    return "y = " + s.replace("exp(", "e^(").replace("-", "−")


class FitPanel(VGroup):
    """One run: header, axes with target and prediction, network diagram,
    epoch and loss readouts, all following the shared playhead u."""

    def __init__(self, traj, activation: str, tracker: ValueTracker, x_range, y_range, center, w_max: float):
        super().__init__()
        self.traj, self.play_head, self.tracker = traj, Playhead(traj), tracker
        self.color = RUN_COLORS.get(activation, TEXT)
        self.axes = Axes(x_range=[x_range[0], x_range[1], (x_range[1] - x_range[0]) / 4],
                         y_range=[y_range[0], y_range[1], 0.5], x_length=5.6, y_length=2.9,
                         axis_config={"color": MUTED, "stroke_width": 2, "include_numbers": True,
                                      "font_size": 18, "label_constructor": Label},
                         tips=False).move_to(center)
        name = text(LABELS.get(activation, activation), 30, self.color)
        formula = text(FORMULAS.get(activation, ""), 20, MUTED)
        self.header = VGroup(name, formula).arrange(RIGHT, buff=0.3, aligned_edge=DOWN)
        self.header.next_to(self.axes, UP, buff=0.25)
        grid = traj.grid[:, 0]
        self.target_curve = DashedVMobject(
            polyline(to_points(self.axes, grid, self._target_values(traj)), TARGET, 3), num_dashes=40)
        self.curve = follow_curve(self._prediction_points, self.color, 5)
        self.readout = GlyphReadout(20, TEXT).follow(self._readout_text,
                                                     lambda g: g.next_to(self.axes, DOWN, buff=0.3))
        self.diagram = NetworkDiagram(traj.sizes, w_max=w_max).scale(0.8)
        self.diagram.add_updater(lambda d: d.set_weights(self.play_head.at(self.tracker.get_value()).params))
        self.add(self.header, self.axes, self.target_curve)

    @staticmethod
    def _target_values(traj):
        from pyneuron._expr import compile_expression

        return compile_expression(traj.config["data"]["target"])(traj.grid[:, 0])

    def _prediction_points(self):
        state = self.play_head.at(self.tracker.get_value())
        y = np.clip(state.predictions[:, 0], *self.axes.y_range[:2])
        return to_points(self.axes, self.traj.grid[:, 0], y)

    def _readout_text(self):
        u = self.tracker.get_value()
        if self.traj.diverged_at is not None and u >= len(self.traj) - 1:
            return f"diverged at epoch {self.traj.diverged_at:,}"
        state = self.play_head.at(u)
        return f"epoch {int(round(state.epoch)):>6,}   loss {sci(state.loss)}"


def kink_inputs(traj, x_grid):
    """Inputs where some hidden ReLU-type unit switches on or off: the
    kinks of a piecewise-linear fit (found on the grid, then refined)."""
    params = traj.at(traj.epochs[-1]).params
    a, kinks = x_grid.reshape(-1, 1), []
    for p in params[:-1]:
        z = a @ p["W"] + p["b"]
        flips = np.nonzero(np.diff(np.sign(z), axis=0))
        for row, _ in zip(*flips):
            kinks.append(float(x_grid[row] + x_grid[row + 1]) / 2)
        a = np.where(z > 0, z, 0.01 * z)
    return sorted(kinks)


class SigmoidVsLeakyReLU(Scene):
    def construct(self):
        cfg = settings()
        trajs = trajectories(cfg)
        acts = cfg["activations"]
        tracker = ValueTracker(0.0)
        preds = np.concatenate([t.predictions.ravel() for t in trajs])
        grid = trajs[0].grid[:, 0]
        from pyneuron._expr import compile_expression
        target = compile_expression(cfg["target"])(grid)
        # predictions far off the target (a diverging run's) are clipped at the axes
        span = float(target.max() - target.min()) or 1.0
        y_lo = float(np.floor(max(min(target.min(), np.percentile(preds, 1)), target.min() - span) * 2) / 2)
        y_hi = float(np.ceil(min(max(target.max(), np.percentile(preds, 99)), target.max() + span) * 2) / 2)
        w_max = max(weight_scale(t) for t in trajs)  # one scale for both: edge widths compare
        panels = [FitPanel(t, a, tracker, cfg["x_range"], (y_lo, y_hi), c, w_max)
                  for t, a, c in zip(trajs, acts, (LEFT * 3.55 + UP * 1.25, RIGHT * 3.55 + UP * 1.25))]
        self.panels, self.trajectories = panels, trajs  # for tests and for reuse
        chart = LossChart(trajs, tracker).move_to(DOWN * 2.2)
        for panel, side in zip(panels, (LEFT, RIGHT)):
            panel.diagram.move_to(side * 5.0 + DOWN * 2.3)

        # ---- title
        layers = "-".join(map(str, cfg["layers"]))
        title_card(self, f"{LABELS[acts[0]]}  vs  {LABELS[acts[1]]}",
                   f"a {layers} network learns {pretty_target(cfg['target'])}")

        # ---- the setting
        caption = Caption(self)
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say("Same network, same data, same starting weights: only the hidden activation differs.")
        diagrams = [p.diagram for p in panels]
        labels = VGroup(*[text("weights  + blue  − orange", 14, MUTED,
                               t2c={"+ blue": POSITIVE, "− orange": NEGATIVE}).next_to(d, UP, buff=0.15)
                          for d in diagrams])
        legend = VGroup(DashedVMobject(polyline(np.array([[0, 0, 0], [0.5, 0, 0]]), TARGET, 3), num_dashes=4),
                        text(f"target {pretty_target(cfg['target'])}", 16, MUTED)).arrange(RIGHT, buff=0.15)
        legend.move_to(panels[0].axes.c2p(0.72 * cfg["x_range"][1] + 0.28 * cfg["x_range"][0], y_hi)).shift(DOWN * 0.15)
        self.play(*[FadeIn(d) for d in diagrams], FadeIn(labels), FadeIn(chart), FadeIn(legend), run_time=1.2)
        self.wait(1.5)
        self.play(*[Create(p.curve) for p in panels], *[FadeIn(p.readout) for p in panels],
                  *[Create(c) for c in chart.curves], run_time=1.0)
        self.add(*[p.curve for p in panels], *[p.readout for p in panels], *chart.curves)
        caption.say("Epoch 0: random weights, an almost flat prediction.")
        self.wait(2.0)

        # ---- training, in log time, with the captions the recording supports
        # the runs share their snapshot schedule; a diverged one stops early
        # and holds its last state while the playhead runs on
        lead = Playhead(max(trajs, key=len))
        end = len(lead.traj) - 1
        total = cfg["train_seconds"]

        def sweep(to_epoch: float, share: float):
            u = lead.index_of_epoch(min(to_epoch, lead.traj.epochs[-1]))
            self.play(tracker.animate.set_value(u), run_time=max(total * share, 0.5), rate_func=linear)

        E = lead.traj.epochs[-1]
        diverged = [(t, a) for t, a in zip(trajs, acts) if t.diverged_at is not None]
        if diverged:  # the story of these runs is the divergence, not the shapes of the fits
            caption.say(f"Too large a learning rate: the loss blows up (epoch {where_diverged(diverged)}).")
            sweep(E, 1.0)
        else:
            caption.say("Early on both nets first learn the average height, then the downward slope.")
            sweep(E * 0.01, 0.25)
            caption.say(f"{LABELS[acts[0]]} units add S-curves; {LABELS[acts[1]]} units add straight pieces "
                        "with kinks.")
            sweep(E * 0.1, 0.3)
            caption.say(saturation_caption(trajs[0], acts[0], tracker.get_value()))
            sweep(E * 0.5, 0.25)
            caption.say(f"{LABELS[acts[1]]} keeps a small slope even when a unit is 'off', "
                        "so every unit keeps learning.")
            sweep(E, 0.2)
        tracker.set_value(end)

        # ---- the end state: kinks and final losses
        segmented = acts[1] in ("relu", "leaky_relu") and trajs[1].diverged_at is None
        kinks = kink_inputs(trajs[1], grid) if segmented else []
        dots = VGroup(*[Dot(panels[1].axes.c2p(x, float(np.interp(x, grid, trajs[1].predictions[-1][:, 0]))),
                            radius=0.07, color=TEXT) for x in kinks])
        if len(dots):
            caption.say(f"The {LABELS[acts[1]]} fit is piecewise linear: its kinks are where hidden units switch.")
            self.play(FadeIn(dots, scale=1.5), run_time=0.8)
            self.play(Indicate(dots, color=RUN_COLORS.get(acts[1], TEXT)), run_time=1.2)
        caption.say(final_caption(trajs, acts, E))
        self.wait(4.0)


def where_diverged(runs) -> str:
    """'sigmoid 61, leaky ReLU 5': each diverged run and its epoch."""
    return ", ".join(f"{LABELS[a]} {t.diverged_at:,}" for t, a in runs)


def final_caption(trajs, acts, epochs: int) -> str:
    """Who won, from the recorded final losses; a diverged run says so."""
    diverged = [(t, a) for t, a in zip(trajs, acts) if t.diverged_at is not None]
    if diverged:
        rest = [f"{LABELS[a]} reached {sci(t.loss[-1])}" for t, a in zip(trajs, acts) if t.diverged_at is None]
        return f"Diverged at epoch: {where_diverged(diverged)}" + (f"; {rest[0]}." if rest else ".")
    losses = [t.loss[-1] for t in trajs]
    better = 0 if losses[0] < losses[1] else 1
    return (f"After {int(epochs):,} epochs: {LABELS[acts[0]]} {sci(losses[0])}, {LABELS[acts[1]]} "
            f"{sci(losses[1])} — the {('smooth' if better == 0 else 'segmented')} fit wins here.")


def saturation_caption(traj, activation: str, u: float) -> str:
    """The vanishing-gradient caption, from the recorded statistics."""
    state = Playhead(traj).at(u)
    saturated = float(traj.unit_stats[:, :-1, 1].max())
    first_layer, last_layer = state.grad_norms[0], state.grad_norms[-1]
    if activation in ("sigmoid", "tanh"):
        return (f"Saturated {LABELS[activation]} units (up to {saturated:.0%}) pass little gradient back: "
                f"layer 1 gets {first_layer / last_layer:.1g}× the last's.")
    return f"Gradient norms now: first layer {sci(first_layer)}, last layer {sci(last_layer)}."
