"""Typed user code: mypy --strict must accept it (tests/test_typing.py)."""
import numpy as np

import pyneuron
import pyneuron.functional as F
from pyneuron import datasets


def train() -> float:
    x, y = datasets.exp_decay(n=32)
    net = pyneuron.Network([1, 2, 2, 1], activation="leaky_relu", alpha=0.05)
    traj: pyneuron.Trajectory = net.fit(x, y, optimizer=pyneuron.Adam(lr=0.01), epochs=10, grid=np.linspace(0, 1, 5))
    traj.save("run.npz")
    return float(pyneuron.Trajectory.load("run.npz").loss[-1])


def kernels(x: np.ndarray) -> np.ndarray:
    h = F.leaky_relu(F.dense(x, np.ones((x.shape[1], 3)), np.zeros(3)), 0.1)
    g = F.gelu_backward(h, np.ones_like(h), approximate="tanh")
    loss: np.floating = F.cross_entropy(F.log_softmax(h, axis=-1), np.zeros(len(h), np.int64))
    return F.sigmoid(g, out=g) * float(loss)
