#!/usr/bin/env python
"""Benchmarks of pyneuron's training loop against numpy, PyTorch, JAX and numba.

Run it from anywhere pyneuron is importable (an editable install will do)::

    python benchmarks/bench_training.py                  # full run, a few minutes
    python benchmarks/bench_training.py --quick          # CI smoke run, about a minute
    python benchmarks/bench_training.py --json training.json

The process is pinned to one core.  Five implementations train the same
network from the same initial weights (pyneuron's, copied before
training), single-threaded, full batch:

- pyneuron: ``Network.fit``, the whole loop in C, recording its snapshots
  as it goes: the loss on the whole training set, every parameter and the
  predictions on an evaluation grid at pyneuron's log-spaced schedule of
  300 epochs plus the epoch at which agreement is checked (so 301
  snapshots); snapshot e is the state after e updates (0: the initial
  weights).
- numpy: a from-scratch implementation in the style of the classic
  tutorials (classes ``Dense``, ``Sigmoid``, ``Tanh``, ``ReLU``,
  ``LeakyReLU``, ``MSE``, ``BCEWithLogits`` with ``forward``/``backward``
  methods, ``SGD`` and ``Adam`` classes, a Python loop over epochs),
  written out below as a teaching artifact; it records the same snapshots.
- torch: PyTorch eager, ``torch.set_num_threads(1)``, ``nn.Linear``,
  ``torch.optim``, recording the same snapshots.
- JAX: the run as one compiled call, ``jax.jit`` over ``jax.lax.scan`` of
  epochs, ``jax.value_and_grad`` of the loss, PyTorch's update rules
  written out; XLA on one thread (training_peers.py).
- numba: ``@njit`` loops over epochs, samples and units, by hand.

JAX and numba record only the loss of every epoch and the state at the
agreement epoch -- less than the others.  PyTorch, JAX and numba are
optional (``pip install torch==2.13.0 jax numba``); without one, its
columns are left out.

Runs (float64 unless said):

1. The headline: a 1-2-2-1 network fitting 256 points of e^(-5x), MSE,
   Adam (lr 0.01), 10,000 epochs, 200-point grid, with sigmoid and with
   leaky ReLU (slope 0.01) hidden units; then the same in float32.
2. A 2-8-8-1 tanh network with a sigmoid output classifying 500 points of
   ``datasets.circle`` (noise 0, seed 0), binary cross-entropy from the
   logit, SGD (lr 0.1), 5,000 epochs, predictions on a 50 x 50 grid over
   [-6, 6]^2.
3. The dying-ReLU network of ``scenes/gradients.py``: 1-32-32-32-1 ReLU,
   256 points of sin(6x) on [-1, 1], MSE, Adam (lr 0.3), 3,000 epochs,
   200-point grid.

For each: wall time, µs per epoch and pyneuron's speed-up over each other
implementation beside the targets; a limit estimate -- the run's flops per
epoch at this core's measured float64 (or float32) FMA rate plus its
exponentials at the fastest exp this machine offers (numpy, PyTorch, JAX)
-- and pyneuron's time as a multiple of it; then agreement: over the
first 2,000 epochs, the largest relative difference between the losses of
two implementations at the snapshot epochs (among them epoch 100), and the
largest absolute difference of the parameters and grid predictions at
epoch 2,000; then the final losses.  Adam at lr 0.01 amplifies rounding
differences, so later only the magnitude of the loss is comparable.  Each
implementation's repeats must give identical results.

Timing: after a warm-up of each (JAX: its compilation), the
implementations take turns, repeat by repeat, and each figure is the best
(minimum) of its repeats: 5 for pyneuron, 3 for JAX and numba, 2 for numpy
and torch (``--quick``: 3, 1, 1).  A speed-up is the other's time over
pyneuron's: above 1 means pyneuron is faster.

``--quick`` trains 1,000 epochs (agreement then over all of them).

``--peers avx2`` (x86-64): pyneuron trains at its avx2 level against
peers held to their AVX2 code as well (bench_kernels.py's
``avx2_peers_environment``: numpy, OpenBLAS, PyTorch, XLA's
``--xla_cpu_max_isa=AVX2``, numba's target CPU haswell without AVX-512), and the limit
estimates use the AVX2 peers' FMA and exp rates: on a CPU with AVX-512,
how the avx2 level fares against peers that cannot use it either.  One
part cannot be held: XLA hands JAX's matrix products to YNNPACK, which
picks its kernels by the CPU it finds (profiled on Zen 5:
``ynn::dot_fp64_..._avx512``), so the JAX column keeps AVX-512 products
and flatters JAX on the wide nets; the header says so.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

# Read by OpenBLAS / OpenMP when they load: set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):  # one core for every implementation
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402

import pyneuron  # noqa: E402
from pyneuron import datasets  # noqa: E402
from pyneuron.trajectory import schedule_epochs  # noqa: E402

# the kernel benchmark's helpers (this script's directory is on sys.path when it runs)
from bench_kernels import (PEERS_VARIABLE, TORCH_HINT, cpu_model, finish, fmt, hold_peers,  # noqa: E402
                           import_torch, numpy_blas, numpy_dispatch, openblas_core, print_table)
import training_peers as peers  # noqa: E402

SEED = 0  # of pyneuron's initial weights, shared by all three implementations
SNAPSHOTS = 300  # log-spaced, as pyneuron records by default
AGREEMENT_EPOCHS = 2_000  # the runs are compared over the epochs up to this one
CHECK_EPOCH = 100  # ... and at this one, as the first sign that they train the same network
WARMUP_EPOCHS = 20
FULL_REPEATS = {"pyneuron": 5, "numpy": 2, "torch": 2, "jax": 3, "numba": 3}
QUICK_REPEATS = {"pyneuron": 3, "numpy": 1, "torch": 1, "jax": 1, "numba": 1}
QUICK_EPOCHS = 1_000
LABELS = {"pyneuron": "pyneuron", "numpy": "numpy tutorial", "torch": "PyTorch eager",
          "jax": "JAX jit + scan", "numba": "numba loops"}

torch: Any = None  # set by load_torch()


def load_torch() -> None:
    global torch
    torch = import_torch()


# ------------------------------------------------------------- the problems

@dataclass(frozen=True, eq=False)
class Problem:
    """One training run, described so that every implementation can do it."""

    name: str
    title: str
    sizes: tuple[int, ...]
    activation: str  # of the hidden layers
    output_activation: str  # "identity" (with mse) or "sigmoid" (with bce, from the logit)
    loss: str  # "mse" or "bce"
    optimizer: str  # "adam" or "sgd"
    lr: float
    epochs: int
    x: np.ndarray
    y: np.ndarray
    grid: np.ndarray
    targets: dict  # implementation -> the speed-up over it that pyneuron should reach
    dtype: Any = np.float64

    def work(self) -> tuple[float, float]:
        """(flops, exponentials) of one epoch: a forward and backward pass
        over the training set (2 flops per multiply-add: forward, dW, and dx
        of every layer but the first), an exponential per hidden unit and
        sample (sigmoid, tanh) and per output for the sigmoid of BCE."""
        n, sizes = len(self.x), self.sizes
        pairs = [i * o for i, o in zip(sizes[:-1], sizes[1:])]
        flops = 2 * n * (2 * sum(pairs) + sum(pairs[1:]))
        transcendental = self.activation in ("sigmoid", "tanh")
        exps = n * (sum(sizes[1:-1]) if transcendental else 0) + (n * sizes[-1] if self.loss == "bce" else 0)
        return flops, exps

    def initial_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """pyneuron's initial (W, b) of each layer, copied before any training."""
        net = self.network()
        return [(layer.W.copy(), layer.b.copy()) for layer in net.layers]

    def network(self) -> pyneuron.Network:
        return pyneuron.Network(list(self.sizes), activation=self.activation,
                                output_activation=self.output_activation, seed=SEED, dtype=self.dtype)

    def record_at(self, epochs: int) -> np.ndarray:
        """pyneuron's log-spaced schedule, plus epoch 100 and the last epoch of the agreement check."""
        agreement = min(AGREEMENT_EPOCHS, epochs)
        return np.union1d(schedule_epochs("log", epochs, SNAPSHOTS), [min(CHECK_EPOCH, epochs), agreement])


