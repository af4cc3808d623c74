"""What every pyneuron scene shares: the colour theme, scene configuration
(a TOML file next to the scene, overridable from the environment), trained
trajectories cached by their configuration, and the network-diagram and
curve widgets.  Scenes never fake a curve: everything drawn comes from a
trajectory that pyneuron trained and recorded.
"""
from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Animation, Axes, Circle, FadeIn, FadeOut, Line, Scene, Text, VGroup, VMobject,
                   Wait, Write, config)

import pyneuron
import pyneuron.functional as F
from pyneuron import datasets

# ---------------------------------------------------------------- theme

BACKGROUND = "#0e1117"
TEXT = "#e8eaed"
MUTED = "#9aa0a6"
TARGET = "#f1f3f4"
POSITIVE = "#3d9be9"   # weight sign colours, as TensorFlow Playground: blue > 0
NEGATIVE = "#f59322"   # orange < 0
RUN_COLORS = {"sigmoid": "#c792ea", "tanh": "#ff6e9c", "leaky_relu": "#4fd6a5", "relu": "#8fd14f",
              "elu": "#ffcb6b", "gelu": "#82aaff", "silu": "#f78c6c", "softplus": "#89ddff", "identity": "#b0bec5"}
FONT = "DejaVu Sans"

LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU",
          "gelu": "GELU", "silu": "SiLU", "softplus": "softplus", "identity": "linear"}
FORMULAS = {"sigmoid": "σ(x) = 1 / (1 + e⁻ˣ)", "tanh": "tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
            "relu": "ReLU(x) = max(0, x)", "leaky_relu": "max(0.01x, x)", "elu": "x if x > 0, else eˣ − 1",
            "gelu": "x · Φ(x),  Φ: normal CDF", "silu": "x · σ(x)", "softplus": "log(1 + eˣ)", "identity": "x"}

config.background_color = BACKGROUND
# manim hashes every mobject of every play() to reuse partial movies; for
# scenes holding trajectories and images that costs more than rendering, and
# updater-driven frames are not what the hash sees anyway.
config.disable_caching = True


MONO = "DejaVu Sans Mono"


def text(s: str, size: float = 24, color: str = TEXT, **kw) -> Text:
    return Text(s, font=FONT, font_size=size, color=color, **kw)


class Label(Text):
    """Axis numbers in the theme's font (manim's default would need LaTeX)."""

    def __init__(self, s, **kw):
        super().__init__(str(s), font=FONT, color=MUTED, **kw)


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
                slot.points = glyph.points + RIGHT * (i * self.advance + offset - glyph.get_center()[0])
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


def follow_curve(points_of, color: str, width: float = 4) -> VMobject:
    """A polyline whose points are points_of() every frame, updated in place
    (always_redraw's become() realigns points: slow for long curves)."""
    line = VMobject(stroke_color=color, stroke_width=width)
    line.set_points_as_corners(points_of())
    line.add_updater(lambda m: m.set_points_as_corners(points_of()))
    return line


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(value: float) -> str:
    """-4 -> '⁻⁴': exponents without LaTeX."""
    return f"{value:g}".translate(SUPERSCRIPTS)


def sci(value: float) -> str:
    """3.2e-04 -> '3.2·10⁻⁴' -- readable without LaTeX."""
    if not np.isfinite(value):
        return "∞" if value > 0 else "NaN"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}·10{superscript(int(exponent))}"


# --------------------------------------------------------------- config

def load_config(scene_file: str, defaults: dict) -> dict:
    """``defaults``, updated by ``<scene>.toml`` beside the scene (or the file
    named by ``PYNEURON_SCENE_CONFIG``), then by ``PYNEURON_<KEY>``
    environment variables (lists comma-separated)."""
    cfg = dict(defaults)
    path = Path(os.environ.get("PYNEURON_SCENE_CONFIG", Path(scene_file).with_suffix(".toml")))
    if path.exists():
        with open(path, "rb") as f:
            cfg.update(tomllib.load(f))
    for key, default in defaults.items():
        raw = os.environ.get(f"PYNEURON_{key.upper()}")
        if raw is None:
            continue
        if isinstance(default, list):
            kind = type(default[0]) if default else str
            cfg[key] = [kind(v.strip()) for v in raw.split(",")]
        elif isinstance(default, bool):
            cfg[key] = raw.lower() in ("1", "true", "yes")
        else:
            cfg[key] = type(default)(raw)
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise ValueError(f"unknown scene settings: {', '.join(sorted(unknown))}; known: {', '.join(defaults)}")
    return cfg


CACHE = Path(os.environ.get("PYNEURON_CACHE", Path(__file__).parent / ".cache"))


