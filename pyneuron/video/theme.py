"""The look shared by every pyneuron video: colours, fonts, the names and
formulas of the activations, and number formatting without LaTeX."""
from __future__ import annotations

import numpy as np
from manim import Text, config

__all__ = ["BACKGROUND", "TEXT", "MUTED", "TARGET", "POSITIVE", "NEGATIVE", "FIELD_MID", "RUN_COLORS", "PALETTE",
           "FONT", "MONO", "LABELS", "FORMULAS", "text", "Label", "sci", "superscript", "label", "run_colors"]

BACKGROUND = "#0e1117"
TEXT = "#e8eaed"
MUTED = "#9aa0a6"
TARGET = "#f1f3f4"
POSITIVE = "#3d9be9"   # weight sign colours, as TensorFlow Playground: blue > 0
NEGATIVE = "#f59322"   # orange < 0
FIELD_MID = "#1c2028"  # a heatmap's "undecided" (0): a shade lighter than the background
RUN_COLORS = {"sigmoid": "#c792ea", "tanh": "#ff6e9c", "leaky_relu": "#4fd6a5", "relu": "#8fd14f",
              "elu": "#ffcb6b", "gelu": "#82aaff", "gelu_tanh": "#7fdbca", "silu": "#f78c6c", "softplus": "#89ddff",
              "identity": "#b0bec5", "linear": "#b0bec5"}
#: colours for runs that share an activation, in order
PALETTE = ["#c792ea", "#4fd6a5", "#ffcb6b", "#89ddff"]
FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"

LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU",
          "gelu": "GELU", "gelu_tanh": "GELU (tanh)", "silu": "SiLU", "softplus": "softplus", "identity": "linear",
          "linear": "linear", "softmax": "softmax", "mixed": "mixed"}
FORMULAS = {"sigmoid": "σ(x) = 1 / (1 + e⁻ˣ)", "tanh": "tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
            "relu": "ReLU(x) = max(0, x)", "leaky_relu": "max(αx, x)", "elu": "x if x > 0, else α(eˣ − 1)",
            "gelu": "x · Φ(x),  Φ: normal CDF", "gelu_tanh": "x · σ(1.5958 (x + 0.044715 x³))", "silu": "x · σ(x)",
            "softplus": "log(1 + eˣ)", "identity": "x", "linear": "x", "mixed": ""}

config.background_color = BACKGROUND
# manim hashes every mobject of every play() to reuse partial movies; for
# scenes holding trajectories and images that costs more than rendering, and
# updater-driven frames are not what the hash sees anyway.
config.disable_caching = True


def text(s: str, size: float = 24, color: str = TEXT, **kw) -> Text:
    return Text(s, font=FONT, font_size=size, color=color, **kw)


class Label(Text):
    """Axis numbers in the theme's font (manim's default would need LaTeX)."""

    def __init__(self, s, **kw):
        super().__init__(str(s), font=FONT, color=MUTED, **kw)


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


def label(activation: str, alpha: float | None = None) -> str:
    """'leaky ReLU', or 'leaky ReLU (α 0.1)' for a slope other than the default."""
    name = LABELS.get(activation, activation)
    default = {"leaky_relu": 0.01, "elu": 1.0}.get(activation)
    return name if alpha is None or alpha == default else f"{name} (α {alpha:g})"


def run_colors(activations: list[str]) -> list[str]:
    """A colour per run: its activation's, unless runs share an activation
    (then the palette's, in order), so that runs never look alike."""
    if len(set(activations)) == len(activations):
        return [RUN_COLORS.get(a, PALETTE[i % len(PALETTE)]) for i, a in enumerate(activations)]
    return [PALETTE[i % len(PALETTE)] for i in range(len(activations))]
