"""Every public numerical function of pyneuron.functional as a case: how to
build its inputs at a given length and dtype from a seeded generator, how to
call it, what its results depend on, and which argument may be its ``out=``.

One table drives the tail, guard-page, layout, property and thread tests.
The activation cases come from the registry's rows (and their parameter
variants), so a new row gets its cases everywhere.

A case's arrays are shaped from named dimensions: ``dims`` is a tuple of
sizes and each input or output lists, as its ``layout``, the indices of the
dims that make its shape (``ANY``: the whole dims tuple is the shape, for
element-wise functions of any shape).  The tests sweep one dim, ``swept``:
the axis the kernels vectorise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

import pyneuron.functional as F
from pyneuron._core import _LEVEL_INFO
from pyneuron._registry import ACTIVATIONS
from refs import FLOAT64, variants

# ------------------------------------------------------------ kernel tiles
# The levels' vector and tile sizes as the C layer reports them
# (pn_simd_describe), so the sweeps follow any change of a tile size; the
# chunk sizes internal to one kernel file are read from its source.

CSRC = Path(__file__).resolve().parent.parent / "csrc"


def _define(text: str, pattern: str, where: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in {where}: update tests/kernel_cases.py"
    return int(match.group(1))


#: The levels this build holds (its architecture's), with their sizes.
_TILES = [info for info in _LEVEL_INFO if info["compiled"]]
_KERNELS = CSRC / "kernels"
_losses_inc = (_KERNELS / "losses.inc").read_text()
_dense_inc = (_KERNELS / "dense.inc").read_text()
_isa_inc = (_KERNELS / "isa_kernels.inc").read_text()

#: Loss sums run in vector lanes over chunks of this many vectors, then in double.
LOSS_CHUNK_VECTORS = _define(_losses_inc, r"#define LOSS_CHUNK \((\d+) \* LANES\)", "losses.inc")
GEMM_KC = _define(_dense_inc, r"#define GEMM_KC (\d+)", "dense.inc")
#: float32 tanh-GELU runs the float64 kernel over stack blocks of this many elements.
VIA_F64_BLOCK = _define(_isa_inc, r"#define PN_VIA_F64_BLOCK (\d+)", "isa_kernels.inc")
#: map_unary (activations.inc) handles two vectors per step; the other maps one.
ACT_FORWARD_UNROLL = 2

LANES = max(t["f32_lanes"] for t in _TILES)  # float32 lanes of the widest level
_ALL_LANES = sorted({t[k] for t in _TILES for k in ("f32_lanes", "f64_lanes")})
GEMM_MR = max(t["gemm_mr"] for t in _TILES)
GEMM_NR = max(t["gemm_nv"] * t["f32_lanes"] for t in _TILES)


def tail_lengths(tile: int, chunks: tuple[int, ...] = ()) -> tuple[int, ...]:
    """1 .. 2 x tile + 1, and each side of every chunk boundary."""
    lengths = set(range(1, 2 * tile + 2))
    for c in chunks:
        lengths |= {c - 1, c, c + 1}
    if chunks:
        lengths.add(2 * max(chunks) + 1)
    return tuple(sorted(lengths))


def _chunk_sizes(vectors: int) -> tuple[int, ...]:
    """Elements in a chunk of ``vectors`` vectors, at every level and precision."""
    return tuple(vectors * lanes for lanes in _ALL_LANES)


# --------------------------------------------------------------- the table

ANY = None  # layout: the input or output has the shape dims, of any rank


def normal(scale: float):
    return lambda rng, shape, dims, dtype: rng.normal(0.0, scale, shape).astype(dtype)


def uniform(lo: float, hi: float):
    return lambda rng, shape, dims, dtype: rng.uniform(lo, hi, shape).astype(dtype)


def class_labels(rng, shape, dims, dtype):
    return rng.integers(0, max(dims[1], 1), shape)


def class_probabilities(rng, shape, dims, dtype):
    rows, classes = shape
    if classes == 0:
        return np.zeros(shape, dtype)
    return rng.dirichlet(np.ones(classes), rows).astype(dtype)


def labels_within(labels: np.ndarray, classes: int) -> np.ndarray:
    """Labels drawn for more classes, folded into range for ``classes``."""
    return labels % classes


@dataclass(frozen=True)
class Input:
    name: str
    layout: tuple[int, ...] | None
    draw: Callable[[np.random.Generator, tuple, tuple, np.dtype], np.ndarray]
    #: Integer class indices rather than float values.
    labels: bool = False
    #: How a shorter sweep length restricts this input (default: a prefix).
    restrict: Callable[[np.ndarray, int], np.ndarray] | None = None


@dataclass(frozen=True)
class Output:
    layout: tuple[int, ...] | None
    #: Depends on the whole swept dim (a sum or a normalisation along it):
    #: checked against the float64 reference, not against a longer run.
    reduced: bool = False


@dataclass(frozen=True, repr=False)
class Case:
    name: str
    function: Callable
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    #: Which dim the sweep varies, and the sizes of the others during it.
    swept: int
    sweep_dims: tuple[int, ...]
    lengths: tuple[int, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    takes_out: bool = False
    #: float64 inputs -> per output (expected, error bound in units of the
    #: dtype's eps); the tests check the outputs marked reduced with it.
    reference: Callable[..., tuple] | None = None

    def __repr__(self) -> str:
        return f"<case {self.name}>"

    def __call__(self, *arrays, **kwargs):
        return self.function(*arrays, **self.params, **kwargs)

    def dims(self, length: int) -> tuple[int, ...]:
        d = list(self.sweep_dims)
        d[self.swept] = length
        return tuple(d)

    def shape(self, layout, dims: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(dims) if layout is ANY else tuple(dims[k] for k in layout)

    def swept_axis(self, layout) -> int | None:
        """The axis of an array of this layout that the sweep varies."""
        if layout is ANY:
            return 0
        return layout.index(self.swept) if self.swept in layout else None

    def make(self, rng: np.random.Generator, dims: tuple[int, ...], dtype) -> tuple[np.ndarray, ...]:
        dtype = np.dtype(dtype)
        return tuple(np.asarray(i.draw(rng, self.shape(i.layout, dims), dims, dtype)) for i in self.inputs)

    def restrict(self, arrays: tuple[np.ndarray, ...], length: int) -> tuple[np.ndarray, ...]:
        """The inputs of a sweep at ``length``, from those of a longer one."""
        out = []
        for spec, a in zip(self.inputs, arrays):
            if spec.restrict is not None:
                out.append(spec.restrict(a, length))
                continue
            axis = self.swept_axis(spec.layout)
            out.append(a if axis is None else np.ascontiguousarray(np.take(a, range(length), axis=axis)))
        return tuple(out)

    @property
    def in_place(self) -> tuple[int, ...]:
        """Inputs that may be passed as ``out=`` (same layout as the result)."""
        if not self.takes_out:
            return ()
        return tuple(k for k, i in enumerate(self.inputs) if not i.labels and i.layout == self.outputs[0].layout)


def results(value) -> list[np.ndarray]:
    """A function's result(s) as a list of arrays (scalars as 0-d arrays)."""
    return [np.asarray(v) for v in value] if isinstance(value, tuple) else [np.asarray(value)]