def cached(name: str, settings: dict, train) -> pyneuron.Trajectory:
    """``train()``'s trajectory, saved in the cache under a key made of
    every setting and the pyneuron version: a scene re-renders in seconds,
    and a changed setting or release trains again."""
    settings = dict(settings, version=pyneuron.__version__)
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{key}.npz"
    if path.exists():
        try:
            return pyneuron.Trajectory.load(path)
        except ValueError:
            pass  # stale or damaged: train again
    traj = train()
    traj.save(path)
    return traj


def optimizer(name: str, lr: float):
    if name not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {name!r}; expected 'adam' or 'sgd'")
    return pyneuron.Adam(lr=lr) if name == "adam" else pyneuron.SGD(lr=lr)


def train_1d(target: str, x_range, points: int, layers, activation: str, epochs: int, optimizer_name: str, lr: float,
             seed: int, init: str, snapshots: int, grid_points: int = 200) -> pyneuron.Trajectory:
    """A network trained (or loaded from the cache) on a 1-D target."""
    settings = dict(target=target, x_range=list(x_range), points=points, layers=list(layers), activation=activation,
                    epochs=epochs, optimizer=optimizer_name, lr=lr, seed=seed, init=init, snapshots=snapshots,
                    grid_points=grid_points)

    def train():
        x, y = datasets.function(target, n=points, x_range=x_range)
        net = pyneuron.Network(layers, activation=activation, init=init, seed=seed)
        grid = np.linspace(x_range[0], x_range[1], grid_points)
        traj = net.fit(x, y, optimizer=optimizer(optimizer_name, lr), epochs=epochs, snapshots=snapshots, grid=grid)
        traj.config["data"]["target"] = target
        return traj

    return cached(activation, settings, train)


# ---------------------------------------------------------- trajectory time

