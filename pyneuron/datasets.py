"""Datasets for the demonstrations: 1-D targets and TensorFlow Playground's sets.

1-D regression: :func:`exp_decay` (the headline target y = e^(-5x)) and
:func:`function` for any expression or callable.  Each returns x (n, 1) and
y (n, 1).

Classification (TensorFlow Playground's generators, points in about
[-6, 6]^2, labels 0/1): :func:`circle`, :func:`xor`, :func:`gauss`,
:func:`spiral`, and :func:`linear` (linearly separable at noise 0).
Regression on the plane: :func:`plane`, :func:`multi_gauss`.  Your own
data: :func:`from_csv`.  Each takes
``(n=500, noise=0.0, seed=0)``, noise in [0, 1] (the playground offers
0 to 0.5), and returns X (n, 2) and y (n, 1).

>>> import numpy as np
>>> from pyneuron import datasets
>>> x, y = datasets.circle(n=200, seed=0)
>>> x.shape, y.shape, np.unique(y).tolist()
((200, 2), (200, 1), [0.0, 1.0])
>>> x, y = datasets.function("exp(-5*x)", n=3)
>>> y.ravel()
array([1.        , 0.082085  , 0.00673795])
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._expr import compile_expression
from .csv_data import from_csv

#: x (n, inputs) and y (n, 1), float64.
Data = tuple[np.ndarray, np.ndarray]

__all__ = ["exp_decay", "function", "circle", "xor", "gauss", "spiral", "linear", "plane", "multi_gauss",
           "plane_grid", "EXTENT", "CLASSIFICATION", "REGRESSION_2D", "from_csv"]


def _check_n(n, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{where}: n must be a positive integer, got {n!r}")
    return int(n)


def _check_range(x_range, where: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: x_range must be a pair (low, high), got {x_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{where}: x_range must satisfy low < high, got {x_range!r}")
    return lo, hi


def function(fn_or_expr: str | Callable[[np.ndarray], ArrayLike], n: int = 256,
             x_range: tuple[float, float] = (0.0, 1.0)) -> Data:
    """x: n points evenly spaced over ``x_range`` (n, 1); y = f(x) (n, 1).

    ``fn_or_expr``: an expression in x such as ``"exp(-5*x)"`` or
    ``"sin(3*x)"`` (parsed safely, see :mod:`pyneuron._expr`), or a callable
    on a numpy array.
    """
    n = _check_n(n, "function")
    lo, hi = _check_range(x_range, "function")
    f = compile_expression(fn_or_expr) if isinstance(fn_or_expr, str) else fn_or_expr
    if not callable(f):
        raise TypeError(f"function: expected an expression string or a callable, got {type(fn_or_expr).__name__}")
    x = np.linspace(lo, hi, n)
    with np.errstate(all="ignore"):
        y = np.asarray(f(x), dtype=np.float64)
    y = np.broadcast_to(y, x.shape).copy() if y.shape != x.shape else y
    if not np.isfinite(y).all():
        raise ValueError(f"function: {fn_or_expr!r} is not finite everywhere on [{lo}, {hi}]")
    return x.reshape(-1, 1), y.reshape(-1, 1)


def exp_decay(n: int = 256, rate: float = 5.0, x_range: tuple[float, float] = (0.0, 1.0)) -> Data:
    """The headline target: x (n, 1) evenly spaced, y = e^(-rate x) (n, 1)."""
    rate = float(rate)
    return function(lambda x: np.exp(-rate * x), n, x_range)


# ---------------------------------------------------------------- 2-D sets

def _setup(n, noise, seed, where):
    n = _check_n(n, where)
    noise = float(noise)
    if not (0.0 <= noise <= 1.0):
        raise ValueError(f"{where}: noise must lie in [0, 1], got {noise}")
    return n, noise, np.random.default_rng(seed)


def _labels(positive) -> np.ndarray:
    return np.asarray(positive, dtype=np.float64).reshape(-1, 1)


def circle(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """A disc of one class (radius < 2.5) inside a ring of the other (3.5 .. 5)."""
    n, noise, rng = _setup(n, noise, seed, "circle")
    radius = 5.0
    inner = n // 2
    r = np.concatenate([rng.uniform(0, 0.5 * radius, inner), rng.uniform(0.7 * radius, radius, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    pts += rng.uniform(-radius, radius, pts.shape) * noise
    return pts, _labels(np.hypot(pts[:, 0], pts[:, 1]) < 0.5 * radius)


def xor(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Four quadrants: class 1 where x and y have the same sign."""
    n, noise, rng = _setup(n, noise, seed, "xor")
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # the playground's padding off the axes
    pts += rng.uniform(-5, 5, pts.shape) * noise
    return pts, _labels(pts[:, 0] * pts[:, 1] >= 0)


