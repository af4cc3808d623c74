"""Softmax: from logits to probabilities.

    manim scenes/softmax.py          # 720p30 (manim.cfg), video in media/videos/softmax/
    manim -qh scenes/softmax.py      # 1080p60

Four tables of bars, one row per class, about 80 s in all:

1. a worked example: logits, e^z, their sum, the division, probabilities;
2. large logits: e^z overflows float64 to inf and inf / inf gives NaN;
   subtracting the largest logit fixes it, and a live shift c shows that
   softmax(z - c) = softmax(z);
3. one sigmoid per class against softmax on the same logits, then one
   logit raised: the sigmoids of the other classes stay, softmax's fall;
4. two small networks, softmax + cross-entropy and per-class sigmoids +
   BCE, trained by pyneuron on blobs of points: their outputs at one point
   over training, and their sums.

Every number shown is computed: numpy for the intermediate steps,
pyneuron.functional for softmax and sigmoid, recorded trajectories for the
training.  Change the classes, the logits, the data, the training or the
pace in ``scenes/softmax.toml`` or with ``PYNEURON_<SETTING>`` environment
variables (see ``DEFAULTS``).
"""
from __future__ import annotations

from functools import cache

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, Dot, FadeIn, FadeOut, LaggedStart, Line, Square,
                   ValueTracker, VGroup, VMobject, linear)

import pyneuron
import pyneuron.functional as F
from pyneuron.video import (MUTED, RUN_COLORS, TEXT, Caption, GlyphReadout, Playhead, VideoScene, cached,
                            load_settings, sci, settings_or_exit, superscript, text, title_card)
from pyneuron.video.settings import Rule, SettingsError, each, non_negative, positive

DEFAULTS = {
    "classes": ["cat", "dog", "bird"],
    "logits": [2.0, 1.0, 0.1],
    "large_logits": [1000.0, 999.0, 998.0],
    "raise_by": 2.5,          # the competition demo raises the smallest logit by this much
    "points_per_class": 60,   # the trained comparison: one Gaussian blob of points per class
    "spread": 0.55,
    "data_seed": 0,
    "probe": [0.0, 0.0],      # the input whose outputs are followed through training
    "hidden": 8,
    "epochs": 2000,
    "lr": 0.01,
    "seed": 0,                # both networks start from the same weights
    "snapshots": 120,
    "pace": 1.0,              # multiplies every duration: 0.2 renders a short test video
}

CLASS_COLORS = [RUN_COLORS[k] for k in ("gelu", "elu", "leaky_relu", "tanh")]
WARNING = "#ff5370"           # inf and NaN
BAR_SPACE = 2.3               # the longest bar; a column also has room for the number after it
COLUMN_LEFTS = [-5.1, -0.65, 3.8]


FINITE = Rule(lambda v: isinstance(v, float) and np.isfinite(v), "a finite number")
RULES = {
    "classes": each(Rule(lambda v: isinstance(v, str) and 0 < len(v) <= 12, "a name of 1 to 12 characters"), 2,
                    len(CLASS_COLORS)),
    "logits": each(FINITE, 2, len(CLASS_COLORS)), "large_logits": each(FINITE, 2, len(CLASS_COLORS)),
    "raise_by": positive(float), "points_per_class": positive(), "spread": positive(float), "data_seed": non_negative(),
    "probe": each(FINITE, 2, 2), "hidden": positive(), "epochs": positive(), "lr": positive(float),
    "seed": non_negative(), "snapshots": positive(), "pace": positive(float),
}


def settings() -> dict:
    cfg = load_settings(__file__, DEFAULTS, RULES)
    for key in ("logits", "large_logits"):
        if len(cfg[key]) != len(cfg["classes"]):
            raise SettingsError(f"{key} has {len(cfg[key])} values for {len(cfg['classes'])} classes")
    if max(cfg["large_logits"]) <= np.log(np.finfo(np.float64).max):
        raise SettingsError("large_logits must overflow exp in float64: make the largest above 709.8")
    return cfg