def replay(traj: pyneuron.Trajectory, params: list[dict], x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every layer's (pre-activation, activation) for inputs x, recomputed
    from recorded parameters with pyneuron's own kernels: what the recorded
    network did inside, which the trajectory does not store."""
    net = traj.config["network"]
    a, layers = np.asarray(x, np.float64), []
    for p, name, alpha in zip(params, net["activations"], net["alphas"]):
        z = F.dense(a, p["W"], p["b"])
        a = getattr(F, name)(z) if alpha is None else getattr(F, name)(z, alpha)
        layers.append((z, a))
    return layers


def finite_part(traj: pyneuron.Trajectory) -> pyneuron.Trajectory:
    """A diverged run up to its last snapshot with a finite loss (what can
    be drawn), still carrying ``diverged_at``; other runs as they are."""
    if traj.diverged_at is None:
        return traj
    k = int(np.isfinite(traj.loss).sum())  # only the last snapshot of a diverged run is not finite
    return pyneuron.Trajectory(epochs=traj.epochs[:k], loss=traj.loss[:k], flat_params=traj.flat_params[:k],
                               predictions=traj.predictions[:k], grid=traj.grid, grad_norms=traj.grad_norms[:k],
                               unit_stats=traj.unit_stats[:k], sizes=traj.sizes, config=traj.config,
                               partial=traj.partial, diverged_at=traj.diverged_at)


def epoch_and_loss(state) -> str:
    """The readout of a playhead's state: 'epoch   315   loss 0.0069'."""
    return f"epoch {int(round(state.epoch)):>5,}   loss {state.loss:.4f}"


@dataclass
class Playhead:
    """Maps a continuous snapshot index u (what a ValueTracker animates) to
    the interpolated state of a trajectory: uniform speed in u is log-spaced
    in epochs when the snapshots are, so early learning gets screen time."""

    traj: pyneuron.Trajectory

    def epoch(self, u: float) -> float:
        return float(np.interp(u, np.arange(len(self.traj)), self.traj.epochs))

    def index_of_epoch(self, epoch: float) -> float:
        return float(np.interp(epoch, self.traj.epochs, np.arange(len(self.traj))))

    def at(self, u: float):
        return self.traj.at(self.epoch(u))


# ------------------------------------------------------------- narration

class Caption:
    """One caption line at the bottom edge, cross-faded when it changes."""

    WIDTH = 13.2  # wider captions are scaled down (tests flag them: keep captions short)

    def __init__(self, scene: Scene, size: float = 21):
        self.scene, self.size, self.current = scene, size, None

    def say(self, message: str, run_time: float = 0.5):
        new = text(message, self.size, TEXT)
        if new.width > self.WIDTH:
            new.scale_to_fit_width(self.WIDTH)
        new.to_edge(DOWN, buff=0.22)
        anims = [FadeIn(new, shift=UP * 0.1)]
        if self.current is not None:
            anims.append(FadeOut(self.current))
        self.scene.play(*anims, run_time=run_time)
        self.current = new

    def fade_out(self) -> Animation:
        """The animation that removes the caption, to play beside others."""
        old, self.current = self.current, None
        return FadeOut(old) if old is not None else Wait(0)


def title_card(scene: Scene, title: str, subtitle: str, hold: float = 1.2):
    """The opening title and subtitle, written, held, then cleared."""
    big = text(title, 46, TEXT)
    small = text(subtitle, 28, MUTED)
    if small.width > 12.5:
        small.scale_to_fit_width(12.5)
    VGroup(big, small).arrange(DOWN, buff=0.35)
    scene.play(Write(big), run_time=1.2)
    scene.play(FadeIn(small, shift=UP * 0.2), run_time=0.8)
    scene.wait(hold)
    scene.play(FadeOut(big), FadeOut(small), run_time=0.6)


# -------------------------------------------------------------- widgets

def to_points(axes, xs, ys) -> np.ndarray:
    """Scene points (n, 3) of coordinates on (linear) axes, vectorised."""
    origin = np.asarray(axes.c2p(0, 0))
    ex, ey = np.asarray(axes.c2p(1, 0)) - origin, np.asarray(axes.c2p(0, 1)) - origin
    return origin + np.outer(np.asarray(xs, float), ex) + np.outer(np.asarray(ys, float), ey)


def polyline(points: np.ndarray, color: str, width: float = 4) -> VMobject:
    line = VMobject(stroke_color=color, stroke_width=width)
    line.set_points_as_corners(points)
    return line


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


class LossChart(VGroup):
    """Training losses against epochs, log-log, drawn up to the playhead
    ``tracker`` (a snapshot index: the runs share their snapshot epochs)."""

    def __init__(self, trajs, tracker, width: float = 5.4, height: float = 1.55,
                 title: str = "training loss vs epoch (log-log)", font_size: float = 14, colors=None):
        super().__init__()
        self.trajs, self.tracker = trajs, tracker
        last = max(t.epochs[-1] for t in trajs)
        logs = np.concatenate([np.log10(t.loss[t.loss > 0]) for t in trajs])
        self.lo, hi = np.floor(logs.min()), np.ceil(logs.max())
        # y is log10(loss) - lo, so that the x axis sits at the bottom
        fits = max(2, int(height / 0.35) + 1)  # labels that fit without touching
        step = max(1, int(np.ceil((hi - self.lo) / (fits - 1))))  # decades per tick and label
        self.axes = Axes(x_range=[0, np.log10(last + 1), 1], y_range=[0, hi - self.lo, step], x_length=width,
                         y_length=height, axis_config={"color": MUTED, "stroke_width": 2}, tips=False)
        labels = VGroup()
        for p in range(int(hi), int(self.lo) - 1, -step):
            labels.add(text(f"10{superscript(p)}", font_size, MUTED).next_to(self.axes.c2p(0, p - self.lo), LEFT, 0.1))
        for p in range(0, int(np.log10(last + 1)) + 1):
            labels.add(text(f"{10 ** p:,}", font_size, MUTED)
                       .next_to(self.axes.c2p(np.log10(10 ** p + 1), 0), DOWN, 0.1))
        if title:
            labels.add(text(title, font_size + 2, MUTED).next_to(self.axes, UP, buff=0.12))
        colors = colors or [RUN_COLORS.get(t.config["network"]["activations"][0], TEXT) for t in trajs]
        self.curves = [follow_curve(lambda t=t: self._curve_points(t), c, 3) for t, c in zip(trajs, colors)]
        self.add(self.axes, labels)

    def _curve_points(self, traj):
        u = self.tracker.get_value()
        k = int(np.floor(u)) + 1
        e, loss = traj.epochs[:k].astype(float), traj.loss[:k]
        head = Playhead(traj).at(u)
        e, loss = np.append(e, head.epoch), np.append(loss, head.loss)
        return to_points(self.axes, np.log10(e + 1), np.log10(np.maximum(loss, 1e-300)) - self.lo)


def weight_scale(traj: pyneuron.Trajectory) -> float:
    """The largest |W| over a whole trajectory (edge width 100%)."""
    return max(float(np.abs(p["W"]).max()) for p in traj.params) or 1.0


__all__ = ["BACKGROUND", "TEXT", "MUTED", "TARGET", "POSITIVE", "NEGATIVE", "RUN_COLORS", "FONT", "LABELS",
           "FORMULAS", "MONO", "text", "Label", "GlyphReadout", "sci", "superscript", "load_config", "cached",
           "optimizer", "train_1d", "replay", "finite_part", "epoch_and_loss", "Playhead", "Caption", "title_card", "to_points",
           "polyline", "follow_curve", "NetworkDiagram", "LossChart", "weight_scale", "UP", "DOWN", "LEFT", "RIGHT"]