def gauss(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Two Gaussian clusters around (2, 2) and (-2, -2); noise widens them."""
    n, noise, rng = _setup(n, noise, seed, "gauss")
    std = np.sqrt(0.5 + 7.0 * min(noise, 0.5))  # variance 0.5 .. 4 over noise 0 .. 0.5
    half = n // 2
    pts = np.concatenate([rng.normal(2, std, (half, 2)), rng.normal(-2, std, (n - half, 2))])
    return pts, _labels(np.arange(n) < half)


def spiral(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Two interleaved spirals."""
    n, noise, rng = _setup(n, noise, seed, "spiral")
    half = n // 2
    parts = []
    for count, delta in ((half, 0.0), (n - half, np.pi)):
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + delta
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (count, 2)) * noise)
    return np.concatenate(parts), _labels(np.arange(n) < half)


def linear(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Uniform points split by the line x + y = 0 (separable when noise is 0)."""
    n, noise, rng = _setup(n, noise, seed, "linear")
    pts = rng.uniform(-5, 5, (n, 2))
    pts += rng.uniform(-5, 5, pts.shape) * noise
    return pts, _labels(pts[:, 0] + pts[:, 1] > rng.normal(0, 2.0 * noise, n))


def plane(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Regression: y = (x1 + x2) / 10 over [-6, 6]^2."""
    n, noise, rng = _setup(n, noise, seed, "plane")
    pts = rng.uniform(-6, 6, (n, 2))
    shaken = pts + rng.uniform(-6, 6, pts.shape) * noise
    return pts, ((shaken[:, 0] + shaken[:, 1]) / 10).reshape(-1, 1)


_GAUSSIANS = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]


def multi_gauss(n: int = 500, noise: float = 0.0, seed: int = 0) -> Data:
    """Regression: six signed bumps, y = sum of sign * max(0, 1 - distance / 2)."""
    n, noise, rng = _setup(n, noise, seed, "multi_gauss")
    pts = rng.uniform(-6, 6, (n, 2))
    shaken = pts + rng.uniform(-6, 6, pts.shape) * noise
    y = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        y += sign * np.clip(1 - np.hypot(shaken[:, 0] - cx, shaken[:, 1] - cy) / 2, 0, 1)
    return pts, y.reshape(-1, 1)


#: The playground's square: the 2-D sets lie in [-EXTENT, EXTENT]^2.
EXTENT = 6.0


def plane_grid(resolution: int = 64) -> np.ndarray:
    """``resolution``^2 points covering the playground's square, row by row
    from the top-left corner as an image is stored: the grid on which 2-D
    runs record their predictions, for decision-boundary pictures.

    >>> plane_grid(2).tolist()
    [[-6.0, 6.0], [6.0, 6.0], [-6.0, -6.0], [6.0, -6.0]]
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"plane_grid: resolution must be at least 2, got {resolution}")
    g = np.linspace(-EXTENT, EXTENT, resolution)
    xx, yy = np.meshgrid(g, g[::-1])
    return np.column_stack([xx.ravel(), yy.ravel()])


#: name -> generator, for the CLI and the scenes
CLASSIFICATION = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "linear": linear}
REGRESSION_2D = {"plane": plane, "multi_gauss": multi_gauss}