def headline(activation: str, epochs: int, dtype=np.float64) -> Problem:
    """1-2-2-1 on 256 points of e^(-5x), MSE, Adam lr 0.01."""
    x, y = datasets.exp_decay(n=256)
    bits = np.dtype(dtype).itemsize * 8
    suffix = "" if bits == 64 else f"/float{bits}"
    return Problem(
        name=f"exp_decay/{activation}{suffix}",
        title=f"1-2-2-1 net, 256 points of e^(-5x), MSE, Adam lr 0.01, float{bits}",
        sizes=(1, 2, 2, 1), activation=activation, output_activation="identity", loss="mse",
        optimizer="adam", lr=0.01, epochs=epochs, x=x, y=y, grid=np.linspace(0, 1, 200).reshape(-1, 1),
        targets={"numpy": 80, "jax": 6} if bits == 64 else {}, dtype=dtype,
    )


def circle(epochs: int) -> Problem:
    """2-8-8-1 tanh, sigmoid output, on 500 points of the circle set, BCE, SGD lr 0.1;
    predictions on a 50 x 50 grid over [-6, 6]^2."""
    X, Y = datasets.circle(n=500, noise=0.0, seed=0)
    axis = np.linspace(-6, 6, 50)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    return Problem(
        name="circle/tanh", title="2-8-8-1 tanh net, sigmoid output, 500 points of circle, BCE from the logit, "
        "SGD lr 0.1", sizes=(2, 8, 8, 1), activation="tanh", output_activation="sigmoid", loss="bce",
        optimizer="sgd", lr=0.1, epochs=epochs, x=X, y=Y, grid=grid, targets={"numpy": 10, "jax": 3},
    )


