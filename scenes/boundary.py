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

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ValueTracker, linear

import pyneuron
from pyneuron import datasets
from pyneuron.video import (LABELS, RUN_COLORS, TEXT, BoundaryPanel, Caption, GlyphReadout, Playhead,
                            PlaygroundDiagram, cached, epoch_and_loss, load_settings, optimizer, runs_from_environment,
                            settings_or_exit, text, title_card)
from pyneuron.video.settings import Rule, count_between, each, layer_sizes, non_negative, one_of, positive
from pyneuron.video.stories import BoundaryVideo

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
    "seed": 1,
    "resolution": 64,       # heatmap grid points per side
    "snapshots": 200,
    "train_seconds": 12.0,  # screen time of each training sweep
}
SCENARIO = Rule(lambda v: isinstance(v, str) and v.partition("/")[0] in datasets.CLASSIFICATION
                and v.partition("/")[2] in ACTIVATIONS,
                f"<data>/<activation>, data one of {', '.join(datasets.CLASSIFICATION)}")
RULES = {
    "scenarios": each(SCENARIO, 1, 3), "more_activations": each(one_of(*ACTIVATIONS), 0, 2),
    "layers": layer_sizes(2, 1), "points": positive(), "noise": Rule(lambda v: isinstance(v, float) and 0 <= v <= 1,
                                                                    "a number from 0 to 1"),
    "epochs": positive(), "optimizer": one_of("adam", "sgd"), "lr": positive(float), "seed": non_negative(),
    "resolution": count_between(2, 512), "snapshots": positive(), "train_seconds": positive(float),
}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def samples(cfg: dict, data: str):
    return datasets.CLASSIFICATION[data](n=cfg["points"], noise=cfg["noise"], seed=cfg["seed"])


def train(cfg: dict, data: str, activation: str) -> pyneuron.Trajectory:
    keys = ("layers", "points", "noise", "epochs", "optimizer", "lr", "seed", "resolution", "snapshots")
    run_settings = {k: cfg[k] for k in keys} | {"data": data, "activation": activation}

    def run():
        x, y = samples(cfg, data)
        net = pyneuron.Network(cfg["layers"], activation=activation, output_activation="sigmoid", seed=cfg["seed"])
        return net.fit(x, y, loss="bce", optimizer=optimizer(cfg["optimizer"], cfg["lr"]), epochs=cfg["epochs"],
                       snapshots=cfg["snapshots"], grid=datasets.plane_grid(cfg["resolution"]), source=data)

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
        slots = [LEFT * 4.7 + UP * 1.05, UP * 1.05, RIGHT * 4.7 + UP * 1.05]
        layers = "-".join(map(str, cfg["layers"]))

        def column(traj, data, act, tag, slot):
            kind = "linearly separable data" if data == "linear" else f"{data} data"
            return BoundaryPanel(traj, f"{tag}{LABELS[act]} units", kind, samples(cfg, data), RUN_COLORS.get(act, TEXT),
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


# a bad setting or run: one line and exit status 2, before manim renders
settings_or_exit(lambda: (settings(), runs_from_environment()), __file__)
