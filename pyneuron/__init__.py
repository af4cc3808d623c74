"""pyneuron: exact, fast neural-network kernels in SIMD C, numpy in and out,
and small networks that train in C and record what they do.

>>> import numpy as np, pyneuron.functional as F
>>> F.sigmoid(np.array([-1.0, 0.0, 1.0]))
array([0.26894142, 0.5       , 0.73105858])
"""
from ._core import set_simd_level, simd_describe, simd_level, simd_levels
from . import datasets, features, functional
from .network import Layer, Network
from .optim import SGD, Adam
from .trajectory import TestRecord, Trajectory
from .sweeps import SweepResult, sweep
from .landscape import Landscape, landscape

__version__ = "0.1.0"

__all__ = ["functional", "datasets", "features", "Network", "Layer", "SGD", "Adam", "Trajectory", "TestRecord",
           "sweep", "SweepResult", "landscape", "Landscape",
           "simd_level", "simd_levels", "set_simd_level", "simd_describe", "__version__"]