def dying_relu(epochs: int, dtype=np.float64) -> Problem:
    """scenes/gradients.py's dying-ReLU net: 1-32-32-32-1 ReLU, 256 points of
    sin(6x) on [-1, 1], MSE, Adam lr 0.3 (too large on purpose).  Its dead
    units' Adam moments decay towards the subnormal range: float32 reaches
    it within these epochs (see csrc/kernels/optim.inc)."""
    x, y = datasets.function("sin(6*x)", n=256, x_range=(-1.0, 1.0))
    bits = np.dtype(dtype).itemsize * 8
    suffix = "" if bits == 64 else f"/float{bits}"
    return Problem(
        name=f"sin6x/relu{suffix}", title="1-32-32-32-1 ReLU net (scenes/gradients.py), 256 points of sin(6x), "
        f"MSE, Adam lr 0.3, float{bits}", sizes=(1, 32, 32, 32, 1), activation="relu", output_activation="identity",
        loss="mse", optimizer="adam", lr=0.3, epochs=epochs, x=x, y=y, grid=np.linspace(-1, 1, 200).reshape(-1, 1),
        targets={"jax": 2} if bits == 64 else {}, dtype=dtype,
    )


# ------------------------------------------------------------ the snapshots

@dataclass
class Snapshots:
    """What one training run recorded: at each of ``epochs``, the loss on the
    training set, the parameters (pyneuron's flat layout: each layer's W,
    (in, out) row-major, then its b) and the predictions on the grid."""

    epochs: np.ndarray  # (S,)
    loss: np.ndarray  # (S,)
    params: np.ndarray  # (S, P)
    predictions: np.ndarray  # (S, G, outputs)

    @classmethod
    def empty(cls, epochs: np.ndarray, problem: Problem) -> Snapshots:
        count = sum((i + 1) * o for i, o in zip(problem.sizes[:-1], problem.sizes[1:]))
        S = len(epochs)
        return cls(epochs=epochs, loss=np.full(S, np.nan), params=np.empty((S, count)),
                   predictions=np.empty((S, len(problem.grid), problem.sizes[-1])))

    def __post_init__(self):
        self._index = {int(e): i for i, e in enumerate(self.epochs)}

    def __contains__(self, epoch: int) -> bool:
        return epoch in self._index

    def record(self, epoch: int, loss: float, params: np.ndarray, predictions: np.ndarray) -> None:
        i = self._index[epoch]
        self.loss[i], self.params[i], self.predictions[i] = loss, params, predictions

    def at(self, epoch: int) -> int:
        return self._index[epoch]

    def same_as(self, other: Snapshots) -> bool:
        return all(np.array_equal(getattr(self, f), getattr(other, f), equal_nan=True)
                   for f in ("epochs", "loss", "params", "predictions"))


# ----------------------------------------------------------------- pyneuron

def train_pyneuron(problem: Problem, weights, epochs: int, record_at: np.ndarray) -> Snapshots:
    net = problem.network()
    for layer, (W, b) in zip(net.layers, weights, strict=True):
        layer.W[...], layer.b[...] = W, b
    optimizer = pyneuron.Adam(lr=problem.lr) if problem.optimizer == "adam" else pyneuron.SGD(lr=problem.lr)
    traj = net.fit(problem.x, problem.y, loss=problem.loss, optimizer=optimizer, epochs=epochs,
                   schedule=record_at, grid=problem.grid)
    return Snapshots(traj.epochs, traj.loss, traj.flat_params, traj.predictions)


# ------------------------------------------------ numpy, the tutorial way
#
# Each layer is an object with forward(), which computes its output and
# keeps what the backward pass will need, and backward(), which takes the
# gradient of the loss with respect to the layer's output and returns the
# gradient with respect to its input (a Dense layer also stores the
# gradients of its weights, dW and db).  The network runs the layers in
# order forwards and in reverse order backwards; the optimiser then updates
# every Dense layer's W and b from its dW and db.

