"""The one list of activation functions.

Each row names an op of the C kernel (``pn_act`` code in
``csrc/pyneuron.h``) and says everything the rest of the project needs:
``pyneuron.functional`` generates ``name`` and ``name_backward`` from it,
the tests sweep every row against a high-precision reference, and the
benchmarks time every row against its idiomatic numpy expression and
PyTorch.  Adding an activation: a kernel pair in
``csrc/kernels/activations.inc``, its slot in the kernel table, and a row
here.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Mapping

import numpy as np

from ._core import ACTIVATION_INFO, lib


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    #: For a string-valued parameter: value -> pn_act code of that variant.
    variants: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Activation:
    name: str
    code: int  # pn_act code (the default variant's, for ops with variants)
    formula: str
    derivative: str
    output_range: str
    numpy: Callable[..., np.ndarray]  # the idiomatic numpy expression
    torch: Callable[..., Any]  # (torch, x, **params) -> tensor
    #: dL/dx from x and dL/dy = g: the idiomatic numpy expression, and
    #: PyTorch's backward kernel (the aten op autograd calls), given x
    numpy_backward: Callable[..., np.ndarray]  # (x, g, **params)
    torch_backward: Callable[..., Any]  # (torch, x, g, **params) -> tensor
    params: tuple[Param, ...] = ()
    #: What ``F.<name>(np.array(EXAMPLE_INPUT))`` prints, from the exact
    #: function (mpmath): the docstring example, run as a doctest.
    example: str = field(kw_only=True)

    @property
    def ulp_bound(self) -> int:
        """The error bound tested for float32 and float64, in ulp; 0 means
        exact (csrc/ops.def, through pn_act_describe)."""
        return ACTIVATION_INFO[self.code]["ulp_bound"]

    def kernel_args(self, params: Mapping[str, Any], where: str | None = None) -> tuple[int, float]:
        """(pn_act code, alpha) for these parameter values, validated; errors
        name ``where`` (default: the row's name)."""
        where = where or self.name
        code, alpha = self.code, 0.0
        for p in self.params:
            value = params[p.name]
            if p.variants is not None:
                if not isinstance(value, str) or value not in p.variants:
                    choices = ", ".join(repr(v) for v in p.variants)
                    raise ValueError(f"{where}: {p.name} must be one of {choices}, got {value!r}")
                code = p.variants[value]
            else:
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                    raise TypeError(f"{where}: {p.name} must be a real number, got {type(value).__name__}")
                alpha = float(value)
                if not math.isfinite(alpha):
                    raise ValueError(f"{where}: {p.name} must be finite, got {alpha}")
        return code, alpha


EXAMPLE_INPUT = (-2.0, 0.0, 2.0)


def _param_of(code: int) -> Param:
    """An activation's real parameter and its default, as csrc/ops.def states them."""
    info = ACTIVATION_INFO[code]
    return Param(info["param"], info["param_default"])


def _gelu_numpy(x, approximate="none"):
    # Python float constants: numpy float64 scalars would promote float32 x.
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    from scipy.special import erf  # numpy has no erf

    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def _gelu_numpy_backward(x, g, approximate="none"):
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (x + 0.044715 * x**3))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
    from scipy.special import erf

    return g * (0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


def _sigmoid_numpy_backward(x, g):
    s = 1 / (1 + np.exp(-x))
    return g * s * (1 - s)


def _tanh_numpy_backward(x, g):
    t = np.tanh(x)
    return g * (1 - t * t)


def _silu_numpy_backward(x, g):
    s = 1 / (1 + np.exp(-x))
    return g * s * (1 + x * (1 - s))


ACTIVATIONS: tuple[Activation, ...] = (
    Activation("identity", lib.PN_ACT_IDENTITY, "x", "1", "(-inf, inf)",
               lambda x: x.copy(), lambda t, x: x.clone(),
               lambda x, g: g.copy(), lambda t, x, g: g.clone(),
               example="array([-2.,  0.,  2.])"),
    Activation("sigmoid", lib.PN_ACT_SIGMOID, "1 / (1 + exp(-x))", "s(x) (1 - s(x))", "(0, 1)",
               lambda x: 1 / (1 + np.exp(-x)), lambda t, x: t.sigmoid(x),
               _sigmoid_numpy_backward, lambda t, x, g: t.ops.aten.sigmoid_backward(g, t.sigmoid(x)),
               example="array([0.11920292, 0.5       , 0.88079708])"),
    Activation("tanh", lib.PN_ACT_TANH, "(e^x - e^-x) / (e^x + e^-x)", "1 - tanh(x)^2", "(-1, 1)",
               lambda x: np.tanh(x), lambda t, x: t.tanh(x),
               _tanh_numpy_backward, lambda t, x, g: t.ops.aten.tanh_backward(g, t.tanh(x)),
               example="array([-0.96402758,  0.        ,  0.96402758])"),
    Activation("relu", lib.PN_ACT_RELU, "max(x, 0)", "1 if x > 0 else 0", "[0, inf)",
               lambda x: np.maximum(x, 0), lambda t, x: t.relu(x),
               lambda x, g: np.where(x > 0, g, 0), lambda t, x, g: t.ops.aten.threshold_backward(g, x, 0),
               example="array([0., 0., 2.])"),
    Activation("leaky_relu", lib.PN_ACT_LEAKY_RELU, "x if x > 0 else alpha x", "1 if x > 0 else alpha",
               "(-inf, inf)",
               lambda x, alpha=0.01: np.where(x > 0, x, alpha * x),
               lambda t, x, alpha=0.01: t.nn.functional.leaky_relu(x, alpha),
               lambda x, g, alpha=0.01: np.where(x > 0, g, alpha * g),
               lambda t, x, g, alpha=0.01: t.ops.aten.leaky_relu_backward(g, x, alpha, False),
               (_param_of(lib.PN_ACT_LEAKY_RELU),),
               example="array([-0.02,  0.  ,  2.  ])"),
    Activation("elu", lib.PN_ACT_ELU, "x if x > 0 else alpha (e^x - 1)", "1 if x > 0 else alpha e^x",
               "(-alpha, inf)",
               lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)),
               lambda t, x, alpha=1.0: t.nn.functional.elu(x, alpha),
               lambda x, g, alpha=1.0: np.where(x > 0, g, alpha * np.exp(np.minimum(x, 0)) * g),
               lambda t, x, g, alpha=1.0: t.ops.aten.elu_backward(g, alpha, 1, 1, False, x),
               (_param_of(lib.PN_ACT_ELU),),
               example="array([-0.86466472,  0.        ,  2.        ])"),
    Activation("gelu", lib.PN_ACT_GELU, "x Phi(x) = x/2 (1 + erf(x / sqrt 2))", "Phi(x) + x phi(x)",
               "[-0.17, inf)", _gelu_numpy,
               lambda t, x, approximate="none": t.nn.functional.gelu(x, approximate=approximate),
               _gelu_numpy_backward,
               lambda t, x, g, approximate="none": t.ops.aten.gelu_backward(g, x, approximate=approximate),
               (Param("approximate", "none", {"none": lib.PN_ACT_GELU, "tanh": lib.PN_ACT_GELU_TANH}),),
               example="array([-0.04550026,  0.        ,  1.95449974])"),
    Activation("silu", lib.PN_ACT_SILU, "x / (1 + exp(-x))", "s(x) (1 + x (1 - s(x)))", "[-0.28, inf)",
               lambda x: x / (1 + np.exp(-x)), lambda t, x: t.nn.functional.silu(x),
               _silu_numpy_backward, lambda t, x, g: t.ops.aten.silu_backward(g, x),
               example="array([-0.23840584,  0.        ,  1.76159416])"),
    Activation("softplus", lib.PN_ACT_SOFTPLUS, "log(1 + exp(x))", "sigmoid(x)", "(0, inf)",
               lambda x: np.logaddexp(0, x), lambda t, x: t.nn.functional.softplus(x),
               lambda x, g: g / (1 + np.exp(-x)), lambda t, x, g: t.ops.aten.softplus_backward(g, x, 1, 20),
               example="array([0.12692801, 0.69314718, 2.12692801])"),
)

BY_NAME: dict[str, Activation] = {a.name: a for a in ACTIVATIONS}


def measured_accuracy() -> dict[str, Any]:
    """What tools/ulp_sweep.py measured over every finite float32, per row
    and SIMD level (the table of docs/accuracy.md), shipped in the package."""
    return json.loads(resources.files(__package__).joinpath("accuracy.json").read_text())


def case_label(name: str, params: Mapping[str, Any]) -> str:
    """``gelu`` or ``gelu(approximate=tanh)``: a row and its non-default parameters."""
    spec = BY_NAME[name]
    changed = [f"{k}={v}" for k, v in params.items() if v != next(p.default for p in spec.params if p.name == k)]
    return name + (f"({', '.join(changed)})" if changed else "")
