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

Every control of TensorFlow Playground is a setting: the data (any of its
classification sets, or the 2-D regressions plane and multi_gauss, drawn
as a map of the predicted value), noise, train ratio (test points
outlined, the test loss dashed beside the training loss), batch size,
input features (drawn as their own maps in the network), layers,
activation, learning rate, regularisation and its rate.  E.g.

    PYNEURON_FEATURES="x1^2,x2^2" PYNEURON_TRAIN_RATIO=0.5 manim scenes/boundary.py
"""
from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ValueTracker, linear

import pyneuron
from pyneuron import datasets, features
from pyneuron.video import (LABELS, RUN_COLORS, TEXT, BoundaryPanel, Caption, GlyphReadout, Playhead,
                            PlaygroundDiagram, cached, epoch_and_loss, load_settings, optimizer, runs_from_environment,
                            settings_or_exit, text, title_card)
from pyneuron.video.settings import Rule, count_between, each, layer_sizes, non_negative, one_of, positive
from pyneuron.video.stories import BoundaryVideo, boundary_loss_caption, colour_caption, test_caption

ACTIVATIONS = [a for a in LABELS if a not in ("softmax", "mixed", "linear")]
DEFAULTS = {
    "scenarios": ["linear/identity", "circle/identity", "circle/sigmoid"],  # data/hidden activation
    "more_activations": ["tanh", "relu"],  # on the last scenario's data, beside it
    "layers": [2, 4, 4, 1],
    "points": 300,
    "noise": 0.05,
    "epochs": 1000,
    "optimizer": "adam",
    "lr": 0.03,
    "features": ["x1", "x2"],      # input features, as Playground's: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)
    "regularization": "none",      # or "l1", "l2"
    "regularization_rate": 0.0,
    "train_ratio": 1.0,            # below 1: train on that share, test (outlined) on the rest
    "batch_size": 0,               # 0: full batch
    "seed": 1,
    "resolution": 64,       # heatmap grid points per side
    "snapshots": 200,
    "train_seconds": 12.0,  # screen time of each training sweep
}
DATA = {**datasets.CLASSIFICATION, **datasets.REGRESSION_2D}
SCENARIO = Rule(lambda v: isinstance(v, str) and v.partition("/")[0] in DATA and v.partition("/")[2] in ACTIVATIONS,
                f"<data>/<activation>, data one of {', '.join(DATA)}")


def _one_task(scenarios) -> bool:
    return len({spec.partition("/")[0] in datasets.REGRESSION_2D for spec in scenarios}) == 1


def _features_ok(names) -> bool:
    try:
        features.canonical(names, 2)
    except ValueError:
        return False
    return True


class _Scenarios(Rule):
    """One to three scenarios, all classification or all regression (one loss, one colour key)."""

    def __init__(self):
        self.items = each(SCENARIO, 1, 3)
        super().__init__(lambda v: self.items.check(v) and _one_task(v),
                         self.items.allowed + ", all classification or all regression")

    def problem(self, key, value):
        return self.items.problem(key, value) if not self.items.check(value) else \
            f"{key} mixes classification and regression data; {self.allowed}"

RULES = {
    "scenarios": _Scenarios(), "more_activations": each(one_of(*ACTIVATIONS), 0, 2),
    "layers": layer_sizes(2, 1), "points": positive(), "noise": Rule(lambda v: isinstance(v, float) and 0 <= v <= 1,
                                                                    "a number from 0 to 1"),
    "epochs": positive(), "optimizer": one_of("adam", "sgd"), "lr": positive(float), "seed": non_negative(),
    "features": Rule(_features_ok, "a list of distinct features of x1 and x2: " + ", ".join(features.PLAYGROUND)),
    "regularization": one_of("none", "l1", "l2"), "regularization_rate": Rule(
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < float("inf"),
        "a number >= 0"),
    "train_ratio": Rule(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1,
                        "a number in (0, 1]: 1 trains on every point"),
    "batch_size": non_negative(),
    "resolution": count_between(2, 512), "snapshots": positive(), "train_seconds": positive(float),
}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def samples(cfg: dict, data: str):
    return DATA[data](n=cfg["points"], noise=cfg["noise"], seed=cfg["seed"])


def regression(cfg: dict) -> bool:
    return cfg["scenarios"][0].partition("/")[0] in datasets.REGRESSION_2D


def linear_features(cfg: dict) -> bool:
    """Does the first layer see the plane itself (x1, x2), so that a linear
    unit's boundary is a line in the picture?"""
    return set(features.canonical(cfg["features"], 2)) <= {"x1", "x2"}


