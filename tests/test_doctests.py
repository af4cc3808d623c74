"""The examples in the docstrings run, and print what they say."""
import doctest
import importlib

import numpy as np
import pytest

MODULES = ["pyneuron", "pyneuron.functional", "pyneuron.network", "pyneuron.datasets", "pyneuron.trajectory",
           "pyneuron.csv_data", "pyneuron.sweeps", "pyneuron.landscape"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with np.printoptions(legacy=False):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (printed above)"


def test_every_public_function_has_an_example():
    import pyneuron.functional as F

    forward = [name for name in F.__all__ if not name.endswith("_backward")]
    missing = [name for name in forward if ">>>" not in getattr(F, name).__doc__]
    assert not missing, f"no example in the docstrings of {missing}"
