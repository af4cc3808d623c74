"""Calls mypy must reject, each on its own line (tests/test_typing.py)."""
import numpy as np

import pyneuron
import pyneuron.functional as F

x = np.ones(3)
F.gelu(x, approximate="erf")  # error: not one of the variants
F.sigmoid(x, out=[0.0, 0.0, 0.0])  # error: out is an array
F.no_such_kernel(x)  # error: not in the module
pyneuron.Network([1, 2, 1]).fit(x, x, epochs="many")  # error: epochs is an int
