"""The bridge to the C kernels: the cffi module, status codes, SIMD levels.

Everything here talks to ``pyneuron._ffi``, the cffi API-mode extension that
CMake builds from ``csrc/``; the declarations it exposes are those of
``csrc/pyneuron.h``.
"""
from __future__ import annotations

import os

from ._ffi import ffi, lib

__all__ = ["ffi", "lib", "check", "simd_level", "simd_levels", "set_simd_level", "LEVELS"]

#: SIMD level names, indexed by their ``pn_simd`` code.
LEVELS = ("baseline", "avx2", "avx512")

_STATUS_ERRORS = {
    lib.PN_ERR_NOMEM: MemoryError,
    lib.PN_ERR_SIMD: RuntimeError,
}


def check(status: int, where: str) -> None:
    """Raise the exception that a non-zero ``pn_status`` stands for."""
    if status:
        message = ffi.string(lib.pn_status_message(status)).decode()
        raise _STATUS_ERRORS.get(status, ValueError)(f"{where}: {message}")


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
        raise RuntimeError(
            f"SIMD level {level!r} is not supported by this CPU; "
            f"available: {', '.join(simd_levels())}"
        )
    check(lib.pn_simd_set(LEVELS.index(level)), "set_simd_level")


def _apply_environment() -> None:
    requested = os.environ.get("PYNEURON_SIMD", "").strip().lower()
    if requested:
        try:
            set_simd_level(requested)
        except (ValueError, RuntimeError) as exc:
            raise ImportError(f"PYNEURON_SIMD={requested}: {exc}") from None


_apply_environment()
