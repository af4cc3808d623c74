"""Widgets: the pieces every pyneuron video is composed of -- captions
(with subtitles), title frames, live readouts, curves that follow a
playhead, network diagrams, loss charts.  The task-specific panels (1-D
fits, decision-boundary heatmaps, gradient bars) are in panels.py."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, UP, Animation, Axes, Circle, FadeIn, FadeOut, Line, Scene, Succession, Text, VGroup,
                   VMobject, Wait)

from .. import Trajectory
from ..trajectory import interpolate_loss
from .runs import Playhead
from .theme import BACKGROUND, MONO, MUTED, NEGATIVE, POSITIVE, RUN_COLORS, TEXT, superscript, text

__all__ = ["GlyphReadout", "follow_curve", "to_points", "polyline", "clip_to_axes", "Caption", "title_card",
           "NetworkDiagram", "LossChart", "weight_scale", "VideoScene"]


class GlyphReadout:
    """Text that changes every frame (epoch counters, losses), composed from
    glyphs of a monospace font rendered once: a Text costs ~60 ms to build,
    a composition of copied glyphs about 1 ms, and digits never jitter."""

    CHARS = "0123456789,.·⁻⁰¹²³⁴⁵⁶⁷⁸⁹-−+=Σ%×:()abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def __init__(self, size: float = 20, color: str = TEXT):
        ref = Text(self.CHARS, font=MONO, font_size=size, color=color)
        self.advance = (ref[-1].get_center()[0] - ref[0].get_center()[0]) / (len(self.CHARS) - 1)
        left = ref[0].get_center()[0]
        self.glyphs = {c: (g, g.get_center()[0] - (left + i * self.advance))
                       for i, (c, g) in enumerate(zip(self.CHARS, ref))}

    def follow(self, text_of, place, slots: int = 48) -> VGroup:
        """A VGroup spelling text_of() every frame, positioned by place(group).

        The group owns a fixed pool of glyph slots whose points change in
        place: manim flattens a moving mobject's family when a play() begins
        and draws that list every frame, so replacing children would leave
        the old ones on screen.  (Updaters in general must not set opacity:
        FadeIn/FadeOut run them on their copies, which would undo the fade.)"""
        color = next(iter(self.glyphs.values()))[0].get_fill_color()
        group = VGroup(*[VMobject(fill_color=color, fill_opacity=1, stroke_width=0) for _ in range(slots)])

        def update(g):
            chars = [(i, c) for i, c in enumerate(text_of()) if c in self.glyphs][:slots]
            for slot, (i, c) in zip(g.submobjects, chars):
                glyph, offset = self.glyphs[c]
                slot.points = glyph.points + np.array([i * self.advance + offset - glyph.get_center()[0], 0, 0])
            # Unused slots collapse onto the last glyph instead of emptying:
            # animations pair the family members that have points, so their
            # count must not change while the text does.
            rest = g.submobjects[len(chars):]
            anchor = g.submobjects[len(chars) - 1].points[:1] if chars else np.zeros((1, 3))
            for slot in rest:
                slot.points = np.repeat(anchor, 4, axis=0)
            place(g)

        update(group)
        group.add_updater(update)
        return group


def follow_curve(points_of, color: str, width: float = 4, dashed: bool = False) -> VMobject:
    """A polyline whose points are points_of() every frame, updated in place
    (always_redraw's become() realigns points: slow for long curves);
    ``dashed``: every other run of four segments drawn."""
    line = VMobject(stroke_color=color, stroke_width=width)

    def draw(m: VMobject) -> None:
        points = points_of()
        if not dashed:
            m.set_points_as_corners(points)
            return
        m.clear_points()
        for start in range(0, len(points) - 1, 8):
            dash = points[start:start + 5]
            if len(dash) > 1:
                m.start_new_path(dash[0])
                m.add_points_as_corners(dash[1:])

    draw(line)
    line.add_updater(draw)
    return line


def to_points(axes, xs, ys) -> np.ndarray:
    """Scene points (n, 3) of coordinates on (linear) axes, vectorised."""
    origin = np.asarray(axes.c2p(0, 0))
    ex, ey = np.asarray(axes.c2p(1, 0)) - origin, np.asarray(axes.c2p(0, 1)) - origin
    return origin + np.outer(np.asarray(xs, float), ex) + np.outer(np.asarray(ys, float), ey)


def clip_to_axes(axes, ys: np.ndarray) -> tuple[np.ndarray, bool]:
    """ys clipped to the axes' y range (NaN to its bottom), and whether
    anything was off it: a curve never leaves its axes, and the caller
    says on screen when it has left the range."""
    lo, hi = axes.y_range[:2]
    ys = np.asarray(ys, float)
    off = bool(np.any(~((ys >= lo) & (ys <= hi))))
    return np.clip(np.nan_to_num(ys, nan=lo, posinf=hi, neginf=lo), lo, hi), off


def polyline(points: np.ndarray, color: str, width: float = 4) -> VMobject:
    line = VMobject(stroke_color=color, stroke_width=width)
    line.set_points_as_corners(points)
    return line


class Caption:
    """One caption line at the bottom edge.  A new caption replaces the old
    one in turn -- the old fades out, then the new fades in -- so two
    sentences never overlap.  Every caption is also a subtitle: manim
    writes them as an ``.srt`` beside the video, each timed from its
    appearance until it is replaced or the scene ends (:class:`VideoScene`
    closes the last one)."""

    WIDTH = 13.2  # wider captions are scaled down (tests flag them: keep captions short)

    def __init__(self, scene: Scene, size: float = 21):
        self.scene, self.size, self.current = scene, size, None
        self._open: tuple[str, float] | None = None  # the shown caption's text and start time
        if isinstance(scene, VideoScene):
            scene.captions.append(self)

    def say(self, message: str, run_time: float = 0.6):
        next_slide = getattr(self.scene, "next_slide", None)
        if next_slide is not None:  # a manim-slides deck: each caption starts a slide, and is its note
            next_slide(notes=message)
        new = text(message, self.size, TEXT)
        if new.width > self.WIDTH:
            new.scale_to_fit_width(self.WIDTH)
        new.to_edge(DOWN, buff=0.22)
        shown = self.scene.time  # when the new caption starts to appear
        if self.current is None:
            self.scene.play(FadeIn(new, shift=UP * 0.1), run_time=run_time)
        else:
            gone = 0.4 * run_time
            self.scene.play(Succession(FadeOut(self.current, run_time=gone),
                                       FadeIn(new, shift=UP * 0.1, run_time=run_time - gone)), run_time=run_time)
            shown += gone
        self._close_subtitle(at=shown)
        self._open = (message, shown)
        self.current = new

    def _close_subtitle(self, at: float):
        if self._open is not None:
            message, start = self._open
            self._open = None
            if at > start:
                self.scene.add_subcaption(message, duration=at - start, offset=start - self.scene.time)

    def close_subtitle(self):
        """End the shown caption's subtitle now."""
        self._close_subtitle(at=self.scene.time)

    def fade_out(self) -> Animation:
        """The animation that removes the caption, to play beside others."""
        self.close_subtitle()
        old, self.current = self.current, None
        return FadeOut(old) if old is not None else Wait(0)


class VideoScene(Scene):
    """A Scene whose captions become subtitles (see :class:`Caption`)."""

    def setup(self):
        super().setup()
        self.captions: list[Caption] = []

    def tear_down(self):
        for caption in self.captions:
            caption.close_subtitle()
        super().tear_down()


def title_card(scene: Scene, title: str, subtitle: str, hold: float = 1.8):
    """The opening title and subtitle, on screen from the first frame (the
    poster frame players and slide decks show), held, then cleared."""
    big = text(title, 46, TEXT)
    small = text(subtitle, 28, MUTED)
    for t in (big, small):
        if t.width > 12.5:
            t.scale_to_fit_width(12.5)
    VGroup(big, small).arrange(DOWN, buff=0.35)
    scene.add(big, small)
    scene.wait(hold)
    scene.play(FadeOut(big), FadeOut(small), run_time=0.6)


class NetworkDiagram(VGroup):
    """Neurons as circles (or what ``node()`` makes) and weights as edges
    whose colour is the sign (blue +, orange -) and whose width is the
    magnitude, relative to ``w_max`` (fix it over a whole trajectory so
    widths compare over time)."""

    def __init__(self, sizes, width: float = 2.6, height: float = 1.4, radius: float = 0.11, w_max: float = 1.0,
                 node=None):
        super().__init__()
        self.sizes, self.w_max = list(sizes), w_max
        xs = np.linspace(-width / 2, width / 2, len(sizes))
        node = node or (lambda: Circle(radius=radius, color=TEXT, stroke_width=2, fill_color=BACKGROUND,
                                       fill_opacity=1))
        self.neurons = []
        for x, n in zip(xs, sizes):
            ys = np.linspace(height / 2, -height / 2, n) if n > 1 else [0.0]
            layer = [node().move_to([x, y, 0]) for y in ys]
            self.neurons.append(layer)
        self.edges = []
        for l in range(len(sizes) - 1):
            rows = []
            for a in self.neurons[l]:
                rows.append([Line(a.get_right(), b.get_left(), stroke_width=2, color=MUTED)
                             for b in self.neurons[l + 1]])
            self.edges.append(rows)
        self.add(*[e for layer in self.edges for row in layer for e in row])
        self.add(*[n for layer in self.neurons for n in layer])

    def set_weights(self, params: list[dict]) -> "NetworkDiagram":
        for layer, p in zip(self.edges, params):
            W = p["W"]
            for i, row in enumerate(layer):
                for j, edge in enumerate(row):
                    w = float(W[i, j])
                    edge.set_stroke(color=POSITIVE if w >= 0 else NEGATIVE,
                                    width=0.6 + 6.0 * min(abs(w) / self.w_max, 1.0))
        return self


def log_log_axes(last_epoch: float, losses: np.ndarray, width: float, height: float, font_size: float,
                 title: str | None):
    """Axes of loss against epoch, both log10 -- x is log10(epoch + 1), y is
    log10(loss) - lo, so that the x axis sits at the bottom -- covering the
    positive finite ``losses`` in whole decades, with their labels: (axes,
    labels, lo)."""
    losses = np.asarray(losses, float)
    logs = np.log10(losses[(losses > 0) & np.isfinite(losses)])
    lo, hi = np.floor(logs.min()), np.ceil(logs.max())
    hi = max(hi, lo + 1)  # a flat loss still gets a decade
    fits = max(2, int(height / 0.35) + 1)  # labels that fit without touching
    step = max(1, int(np.ceil((hi - lo) / (fits - 1))))  # decades per tick and label
    axes = Axes(x_range=[0, np.log10(last_epoch + 1), 1], y_range=[0, hi - lo, step], x_length=width,
                y_length=height, axis_config={"color": MUTED, "stroke_width": 2}, tips=False)
    labels = VGroup()
    for p in range(int(hi), int(lo) - 1, -step):
        labels.add(text(f"10{superscript(p)}", font_size, MUTED).next_to(axes.c2p(0, p - lo), LEFT, 0.1))
    for p in range(0, int(np.log10(last_epoch + 1)) + 1):
        labels.add(text(f"{10 ** p:,}", font_size, MUTED).next_to(axes.c2p(np.log10(10 ** p + 1), 0), DOWN, 0.1))
    if title:
        labels.add(text(title, font_size + 2, MUTED).next_to(axes, UP, buff=0.12))
    return axes, labels, lo


class LossChart(VGroup):
    """Training losses against epochs, log-log, drawn up to the playhead
    ``tracker`` (a snapshot index: the runs share their snapshot epochs)."""

    def __init__(self, trajs, tracker, width: float = 5.4, height: float = 1.55,
                 title: str = "training loss vs epoch (log-log)", font_size: float = 14, colors=None):
        super().__init__()
        self.trajs, self.tracker = trajs, tracker
        last = max(t.epochs[-1] for t in trajs)
        losses = [t.loss for t in trajs] + [t.test.loss for t in trajs if t.test is not None]
        self.axes, labels, self.lo = log_log_axes(last, np.concatenate(losses), width, height, font_size, title)
        colors = colors or [RUN_COLORS.get(t.info.activation, TEXT) for t in trajs]
        self.curves = [follow_curve(lambda t=t: self._curve_points(t, t.loss), c, 3) for t, c in zip(trajs, colors)]
        # a run with a test set: its test loss too, dashed
        self.curves += [follow_curve(lambda t=t: self._curve_points(t, t.test.loss), c, 2.5, dashed=True)
                        for t, c in zip(trajs, colors) if t.test is not None]
        self.add(self.axes, labels)

    def _curve_points(self, traj, losses: np.ndarray):
        u = min(self.tracker.get_value(), len(traj) - 1)
        k = int(np.floor(u)) + 1
        e, loss = traj.epochs[:k].astype(float), losses[:k]
        j = min(int(np.floor(u)), len(traj) - 2) if len(traj) > 1 else 0
        between = interpolate_loss(losses[j], losses[min(j + 1, len(traj) - 1)], min(max(u - j, 0.0), 1.0))
        e, loss = np.append(e, Playhead(traj).epoch(u)), np.append(loss, between)
        y = np.clip(np.log10(np.maximum(loss, 1e-300)) - self.lo, 0, self.axes.y_range[1])
        return to_points(self.axes, np.log10(e + 1), y)


def weight_scale(traj: Trajectory) -> float:
    """The largest |W| over a whole trajectory (edge width 100%)."""
    return max(float(np.abs(p["W"]).max()) for p in traj.params) or 1.0
