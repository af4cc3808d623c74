"""One run is an anecdote: 1,000 initialisations of the headline net.

    manim scenes/ensemble.py          # 720p30, video in media/videos/ensemble/
    manim -qh scenes/ensemble.py      # 1080p60

The headline video trains one sigmoid and one leaky-ReLU 1-2-2-1 net on
e^(-5x) from one set of initial weights.  Whether one "wins" depends on
those weights: here pyneuron.sweep trains the same pair from 1,000 seeds
each, in C on every core, and the video shows the fan of loss curves, the
distribution of the losses as training goes on, the share of runs that got
stuck and of runs with dead units, and where the headline video's own run
falls.  Every number is read from the sweep.  Settings:
``scenes/ensemble.toml`` or ``PYNEURON_<SETTING>`` (see ``DEFAULTS``).
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, ValueTracker, VGroup

import pyneuron
from pyneuron import datasets
from pyneuron.video import (HEADLINE, HEADLINE_RULES, LABELS, MUTED, RUN_COLORS, TEXT, Caption, GlyphReadout, LossFan, LossHistogram,
                            VideoScene, cached, load_settings, losses_at, optimizer, settings_or_exit, stuck, text,
                            title_card)
from pyneuron.video.settings import non_negative, positive

DEFAULTS = {  # the headline video's runs (scenes/fit.toml), from `seeds` initialisations
    **{k: v for k, v in HEADLINE.items() if k != "seed"},
    "seeds": 1000,          # initialisations per activation
    "headline_seed": 0,     # the headline video's run
    "stuck_share": 0.1,     # stuck: the final loss still above this share of the initial one
    "train_seconds": 14.0,  # screen time of the training sweep
}
RULES = {**{k: r for k, r in HEADLINE_RULES.items() if k != "seed"}, "seeds": positive(),
         "headline_seed": non_negative(), "stuck_share": positive(float), "train_seconds": positive(float)}


def settings() -> dict:
    cfg = load_settings(__file__, DEFAULTS, RULES)
    if cfg["headline_seed"] >= cfg["seeds"]:
        raise ValueError(f"headline_seed {cfg['headline_seed']} is not among the {cfg['seeds']} seeds")
    return cfg


def run_sweep(cfg: dict) -> pyneuron.SweepResult:
    """The sweep (from the cache when its settings were run before)."""
    keys = ("target", "x_range", "points", "layers", "activations", "epochs", "optimizer", "lr", "init", "seeds")

    def run():
        x, y = datasets.function(cfg["target"], n=cfg["points"], x_range=cfg["x_range"])
        return pyneuron.sweep(x, y, cfg["layers"], activation=cfg["activations"], init=cfg["init"],
                              seed=list(range(cfg["seeds"])), optimizer=optimizer(cfg["optimizer"], cfg["lr"]),
                              epochs=cfg["epochs"], progress=True)

    return cached("sweep", {k: cfg[k] for k in keys}, run, load=pyneuron.SweepResult.load)


def groups(result: pyneuron.SweepResult, cfg: dict) -> list[tuple[np.ndarray, str]]:
    return [(result.where(activation=a), RUN_COLORS.get(a, TEXT)) for a in cfg["activations"]]


def headline_runs(result: pyneuron.SweepResult, cfg: dict) -> list[int]:
    return [int(result.where(activation=a, seed=cfg["headline_seed"])[0]) for a in cfg["activations"]]


def better_than(result: pyneuron.SweepResult, runs: np.ndarray, run: int) -> float:
    """The share of ``runs`` whose final loss is worse than ``run``'s."""
    final = np.nan_to_num(result.final_loss[runs], nan=np.inf)
    return float(np.mean(final > result.final_loss[run]))


