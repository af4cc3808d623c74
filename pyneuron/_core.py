"""The bridge to the C kernels: the cffi module, status codes, SIMD levels.

Everything here talks to ``pyneuron._ffi``, the cffi API-mode extension that
CMake builds from ``csrc/``; the declarations it exposes are those of
``csrc/pyneuron.h``.
"""
from __future__ import annotations

import os

from ._ffi import ffi, lib

__all__ = ["ffi", "lib", "check", "simd_level", "simd_levels", "set_simd_level", "simd_describe", "LEVELS"]

#: Levels turned off by PYNEURON_DISABLE_SIMD (treated as unsupported).
_disabled: tuple[str, ...] = ()

_STATUS_ERRORS = {
    lib.PN_ERR_NOMEM: MemoryError,
    lib.PN_ERR_SIMD: RuntimeError,
}


def check(status: int, where: str) -> None:
    """Raise the exception that a non-zero ``pn_status`` stands for."""
    if status:
        message = ffi.string(lib.pn_status_message(status)).decode()
        raise _STATUS_ERRORS.get(status, ValueError)(f"{where}: {message}")


def _describe(code: int) -> dict:
    info = ffi.new("pn_simd_info *")
    check(lib.pn_simd_describe(code, info), "pn_simd_describe")
    return {"name": ffi.string(info.name).decode(), "arch": ffi.string(info.arch).decode(),
            "flags": ffi.string(info.flags).decode(), "compiled": bool(info.compiled),
            **{key: getattr(info, key) for key in ("f32_lanes", "f64_lanes", "gemm_mr", "gemm_nv",
                                                   "lanes_units", "lanes_inputs")}}


#: Every SIMD level of the manifest (csrc/ops.def) as the C layer describes
#: it, indexed by its ``pn_simd`` code; sizes are 0 for levels of other
#: architectures, which this build does not hold.
_LEVEL_INFO = tuple(_describe(code) for code in range(lib.PN_SIMD_COUNT))

#: SIMD level names, indexed by their ``pn_simd`` code.
LEVELS = tuple(info["name"] for info in _LEVEL_INFO)


def _describe_activation(code: int) -> dict:
    info = ffi.new("pn_act_info *")
    check(lib.pn_act_describe(code, info), "pn_act_describe")
    return {"name": ffi.string(info.name).decode(), "family": info.family, "param": ffi.string(info.param).decode(),
            "param_default": info.param_default, "ulp_bound": info.ulp_bound}


#: Every activation of the manifest (csrc/ops.def) as the C layer describes
#: it, indexed by its ``pn_act`` code.
ACTIVATION_INFO = tuple(_describe_activation(code) for code in range(lib.PN_ACT_COUNT))


def simd_describe(level: str) -> dict:
    """What ``level`` is: its architecture, compiler flags, whether this
    build holds its kernels, and their vector lanes and register tiles."""
    if level not in LEVELS:
        raise ValueError(f"unknown SIMD level {level!r}; expected one of {', '.join(LEVELS)}")
    return dict(_LEVEL_INFO[LEVELS.index(level)])


def simd_levels() -> list[str]:
    """The SIMD levels this CPU (and OS) can run, lowest first."""
    mask = lib.pn_simd_supported()
    return [name for code, name in enumerate(LEVELS) if mask >> code & 1]


def simd_level() -> str:
    """The SIMD level whose kernels are in use."""
    return LEVELS[lib.pn_simd_get()]


def set_simd_level(level: str) -> None:
    """Use the kernels of ``level`` (one of :func:`simd_levels`) from now on.

    Affects every thread.  The environment variable ``PYNEURON_SIMD`` does
    the same at import time.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown SIMD level {level!r}; expected one of {', '.join(LEVELS)}")
    if level not in simd_levels():
        why = "disabled by PYNEURON_DISABLE_SIMD" if level in _disabled else "not supported by this CPU"
        raise RuntimeError(f"SIMD level {level!r} is {why}; available: {', '.join(simd_levels())}")
    check(lib.pn_simd_set(LEVELS.index(level)), "set_simd_level")


def _disable_from_environment() -> None:
    """PYNEURON_DISABLE_SIMD=avx512[,avx2]: run as if the CPU lacked these
    levels (as numpy's NPY_DISABLE_CPU_FEATURES does), to reproduce a
    smaller machine's results or to test the refusal of a missing level."""
    global _disabled
    names = [n.strip().lower() for n in os.environ.get("PYNEURON_DISABLE_SIMD", "").split(",") if n.strip()]
    for name in names:
        if name not in LEVELS:
            raise ImportError(f"PYNEURON_DISABLE_SIMD={name}: unknown SIMD level; "
                              f"expected some of {', '.join(LEVELS[1:])}")
        if name == LEVELS[0]:
            raise ImportError("PYNEURON_DISABLE_SIMD: baseline, the portable path, cannot be disabled")
    _disabled = tuple(names)
    check(lib.pn_simd_disable(sum(1 << LEVELS.index(n) for n in names)), "PYNEURON_DISABLE_SIMD")


def _apply_environment() -> None:
    _disable_from_environment()
    requested = os.environ.get("PYNEURON_SIMD", "").strip().lower()
    if requested:
        try:
            set_simd_level(requested)
        except (ValueError, RuntimeError) as exc:
            raise ImportError(f"PYNEURON_SIMD={requested}: {exc}") from None


_apply_environment()
