"""Optimisers, with the update rules of ``torch.optim.SGD`` and ``torch.optim.Adam``.

They only describe the update: :meth:`pyneuron.Network.fit` runs it in C,
over the whole training loop.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ._core import lib

__all__ = ["SGD", "Adam"]


def _check_real(owner: str, name: str, value, low: float, low_inclusive: bool, high: float = math.inf,
                high_inclusive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    v = float(value)
    ok_low = v >= low if low_inclusive else v > low
    ok_high = v <= high if high_inclusive else v < high
    if not (math.isfinite(v) and ok_low and ok_high):
        lo = "[" if low_inclusive else "("
        hi = "]" if high_inclusive else ")"
        raise ValueError(f"{owner}: {name} must be in {lo}{low}, {high}{hi}, got {value!r}")
    return v


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: ``p -= lr * g``, with optional (Nesterov) momentum.

    The same rule as ``torch.optim.SGD(params, lr, momentum, nesterov=...)``
    (dampening 0, no weight decay): ``buf = momentum * buf + g`` (``buf = g``
    on the first step), then ``g = g + momentum * buf`` (Nesterov) or
    ``g = buf``.  A buffer entry below 64 times the dtype's smallest normal
    number is set to 0, so that it never decays into the slow subnormal
    range (a step below ``2**-120 * lr`` in float32 is lost).
    """

    lr: float
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self):
        object.__setattr__(self, "lr", _check_real("SGD", "lr", self.lr, 0, False))
        object.__setattr__(self, "momentum", _check_real("SGD", "momentum", self.momentum, 0, True, 1, True))
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov momentum needs momentum > 0")

    code = lib.PN_OPT_SGD

    def config(self) -> dict[str, Any]:
        return {"name": "sgd", **asdict(self)}


@dataclass(frozen=True)
class Adam:
    """Adam, as ``torch.optim.Adam(params, lr, betas, eps, weight_decay)``.

    ``m += (1 - b1) (g - m)``, ``v = b2 v + (1 - b2) g^2``, and
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, with
    ``g += weight_decay * p`` first (L2 penalty, as in PyTorch's Adam).
    An ``m`` or ``v`` entry below 64 times the dtype's smallest normal number
    is set to 0, so that a dead unit's moments never decay into the slow
    subnormal range (at the defaults that moves a parameter by less than
    ``2**-90 * lr`` per step in float32).
    """

    lr: float = 0.001
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "lr", _check_real("Adam", "lr", self.lr, 0, False))
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {self.betas!r}")
        betas = tuple(_check_real("Adam", f"betas[{i}]", b, 0, True, 1, False) for i, b in enumerate(self.betas))
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "eps", _check_real("Adam", "eps", self.eps, 0, False))
        object.__setattr__(self, "weight_decay", _check_real("Adam", "weight_decay", self.weight_decay, 0, True))

    code = lib.PN_OPT_ADAM

    def config(self) -> dict[str, Any]:
        return {"name": "adam", "lr": self.lr, "betas": list(self.betas), "eps": self.eps,
                "weight_decay": self.weight_decay}

