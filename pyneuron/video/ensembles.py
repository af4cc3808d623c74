"""Widgets of the ensemble and landscape videos: many runs' loss curves,
the distribution of their losses as training goes on, and a loss surface
with a run's path on it.  Each is driven by a ValueTracker holding a
continuous snapshot index u, as the other widgets are."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Axes, Dot, Group, ImageMobject, VGroup, VMobject, config
from PIL.Image import Resampling

from ..landscape import Landscape
from ..sweeps import SweepResult
from ..trajectory import interpolate_loss
from .panels import rgb, upsampling
from .theme import MUTED, TEXT, sci, superscript, text
from .widgets import follow_curve, log_log_axes, to_points

__all__ = ["losses_at", "stuck", "LossFan", "LossHistogram", "LandscapeMap", "loss_colors", "plane_label"]


def losses_at(loss: np.ndarray, u: float) -> np.ndarray:
    """Each run's loss a fraction of the way between snapshots floor(u) and
    floor(u) + 1 (loss: runs x snapshots), geometrically, as the playhead
    of one run interpolates it."""
    last = loss.shape[1] - 1
    u = min(max(float(u), 0.0), float(last))
    j = min(int(np.floor(u)), max(last - 1, 0))
    t = min(max(u - j, 0.0), 1.0)
    return np.array([interpolate_loss(a, b, t) for a, b in zip(loss[:, j], loss[:, min(j + 1, last)])])


def stuck(result: SweepResult, runs: np.ndarray, share: float = 0.1, u: float | None = None) -> np.ndarray:
    """Which of ``runs`` are stuck: their loss at snapshot index u (default:
    the last) still above ``share`` of their initial loss, or not reached
    (they diverged before)."""
    now = result.final_loss[runs] if u is None else losses_at(result.loss[runs], u)
    return ~(now <= share * result.loss[runs, 0])


def _curve(axes, lo: float, epochs: np.ndarray, loss: np.ndarray, u: float) -> np.ndarray:
    """Points of one loss curve up to snapshot index u, on log-log axes."""
    k = min(int(np.floor(u)), len(epochs) - 1) + 1
    e, values = epochs[:k].astype(float), loss[:k]
    if k < len(epochs):
        e = np.append(e, np.interp(u, np.arange(len(epochs)), epochs))
        values = np.append(values, losses_at(loss[None], u)[0])
    y = np.clip(np.log10(np.maximum(np.nan_to_num(values, nan=1e300), 1e-300)) - lo, 0, axes.y_range[1])
    return to_points(axes, np.log10(e + 1), y)


class LossFan(VGroup):
    """Many runs' training losses against epochs (log-log), drawn up to the
    tracker's snapshot: for each group of runs (its loss rows, a colour),
    ``shown`` of them as thin lines and the group's median as a thick one."""

    def __init__(self, result: SweepResult, groups: list[tuple[np.ndarray, str]], tracker, width: float = 6.0,
                 height: float = 3.4, shown: int = 30, font_size: float = 15):
        super().__init__()
        self.result, self.groups, self.tracker = result, groups, tracker
        every = np.concatenate([result.loss[runs].ravel() for runs, _ in groups])
        self.axes, labels, self.lo = log_log_axes(result.epochs[-1], every, width, height, font_size,
                                                  "training loss vs epoch (log-log)")
        self.add(self.axes, labels)
        self.samples = []
        for runs, color in groups:
            sample = runs[np.linspace(0, len(runs) - 1, min(shown, len(runs))).round().astype(int)]
            self.samples.append(sample)
            for r in sample:
                line = follow_curve(lambda r=r: _curve(self.axes, self.lo, result.epochs, result.loss[r],
                                                       tracker.get_value()), color, 1.2)
                self.add(line.set_stroke(opacity=0.35))
        for runs, color in groups:
            self.add(follow_curve(lambda runs=runs: _curve(self.axes, self.lo, result.epochs, self.median(runs),
                                                           tracker.get_value()), color, 5))

    def median(self, runs: np.ndarray) -> np.ndarray:
        """The group's median loss at every snapshot (runs that did not get
        there count as the worst)."""
        return np.median(np.nan_to_num(self.result.loss[runs], nan=np.inf), axis=0)