def _variant_label(params: Mapping[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + ")" if params else ""


def _activation_cases() -> list[Case]:
    cases = []
    x, grad = Input("x", ANY, normal(4.0)), Input("grad", ANY, normal(1.0))
    for spec in ACTIVATIONS:
        for params in variants(spec):
            label = _variant_label(params) if len(variants(spec)) > 1 else ""
            chunks = (VIA_F64_BLOCK,) if params.get("approximate") == "tanh" else ()
            cases.append(Case(spec.name + label, getattr(F, spec.name), (x,), (Output(ANY),), 0, (0,),
                              tail_lengths(ACT_FORWARD_UNROLL * LANES, chunks), params, takes_out=True))
            cases.append(Case(spec.name + "_backward" + label, getattr(F, spec.name + "_backward"),
                              (x, grad), (Output(ANY),), 0, (0,), tail_lengths(LANES, chunks), params,
                              takes_out=True))
    return cases


# ---- float64 references with their error bounds, for reduced outputs.
# Bounds are in units of the result dtype's eps, times a magnitude that the
# rounding errors scale with.  Softmax rows are summed with compensation, so
# their bound is the activations' 4 ulp; loss sums count the roundings of
# their longest chain (lane sums of LOSS_CHUNK_VECTORS terms, then a
# horizontal sum) plus a few ulp per term.
SOFTMAX_ULPS = 4
_LOSS_ULPS = LOSS_CHUNK_VECTORS + 16


def softmax_reference(x, axis=-1):
    """numpy's formula exp(x - max) / sum, in extended precision (x86's
    80-bit long double): NaN and inf where the float64 formula gives them,
    and accurate enough to hold float64 results to a few ulp."""
    x = np.asarray(x, np.longdouble)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return (e / e.sum(axis=axis, keepdims=True)).astype(np.float64)


def log_softmax_reference(x, axis=-1):
    """numpy's formula x - max - log(sum exp(x - max)), in extended precision."""
    x = np.asarray(x, np.longdouble)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = x.max(axis=axis, keepdims=True)
        return (x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).astype(np.float64)


def _ref_softmax(x):
    y = softmax_reference(x)
    return ((y, SOFTMAX_ULPS * y),)


def _ref_log_softmax(x):
    # Bounded here by the absolute error of log(sum), which is the sum's
    # relative error: enough to catch a wrong tail.  Relative accuracy near
    # 0 (the dominant logit) is asserted by tests/test_softmax.py.
    shifted = x - x.max(-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(-1, keepdims=True))
    return ((shifted - lse, SOFTMAX_ULPS * (np.abs(shifted) + lse + 1)),)


def _ref_softmax_backward(x, g):
    y = softmax_reference(x)
    c = (g * y).sum(-1, keepdims=True)
    return ((y * (g - c), SOFTMAX_ULPS * y * (np.abs(g) + (np.abs(g) * y).sum(-1, keepdims=True))),)


def _ref_log_softmax_backward(x, g):
    y = softmax_reference(x)
    s = g.sum(-1, keepdims=True)
    return ((g - y * s, SOFTMAX_ULPS * (np.abs(g) + y * np.abs(g).sum(-1, keepdims=True))),)


def _gemm_bound(a, b, k):
    # Any order of k fused or unfused multiply-adds: |error| <= k eps sum|a||b|
    # (Higham's gamma_k); twice that for float64, whose reference rounds too.
    return 2 * (k + 2) * (np.abs(a) @ np.abs(b))


def _ref_dense(x, W, b=None):
    y = x @ W + (0 if b is None else b)
    bound = _gemm_bound(x, W, W.shape[0]) + (0 if b is None else 2 * np.abs(b))
    return ((y, bound),)


def _ref_dense_backward(x, W, g):
    n = x.shape[0]
    return (
        (g @ W.T, _gemm_bound(g, W.T, W.shape[1])),
        (x.T @ g, _gemm_bound(x.T, g, n)),
        (g.sum(0), 2 * (n + 2) * np.abs(g).sum(0)),
    )


_sigmoid64 = FLOAT64["sigmoid"]


def _ref_mse(p, t):
    d2 = (p - t) ** 2
    return ((d2.mean(), _LOSS_ULPS * d2.mean()),)


def _ref_mse_backward(p, t):
    g = 2 * (p - t) / p.size
    return ((g, 4 * np.abs(g)),)


def _ref_bce_logits(z, t):
    soft = np.log1p(np.exp(-np.abs(z)))
    terms = np.maximum(z, 0) - z * t + soft
    scale = np.abs(z) + np.abs(z * t) + soft
    return ((terms.mean(), _LOSS_ULPS * scale.mean()),)


def _ref_bce_logits_backward(z, t):
    g = (_sigmoid64(z) - t) / z.size
    return ((g, 8 * (_sigmoid64(z) + np.abs(t)) / z.size),)


def _ref_bce(p, t):
    lp, lq = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    terms = -(t * lp + (1 - t) * lq)
    # + 1: 1 - p is rounded before its log, an error of eps / (1 - p) in it
    scale = np.abs(t * lp) + np.abs(1 - t) * (np.abs(lq) + 1 / (1 - p))
    return ((terms.mean(), _LOSS_ULPS * scale.mean()),)


def _ref_bce_backward(p, t):
    g = (p - t) / np.maximum(p * (1 - p), 1e-12) / p.size
    return ((g, 8 * np.abs(g)),)


def _lse(z):
    m = z.max(-1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(-1, keepdims=True))


def _targets(z, labels):
    if labels.dtype.kind in "iu":
        return np.eye(z.shape[-1])[labels]
    return labels


def _ref_cross_entropy(z, labels):
    t = _targets(z, labels)
    lse = _lse(z)
    rows = (t * (lse - z)).sum(-1)
    # the kernel rounds lse to the dtype before subtracting, and its log(sum)
    # carries the sum's error: eps (|lse| + |z| + chain) per unit of target
    scale = (np.abs(t) * (np.abs(lse) + np.abs(z) + 1)).sum(-1)
    return ((rows.mean(), SOFTMAX_ULPS * scale.mean()),)


def _ref_cross_entropy_backward(z, labels):
    t = _targets(z, labels)
    rows = z.shape[0]
    y = softmax_reference(z)
    tsum = t.sum(-1, keepdims=True)
    g = (y * tsum - t) / rows
    return ((g, SOFTMAX_ULPS * (y * np.abs(tsum) + np.abs(t)) / rows),)


def _softmax_cases() -> list[Case]:
    lengths = tail_lengths(LANES)
    x, grad = Input("x", (0, 1), normal(3.0)), Input("grad", (0, 1), normal(1.0))
    y = (Output((0, 1), reduced=True),)
    rows = (3, 0)
    return [
        Case("softmax", F.softmax, (x,), y, 1, rows, lengths, takes_out=True, reference=_ref_softmax),
        Case("log_softmax", F.log_softmax, (x,), y, 1, rows, lengths, takes_out=True,
             reference=_ref_log_softmax),
        Case("softmax_backward", F.softmax_backward, (x, grad), y, 1, rows, lengths, takes_out=True,
             reference=_ref_softmax_backward),
        Case("log_softmax_backward", F.log_softmax_backward, (x, grad), y, 1, rows, lengths,
             takes_out=True, reference=_ref_log_softmax_backward),
    ]


def _dense_cases() -> list[Case]:
    """dims (n, in, out).  Each dim swept with the others small (in-place B
    reads) and with the others large enough that B is packed: n beyond the
    register tile's rows, in beyond two K blocks, out beyond two panels."""
    lengths = tail_lengths(max(GEMM_MR, GEMM_NR))
    k_lengths = tail_lengths(max(GEMM_MR, GEMM_NR), (GEMM_KC,))
    x, W, b = Input("x", (0, 1), normal(1.0)), Input("W", (1, 2), normal(1.0)), Input("b", (2,), normal(1.0))
    grad = Input("grad", (0, 2), normal(1.0))
    small, large = (3, 3, 3), (2 * GEMM_MR + 1, 2 * GEMM_KC + 1, 2 * GEMM_NR + 1)
    cases = []
    for others, tag in ((small, ""), (large, ", packed")):
        for swept, dim in enumerate(("n", "in", "out")):
            sweep = k_lengths if dim == "in" else lengths
            cases.append(Case(f"dense[{dim}{tag}]", F.dense, (x, W, b), (Output((0, 2), reduced=dim == "in"),),
                              swept, others, sweep, takes_out=True, reference=_ref_dense))
            cases.append(Case(
                f"dense_backward[{dim}{tag}]", F.dense_backward, (x, W, grad),
                (Output((0, 1), reduced=dim == "out"), Output((1, 2), reduced=dim == "n"),
                 Output((2,), reduced=dim == "n")),
                swept, others, sweep, reference=_ref_dense_backward))
    cases.append(Case("dense[out, no bias]", F.dense, (x, W), (Output((0, 2)),), 2, small, lengths,
                      takes_out=True, reference=_ref_dense))
    return cases


def _loss_cases() -> list[Case]:
    lengths = tail_lengths(LANES, _chunk_sizes(LOSS_CHUNK_VECTORS))
    table = (
        ("mse", (normal(2.0), normal(2.0)), _ref_mse, _ref_mse_backward),
        ("binary_cross_entropy_with_logits", (normal(3.0), uniform(0, 1)), _ref_bce_logits,
         _ref_bce_logits_backward),
        ("binary_cross_entropy", (uniform(0.01, 0.99), uniform(0, 1)), _ref_bce, _ref_bce_backward),
    )
    cases = []
    for name, (pred, target), loss_ref, grad_ref in table:
        inputs = (Input("pred", ANY, pred), Input("target", ANY, target))
        cases.append(Case(name, getattr(F, name), inputs, (Output((), reduced=True),), 0, (0,), lengths,
                          reference=loss_ref))
        # the mean's 1/n makes every element of the gradient depend on n
        cases.append(Case(name + "_backward", getattr(F, name + "_backward"), inputs,
                          (Output(ANY, reduced=True),), 0, (0,), lengths, takes_out=True,
                          reference=grad_ref))
    return cases


def _cross_entropy_cases() -> list[Case]:
    """dims (rows, classes), classes swept: the rows are the vectors."""
    lengths = tail_lengths(LANES)
    logits = Input("logits", (0, 1), normal(3.0))
    targets = {
        "labels": Input("labels", (0,), class_labels, labels=True, restrict=labels_within),
        "probabilities": Input("target", (0, 1), class_probabilities),
    }
    cases = []
    for kind, target in targets.items():
        cases.append(Case(f"cross_entropy[{kind}]", F.cross_entropy, (logits, target),
                          (Output((), reduced=True),), 1, (3, 0), lengths, reference=_ref_cross_entropy))
        cases.append(Case(f"cross_entropy_backward[{kind}]", F.cross_entropy_backward, (logits, target),
                          (Output((0, 1), reduced=True),), 1, (3, 0), lengths, takes_out=True,
                          reference=_ref_cross_entropy_backward))
    return cases


CASES: tuple[Case, ...] = tuple(
    _activation_cases() + _softmax_cases() + _dense_cases() + _loss_cases() + _cross_entropy_cases()
)
BY_NAME: dict[str, Case] = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1).view(f"u{a.itemsize}")


def assert_identical(got: list[np.ndarray], expected: list[np.ndarray], what: str = "") -> None:
    """Same dtypes, shapes and bits (-0 is not 0; NaNs match bit for bit)."""
    assert len(got) == len(expected), what
    for k, (g, e) in enumerate(zip(got, expected)):
        assert (g.dtype, g.shape) == (e.dtype, e.shape), \
            f"{what}: result {k} is {g.dtype}{g.shape}, not {e.dtype}{e.shape}"
        differ = np.flatnonzero(_bits(g) != _bits(e))
        assert not differ.size, (f"{what}: result {k} differs at flat indices {differ[:8]}: "
                                 f"{g.reshape(-1)[differ[:4]]} instead of {e.reshape(-1)[differ[:4]]}")


# ------------------------------------------------------------- memory layouts

def at_byte_offset(a: np.ndarray, offset: int) -> np.ndarray:
    """A copy of ``a`` that starts ``offset`` bytes past a 64-byte boundary."""
    raw = np.zeros(a.nbytes + 64 + offset, np.uint8)
    view = np.frombuffer(raw, a.dtype, a.size, -raw.ctypes.data % 64 + offset).reshape(a.shape)
    view[...] = a
    return view


def sharing_memory(a: np.ndarray, result: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``a`` and an array shaped like ``result``, in one buffer:
    the copy starts ``shift`` bytes after the array (before it, if negative)."""
    raw = np.zeros(max(a.nbytes, result.nbytes) + abs(shift) + 64, np.uint8)
    base = -raw.ctypes.data % 64
    view = np.frombuffer(raw, a.dtype, a.size, base + max(shift, 0)).reshape(a.shape)
    view[...] = a
    return view, np.frombuffer(raw, result.dtype, result.size, base + max(-shift, 0)).reshape(result.shape)


def every_other(a: np.ndarray) -> np.ndarray:
    """``a``'s values at every other element of a larger array whose gaps
    hold values that would show if they were read."""
    if a.ndim == 0:
        return a.copy()
    wide = np.empty(tuple(2 * s for s in a.shape), a.dtype)
    if a.dtype.kind in "fc":
        wide.fill(np.nan)
    elif a.dtype.kind in "iu":
        wide.fill(np.iinfo(a.dtype).max)  # out of range as a class label too
    view = wide[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


LAYOUTS = {
    "every other element": every_other,
    "reversed": lambda a: np.flip(np.flip(a).copy()),
    "transposed": lambda a: np.array(a.T, order="C").T,  # not ascontiguousarray: it makes 0-d 1-d
    "every other, reversed and transposed": lambda a: np.flip(every_other(np.flip(a).T).T),
}
