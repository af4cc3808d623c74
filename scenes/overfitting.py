"""Overfitting, and what L2 regularisation does about it, as TensorFlow
Playground shows it.

    manim scenes/overfitting.py          # 720p30, video in media/videos/overfitting/
    manim -qh scenes/overfitting.py      # 1080p60

A large network (2-16-16-16-1 tanh) on few noisy points: 30 % of 200
points of two overlapping Gaussian clouds to train on, the rest held out
(outlined) to test.  Trained twice from the same start, without and with
an L2 penalty: without it the training loss falls towards 0 while the
test loss turns up and the boundary winds around single points; with it
the boundary stays smooth and the test loss low.  Every number on screen
is read from the two recorded runs.  Settings: ``scenes/overfitting.toml``
or ``PYNEURON_<SETTING>`` (see ``DEFAULTS``).
"""
from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Line, ValueTracker, VGroup, linear

import pyneuron
from pyneuron import datasets
from pyneuron.video import (BoundaryPanel, Caption, LossChart, Playhead, VideoScene, cached, load_settings, optimizer,
                            settings_or_exit, text, title_card)
from pyneuron.video.settings import Rule, count_between, layer_sizes, non_negative, one_of, positive
from pyneuron.video.stories import boundary_length, loss_text, lowest_test_loss

DEFAULTS = {
    "data": "gauss",
    "points": 200,
    "noise": 0.5,
    "train_ratio": 0.3,
    "layers": [2, 16, 16, 16, 1],
    "activation": "tanh",
    "lr": 0.03,
    "epochs": 3000,
    "regularization": "l2",
    "regularization_rate": 0.01,
    "seed": 2,              # data, split and initial weights
    "resolution": 64,
    "snapshots": 200,
    "train_seconds": 16.0,  # screen time of training
}
_NUMBER = Rule(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, "a positive number")
RULES = {
    "data": one_of(*datasets.CLASSIFICATION), "points": positive(),
    "noise": Rule(lambda v: isinstance(v, float) and 0 <= v <= 1, "a number from 0 to 1"),
    "train_ratio": Rule(lambda v: isinstance(v, float) and 0 < v < 1, "a number strictly between 0 and 1"),
    "layers": layer_sizes(2, 1), "activation": one_of("tanh", "sigmoid", "relu", "leaky_relu", "elu", "silu"),
    "lr": positive(float), "epochs": positive(), "regularization": one_of("l1", "l2"), "regularization_rate": _NUMBER,
    "seed": non_negative(), "resolution": count_between(2, 512), "snapshots": positive(),
    "train_seconds": positive(float),
}
PLAIN, PENALISED = "#e6e6e6", "#7fd4a8"


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def train(cfg: dict, penalised: bool) -> pyneuron.Trajectory:
    """The network trained on the split, with the penalty or without it."""
    def run():
        x, y = datasets.CLASSIFICATION[cfg["data"]](n=cfg["points"], noise=cfg["noise"], seed=cfg["seed"])
        net = pyneuron.Network(cfg["layers"], activation=cfg["activation"], output_activation="sigmoid",
                               seed=cfg["seed"])
        return net.fit(x, y, loss="bce", optimizer=optimizer("adam", cfg["lr"]), epochs=cfg["epochs"],
                       snapshots=cfg["snapshots"], grid=datasets.plane_grid(cfg["resolution"]), source=cfg["data"],
                       seed=cfg["seed"], train_ratio=cfg["train_ratio"],
                       regularization=cfg["regularization"] if penalised else None,
                       regularization_rate=cfg["regularization_rate"] if penalised else 0.0)

    keys = [k for k in DEFAULTS if k != "train_seconds"]
    return cached("penalised" if penalised else "plain", {k: cfg[k] for k in keys} | {"penalised": penalised}, run)