class LossHistogram(VGroup):
    """The distribution of each group's loss at the tracker's snapshot: a
    histogram over log10(loss) in whole decades, bar heights the share of
    the group's runs, groups overlaid in their colours; ``marks`` (a run
    index per group) are shown as lines at those runs' losses."""

    BINS_PER_DECADE = 4

    def __init__(self, result: SweepResult, groups: list[tuple[np.ndarray, str]], tracker, width: float = 5.4,
                 height: float = 3.4, marks: list[int] | None = None, font_size: float = 15):
        super().__init__()
        self.result, self.groups, self.tracker = result, groups, tracker
        every = np.concatenate([result.loss[runs].ravel() for runs, _ in groups])
        logs = np.log10(every[(every > 0) & np.isfinite(every)])
        self.lo, self.hi = float(np.floor(logs.min())), float(max(np.ceil(logs.max()), np.floor(logs.min()) + 1))
        self.edges = np.linspace(self.lo, self.hi, int(self.hi - self.lo) * self.BINS_PER_DECADE + 1)
        top = max(self.shares(runs, u).max() for runs, _ in groups for u in range(len(result.epochs)))
        self.top = float(np.ceil(top * 10) / 10)
        # x is log10(loss) - lo, so that the axes cross at the bottom left (see at())
        self.axes = Axes(x_range=[0, self.hi - self.lo, 1], y_range=[0, self.top, self.top / 2], x_length=width,
                         y_length=height, axis_config={"color": MUTED, "stroke_width": 2}, tips=False)
        labels = VGroup(text("share of runs by loss, at this epoch", font_size + 2, MUTED)
                        .next_to(self.axes, UP, buff=0.12))
        fits = max(2, int(width / 0.8))  # labels that fit without touching
        step = max(1, int(np.ceil((self.hi - self.lo) / fits)))
        for p in range(int(self.hi), int(self.lo) - 1, -step):
            labels.add(text(f"10{superscript(p)}", font_size, MUTED).next_to(self.at(p, 0), DOWN, 0.1))
        for v in (self.top / 2, self.top):
            labels.add(text(f"{v:.0%}", font_size, MUTED).next_to(self.at(self.lo, v), LEFT, 0.1))
        self.add(self.axes, labels)
        for runs, color in groups:
            bars = VMobject(stroke_color=color, stroke_width=2.5, fill_color=color, fill_opacity=0.3)
            bars.add_updater(lambda m, runs=runs: m.set_points_as_corners(self.outline(runs)))
            bars.set_points_as_corners(self.outline(runs))
            self.add(bars)
        self.marks = VGroup()
        for k, ((runs, color), mark) in enumerate(zip(groups, marks or [])):
            tick = VMobject(stroke_color=color, stroke_width=2.5)
            tick.add_updater(lambda m, mark=mark, k=k: m.set_points_as_corners(self.mark_points(mark, k)))
            tick.set_points_as_corners(self.mark_points(mark, k))
            self.marks.add(tick)
        self.add(self.marks)

    def at(self, log_loss, share):
        """The scene point of (log10 loss, share of runs); vectorised."""
        return to_points(self.axes, np.asarray(log_loss, float) - self.lo, share) if np.ndim(log_loss) else \
            self.axes.c2p(float(log_loss) - self.lo, float(share))

    def shares(self, runs: np.ndarray, u: float) -> np.ndarray:
        """The share of ``runs`` in each bin at snapshot index u (runs off the
        range count in the first or last bin; runs that did not get there,
        in none)."""
        values = losses_at(self.result.loss[runs], u)
        logs = np.log10(values[(values > 0) & np.isfinite(values)])
        counts, _ = np.histogram(np.clip(logs, self.lo, self.hi), self.edges)
        return counts / len(runs)

    def outline(self, runs: np.ndarray) -> np.ndarray:
        heights = np.minimum(self.shares(runs, self.tracker.get_value()), self.top)
        xs = np.repeat(self.edges, 2)[1:-1]
        ys = np.repeat(heights, 2)
        xs, ys = np.concatenate([[self.edges[0]], xs, [self.edges[-1]]]), np.concatenate([[0], ys, [0]])
        return self.at(xs, ys)

    def mark_points(self, run: int, k: int) -> np.ndarray:
        """A line up from the axis at run's loss now (k: its group; the
        groups' lines reach different heights, so that both show where
        they coincide)."""
        value = losses_at(self.result.loss[[run]], self.tracker.get_value())[0]
        x = float(np.clip(np.log10(max(value, 1e-300)), self.lo, self.hi)) if np.isfinite(value) else self.hi
        return np.array([self.at(x, 0), self.at(x, self.top * (1.0 - 0.12 * k))])


# ---- the loss landscape

#: a sequential colour ramp for log loss, dark (low) to light (high)
RAMP = np.array([rgb(c) for c in ("#0b1d3a", "#1f4e79", "#2a7f8e", "#4fb286", "#b5d86a", "#fde68a")])


