"""SIMD level selection: at import from PYNEURON_SIMD, and at run time."""
import os
import subprocess
import sys
import tempfile

import pytest

import pyneuron
from pyneuron._core import LEVELS


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


def test_environment_rejects_unknown_and_unsupported_levels():
    result = run_python("import pyneuron", PYNEURON_SIMD="sse9")
    assert result.returncode != 0 and "unknown SIMD level 'sse9'" in result.stderr
    unsupported = [lv for lv in LEVELS if lv not in pyneuron.simd_levels()]
    for level in unsupported:
        result = run_python("import pyneuron", PYNEURON_SIMD=level)
        assert result.returncode != 0 and "not supported by this CPU" in result.stderr


def test_set_simd_level_validates():
    with pytest.raises(ValueError, match="unknown SIMD level"):
        pyneuron.set_simd_level("neon9")
    for level in LEVELS:
        if level not in pyneuron.simd_levels():
            with pytest.raises(RuntimeError, match="not supported"):
                pyneuron.set_simd_level(level)
