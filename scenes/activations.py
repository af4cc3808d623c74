"""The activation gallery: every activation with its derivative and the
flat regions where the gradient vanishes.

    manim scenes/activations.py        # 720p30 (manim.cfg), video in media/videos/activations/
    manim -qh scenes/activations.py    # 1080p60

One tile per activation, on a shared scale: the function as a solid curve,
its derivative dashed, its formula and output range, and shading where
|f′(x)| < threshold (stronger where f′ is exactly 0).  Everything drawn
comes from pyneuron's own kernels, sampled on the x range: the curve is
``F.<name>(x)``, the derivative ``F.<name>_backward(x, 1)``, and the
shading and each tile's caption are computed from those samples.  Choose
the activations (any row of ``pyneuron._registry``), ranges, threshold and
pace in ``scenes/activations.toml`` or with ``PYNEURON_<SETTING>``
environment variables (see ``DEFAULTS``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import (LEFT, RIGHT, UP, WHITE, Axes, Create, DashedVMobject, FadeIn, Line, ManimColor,
                   Polygon, Rectangle, VGroup, VMobject, config)

import pyneuron.functional as F
from pyneuron._registry import BY_NAME

from pyneuron.video import (FORMULAS, LABELS, MUTED, RUN_COLORS, TEXT, Caption, Label, VideoScene, load_settings,
                            settings_or_exit, text, title_card, to_points)
from pyneuron._registry import BY_NAME
from pyneuron.video.settings import Rule, each, interval, one_of, positive

DEFAULTS = {
    "activations": ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus"],
    "x_range": [-5.0, 5.0],
    "y_range": [-1.25, 2.25],  # shared by every tile, so slopes and gradients compare across tiles
    "samples": 401,
    "threshold": 0.05,       # |f′| below this counts as a vanishing gradient
    "tile_seconds": 4.0,     # screen time of each tile being drawn
    "hold_seconds": 6.0,     # the finished gallery, with the summary caption
}

SMALL_SHADE, ZERO_SHADE = 0.10, 0.26   # fill opacities of the two kinds of flat region
STEP = 10.0  # a rise steeper than this between samples is a jump (ReLU's f′ at 0): not drawn as a line
DASH = (0.10, 0.07)  # derivative dashes, on and off, in scene units of arc length
PLOT = (4.1, 1.43)   # plot width and height: the default ranges at equal scale on x and y, so slope 1 looks 45°
CAPTION_SPACE = 0.68  # kept free above the frame's bottom edge for the caption line


RULES = {
    "activations": each(one_of(*BY_NAME), 1, 9),  # the functional ops, F.<name>
    "x_range": interval(), "y_range": interval(), "samples": Rule(lambda v: isinstance(v, int) and v >= 3,
                                                                  "an integer of at least 3"),
    "threshold": positive(float), "tile_seconds": positive(float), "hold_seconds": positive(float),
}


def settings() -> dict:
    return load_settings(__file__, DEFAULTS, RULES)


@dataclass(frozen=True)
class Region:
    """An x interval where |f′| < threshold; ``zero``: f′ is exactly 0 there."""
    lo: float
    hi: float
    zero: bool


def flat_regions(xs: np.ndarray, slope: np.ndarray, threshold: float) -> list[Region]:
    """Runs of samples with |f′| < threshold, split where f′ is exactly 0.
    Each sample stands for the cell halfway to its neighbours, so regions
    tile the x range without gaps."""
    kind = np.where(slope == 0, 2, np.where(np.abs(slope) < threshold, 1, 0))
    edges = np.concatenate([xs[:1], (xs[1:] + xs[:-1]) / 2, xs[-1:]])
    starts = np.flatnonzero(np.diff(kind, prepend=-1))
    ends = np.append(starts[1:], len(xs))
    return [Region(float(edges[s]), float(edges[e]), bool(kind[s] == 2)) for s, e in zip(starts, ends) if kind[s]]


def traced(axes: Axes, xs, ys, color: str, width: float, dash=None) -> VMobject:
    """The samples as a polyline whose every anchor is a sample: cut where it
    leaves the axes' y range or jumps, and with ``dash=(on, off)`` kept only
    on alternate stretches of arc length."""
    points = to_points(axes, xs, ys)
    keep = (ys >= axes.y_range[0]) & (ys <= axes.y_range[1])
    if dash:
        arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        keep &= arc % sum(dash) < dash[0]
    joined = np.flatnonzero(keep[:-1] & keep[1:] & (np.abs(np.diff(ys)) <= STEP * np.diff(xs)))
    a, b = points[joined], points[joined + 1]
    line = VMobject(stroke_color=color, stroke_width=width)
    # one straight cubic per joined pair; manim starts a new subpath wherever consecutive curves don't touch
    line.set_points(np.stack([a, a + (b - a) / 3, b - (b - a) / 3, b], axis=1).reshape(-1, 3))
    return line


def output_range(name: str) -> str:
    """The registry's output range, readable: '(-alpha, inf)' -> '(−1, ∞)'."""
    row = BY_NAME[name]
    s = row.output_range
    for p in row.params:
        if isinstance(p.default, float):
            s = s.replace(p.name, f"{p.default:g}")
    return "range " + s.replace("inf", "∞").replace("-", "−")