def training_words(cfg: dict) -> str:
    """'Adam on binary cross-entropy, L2 at rate 0.003, batches of 10'."""
    words = f"{cfg['optimizer'].capitalize()} on {'squared error' if regression(cfg) else 'binary cross-entropy'}"
    if cfg["regularization"] != "none":
        words += f", {cfg['regularization'].upper()} at rate {cfg['regularization_rate']:g}"
    if cfg["batch_size"]:
        words += f", batches of {cfg['batch_size']}"
    return words


def train(cfg: dict, data: str, activation: str) -> pyneuron.Trajectory:
    keys = ("layers", "points", "noise", "epochs", "optimizer", "lr", "seed", "resolution", "snapshots", "features",
            "regularization", "regularization_rate", "train_ratio", "batch_size")
    run_settings = {k: cfg[k] for k in keys} | {"data": data, "activation": activation}
    is_regression = data in datasets.REGRESSION_2D

    def run():
        x, y = samples(cfg, data)
        net = pyneuron.Network(cfg["layers"], activation=activation, seed=cfg["seed"], features=cfg["features"],
                               output_activation="identity" if is_regression else "sigmoid")
        reg = None if cfg["regularization"] == "none" else cfg["regularization"]
        return net.fit(x, y, loss="mse" if is_regression else "bce", optimizer=optimizer(cfg["optimizer"], cfg["lr"]),
                       epochs=cfg["epochs"], snapshots=cfg["snapshots"], grid=datasets.plane_grid(cfg["resolution"]),
                       source=data, batch_size=cfg["batch_size"] or None, seed=cfg["seed"],
                       train_ratio=cfg["train_ratio"] if cfg["train_ratio"] < 1 else None,
                       regularization=reg, regularization_rate=cfg["regularization_rate"] if reg else 0.0)

    return cached(f"{data}-{activation}", run_settings, run)


# ------------------------------------------------------------------- scene

