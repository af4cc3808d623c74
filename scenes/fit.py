"""Sigmoid vs leaky ReLU learning y = e^(-5x): the headline video.

    manim scenes/fit.py            # 720p30 (manim.cfg), video in media/videos/fit/
    manim -qh scenes/fit.py        # 1080p60
    PYNEURON_RUNS=a.npz,b.npz manim scenes/fit.py   # recorded runs instead

Two 1-2-2-1 networks, identical but for their hidden activation, start
from the same weights and train with Adam; the video replays what
pyneuron recorded: the prediction curves, the weights, the losses, and the
gradient statistics behind the captions.  Change the target, the
activations, the network or the training in ``scenes/fit.toml`` or with
``PYNEURON_<SETTING>`` environment variables (see ``DEFAULTS``).
"""
from __future__ import annotations

from pyneuron.network import ACTIVATION_NAMES
from pyneuron.video import (HEADLINE, HEADLINE_RULES, FitVideo, finite_part, load_settings, runs_from_environment,
                            settings_or_exit, train_1d)
from pyneuron.video.settings import each, one_of, positive

DEFAULTS = {**HEADLINE, "snapshots": 300, "train_seconds": 32.0}  # train_seconds: screen time of the training sweep
RULES = {**HEADLINE_RULES, "activations": each(one_of(*ACTIVATION_NAMES), 1, 4), "snapshots": positive(),
         "train_seconds": positive(float)}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def trajectories(cfg: dict):
    """The runs named by PYNEURON_RUNS, or the settings' runs, trained (or
    read from the cache), each up to its last finite snapshot."""
    return runs_from_environment() or [
        finite_part(train_1d(cfg["target"], cfg["x_range"], cfg["points"], cfg["layers"], act, cfg["epochs"],
                             cfg["optimizer"], cfg["lr"], cfg["seed"], cfg["init"], cfg["snapshots"]))
        for act in cfg["activations"]]


class SigmoidVsLeakyReLU(FitVideo):
    def get_runs(self):
        cfg = settings()
        self.train_seconds = cfg["train_seconds"]
        self.runs = trajectories(cfg)
        return super().get_runs()


# a bad setting or run: one line and exit status 2, before manim renders
settings_or_exit(lambda: (settings(), runs_from_environment()), __file__)