def num(v: float, spec: str = ".2g") -> str:
    """A number as shown: unicode minus, and no '−0.0'."""
    s = format(v, spec)
    return "0" if float(s) == 0 else s.replace("-", "−")


class Tile(VGroup):
    """One activation: header, axes, the sampled curve and derivative, and
    the shaded flat regions, all in place but not yet on screen."""

    def __init__(self, name: str, xs: np.ndarray, y_range, threshold: float):
        super().__init__()
        if name not in BY_NAME:
            raise ValueError(f"unknown activation {name!r}; known: {', '.join(BY_NAME)}")
        self.name, self.xs, self.threshold = name, xs, threshold
        self.run_color = RUN_COLORS.get(name, TEXT)
        self.values = getattr(F, name)(xs)
        self.slope = getattr(F, f"{name}_backward")(xs, np.ones_like(xs))
        self.regions = flat_regions(xs, self.slope, threshold)
        lo, hi = float(xs[0]), float(xs[-1])
        self.axes = Axes(x_range=[lo, hi, 1], y_range=[*y_range, 1], x_length=PLOT[0], y_length=PLOT[1],
                         tips=False, axis_config={"color": MUTED, "stroke_width": 1.5, "tick_size": 0.05},
                         y_axis_config={"include_ticks": False})
        guides = VGroup()
        for level in (-1, 1):
            if y_range[0] < level < y_range[1]:
                line = traced(self.axes, xs, np.full_like(xs, level), MUTED, 1, dash=(0.04, 0.05))
                guides.add(line.set_opacity(0.6),
                           Label(num(level), font_size=15).next_to(self.axes.c2p(lo, level), LEFT, buff=0.08))
        name_text = text(LABELS.get(name, name), 24, self.run_color)
        range_text = text(output_range(name), 17, MUTED)
        formula = FORMULAS.get(name, "")
        formula = text(formula if "=" in formula else f"f(x) = {formula}", 18, TEXT)
        if formula.width > self.axes.width:
            formula.scale_to_fit_width(self.axes.width)
        formula.next_to(self.axes, UP, buff=0.1).align_to(self.axes, LEFT)
        # line up on the capitals, not the bounding boxes: a descender (sigmoid, leaky) would lift a name
        cap_top = self.axes.get_top()[1] + 0.72
        cap_middle = cap_top - text("H", 24).height / 2
        name_text.align_to(self.axes, LEFT).align_to(UP * cap_top, UP)
        range_text.align_to(self.axes, RIGHT).set_y(cap_middle)
        self.frame = VGroup(name_text, range_text, formula, self.axes, guides)
        self.curve = traced(self.axes, xs, self.values, self.run_color, 4)
        lighter = ManimColor(self.run_color).interpolate(WHITE, 0.4)
        self.derivative = traced(self.axes, xs, self.slope, lighter, 2.5, DASH)
        self.shading = VGroup(*[self._shade(r, y_range) for r in self.regions]).set_z_index(-1)
        self.add(self.shading, self.frame, self.derivative, self.curve)

    def _shade(self, region: Region, y_range) -> Polygon:
        corners = [(region.lo, y_range[0]), (region.hi, y_range[0]), (region.hi, y_range[1]), (region.lo, y_range[1])]
        return Polygon(*[self.axes.c2p(x, y) for x, y in corners], stroke_width=0, fill_color=TEXT,
                       fill_opacity=ZERO_SHADE if region.zero else SMALL_SHADE)

    def caption(self) -> str:
        """What the samples say about this activation's gradient."""
        values = np.unique(self.slope)
        if len(values) == 1:
            spread = f"f′ = {num(values[0])} everywhere"
        elif len(values) == 2:
            spread = f"f′ is {num(values[0])} or {num(values[1])}"
        elif values[0] >= 0:
            spread = f"f′ ≤ {num(values[-1])}"
        else:
            spread = f"f′ ∈ [{num(values[0])}, {num(values[-1])}]"
        zero = [r for r in self.regions if r.zero]
        small = [r for r in self.regions if not r.zero]
        facts = [spread] + [f"{label} for {self._where(rs)}" for label, rs in
                            (("exactly 0", zero), (f"|f′| < {self.threshold:g}", small)) if rs]
        left = any(r.lo == self.xs[0] for r in small)
        right = any(r.hi == self.xs[-1] for r in small)
        in_small = (np.abs(self.slope) < self.threshold) & (self.slope != 0)
        if not self.regions:
            lesson = "never flat: the gradient always gets through"
        elif zero:
            lesson = "a unit stuck there stops learning"
        elif np.ptp(self.slope[in_small]) == 0:
            lesson = "small but never 0, so units keep learning"
        elif left and right:
            lesson = "saturated units barely learn"
        elif left or right:
            lesson = f"saturates for {'x < 0' if left else 'x > 0'}"
        else:
            lesson = "flat only where f′ crosses 0"
        return f"{LABELS.get(self.name, self.name)}: {', '.join(facts)} — {lesson}."

    def _where(self, regions: list[Region]) -> str:
        """'x < −2.9', '|x| > 2.9', 'near x = −0.8', 'all x' ..."""
        first, last = float(self.xs[0]), float(self.xs[-1])
        ends = [r for r in regions if r.lo == first or r.hi == last]
        if len(ends) == 2 and math.isclose(-ends[0].hi, ends[1].lo, abs_tol=1e-9) and ends[0].lo == -ends[1].hi:
            spans = [f"|x| > {num(ends[1].lo, '.1f')}"]
            regions = [r for r in regions if r not in ends]
        else:
            spans = []
        for r in regions:
            if r.lo == first and r.hi == last:
                spans.append("all x")
            elif r.lo == first:
                spans.append(f"x < {num(r.hi, '.1f')}")
            elif r.hi == last:
                spans.append(f"x > {num(r.lo, '.1f')}")
            else:
                spans.append(f"near x = {num((r.lo + r.hi) / 2, '.1f')}")
        return " and ".join(spans)