class DecisionBoundaries(BoundaryVideo):
    def construct(self):
        if runs_from_environment() is not None:  # PYNEURON_RUNS: those runs, in the generic boundary video
            return super().construct()
        cfg = settings()
        specs = [spec.split("/") for spec in cfg["scenarios"]]
        trajs = [train(cfg, data, act) for data, act in specs]
        self.trajectories = trajs  # for tests
        tracker = ValueTracker(0.0)
        head = Playhead(trajs[0])  # every run records the same epochs
        slots = [LEFT * 4.7 + UP * 1.05, UP * 1.05, RIGHT * 4.7 + UP * 1.05]  # the second part's three columns
        first = [RIGHT * (k - (len(trajs) - 1) / 2) * 4.7 + UP * 1.05 for k in range(len(trajs))]  # centred
        layers = "-".join(map(str, cfg["layers"]))
        plane = linear_features(cfg)
        on = "" if plane else " on " + ", ".join(features.label(f) for f in cfg["features"])

        def column(traj, data, act, tag, slot):
            kind = "linearly separable data" if data == "linear" else f"{data} data"
            # None: the run's own data, its test points outlined
            return BoundaryPanel(traj, f"{tag}{LABELS[act]} units", kind, None, RUN_COLORS.get(act, TEXT),
                                 tracker).place(slot)

        def sweep(to_epoch: float, seconds: float):
            u = head.index_of_epoch(min(to_epoch, trajs[0].epochs[-1]))
            self.play(tracker.animate.set_value(u), run_time=seconds, rate_func=linear)

        epochs, seconds = cfg["epochs"], cfg["train_seconds"]
        what = "regression net" if regression(cfg) else "classifier"
        title_card(self, "Why non-linearity matters" if plane and not regression(cfg) else "Learning the plane",
                   f"a {layers} {what}{on}, as in TensorFlow Playground")
        caption = Caption(self)

        # ---- (a), (b), (c)
        columns = [column(t, data, act, f"({chr(97 + i)}) ", slot)
                   for i, (t, (data, act), slot) in enumerate(zip(trajs, specs, first))]
        self.columns = columns
        self.play(*[FadeIn(c) for c in columns], run_time=1.2)
        caption.say(colour_caption(regression(cfg)))
        self.wait(2.0)
        count = ["One", "Two", "Three"][len(trajs) - 1]
        plain_training = cfg["regularization"] == "none" and not cfg["batch_size"]
        caption.say(f"{count} {layers} network{'s' if len(trajs) > 1 else ''}"
                    f"{' train with pyneuron' if plain_training else ''}: {training_words(cfg)}.")
        sweep(epochs * 0.05, seconds * 0.4)
        linear_runs = any(act == "identity" for _, act in specs) and not regression(cfg)
        if linear_runs:
            caption.say("Linear units only: a stack of linear layers is one linear map, so the boundary is a line."
                        if plane else "Linear units on these features: a line in the features is a curve in the plane.")
        sweep(epochs, seconds * 0.6)
        caption.say(boundary_loss_caption(trajs, [chr(97 + i) for i in range(len(trajs))]))
        self.wait(3.0)
        if all(t.test is not None for t in trajs):
            caption.say(test_caption(trajs, [chr(97 + i) for i in range(len(trajs))]))
            self.wait(3.0)
        last_data, last_act = specs[-1]
        if linear_runs and plane and last_data == "circle" and last_act != "identity":
            caption.say(f"{LABELS[last_act]} units bend the boundary around the inner circle; linear units cannot.")
            self.wait(3.0)

        # ---- the same data with other non-linearities, beside the last scenario
        kept = columns[-1]
        more = [train(cfg, last_data, act) for act in cfg["more_activations"]]
        self.more_trajectories = more
        others = [column(t, last_data, act, "", slot)
                  for t, act, slot in zip(more, cfg["more_activations"], slots[1:])]
        self.play(*[FadeOut(c) for c in columns[:-1]], caption.fade_out(),
                  kept.animate.shift(slots[0] - first[-1]), run_time=1.0)
        if others:
            self.play(tracker.animate.set_value(0), *[FadeIn(c) for c in others], run_time=1.0)
            names = " and ".join(LABELS[a] for a in cfg["more_activations"])
            caption.say(f"{names} units {'fit it' if regression(cfg) else 'bend it'} too, trained from the same start "
                        "on the same data.")
            sweep(epochs, seconds)
            if {"relu", "leaky_relu"} & set(cfg["more_activations"]) and plane and not regression(cfg):
                caption.say("ReLU-type units switch along straight lines: their boundary is a polygon.")
                self.wait(3.0)
        self.play(*[FadeOut(c) for c in [kept, *others]], caption.fade_out(), run_time=0.8)

        # ---- inside the last scenario's network: what every unit computes
        tracker.set_value(0)
        playground = PlaygroundDiagram(trajs[-1], tracker)
        self.playground = playground
        readout = GlyphReadout(16, TEXT).follow(lambda: epoch_and_loss(playground.head.at(tracker.get_value())),
                                                lambda g: g.next_to(playground.output, DOWN, buff=0.2))
        heading = text(f"Inside ({chr(96 + len(trajs))}): {LABELS[last_act]} units on {last_data} data", 26,
                       RUN_COLORS.get(last_act, TEXT)).to_edge(UP, buff=0.35)
        self.play(FadeIn(heading), FadeIn(playground), FadeIn(readout), run_time=1.2)
        caption.say("Each small square is one unit's output over the whole plane, as in the playground.")
        self.wait(1.5)
        if not plane:
            caption.say("The first column is the input features, each a map of its own over the plane.")
            self.wait(2.0)
        caption.say(("Layer 1 cuts the plane along lines; the layers after it combine the cuts into the surface."
                     if regression(cfg) else
                     "Layer 1 cuts the plane along lines; layer 2 combines the cuts into a closed shape.") if plane else
                    "Layer 1 weighs the feature maps; the layers after it combine what layer 1 made of them.")
        sweep(epochs, seconds)
        caption.say("Edges: blue weights positive, orange negative; the wider, the larger.")
        self.wait(4.0)


# a bad setting or run: one line and exit status 2, before manim renders
settings_or_exit(lambda: (settings(), runs_from_environment()), __file__)
