"""The loss landscape of the headline net, sigmoid vs leaky ReLU.

    manim scenes/landscape.py         # 720p30, video in media/videos/landscape/
    manim -qh scenes/landscape.py     # 1080p60

A network's loss is a function of all its parameters: 13 of them for the
headline 1-2-2-1 net, too many to draw.  This video draws one plane
through them, the one Li et al. ("Visualizing the Loss Landscape of
Neural Nets", 2018) use for an optimiser's path: through the final weights
along the two principal directions of the recorded trajectory.  The loss
over the plane is computed in C (pyneuron.landscape), and the run moves
over it as recorded, its dot filled with the colour of its own, true loss.
The path's points do not lie in the plane; the video says how far off they
are, and that the surface under a point is therefore not that point's
loss.  Settings: ``scenes/landscape.toml`` or ``PYNEURON_<SETTING>``.
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, ValueTracker, VGroup

import pyneuron
from pyneuron.video import (HEADLINE, HEADLINE_RULES, LABELS, RUN_COLORS, TEXT, Caption, GlyphReadout, LandscapeMap, Playhead, VideoScene,
                            epoch_and_loss, finite_part, load_settings, plane_label, settings_or_exit, text,
                            title_card, train_1d)
from pyneuron.video.settings import count_between, positive

DEFAULTS = {  # the headline video's runs (scenes/fit.toml)
    **HEADLINE,
    "snapshots": 300,
    "resolution": 201,      # grid points per side of the plane
    "train_seconds": 16.0,  # screen time of the run crossing the landscape
}
# a plane needs at least 3 snapshots (pyneuron.landscape), a grid at least 2 points a side
RULES = {**HEADLINE_RULES, "snapshots": count_between(3, 100_000), "resolution": count_between(2, 1001),
         "train_seconds": positive(float)}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


def runs(cfg: dict) -> list[pyneuron.Trajectory]:
    return [finite_part(train_1d(cfg["target"], cfg["x_range"], cfg["points"], cfg["layers"], act, cfg["epochs"],
                                 cfg["optimizer"], cfg["lr"], cfg["seed"], cfg["init"], cfg["snapshots"]))
            for act in cfg["activations"]]


class LossLandscape(VideoScene):
    def construct(self):
        cfg = settings()
        self.trajectories = trajs = runs(cfg)
        self.landscapes = lands = [pyneuron.landscape(t, resolution=cfg["resolution"]) for t in trajs]
        names = [LABELS.get(a, a) for a in cfg["activations"]]
        caption = Caption(self)
        title_card(self, "The loss landscape", "the loss over one plane through the weights, and the path on it")
        tracker = ValueTracker(0.0)
        panels, self.maps = [], []
        for traj, land, act, name, side in zip(trajs, lands, cfg["activations"], names, (LEFT, RIGHT)):
            color = RUN_COLORS.get(act, TEXT)
            lmap = LandscapeMap(land, tracker, color, side=3.7).move_to(side * 3.5 + UP * 0.55)
            header = text(name, 28, color).next_to(lmap, UP, buff=0.2)
            key = lmap.colorbar(2.6).next_to(lmap, DOWN, buff=0.22)
            axes_note = plane_label(land, 14).next_to(key, DOWN, buff=0.14)
            head = Playhead(traj)
            readout = GlyphReadout(16, TEXT).follow(
                lambda h=head, m=lmap: f"{epoch_and_loss(h.at(tracker.get_value()))}   off the plane "
                                       f"{self.off_plane(m, tracker.get_value()):.2f}",
                lambda g, a=axes_note: g.next_to(a, DOWN, buff=0.12))
            self.maps.append(lmap)
            panels.append((lmap, VGroup(header, axes_note, readout), key))
        self.play(*[FadeIn(m) for m, _, _ in panels], *[FadeIn(v) for _, v, _ in panels],
                  *[FadeIn(k) for _, _, k in panels], run_time=1.2)
        params = trajs[0].flat_params.shape[1]
        caption.say(f"{params} weights, one plane: through the final ones, along the path's two main directions.")
        self.wait(3.0)
        caption.say("Colour: the loss over the plane (log scale). Dot: the run, filled with its own loss.")
        self.play(tracker.animate.set_value(len(lands[0].path) - 1), run_time=cfg["train_seconds"],
                  rate_func=lambda t: t)
        off = [land.max_off_plane for land in lands]
        caption.say(f"The path leaves the plane (by up to {off[0]:.0%}, {off[1]:.0%} of its width): "
                    "the surface is not its loss.")
        self.wait(4.5)
        share = [land.explained[0] for land in lands]
        caption.say(f"Direction 1 holds {share[0]:.0%} and {share[1]:.0%} of the paths: "
                    "they run mostly along one line.")
        self.wait(4.5)

    @staticmethod
    def off_plane(lmap: LandscapeMap, u: float) -> float:
        """The run's distance from the plane at snapshot index u, as a share
        of the path's width in the plane."""
        land = lmap.land
        width = float(np.ptp(land.path, axis=0).max()) or 1.0
        return float(np.interp(u, np.arange(len(land.off_plane)), land.off_plane)) / width


# a bad setting: one line and exit status 2, before manim renders
settings_or_exit(settings, __file__)
