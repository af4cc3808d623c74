"""SIMD level selection: at import from PYNEURON_SIMD, and at run time."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import pyneuron
from pyneuron._core import LEVELS, lib


def run_python(code, **env):
    """Run code in a fresh interpreter, away from the source tree (whose
    pyneuron/ has no compiled module) so it imports the installed package."""
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env,
                          cwd=tempfile.gettempdir())


def test_levels_are_ordered_and_include_baseline():
    levels = pyneuron.simd_levels()
    assert levels[0] == "baseline"
    assert levels == [lv for lv in LEVELS if lv in levels]
    assert pyneuron.simd_level() in levels


def test_default_is_the_best_level():
    result = run_python("import pyneuron; print(pyneuron.simd_level())", PYNEURON_SIMD="")
    assert result.stdout.strip() == pyneuron.simd_levels()[-1]


@pytest.mark.parametrize("level", pyneuron.simd_levels())
def test_environment_forces_a_supported_level(level):
    result = run_python("import pyneuron; print(pyneuron.simd_level())", PYNEURON_SIMD=level.upper())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == level


def refusable_levels() -> tuple[list[str], str]:
    """Levels this process must refuse -- those the CPU lacks, plus the best
    one it has, disabled by PYNEURON_DISABLE_SIMD -- and that variable's
    value.  Never empty, whatever the CPU: on a machine with every level the
    refusal is still exercised."""
    best = pyneuron.simd_levels()[-1]
    disabled = [best] if best != "baseline" else []
    refused = [lv for lv in LEVELS if lv not in pyneuron.simd_levels()] + disabled
    assert refused
    return refused, ",".join(disabled)


def test_environment_rejects_unknown_unsupported_and_disabled_levels():
    result = run_python("import pyneuron", PYNEURON_SIMD="sse9")
    assert result.returncode != 0 and "unknown SIMD level 'sse9'" in result.stderr
    refused, disabled = refusable_levels()
    for level in refused:
        result = run_python("import pyneuron", PYNEURON_SIMD=level, PYNEURON_DISABLE_SIMD=disabled)
        why = "disabled by PYNEURON_DISABLE_SIMD" if level in disabled.split(",") else "not supported by this CPU"
        assert result.returncode != 0 and why in result.stderr, (level, result.stderr)


def test_set_simd_level_validates():
    with pytest.raises(ValueError, match="unknown SIMD level"):
        pyneuron.set_simd_level("neon9")
    refused, disabled = refusable_levels()
    code = f"""
import pyneuron
from pyneuron._core import LEVELS, lib
for level in {refused!r}:
    try:
        pyneuron.set_simd_level(level)
    except RuntimeError as exc:
        print(level, exc)
    else:
        print(level, "accepted")
    assert lib.pn_simd_set(LEVELS.index(level)) == lib.PN_ERR_SIMD, level  # C refuses it too
"""
    result = run_python(code, PYNEURON_SIMD="", PYNEURON_DISABLE_SIMD=disabled)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(refused)
    for level, line in zip(refused, lines):
        assert line.startswith(f"{level} SIMD level {level!r} is ") and "available: baseline" in line, line


def test_disabling_the_best_level_falls_back_to_the_next():
    refused, disabled = refusable_levels()
    code = ("import pyneuron, numpy as np, pyneuron.functional as F; from pyneuron._core import lib\n"
            "lib.pn_simd_served(1); F.tanh(np.ones(40))\n"
            "print(pyneuron.simd_level(), ','.join(pyneuron.simd_levels()), lib.pn_simd_served(0))")
    result = run_python(code, PYNEURON_SIMD="", PYNEURON_DISABLE_SIMD=disabled)
    assert result.returncode == 0, result.stderr
    remaining = [lv for lv in pyneuron.simd_levels() if lv not in disabled.split(",")]
    level, levels, served = result.stdout.split()
    assert level == remaining[-1] and levels.split(",") == remaining
    assert int(served) == 1 << LEVELS.index(remaining[-1])  # the fallback's own kernels ran


@pytest.mark.parametrize("value,match", [("baseline", "cannot be disabled"), ("sse9", "unknown SIMD level")])
def test_disabling_refuses_baseline_and_unknown_levels(value, match):
    result = run_python("import pyneuron", PYNEURON_DISABLE_SIMD=value)
    assert result.returncode != 0 and match in result.stderr and "Traceback" in result.stderr


def test_each_level_runs_its_own_kernels():
    """Every public function at every level: the kernel table that served
    the call carries that level's identity (pn_simd_served)."""
    from kernel_cases import CASES

    rng = np.random.default_rng(0)
    previous = pyneuron.simd_level()
    try:
        for level in pyneuron.simd_levels():
            pyneuron.set_simd_level(level)
            for case in CASES:
                for dtype in (np.float32, np.float64):
                    inputs = case.make(rng, case.dims(case.lengths[-1]), dtype)
                    lib.pn_simd_served(1)
                    case(*inputs)
                    served = lib.pn_simd_served(1)
                    assert served == 1 << LEVELS.index(level), (case.name, level, served)
    finally:
        pyneuron.set_simd_level(previous)
