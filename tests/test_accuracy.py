"""Every activation of the registry against a higher-precision reference,
at every SIMD level: float32 over a dense sweep of [-100, 100] plus tiny
magnitudes and special values (denormal results included), float64 on a
sample against mpmath.  Bound: the row's ulp_bound (4 for transcendental
ops, 0 = exact for identity / relu / leaky_relu)."""
import numpy as np
import pytest

import pyneuron.functional as F
from pyneuron._registry import ACTIVATIONS
from refs import (FLOAT64, MPMATH, float32_sweep, float64_sample, in_dtype, mp_reference, special_values,
                  ulp_distance, variants)

CASES = [(spec, params) for spec in ACTIVATIONS for params in variants(spec)]
IDS = [spec.name + "".join(f"-{v}" for v in params.values()) for spec, params in CASES]


def test_every_registry_row_has_references():
    for spec in ACTIVATIONS:
        assert spec.name in FLOAT64 and spec.name in MPMATH, spec.name


X32 = float32_sweep()


def worst(ours, ref, x):
    d = ulp_distance(ours, ref)
    i = int(np.argmax(d))
    return int(d[i]), f"worst at x={x[i]!r}: got {ours[i]!r}, expected {ref[i]!r}"


@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_float32_within_bound(simd, spec, params):
    with np.errstate(all="ignore"):
        ref = FLOAT64[spec.name](X32.astype(np.float64), **in_dtype(params, np.float32)).astype(np.float32)
    ours = getattr(F, spec.name)(X32, **params)
    assert ours.dtype == np.float32
    ulps, where = worst(ours, ref, X32)
    assert ulps <= spec.ulp_bound, f"{spec.name} float32 at {simd}: {ulps} ulp; {where}"


X64 = float64_sample()
MP_CACHE = {}


@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_float64_within_bound(simd, spec, params):
    key = (spec.name, tuple(params.items()))
    if key not in MP_CACHE:
        MP_CACHE[key] = mp_reference(spec.name, X64, **params)
    ours = getattr(F, spec.name)(X64, **params)
    assert ours.dtype == np.float64
    ulps, where = worst(ours, MP_CACHE[key], X64)
    assert ulps <= spec.ulp_bound, f"{spec.name} float64 at {simd}: {ulps} ulp; {where}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec,params", CASES, ids=IDS)
def test_special_values(simd, spec, params, dtype):
    x = special_values(dtype)
    with np.errstate(all="ignore"):
        ref = FLOAT64[spec.name](x.astype(np.float64), **in_dtype(params, dtype)).astype(dtype)
    ours = getattr(F, spec.name)(x, **params)
    assert np.isnan(ours[np.isnan(x)]).all(), "NaN must propagate"
    ulps, where = worst(ours, ref, x)
    assert ulps <= spec.ulp_bound, where


def test_ieee_limits(simd):
    for dtype in (np.float32, np.float64):
        inf = np.array([np.inf, -np.inf, 1e4, -1e4], dtype)
        assert F.sigmoid(inf).tolist() == [1.0, 0.0, 1.0, 0.0]
        assert F.tanh(inf).tolist() == [1.0, -1.0, 1.0, -1.0]
        assert F.softplus(inf).tolist() == [np.inf, 0.0, 1e4, 0.0]
        assert np.isnan(F.relu(np.array([np.nan], dtype)))[0]