def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class Dense:
    """A fully connected layer: x @ W + b, W of shape (inputs, outputs)."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W, self.b = W.copy(), b.copy()

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T


class Sigmoid:
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out**2)


class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad):
        return np.where(self.x > 0, grad, 0)


class LeakyReLU:
    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad):
        return np.where(self.x > 0, grad, self.alpha * grad)


class MSE:
    """Mean squared error, over all elements."""

    def forward(self, pred, y):
        return np.mean((pred - y) ** 2)

    def backward(self, pred, y):
        return 2 * (pred - y) / pred.size


class BCEWithLogits:
    """Binary cross-entropy of sigmoid(z), computed from the logit z so that
    it never takes the log of 0."""

    def forward(self, z, y):
        return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))

    def backward(self, z, y):
        return (sigmoid(z) - y) / z.size


class Network:
    def __init__(self, layers: list):
        self.layers = layers
        self.dense = [layer for layer in layers if isinstance(layer, Dense)]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)


class SGD:
    def __init__(self, layers: list[Dense], lr: float):
        self.layers, self.lr = layers, lr

    def step(self):
        for layer in self.layers:
            layer.W -= self.lr * layer.dW
            layer.b -= self.lr * layer.db


class Adam:
    """Adam (Kingma & Ba, 2015): m and v, running means of the gradient and
    of its square, corrected for their start at 0.  The arithmetic is
    PyTorch's, step by step, so that the runs agree to rounding:
    m + (1 - beta1) (g - m) is beta1 m + (1 - beta1) g, and
    m / (1 - beta1^t) / (sqrt(v) / sqrt(1 - beta2^t) + eps) is the textbook
    m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, layers: list[Dense], lr: float, beta1=0.9, beta2=0.999, eps=1e-8):
        self.layers, self.lr, self.beta1, self.beta2, self.eps = layers, lr, beta1, beta2, eps
        self.m = [{"W": np.zeros_like(layer.W), "b": np.zeros_like(layer.b)} for layer in layers]
        self.v = [{"W": np.zeros_like(layer.W), "b": np.zeros_like(layer.b)} for layer in layers]
        self.t = 0

    def step(self):
        self.t += 1
        step_size = self.lr / (1 - self.beta1**self.t)
        root_bias2 = math.sqrt(1 - self.beta2**self.t)
        for layer, m, v in zip(self.layers, self.m, self.v):
            for name, grad in (("W", layer.dW), ("b", layer.db)):
                m[name] += (1 - self.beta1) * (grad - m[name])
                v[name] *= self.beta2
                v[name] += (1 - self.beta2) * grad * grad
                param = getattr(layer, name)
                param -= step_size * m[name] / (np.sqrt(v[name]) / root_bias2 + self.eps)


NUMPY_ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU}
NUMPY_LOSSES = {"mse": MSE, "bce": BCEWithLogits}  # bce: the network outputs the logit
NUMPY_OPTIMIZERS = {"sgd": SGD, "adam": Adam}
OUTPUTS = {"identity": lambda z: z, "sigmoid": sigmoid}  # applied to the grid predictions


def numpy_network(problem: Problem, weights) -> Network:
    layers: list = []
    for W, b in weights:
        layers += [Dense(W.astype(problem.dtype), b.astype(problem.dtype)), NUMPY_ACTIVATIONS[problem.activation]()]
    return Network(layers[:-1])  # the output activation is the loss's (bce) or none (mse)


def numpy_params(net: Network) -> np.ndarray:
    return np.concatenate([np.concatenate([layer.W.ravel(), layer.b]) for layer in net.dense])


def train_numpy(problem: Problem, weights, epochs: int, record_at: np.ndarray) -> Snapshots:
    net = numpy_network(problem, weights)
    loss_fn = NUMPY_LOSSES[problem.loss]()
    optimizer = NUMPY_OPTIMIZERS[problem.optimizer](net.dense, lr=problem.lr)
    output = OUTPUTS[problem.output_activation]
    x, y, grid = (a.astype(problem.dtype) for a in (problem.x, problem.y, problem.grid))
    snapshots = Snapshots.empty(record_at, problem)
    for epoch in range(epochs + 1):
        if epoch in snapshots:  # the state after `epoch` updates
            loss = loss_fn.forward(net.forward(x), y)
            snapshots.record(epoch, loss, numpy_params(net), output(net.forward(grid)))
        if epoch == epochs:
            break
        pred = net.forward(x)
        net.backward(loss_fn.backward(pred, y))
        optimizer.step()
    return snapshots


# ------------------------------------------------------------- PyTorch eager

def torch_network(problem: Problem, weights):
    nn = torch.nn
    activations = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU}  # slope 0.01
    layers: list = []
    for W, b in weights:
        linear = nn.Linear(*W.shape, dtype=torch.float64 if problem.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, activations[problem.activation]()]
    return nn.Sequential(*layers[:-1])  # outputs the logit for bce


def torch_params(model) -> np.ndarray:
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return np.concatenate([np.concatenate([m.weight.detach().numpy().T.ravel(), m.bias.detach().numpy()])
                           for m in linears])


