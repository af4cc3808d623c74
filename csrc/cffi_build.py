"""Generate the cffi (API mode, out-of-line) C source of ``pyneuron._ffi``.

The declarations come from the public header itself, so there is no second
hand-kept copy: preprocessor lines are dropped, and so are the
``extern "C"`` lines guarded by ``#ifdef __cplusplus``.

Usage: python cffi_build.py path/to/pyneuron.h path/to/_ffi.c
"""
import sys
from pathlib import Path

import cffi


def cdef_from_header(text: str) -> str:
    lines, skipping = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#ifdef __cplusplus"):
            skipping = True
        elif skipping and stripped.startswith("#endif"):
            skipping = False
        elif not skipping and not stripped.startswith("#"):
            lines.append(line)
    return "\n".join(lines)


def main(header: str, output: str) -> None:
    ffi = cffi.FFI()
    ffi.cdef(cdef_from_header(Path(header).read_text()))
    ffi.set_source("pyneuron._ffi", '#include "pyneuron.h"')
    ffi.emit_c_code(output)


if __name__ == "__main__":
    main(*sys.argv[1:])
