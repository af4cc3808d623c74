"""Input features, as TensorFlow Playground offers them: what a network's
first layer sees, computed in C from the raw inputs.

A feature is named in terms of the inputs x1, x2, ... (numbered from 1):

=============  ===================  ===========================
name           value                Playground's checkbox
=============  ===================  ===========================
``x1``         x₁                   X₁
``x1^2``       x₁²                  X₁²
``x1*x2``      x₁ x₂                X₁X₂
``sin(x1)``    sin x₁               sin(X₁)
=============  ===================  ===========================

and likewise for any other input (``x2``, ``x2^2``, ``sin(x2)``, ``x1*x3``
...).  ``x1²`` is read as ``x1^2``; spaces are ignored.

>>> import numpy as np
>>> from pyneuron import features
>>> features.expand(np.array([[2.0, 3.0]]), ["x1", "x1*x2", "x2^2"]).tolist()
[[2.0, 6.0, 9.0]]
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import _arrays as A
from ._core import check, ffi, lib

__all__ = ["PLAYGROUND", "canonical", "expand", "label"]

#: TensorFlow Playground's seven input features, in its order.
PLAYGROUND = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

_INPUT = r"x([1-9][0-9]*)"
_FORMS = (
    (re.compile(rf"{_INPUT}"), lib.PN_FEATURE_INPUT, "x{a}"),
    (re.compile(rf"{_INPUT}(?:\^2|²)"), lib.PN_FEATURE_SQUARE, "x{a}^2"),
    (re.compile(rf"{_INPUT}\*{_INPUT}"), lib.PN_FEATURE_PRODUCT, "x{a}*x{b}"),
    (re.compile(rf"sin\({_INPUT}\)"), lib.PN_FEATURE_SIN, "sin(x{a})"),
)
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _parse(name: str) -> tuple[int, int, int, str]:
    """(kind, a, b, canonical name) of a feature name; a, b count from 1."""
    if not isinstance(name, str):
        raise ValueError(f"features: a feature is a name such as 'x1*x2', got {name!r}")
    text = name.replace(" ", "")
    for pattern, kind, form in _FORMS:
        m = pattern.fullmatch(text)
        if m:
            a = int(m.group(1))
            b = int(m.group(2)) if kind == lib.PN_FEATURE_PRODUCT else a
            return kind, a, b, form.format(a=a, b=b)
    raise ValueError(f"features: unknown feature {name!r}; expected xI, xI^2, xI*xJ or sin(xI) "
                     f"for inputs I, J = 1, 2, ... (Playground's: {', '.join(PLAYGROUND)})")


def canonical(names: Sequence[str], inputs: int) -> tuple[str, ...]:
    """The features ``names`` in canonical spelling, checked against a
    network of ``inputs`` raw inputs: each known, each input in range, none
    twice."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names:
        raise ValueError(f"features: give a non-empty list of feature names such as ['x1', 'x2', 'x1*x2'], "
                         f"got {names!r}")
    out = []
    for name in names:
        kind, a, b, text = _parse(name)
        if max(a, b) > inputs:
            raise ValueError(f"features: {name!r} reads x{max(a, b)}, but the network has {inputs} input(s)")
        if text in out:
            raise ValueError(f"features: {text!r} is listed twice")
        out.append(text)
    return tuple(out)


def _c_features(names: Sequence[str]):
    specs = ffi.new("pn_feature[]", len(names))
    for spec, name in zip(specs, names):
        kind, a, b, _ = _parse(name)
        spec.kind, spec.a, spec.b = kind, a - 1, b - 1
    return specs


def expand(x: ArrayLike, names: Sequence[str], dtype=None) -> np.ndarray:
    """The features ``names`` of the rows of ``x`` (n, inputs), computed in
    C: an (n, len(names)) array of x's dtype (or ``dtype``)."""
    a = A.as_float(x, "features.expand", "x")
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError(f"features.expand: x must be (n, inputs), got shape {a.shape}")
    names = canonical(names, a.shape[1])
    a = np.require(a, a.dtype if dtype is None else np.dtype(dtype), ["C_CONTIGUOUS", "ALIGNED"])
    return _computed(a, _c_features(names), len(names), "features.expand")


def _computed(x: np.ndarray, specs, count: int, where: str) -> np.ndarray:
    """The C call: the ``count`` features ``specs`` (a pn_feature array) of
    the C-contiguous rows of x, an (n, count) array of x's dtype."""
    out = np.empty((x.shape[0], count), x.dtype)
    check(lib.pn_features(A.dtype_code(x), specs, count, A.buf(x), x.shape[1], A.buf(out), x.shape[0]), where)
    return out


def label(name: str) -> str:
    """A feature as a formula for pictures: ``x1*x2`` -> ``x₁x₂``,
    ``x1^2`` -> ``x₁²``, ``sin(x1)`` -> ``sin x₁``."""
    kind, a, b, _ = _parse(name)
    xa, xb = f"x{a}".translate(_SUBSCRIPT), f"x{b}".translate(_SUBSCRIPT)
    return {lib.PN_FEATURE_INPUT: xa, lib.PN_FEATURE_SQUARE: f"{xa}²", lib.PN_FEATURE_PRODUCT: f"{xa}{xb}",
            lib.PN_FEATURE_SIN: f"sin {xa}"}[kind]