def train_torch(problem: Problem, weights, epochs: int, record_at: np.ndarray) -> Snapshots:
    model = torch_network(problem, weights)
    loss_fn = torch.nn.MSELoss() if problem.loss == "mse" else torch.nn.BCEWithLogitsLoss()
    optim = torch.optim.Adam if problem.optimizer == "adam" else torch.optim.SGD
    optimizer = optim(model.parameters(), lr=problem.lr)
    output = (lambda z: z) if problem.output_activation == "identity" else torch.sigmoid
    x, y, grid = (torch.from_numpy(a.astype(problem.dtype)) for a in (problem.x, problem.y, problem.grid))
    snapshots = Snapshots.empty(record_at, problem)
    for epoch in range(epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if epoch in snapshots:  # the state after `epoch` updates
            with torch.no_grad():
                snapshots.record(epoch, loss.item(), torch_params(model), output(model(grid)).numpy())
        if epoch == epochs:
            break
        loss.backward()
        optimizer.step()
    return snapshots


def peer_trainer(train: Callable) -> Callable[..., Snapshots]:
    """A training_peers trainer as a Snapshots-returning one: the loss at
    every snapshot epoch, the parameters and predictions at the agreement
    epoch only (the rest NaN: these loops record less)."""
    def run(problem: Problem, weights, epochs: int, record_at: np.ndarray) -> Snapshots:
        upto = min(AGREEMENT_EPOCHS, epochs)
        losses, params, predictions = train(replace(problem, epochs=epochs), weights, upto)
        snapshots = Snapshots.empty(record_at, problem)
        snapshots.loss[:] = losses[record_at]
        snapshots.params[:] = snapshots.predictions[:] = np.nan
        i = snapshots.at(upto)
        snapshots.params[i], snapshots.predictions[i] = params, predictions
        return snapshots
    return run


TRAINERS: dict[str, Callable[..., Snapshots]] = {"pyneuron": train_pyneuron, "numpy": train_numpy,
                                                  "torch": train_torch, "jax": peer_trainer(peers.train_jax),
                                                  "numba": peer_trainer(peers.train_numba)}


# ------------------------------------------------------------------- timing

def time_runs(problem: Problem, implementations: list[str], repeats: dict[str, int]) -> tuple[dict, dict, dict]:
    """Best seconds of each implementation, its snapshots, and whether its
    repeats recorded identical snapshots.  The repeats take turns."""
    weights = problem.initial_weights()
    record_at = problem.record_at(problem.epochs)
    for name in implementations:  # warm-up: first calls, lazy imports, allocator; JAX compiles the real run
        epochs = problem.epochs if name == "jax" else WARMUP_EPOCHS
        TRAINERS[name](problem, weights, epochs, problem.record_at(epochs))
    best = dict.fromkeys(implementations, math.inf)
    runs: dict[str, Snapshots] = {}
    repeatable = dict.fromkeys(implementations, True)
    for r in range(max(repeats[name] for name in implementations)):
        for name in implementations:
            if r >= repeats[name]:
                continue
            start = time.perf_counter()
            snapshots = TRAINERS[name](problem, weights, problem.epochs, record_at)
            best[name] = min(best[name], time.perf_counter() - start)
            if name in runs:
                repeatable[name] &= snapshots.same_as(runs[name])
            runs[name] = snapshots
    return best, runs, repeatable


# ---------------------------------------------------------------- agreement

def relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.abs(a - b) / np.where(scale > 0, scale, 1.0)


def compare(a: Snapshots, b: Snapshots, upto: int) -> dict:
    """Largest differences of two runs over the snapshots up to epoch ``upto``."""
    assert np.array_equal(a.epochs, b.epochs)
    early = a.epochs <= upto
    i = a.at(upto)
    check = a.at(min(CHECK_EPOCH, upto))
    return {
        "snapshots": int(early.sum()),
        "loss_rel_diff_at_100": float(relative(a.loss[check:check + 1], b.loss[check:check + 1])[0]),
        "loss_max_rel_diff": float(relative(a.loss[early], b.loss[early]).max()),
        "params_max_abs_diff": float(np.abs(a.params[i] - b.params[i]).max()),
        "predictions_max_abs_diff": float(np.abs(a.predictions[i] - b.predictions[i]).max()),
    }


# ------------------------------------------------------------------- limits

def best_rate(calls: list[Callable[[], Any]], count: float, repeats: int = 30) -> float:
    """The best of `calls`' rates: `count` per second of its fastest repeat."""
    best = math.inf
    for call in calls:
        call()
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - start)
    return count / best