def legend(threshold: float) -> VGroup:
    """— f(x)   - - f′(x)   ▮ |f′| < threshold   ▮ f′ = 0"""
    def swatch(opacity):
        return Rectangle(width=0.28, height=0.22, stroke_width=0, fill_color=TEXT, fill_opacity=opacity)

    entries = [(Line(LEFT * 0.25, RIGHT * 0.25, stroke_width=4, color=TEXT), "f(x)"),
               (DashedVMobject(Line(LEFT * 0.25, RIGHT * 0.25, stroke_width=2.5, color=TEXT), num_dashes=3), "f′(x)"),
               (swatch(SMALL_SHADE), f"|f′| < {threshold:g}"),
               (swatch(ZERO_SHADE), "f′ = 0")]
    return VGroup(*[VGroup(mark, text(label, 18, MUTED)).arrange(RIGHT, buff=0.12) for mark, label in entries]
                  ).arrange(RIGHT, buff=0.45)


def names(tiles: list[Tile]) -> str:
    return ", ".join(LABELS.get(t.name, t.name) for t in tiles) or "none"


class ActivationGallery(VideoScene):
    def construct(self):
        cfg = settings()
        xs = np.linspace(*cfg["x_range"], cfg["samples"])
        tiles = [Tile(name, xs, cfg["y_range"], cfg["threshold"]) for name in cfg["activations"]]
        self.tiles = tiles  # for tests
        cols = math.ceil(math.sqrt(len(tiles)))
        cell_w, cell_h = PLOT[0] + 0.6, PLOT[1] + 0.95
        for i, tile in enumerate(tiles):
            # place by the axes, so plots line up whatever their headers' widths
            cell = np.array([(i % cols - (cols - 1) / 2) * cell_w, -(i // cols) * cell_h, 0])
            tile.shift(cell - tile.axes.get_center())
        x_lo, x_hi = cfg["x_range"]
        heading = text(f"x from {num(x_lo, 'g')} to {num(x_hi, 'g')}, same scale in every tile", 18, MUTED)
        top = VGroup(heading, legend(cfg["threshold"])).arrange(RIGHT, buff=0.8).to_edge(UP, buff=0.18)
        grid = VGroup(*tiles)
        area_top, area_bottom = top.get_bottom()[1] - 0.15, -config.frame_height / 2 + CAPTION_SPACE
        grid.scale(min(13.9 / grid.width, (area_top - area_bottom) / grid.height, 1.4))
        grid.move_to([0, (area_top + area_bottom) / 2, 0])

        title_card(self, "Activation functions and their gradients",
                   "each with its derivative f′, as pyneuron's kernels compute them")
        self.play(FadeIn(top), run_time=0.6)

        self.caption = caption = Caption(self)  # for tests
        t = cfg["tile_seconds"]
        for tile in tiles:
            caption.say(tile.caption(), run_time=0.1 * t)
            self.play(FadeIn(tile.frame), run_time=0.15 * t)
            self.play(Create(tile.curve), run_time=0.25 * t)
            self.play(Create(tile.derivative), run_time=0.2 * t)
            if tile.regions:
                self.play(FadeIn(tile.shading), run_time=0.1 * t)
            self.wait(0.2 * t if tile.regions else 0.3 * t)

        caption.say(f"Shaded: |f′| < {cfg['threshold']:g}, little gradient flows back. "
                    f"Exactly 0: {names([t for t in tiles if any(r.zero for r in t.regions)])}. "
                    f"Never flat: {names([t for t in tiles if not t.regions])}.")
        self.wait(cfg["hold_seconds"])


settings_or_exit(settings, __file__)  # a bad setting: one line and exit status 2, before manim renders