class Overfitting(VideoScene):
    def construct(self):
        cfg = settings()
        plain, penalised = train(cfg, False), train(cfg, True)
        self.trajectories = [plain, penalised]  # for tests
        penalty = f"{cfg['regularization'].upper()} at rate {cfg['regularization_rate']:g}"
        layers = "-".join(map(str, cfg["layers"]))
        n_train, n_test = len(plain.data_x), len(plain.test.x)
        parameters = plain.flat_params.shape[1]

        tracker, head = ValueTracker(0.0), Playhead(plain)  # both runs record the same epochs
        title_card(self, f"Overfitting, and what {cfg['regularization'].upper()} does about it",
                   f"a {layers} {cfg['activation']} net on {n_train} noisy points, as in TensorFlow Playground")
        caption = Caption(self)
        panels = [BoundaryPanel(t, name, f"{cfg['data']} data, {cfg['noise']:g} noise", None, color, tracker)
                  .place(centre)
                  for t, name, color, centre in ((plain, "no penalty", PLAIN, LEFT * 3.2 + UP * 1.05),
                                                 (penalised, penalty, PENALISED, RIGHT * 3.2 + UP * 1.05))]
        self.panels = panels
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say(f"{n_train} points to train on (filled), {n_test} held out to test (outlined).")
        self.wait(2.5)
        caption.say(f"{parameters:,} parameters for {n_train} points: enough to learn every point by heart.")
        self.wait(2.5)

        best_epoch, best_test, final_test = lowest_test_loss(plain)

        def sweep(to_epoch: float, seconds: float):
            self.play(tracker.animate.set_value(head.index_of_epoch(min(to_epoch, plain.epochs[-1]))),
                      run_time=max(seconds, 0.5), rate_func=linear)

        seconds = cfg["train_seconds"]
        sweep(best_epoch, seconds * 0.3)
        caption.say(f"Epoch {best_epoch:,}: without the penalty the test loss (dashed) is at its lowest, "
                    f"{loss_text(best_test)}.")
        self.wait(2.5)
        sweep(plain.epochs[-1], seconds * 0.7)
        if final_test > 1.5 * best_test:
            caption.say(f"Then it turns up, to {loss_text(final_test)}, as the training loss falls to "
                        f"{loss_text(plain.loss[-1])}: it learns the noise.")
        else:
            caption.say(f"This time its test loss ends at {loss_text(final_test)}, near its lowest: little "
                        "overfitting in this run.")
        self.wait(3.0)
        caption.say(f"With {penalty}: test loss {loss_text(penalised.test.loss[-1])}, test accuracy "
                    f"{penalised.test.accuracy[-1]:.0%} against {plain.test.accuracy[-1]:.0%} without.")
        self.wait(3.0)
        wiggle = boundary_length(plain) / max(boundary_length(penalised), 1)
        caption.say(f"Without it the boundary winds around single points: {wiggle:.1f} times as long as with it."
                    if wiggle > 1.1 else f"Both boundaries end about as long ({wiggle:.1f} : 1).")
        self.wait(3.0)

        # ---- the four loss curves together, in place of the maps (one cross-fade: no empty frame)
        chart = LossChart([plain, penalised], tracker, width=9.0, height=3.6, colors=[PLAIN, PENALISED],
                          title="loss vs epoch (log-log): training —, test - -", font_size=18).move_to(UP * 0.3)
        key = VGroup(*[legend_entry(name, color) for name, color in (("no penalty", PLAIN), (penalty, PENALISED))])
        key.arrange(RIGHT, buff=0.8).next_to(chart, DOWN, buff=0.45)
        self.chart = chart
        self.play(*[FadeOut(p) for p in panels], caption.fade_out(), FadeIn(chart), *[FadeIn(c) for c in chart.curves],
                  FadeIn(key), run_time=1.2)
        plain_gap, penalised_gap = (t.test.loss[-1] - t.loss[-1] for t in (plain, penalised))
        caption.say(f"The gap between test and training loss: {loss_text(plain_gap)} without the penalty, "
                    f"{loss_text(penalised_gap)} with it.")
        self.wait(4.0)


def legend_entry(name: str, color: str) -> VGroup:
    """A short line in the run's colour and its name."""
    return VGroup(Line(LEFT * 0.25, RIGHT * 0.25, color=color, stroke_width=4), text(name, 18, color)).arrange(
        RIGHT, buff=0.15)


# a bad setting: one line and exit status 2, before manim renders
settings_or_exit(settings, __file__)