def machine_peaks(dtype) -> dict:
    """This core's float FMA rate (flops/s of the fastest matrix product
    at hand, 512 x 512, one thread) and exp rate (exponentials/s of the
    fastest vectorised exp at hand, on 65,536 elements: enough to amortise
    a JAX dispatch, few enough for the L2 cache)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((512, 512)).astype(dtype), rng.random((512, 512)).astype(dtype)
    x = rng.uniform(-5, 0, 65536).astype(dtype)
    out = np.empty_like(x)
    products = [lambda: np.matmul(a, b)]
    exps = [lambda: np.exp(x, out=out)]
    if torch is not None:
        ta, tb, tx = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(x)
        products.append(lambda: torch.matmul(ta, tb))
        exps.append(lambda: torch.exp(tx))
    if peers.jax is not None:
        jexp, jx = peers.jax.jit(peers.jnp.exp), peers.jnp.asarray(x)
        exps.append(lambda: jexp(jx).block_until_ready())
    return {"flops_per_s": best_rate(products, 2 * 512**3, repeats=5), "exps_per_s": best_rate(exps, x.size)}


def limit_estimate(problem: Problem, peaks: dict) -> dict:
    flops, exps = problem.work()
    seconds = flops / peaks["flops_per_s"] + exps / peaks["exps_per_s"]
    return {"flops_per_epoch": flops, "exps_per_epoch": exps, "limit_us_per_epoch": seconds * 1e6}


def measure(problem: Problem, implementations: list[str], repeats: dict[str, int], peaks: dict) -> dict:
    best, runs, repeatable = time_runs(problem, implementations, repeats)
    upto = min(AGREEMENT_EPOCHS, problem.epochs)
    pairs = [(a, b) for i, a in enumerate(implementations) for b in implementations[i + 1:]]
    limit = limit_estimate(problem, peaks[np.dtype(problem.dtype).name])
    return {
        "limit": {**limit, "pyneuron_multiple": best["pyneuron"] / problem.epochs * 1e6 / limit["limit_us_per_epoch"]},
        "dtype": np.dtype(problem.dtype).name,
        "problem": problem.name,
        "title": problem.title,
        "optimizer": problem.optimizer,
        "lr": problem.lr,
        "epochs": problem.epochs,
        "snapshots": len(problem.record_at(problem.epochs)),
        "grid_points": len(problem.grid),
        "repeats": {name: repeats[name] for name in implementations},
        "timing": {
            name: {"seconds": s, "epochs_per_s": problem.epochs / s, "us_per_epoch": s / problem.epochs * 1e6,
                   "pyneuron_speedup": s / best["pyneuron"] if name != "pyneuron" else None,
                   "target": problem.targets.get(name)}
            for name, s in best.items()
        },
        "agreement_epochs": upto,
        "agreement": [{"pair": [a, b], **compare(runs[a], runs[b], upto)} for a, b in pairs],
        "repeats_identical": repeatable,
        "final_loss": {name: float(run.loss[-1]) for name, run in runs.items()},
    }


# ---------------------------------------------------------------- printing

def sci(value: float) -> str:
    return f"{value:.1e}"


def verdict(speedup: float | None, target: float | None) -> tuple[str, str]:
    if target is None:
        return "-", "-"
    return f">= {target:g}x", "met" if speedup >= target else "NOT met"


def print_timing(title: str, rows: list[dict]) -> None:
    body = []
    for row in rows:
        for name, t in row["timing"].items():
            speedup = t["pyneuron_speedup"]
            body.append([row["problem"], LABELS[name], f"{t['seconds']:.3f}", fmt(t["epochs_per_s"]),
                         fmt(t["us_per_epoch"]), "-" if speedup is None else f"{speedup:.1f}x",
                         *verdict(speedup, t["target"])])
    print_table(title, ["run", "implementation", "wall time (s)", "epochs/s", "µs/epoch",
                        "pyneuron speed-up", "target", "target met"], body)


def print_agreement(title: str, rows: list[dict]) -> None:
    body = [[row["problem"], f"{LABELS[c['pair'][0]]} vs {LABELS[c['pair'][1]]}", sci(c["loss_rel_diff_at_100"]),
             str(c["snapshots"]), sci(c["loss_max_rel_diff"]), sci(c["params_max_abs_diff"]),
             sci(c["predictions_max_abs_diff"])]
            for row in rows for c in row["agreement"]]
    upto = rows[0]["agreement_epochs"]
    notes = []
    for row in rows:
        bad = [LABELS[name] for name, same in row["repeats_identical"].items() if not same]
        if bad:
            notes.append(f"{row['problem']}: the repeats of {', '.join(bad)} did NOT record identical snapshots.")
    if not notes:
        notes.append("Every implementation's repeats recorded identical snapshots.")
    print_table(title, ["run", "pair", f"loss at epoch {CHECK_EPOCH}: rel. diff", f"snapshots <= {upto:,}",
                        "loss: max rel. diff",
                        f"params at {upto:,}: max abs diff", f"predictions at {upto:,}: max abs diff"], body, notes)


def print_final_losses(title: str, rows: list[dict], note: str | None) -> None:
    names = list(rows[0]["final_loss"])
    body = []
    for row in rows:
        losses = np.array([row["final_loss"][n] for n in names])
        spread = (losses.max() - losses.min()) / losses.max()
        body.append([row["problem"]] + [f"{loss:.6e}" for loss in losses] + [sci(spread)])
    print_table(title, ["run"] + [LABELS[n] for n in names] + ["(max - min) / max"], body, [note] if note else [])


def print_problem(section: str, rows: list[dict]) -> None:
    first = rows[0]
    epochs, upto = first["epochs"], first["agreement_epochs"]
    print_timing(f"{section}. {first['title']}, full batch, {epochs:,} epochs; recording {first['snapshots']} "
                 f"snapshots, {first['grid_points']}-point grid (µs/epoch: wall time / epochs, recording included)",
                 rows)
    print_agreement(f"{section}b. Agreement over the first {upto:,} epochs", rows)
    note = None
    if first["optimizer"] == "adam" and epochs > upto:
        note = (f"Adam at lr {first['lr']:g} amplifies rounding differences: past ~{upto:,} epochs the runs "
                "drift apart, so only the magnitude of the final loss is comparable.")
    print_final_losses(f"{section}c. Final loss, epoch {epochs:,}", rows, note)


def overheads(problem: Problem, repeats: int) -> dict:
    """What recording and the Python side of fit cost on a run: its time with
    the snapshots against with only the first and last (both recorded the
    same way); and the fixed cost of a fit -- the run of 1 epoch -- against
    the whole run."""
    x, y, grid = problem.x, problem.y, problem.grid

    def fit(epochs: int, snapshots: int) -> float:
        best = math.inf
        for _ in range(repeats):
            net = problem.network()
            optimizer = pyneuron.Adam(lr=problem.lr) if problem.optimizer == "adam" else pyneuron.SGD(lr=problem.lr)
            start = time.perf_counter()
            net.fit(x, y, loss=problem.loss, optimizer=optimizer, epochs=epochs, snapshots=snapshots, grid=grid)
            best = min(best, time.perf_counter() - start)
        return best

    full, bare, one = fit(problem.epochs, SNAPSHOTS), fit(problem.epochs, 2), fit(1, 2)
    return {"problem": problem.name, "seconds_recording": full, "seconds_two_snapshots": bare,
            "recording_share": (full - bare) / full, "seconds_one_epoch": one, "python_share": one / full}


def print_overheads(rows: list[dict]) -> None:
    body = [[r["problem"], f"{r['seconds_recording'] * 1e3:.1f}", f"{r['seconds_two_snapshots'] * 1e3:.1f}",
             f"{r['recording_share']:.1%}", f"{r['seconds_one_epoch'] * 1e6:.0f}", f"{r['python_share']:.1%}"]
            for r in rows]
    print_table(f"Overheads of fit: {SNAPSHOTS} snapshots against 2, and the fixed cost of a call (a 1-epoch fit)",
                ["run", f"ms, {SNAPSHOTS} snapshots", "ms, 2 snapshots", "recording share (target <= 10%)",
                 "µs, 1-epoch fit", "fixed share"], body)


def print_limits(rows: list[dict], peaks: dict) -> None:
    body = [[row["problem"], fmt(row["limit"]["flops_per_epoch"]), fmt(row["limit"]["exps_per_epoch"]),
             f"{row['limit']['limit_us_per_epoch']:.2f}", f"{row['timing']['pyneuron']['us_per_epoch']:.2f}",
             f"{row['limit']['pyneuron_multiple']:.1f}x", "met" if row["limit"]["pyneuron_multiple"] <= 3 else "NOT met"]
            for row in rows]
    notes = [f"{dtype}: {p['flops_per_s'] / 1e9:.1f} GFLOP/s (the fastest 512 x 512 matrix product at hand), "
             f"{p['exps_per_s'] / 1e9:.2f} G exp/s (the fastest vectorised exp at hand: numpy, PyTorch, JAX)"
             for dtype, p in peaks.items()]
    print_table("Limit estimates: an epoch's flops at this core's FMA rate plus its exponentials at its exp rate",
                ["run", "flops/epoch", "exps/epoch", "limit µs/epoch", "pyneuron µs/epoch", "multiple of the limit",
                 "target (<= 3x)"], body, notes)


def environment() -> dict:
    return {
        "pyneuron": pyneuron.__version__,
        "simd_level": pyneuron.simd_level(),
        "python": platform.python_version(),
        "cpu": f"{cpu_model()}, {os.cpu_count()} logical cores",
        "numpy": np.__version__,
        "numpy_blas": numpy_blas(),
        "openblas_core": openblas_core(),
        "OPENBLAS_NUM_THREADS": os.environ["OPENBLAS_NUM_THREADS"],
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "jax": peers.jax.__version__ if peers.jax else None,
        "numba": peers.numba.__version__ if peers.numba else None,
        "cores_pinned": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "peers": os.environ.get(PEERS_VARIABLE, "native"),
        "numpy_dispatch": numpy_dispatch(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability() if torch else None,
        "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
        "numba_cpu": (f"{peers.numba.config.CPU_NAME} {peers.numba.config.CPU_FEATURES}" if peers.numba and
                      peers.numba.config.CPU_NAME else "host" if peers.numba else None),
    }


def print_header(env: dict, repeats: dict[str, int]) -> None:
    print("## pyneuron training benchmarks\n")
    lines = [
        ("pyneuron", f"{env['pyneuron']}, SIMD level {env['simd_level']}"),
        ("python", env["python"]),
        ("cpu", env["cpu"]),
        ("numpy", (f"{env['numpy']}; BLAS: {env['numpy_blas']}; core {env['openblas_core'] or 'unknown'}; "
                   f"OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']}")),
        ("torch", f"{env['torch']}, {env['torch_threads']} thread(s)" if torch else TORCH_HINT),
        ("jax", f"{env['jax']}, jit + lax.scan, XLA on one thread" if env["jax"] else peers.JAX_HINT),
        ("numba", env["numba"] or peers.NUMBA_HINT),
        ("pinned to core", ", ".join(map(str, env["cores_pinned"] or ["(not supported)"]))),
        ("peers", (f"held to AVX2 (--peers avx2): numpy dispatch {env['numpy_dispatch']}, torch "
                   f"{env['torch_cpu_capability']}, XLA_FLAGS {env['XLA_FLAGS']}, numba CPU {env['numba_cpu']}"
                   + ("; JAX's matrix products are the exception: XLA calls YNNPACK's, which pick their own "
                      "instruction set -- AVX-512 on this CPU" if "avx512" in pyneuron.simd_levels() else ""))
         if env["peers"] == "avx2" else "native (all this CPU runs)"),
    ]
    for name, value in lines:
        print(f"- {name}: {value}")
    best_of = ", ".join(f"{LABELS[n]} {k}" for n, k in repeats.items())
    print(f"\nSingle-threaded, full batch, same initial weights. pyneuron, numpy and PyTorch record the same "
          f"snapshots (loss, parameters, grid predictions); JAX and numba only every epoch's loss and the state at "
          f"the agreement epoch. Wall time: best of ({best_of}) interleaved repeats. "
          "Speed-up: the other's time over pyneuron's.")


# -------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_EPOCHS:,} epochs and fewer repeats (CI smoke run, < 60 s)")
    parser.add_argument("--json", metavar="PATH", help="also write every number to PATH as JSON")
    parser.add_argument("--peers", choices=("native", "avx2"), default="native",
                        help="native: the peers use all this CPU runs; avx2 (x86-64): hold numpy, PyTorch, JAX and "
                             "numba to AVX2 code and train pyneuron at its avx2 level (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if hold_peers(args.peers, __file__):
        pyneuron.set_simd_level("avx2")
    start = time.perf_counter()
    load_torch()
    peers.load_jax()
    peers.load_numba()
    repeats = QUICK_REPEATS if args.quick else FULL_REPEATS
    implementations = ["pyneuron", "numpy"] + [name for name, there in (("torch", torch), ("jax", peers.jax),
                                                                        ("numba", peers.numba)) if there]
    repeats = {name: repeats[name] for name in implementations}
    results: dict[str, Any] = {"quick": args.quick, "environment": environment()}
    print_header(results["environment"], repeats)
    peaks = {np.dtype(t).name: machine_peaks(t) for t in (np.float64, np.float32)}
    results["peaks"] = peaks

    def epochs(full: int) -> int:
        return QUICK_EPOCHS if args.quick else full

    sections = [
        ("1", "headline", [headline(act, epochs(10_000)) for act in ("sigmoid", "leaky_relu")]),
        ("2", "headline_float32", [headline(act, epochs(10_000), np.float32) for act in ("sigmoid", "leaky_relu")]),
        ("3", "circle", [circle(epochs(5_000))]),
        ("4", "dying_relu", [dying_relu(epochs(3_000)), dying_relu(epochs(3_000), np.float32)]),
    ]
    for number, key, problems in sections:
        results[key] = [measure(problem, implementations, repeats, peaks) for problem in problems]
        print_problem(number, results[key])

    rows = [row for _, key, _ in sections for row in results[key]]
    print_limits(rows, peaks)
    results["overheads"] = [overheads(problem, repeats["pyneuron"]) for _, _, problems in sections[:1] for problem in problems]
    print_overheads(results["overheads"])
    print("\n### Targets\n")
    for row in rows:
        for name, t in row["timing"].items():
            if t["target"] is not None:
                print(f"- {row['problem']}: pyneuron {t['pyneuron_speedup']:.1f}x faster than {LABELS[name]} "
                      f"(target {t['target']}x): {verdict(t['pyneuron_speedup'], t['target'])[1]}")
        print(f"- {row['problem']}: {row['limit']['pyneuron_multiple']:.1f}x its limit estimate (target <= 3x): "
              f"{'met' if row['limit']['pyneuron_multiple'] <= 3 else 'NOT met'}")

    finish(results, start, args.json)


if __name__ == "__main__":
    main()