@cache
def readout() -> GlyphReadout:
    return GlyphReadout(22, TEXT)


def formatted(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace("-", "−")  # inf and nan spell themselves, as numpy prints them


def headline(s: str, size: float = 32):
    return text(s, size).to_edge(UP, buff=0.45)


class BarColumn(VGroup):
    """A title over one horizontal bar per class, each followed by its number.

    values_of() is read every frame, so one column shows fixed numbers or
    live ones; ``grow`` (0 -> 1) scales the bars.  The span (lo, hi) fills
    the bar space; a longer bar (inf) stops at its edge in an arrowhead, and
    NaN has no bar.  Updaters here never set an opacity: FadeIn and FadeOut
    run the updaters of their copies of a mobject too, and would be undone."""

    def __init__(self, title: str, values_of, span, left: float, rows, digits: int = 2, note: str = ""):
        super().__init__()
        lo, hi = min(span[0], 0.0), max(span[1], 0.0)
        self.values_of, self.rows, self.digits, self.left = values_of, rows, digits, left
        self.unit = BAR_SPACE / (hi - lo)
        self.base = left - lo * self.unit
        self.grow = ValueTracker(0.0)
        self.ghost_ends = [-np.inf] * len(rows)
        centre = left + BAR_SPACE / 2
        # tops aligned: titles with and without descenders or superscripts line up
        self.title = VGroup(text(title, 28).move_to([centre, rows[0] + 1.25, 0], aligned_edge=UP))
        if note:
            self.title.add(text(note, 18, MUTED).move_to([centre, rows[0] + 0.6, 0]))
        self.axis = Line([self.base, rows[0] + 0.35, 0], [self.base, rows[-1] - 0.35, 0], color=MUTED, stroke_width=2)
        self.bars = VGroup(*[VMobject(fill_color=c, fill_opacity=0.9, stroke_width=0)
                             for c, _ in zip(CLASS_COLORS, rows)])
        # the column's own updater runs before its children's: they all read the values it fetched
        self.add_updater(lambda m: m._refresh())
        self._refresh()
        self.numbers = VGroup(*[readout().follow(lambda i=i: formatted(self.values[i], digits),
                                                 lambda g, i=i: self._place_number(g, i), slots=10)
                                for i in range(len(rows))])
        self.add(self.title, self.axis, self.bars, self.numbers)

    def _refresh(self):
        self.values = np.asarray(self.values_of(), float)
        for bar, y, v in zip(self.bars, self.rows, self.values):
            a, (b, tip) = self.base, self._bar_end(v)
            bar.set_points_as_corners([[a, y - 0.22, 0], [b, y - 0.22, 0], [b + tip, y, 0], [b, y + 0.22, 0],
                                       [a, y + 0.22, 0], [a, y - 0.22, 0]])

    def _bar_end(self, v: float):
        """x where the bar of value v ends (as grown so far), and the length of its arrowhead."""
        reach = 0.0 if np.isnan(v) else v * self.unit
        length = np.clip(reach, self.left - self.base, self.left + BAR_SPACE - self.base)
        g = self.grow.get_value()
        return self.base + length * g, 0.3 * g if reach > length else 0.0  # too long to draw: an arrowhead

    @staticmethod
    def _tint(g, value: float):
        g.set_fill(TEXT if np.isfinite(value) else WARNING)

    def _place_number(self, g, i: int):
        end, tip = self._bar_end(self.values[i])  # as grown now: FadeIn's copies place numbers before _refresh
        g.next_to([max(end + tip, self.base, self.ghost_ends[i]), self.rows[i], 0], RIGHT, buff=0.12)
        self._tint(g, self.values[i])

    def footer(self, name: str, value_of) -> VGroup:
        """'name = value' under the column, live."""
        def place(g):
            g.next_to([self.left, self.rows[-1] - 0.8, 0], RIGHT, buff=0)
            self._tint(g, value_of())

        return readout().follow(lambda: f"{name} = {formatted(value_of(), self.digits)}", place, slots=14)

    def sum_line(self) -> VGroup:
        return self.footer("Σ", lambda: np.sum(self.values))

    def ghost(self) -> VGroup:
        """The bars as they are now, faded: a trace that later values are compared with
        (the numbers then stay clear of it)."""
        self.ghost_ends = [end + tip for end, tip in map(self._bar_end, self.values)]
        return self.bars.copy().set_fill(opacity=0.25)

    def bar_lengths(self) -> np.ndarray:
        """Signed drawn lengths, in scene units (for tests)."""
        return np.array([bar.get_start_anchors()[1][0] - bar.get_start_anchors()[0][0] for bar in self.bars])


def class_rows(count: int, centre: float = -0.3) -> list[float]:
    """y of each class's row: 0.9 apart, centred on centre."""
    return list(centre + 0.9 * ((count - 1) / 2 - np.arange(count)))


def class_names(classes, rows, right: float = COLUMN_LEFTS[0] - 0.3) -> VGroup:
    return VGroup(*[text(name, 26, color).move_to([right, y, 0], aligned_edge=RIGHT)
                    for name, color, y in zip(classes, CLASS_COLORS, rows)])


def step_arrow(a: BarColumn, b: BarColumn, label: str) -> VGroup:
    """An arrow from a's title to b's, labelled: at title height it keeps clear of the numbers."""
    y = a.title[0].get_top()[1] - 0.15  # the middle of lower-case letters, whatever the title
    arrow = Arrow([a.title[0].get_right()[0] + 0.35, y, 0], [b.title[0].get_left()[0] - 0.35, y, 0], buff=0,
                  color=MUTED, stroke_width=3, tip_length=0.2)
    return VGroup(arrow, text(label, 20, MUTED).next_to(arrow, UP, buff=0.1))


def blobs(cfg: dict):
    """Points (n, 2) and labels (n,): one Gaussian blob per class, centres on a circle."""
    k, n = len(cfg["classes"]), cfg["points_per_class"]
    rng = np.random.default_rng(cfg["data_seed"])
    angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    centres = 1.3 * np.column_stack([np.cos(angles), np.sin(angles)])
    x = np.concatenate([c + cfg["spread"] * rng.standard_normal((n, 2)) for c in centres])
    return x, np.repeat(np.arange(k), n)


def trained_pair(cfg: dict, x, labels) -> dict:
    """{"softmax": softmax + cross-entropy run, "sigmoid": per-class sigmoids + BCE on one-hot
    targets}: same data, same starting weights, outputs recorded at the probe point."""
    k = len(cfg["classes"])
    keys = ("points_per_class", "spread", "data_seed", "probe", "hidden", "epochs", "lr", "seed", "snapshots")
    runs = {}
    for output, loss, targets in (("softmax", "cross_entropy", labels), ("sigmoid", "bce", np.eye(k)[labels])):
        def train(output=output, loss=loss, targets=targets):
            net = pyneuron.Network([2, cfg["hidden"], k], activation="tanh", output_activation=output,
                                   seed=cfg["seed"])
            return net.fit(x, targets, loss=loss, optimizer=pyneuron.Adam(lr=cfg["lr"]), epochs=cfg["epochs"],
                           snapshots=cfg["snapshots"], grid=np.array([cfg["probe"]]))
        run_settings = dict({key: cfg[key] for key in keys}, classes=k, output=output)
        runs[output] = cached(f"softmax-{output}", run_settings, train)
    return runs


def agree(a, b, what: str):
    """The scene shows one set of numbers: refuse to render if two computations differ."""
    if not np.allclose(a, b, rtol=0, atol=1e-12):
        raise RuntimeError(f"{what}: {a} != {b}")


def listed(values, digits: int) -> str:
    return "[" + ", ".join(formatted(v, digits) for v in values) + "]"


class Softmax(VideoScene):
    def construct(self):
        cfg = settings()
        self.pace = cfg["pace"]
        self.rows = class_rows(len(cfg["classes"]))
        self.caption = Caption(self)
        title_card(self, "Softmax", "from logits to probabilities", hold=1.2 * self.pace)
        self.worked_example(cfg)
        self.overflow_section(cfg)
        self.versus_sigmoid(cfg)
        self.trained_comparison(cfg)
        self.summary()

    # ------------------------------------------------------------ helpers

    def hold(self, seconds: float):
        self.wait(seconds * self.pace)

    def say(self, message: str, seconds: float):
        self.caption.say(message, run_time=0.5 * self.pace)
        self.hold(seconds)

    def grow(self, *columns: BarColumn, also=(), seconds: float = 1.0):
        """Grow the columns' bars while their text fades in, and the mobjects ``also``."""
        self.add(*columns)
        texts = [part for c in columns for part in (c.title, c.axis, c.numbers)]
        self.play(*[c.grow.animate.set_value(1.0) for c in columns], *[FadeIn(m) for m in [*texts, *also]],
                  run_time=seconds * self.pace)

    def fade_in(self, *mobjects, seconds: float = 0.5):
        self.play(*[FadeIn(m) for m in mobjects], run_time=seconds * self.pace)

    def clear_stage(self):
        """Fade out everything, caption included: the next section starts afresh."""
        shown = [m for m in self.mobjects if isinstance(m, VMobject) and m is not self.caption.current]
        self.play(*[FadeOut(m) for m in shown], self.caption.fade_out(), run_time=0.5 * self.pace)

    @staticmethod
    def arrows(columns, divide: str):
        return step_arrow(columns[0], columns[1], "exp"), step_arrow(columns[1], columns[2], divide)

    def table(self, titles, values, spans, digits=(1, 2, 2), notes=("", "", "")):
        """Three columns side by side; values are arrays or functions returning them."""
        return [BarColumn(t, lambda v=v: v() if callable(v) else v, s, left, self.rows, d, note=n)
                for t, v, s, left, d, n in zip(titles, values, spans, COLUMN_LEFTS, digits, notes)]

    # ----------------------------------------------------------- sections

    def worked_example(self, cfg):
        z = np.array(cfg["logits"])
        exps = np.exp(z)
        total = exps.sum()
        probabilities = F.softmax(z)
        agree(exps / total, probabilities, "numpy and pyneuron softmax")
        self.worked = dict(logits=z, exps=exps, total=total, probabilities=probabilities)
        columns = self.table(["logits z", "eᶻ", "eᶻ / Σ"], [z, exps, probabilities],
                             [(z.min(), z.max()), (0, exps.max()), (0, 1)])
        self.fade_in(headline("softmax(z)ᵢ  =  eᶻⁱ / Σⱼ eᶻʲ", 38), class_names(cfg["classes"], self.rows))
        self.grow(columns[0])
        self.say("A classifier's last layer gives one score per class, a logit: any real number.", 2.0)
        to_exps, to_probabilities = self.arrows(columns, f"÷ {total:.2f}")
        self.grow(columns[1], also=[to_exps])
        self.say("Step 1, exponentiate: every eᶻ is positive, and a larger logit stays larger.", 2.5)
        self.fade_in(columns[1].sum_line())
        self.say(f"Step 2, add them up: Σ = {' + '.join(f'{e:.2f}' for e in exps)} = {total:.2f}.", 2.0)
        self.grow(columns[2], also=[to_probabilities, columns[2].sum_line()])
        self.worked["bar_lengths"] = [c.bar_lengths() for c in columns]
        quotients = ", ".join(f"{e:.2f} / {total:.2f} = {p:.2f}" for e, p in zip(exps, probabilities))
        self.say(f"Step 3, divide by the sum: {quotients}.", 3.0)
        self.say("Positive, summing to 1, in the logits' order; pyneuron's F.softmax(z) gives the same.", 3.0)
        self.clear_stage()

    def overflow_section(self, cfg):
        z = np.array(cfg["large_logits"])
        with np.errstate(over="ignore", invalid="ignore"):
            naive_exps = np.exp(z)
            naive_total = naive_exps.sum()
            naive = naive_exps / naive_total
        shifted = z - z.max()
        probabilities = F.softmax(z)
        agree(np.exp(shifted) / np.exp(shifted).sum(), probabilities, "shifted numpy and pyneuron softmax")
        self.overflow = dict(logits=z, naive_exps=naive_exps, naive_total=naive_total, naive_probabilities=naive,
                             shifted_logits=shifted, shifted_exps=np.exp(shifted), probabilities=probabilities)
        finite = naive_exps[np.isfinite(naive_exps)]
        columns = self.table(["logits z", "eᶻ", "eᶻ / Σ"], [z, naive_exps, naive],
                             [(z.min(), z.max()), (0, finite.max() if finite.size else 1), (0, 1)])
        top = z.max()
        limit = headline(f"float64 stops at {sci(np.finfo(np.float64).max)},  but  "
                         f"e{superscript(top)} ≈ 10{superscript(round(top * np.log10(np.e)))}")
        self.grow(*columns, also=[limit, class_names(cfg["classes"], self.rows), *self.arrows(columns, "÷ Σ"),
                                  columns[1].sum_line(), columns[2].sum_line()], seconds=1.2)
        self.say(f"Large logits: e{superscript(top)} is far beyond the largest float64, so exp overflows to inf.", 3.5)
        self.say("Then inf / inf is undefined: every probability comes out NaN.", 2.5)
        self.clear_stage()

        # the fix, c = max z; then any c: e^(z - c) = e^z · e^-c, and e^-c cancels in the division
        c = ValueTracker(top)
        shift = 2.0

        def live():
            return z - c.get_value()

        columns = self.table(["z − c", "eᶻ⁻ᶜ", "eᶻ⁻ᶜ / Σ"],
                             [live, lambda: np.exp(live()), lambda: F.softmax(live())],
                             [(shifted.min(), shift), (0, np.exp(shift)), (0, 1)])
        self.grow(*columns, also=[headline("softmax(z − c)  =  softmax(z)"), class_names(cfg["classes"], self.rows),
                                  *self.arrows(columns, "÷ Σ"), columns[0].footer("c", c.get_value),
                                  columns[1].sum_line(), columns[2].sum_line()], seconds=1.2)
        self.say(f"The fix: subtract the largest logit, c = {top:g}. Now z − c = {listed(shifted, 0)}, every "
                 "eᶻ⁻ᶜ ≤ 1.", 3.0)
        self.caption.say("Any shift c gives the same probabilities: eᶻ⁻ᶜ = eᶻ · e⁻ᶜ, and e⁻ᶜ cancels out.",
                         run_time=0.5 * self.pace)
        self.play(c.animate.set_value(top - shift), run_time=2.5 * self.pace)
        self.hold(1.5)
        self.say(f"pyneuron's F.softmax does it for you: F.softmax({listed(z, 0)}) = {listed(probabilities, 2)}.",
                 3.5)
        self.clear_stage()

    def versus_sigmoid(self, cfg):
        z = np.array(cfg["logits"])
        lowest = int(np.argmin(z))
        raised = np.eye(len(z))[lowest] * cfg["raise_by"]
        t = ValueTracker(0.0)

        def live():
            return z + t.get_value() * raised

        sigmoids = F.sigmoid(z)
        self.versus = dict(logits=z, sigmoids=sigmoids, softmax=F.softmax(z), raised_logits=z + raised,
                           raised_sigmoids=F.sigmoid(z + raised), raised_softmax=F.softmax(z + raised))
        columns = self.table(["logits z", "σ(z)", "softmax(z)"],
                             [live, lambda: F.sigmoid(live()), lambda: F.softmax(live())],
                             [(z.min(), (z + raised).max()), (0, 1), (0, 1)],
                             notes=("", "1 / (1 + e⁻ᶻ), each class alone", "eᶻ / Σ eᶻ, all classes together"))
        self.grow(*columns, also=[headline("Several classes: softmax, or a sigmoid per class?"),
                                  class_names(cfg["classes"], self.rows), columns[1].sum_line(),
                                  columns[2].sum_line()], seconds=1.2)
        self.say(f"One sigmoid per class gives {', '.join(f'{s:.2f}' for s in sigmoids)}: they sum to "
                 f"{sigmoids.sum():.2f}, not a distribution.", 4.0)
        self.bring_to_back(*[c.ghost() for c in columns])
        self.caption.say(f"Raise the {cfg['classes'][lowest]} logit: only its sigmoid moves; under softmax the "
                         "other classes fall.", run_time=0.5 * self.pace)
        self.play(t.animate.set_value(1.0), run_time=2.5 * self.pace)
        self.hold(2.5)
        self.clear_stage()

    def trained_comparison(self, cfg):
        x, labels = blobs(cfg)
        runs = trained_pair(cfg, x, labels)
        self.trained = runs
        u = ValueTracker(0.0)
        head = {name: Playhead(traj) for name, traj in runs.items()}
        sums = runs["sigmoid"].predictions[:, 0].sum(axis=1)

        box = Square(4.0, color=MUTED, stroke_width=2, stroke_opacity=0.5).move_to([-4.75, -0.35, 0])
        scale = 1.9 / np.abs(x).max()

        def to_scene(p):
            return box.get_center() + np.array([p[0], p[1], 0]) * scale

        dots = VGroup(*[Dot(to_scene(p), radius=0.04, color=CLASS_COLORS[c], fill_opacity=0.85)
                        for p, c in zip(x, labels)])
        ring = Circle(0.15, color=TEXT, stroke_width=4).move_to(to_scene(cfg["probe"]))
        rows = class_rows(len(cfg["classes"]), centre=-0.35)
        columns = [BarColumn(title, lambda n=name: head[n].at(u.get_value()).predictions[0], (0, 1), left, rows,
                             note=note)
                   for name, title, note, left in (("softmax", "softmax", "trained with cross-entropy", -1.2),
                                                   ("sigmoid", "sigmoid per class", "trained with BCE, one-hot", 3.3))]
        epoch = readout().follow(lambda: f"epoch {round(head['softmax'].epoch(u.get_value())):,}",
                                 lambda g: g.next_to(box, UP, buff=0.15).set_fill(MUTED))
        k = len(cfg["classes"])
        self.grow(*columns, also=[headline(f"Two 2-{cfg['hidden']}-{k} networks, trained by pyneuron"), box, dots,
                                  ring, class_names(cfg["classes"], rows, right=-1.5), epoch,
                                  *[c.sum_line() for c in columns]], seconds=1.2)
        self.say(f"Both learn to separate these {k} blobs from the same starting weights. At the ringed point:",
                 1.5)
        self.play(u.animate.set_value(len(runs["softmax"]) - 1), run_time=6.5 * self.pace, rate_func=linear)
        self.say(f"Softmax sums to 1 at every epoch; the sigmoids' sum went from {sums[0]:.2f} to {sums[-1]:.2f}.",
                 3.0)
        self.say("Sigmoids answer separate yes/no questions and can all say no; softmax shares out 1.", 3.0)
        self.clear_stage()

    def summary(self):
        points = [("exponentiate, sum, divide", "any logits become positive probabilities that sum to 1"),
                  ("subtract the largest logit first", "the same probabilities, and nothing overflows"),
                  ("softmax or sigmoids?",
                   "softmax when exactly one class is true; a sigmoid per class when several can be")]
        items = VGroup(*[VGroup(text(key, 30, color), text(detail, 22, MUTED)).arrange(DOWN, buff=0.15,
                                                                                        aligned_edge=LEFT)
                         for (key, detail), color in zip(points, CLASS_COLORS)])
        items.arrange(DOWN, buff=0.55, aligned_edge=LEFT).move_to(DOWN * 0.3)
        title = headline("Softmax in three lines")
        self.play(FadeIn(title),
                  LaggedStart(*[FadeIn(item, shift=UP * 0.1) for item in items], lag_ratio=0.4),
                  run_time=2.0 * self.pace)
        self.hold(3.5)


settings_or_exit(settings, __file__)  # a bad setting: one line and exit status 2, before manim renders