class OneRunIsAnAnecdote(VideoScene):
    def construct(self):
        cfg = settings()
        self.result = result = run_sweep(cfg)
        self.groups = grouped = groups(result, cfg)
        acts, names = cfg["activations"], [LABELS.get(a, a) for a in cfg["activations"]]
        layers = "-".join(map(str, cfg["layers"]))
        caption = Caption(self)
        title_card(self, "One run is an anecdote",
                   f"{cfg['seeds']:,} initialisations of the headline {layers} net, each trained in C")
        tracker = ValueTracker(0.0)
        self.fan = LossFan(result, grouped, tracker, width=5.9, height=3.3).move_to(LEFT * 3.45 + UP * 0.75)
        heads = headline_runs(result, cfg)
        self.histogram = LossHistogram(result, grouped, tracker, width=5.3, height=3.3, marks=heads)
        self.histogram.move_to(RIGHT * 3.75 + UP * 0.75)
        legend = VGroup(*[text(n, 24, c) for n, (_, c) in zip(names, grouped)]).arrange(RIGHT, buff=0.6)
        legend.to_edge(UP, buff=0.3)
        readouts = VGroup()
        for (runs, color), name in zip(grouped, names):
            readouts.add(GlyphReadout(17, color).follow(
                lambda runs=runs, name=name: self.status(runs, name, tracker.get_value(), cfg["stuck_share"]),
                lambda g, k=len(readouts): g.next_to(self.fan, DOWN, buff=0.45 + 0.32 * k).align_to(self.fan,
                                                                                                   LEFT)))
        tick_key = text("upright lines: the headline video's two runs", 15, MUTED)
        tick_key.next_to(self.histogram, DOWN, buff=0.45)
        self.play(FadeIn(legend), FadeIn(self.fan), FadeIn(self.histogram), FadeIn(readouts), FadeIn(tick_key),
                  run_time=1.2)
        caption.say(f"The same two {layers} nets, {cfg['seeds']:,} random starts each: Adam, lr {cfg['lr']}.")
        self.wait(2.5)
        caption.say("Thin lines: 30 runs of each; thick: the median. Right: where all the losses are.")
        self.play(tracker.animate.set_value(len(result.epochs) - 1), run_time=cfg["train_seconds"], rate_func=lambda t: t)
        medians = [float(np.median(result.final_loss[runs])) for runs, _ in grouped]
        better = 0 if medians[0] < medians[1] else 1
        caption.say(f"Median final loss: {names[0]} {medians[0]:.1e}, {names[1]} {medians[1]:.1e}: "
                    f"{names[better]} wins {self.wins(better):.0%} of paired starts.")
        self.wait(4.0)
        stuck_shares = [float(stuck(result, runs, cfg["stuck_share"]).mean()) for runs, _ in grouped]
        dead = [float((result.dead_fraction[runs] > 0).mean()) for runs, _ in grouped]
        caption.say(f"Still above {cfg['stuck_share']:.0%} of the first loss: {names[0]} {stuck_shares[0]:.0%}, "
                    f"{names[1]} {stuck_shares[1]:.0%}. Dead units: {dead[0]:.0%}, {dead[1]:.0%}.")
        self.wait(4.5)
        ranks = [better_than(result, runs, h) for (runs, _), h in zip(grouped, heads)]
        caption.say(f"The headline runs beat {ranks[0]:.0%} of {names[0]} runs and {ranks[1]:.0%} of "
                    f"{names[1]} runs: one draw each.")
        self.wait(4.5)

    def wins(self, k: int) -> float:
        """The share of seeds at which group k's run ends below the other's."""
        a, b = (np.nan_to_num(self.result.final_loss[runs], nan=np.inf) for runs, _ in self.groups)
        return float(np.mean(a < b) if k == 0 else np.mean(b < a))

    def status(self, runs: np.ndarray, name: str, u: float, share: float) -> str:
        now = losses_at(self.result.loss[runs], u)
        still = float(stuck(self.result, runs, share, u).mean())
        return f"{name:<11} median {np.median(now):.1e}   above {share:.0%} of start: {still:>4.0%}"


# a bad setting: one line and exit status 2, before manim renders
settings_or_exit(settings, __file__)