def loss_colors(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """RGB (0-255) of log10 loss values on RAMP over [lo, hi]."""
    t = np.clip((np.asarray(values, float) - lo) / (hi - lo), 0, 1) * (len(RAMP) - 1)
    i = np.minimum(np.floor(t).astype(int), len(RAMP) - 2)
    w = (t - i)[..., None]
    return RAMP[i] * (1 - w) + RAMP[i + 1] * w


class LandscapeMap(Group):
    """A loss landscape (log10 loss over the plane, its ramp from its lowest
    value to its 98th percentile) with the run's path drawn up to the
    tracker's snapshot, and a dot at the current point filled with the
    colour of its true loss -- which matches the surface under it only
    where the path lies in the plane."""

    def __init__(self, land: Landscape, tracker, color: str, side: float = 3.6):
        super().__init__()
        self.land, self.tracker = land, tracker
        logs = np.log10(np.maximum(land.loss, 1e-300))
        self.lo, self.hi = float(logs.min()), float(np.percentile(logs, 98))
        pixels = max(8, int(np.ceil(side / config.frame_height * config.pixel_height)))
        image = upsampling(land.b.size, pixels) @ logs @ upsampling(land.a.size, pixels).T
        rgba = np.empty((pixels, pixels, 4), np.uint8)
        rgba[..., :3] = np.round(loss_colors(image[::-1], self.lo, self.hi))  # row 0 is the top: b descending
        rgba[..., 3] = 255
        self.image = ImageMobject(rgba, resampling_algorithm=Resampling.BILINEAR)
        self.image.height = side
        self.axes = Axes(x_range=[land.a[0], land.a[-1], land.a[-1] - land.a[0]],
                         y_range=[land.b[0], land.b[-1], land.b[-1] - land.b[0]], x_length=side, y_length=side,
                         axis_config={"stroke_opacity": 0}, tips=False).move_to(self.image)
        self.path = follow_curve(lambda: self.path_points(), color, 3)
        self.dot = Dot(radius=0.09, stroke_color=TEXT, stroke_width=2.5, fill_opacity=1)
        self.dot.add_updater(lambda d: d.move_to(self.point_now()).set_fill(self.color_now()))
        self.dot.move_to(self.point_now()).set_fill(self.color_now())
        self.add(self.image, self.axes, self.path, self.dot)

    def coords(self, u: float) -> np.ndarray:
        """The path's plane coordinates at snapshot index u (linear between snapshots)."""
        k = np.arange(len(self.land.path))
        return np.array([np.interp(u, k, self.land.path[:, 0]), np.interp(u, k, self.land.path[:, 1])])

    def path_points(self) -> np.ndarray:
        u = float(self.tracker.get_value())
        k = min(int(np.floor(u)), len(self.land.path) - 1) + 1
        ab = np.vstack([self.land.path[:k], self.coords(u)[None]])
        return to_points(self.axes, ab[:, 0], ab[:, 1])

    def point_now(self) -> np.ndarray:
        a, b = self.coords(float(self.tracker.get_value()))
        return self.axes.c2p(a, b)

    def loss_now(self) -> float:
        """The true (recorded) loss at the tracker's snapshot."""
        return float(losses_at(self.land.path_loss[None], float(self.tracker.get_value()))[0])

    def color_now(self) -> str:
        r, g, b = np.round(loss_colors(np.log10(self.loss_now()), self.lo, self.hi)).astype(int)
        return f"#{r:02x}{g:02x}{b:02x}"

    def colorbar(self, width: float, font_size: float = 14) -> Group:
        """A horizontal key of the ramp with its ends' losses."""
        ramp = np.round(loss_colors(np.linspace(self.lo, self.hi, 256), self.lo, self.hi)).astype(np.uint8)
        rgba = np.concatenate([np.repeat(ramp[None], 8, axis=0), np.full((8, 256, 1), 255, np.uint8)], axis=2)
        bar = ImageMobject(rgba, resampling_algorithm=Resampling.BILINEAR)
        bar.stretch_to_fit_width(width).stretch_to_fit_height(0.14)
        low = text(sci(10 ** self.lo), font_size, MUTED).next_to(bar, LEFT, buff=0.12)
        high = text(sci(10 ** self.hi), font_size, MUTED).next_to(bar, RIGHT, buff=0.12)
        return Group(bar, low, high)


def plane_label(land: Landscape, font_size: float = 15) -> VGroup:
    """What the two axes of the plane are, and how much of the path each holds."""
    return VGroup(text(f"→ direction 1: {land.explained[0]:.0%} of the path's spread", font_size, MUTED),
                  text(f"↑ direction 2: {land.explained[1]:.0%}", font_size, MUTED)).arrange(DOWN, aligned_edge=LEFT,
                                                                                              buff=0.06)

