"""The training loops a performance-minded user would write instead of
pyneuron's, for bench_training.py: JAX (the whole run one compiled call,
``jax.jit`` over ``jax.lax.scan`` of epochs) and numba (``@njit`` loops over
samples and units, written by hand).

Both train a problem of bench_training.py from the same initial weights,
with PyTorch's update rules, and return what they can record cheaply: the
loss before every update (the loss of the state after e epochs, for every
e), and the parameters and grid predictions at ``upto`` epochs (the
agreement check) -- not the 300 snapshots of parameters and predictions
that pyneuron records as it trains.

JAX and numba are optional: install them in the benchmark's environment
(``pip install jax numba``), not as dependencies of pyneuron.  JAX runs on
one core: XLA_FLAGS is set before it is imported (see ``load_jax``).
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

jax: Any = None
jnp: Any = None
numba: Any = None

JAX_HINT = "JAX not installed (pip install jax): its columns are left out"
NUMBA_HINT = "numba not installed (pip install numba): its columns are left out"


def load_jax(one_core: bool = True) -> bool:
    """Import JAX (on one core, unless told otherwise), float64 enabled;
    False if it is missing."""
    global jax, jnp
    if one_core:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax as _jax
        import jax.numpy as _jnp
    except ImportError:
        return False
    _jax.config.update("jax_enable_x64", True)
    jax, jnp = _jax, _jnp
    return True


def load_numba() -> bool:
    global numba
    try:
        import numba as _numba
    except ImportError:
        return False
    numba = _numba
    return True


# ---------------------------------------------------------------------- JAX

def _jax_activation(name: str):
    # relu as a select: its gradient at 0 is then 0, as PyTorch and pyneuron have it (jnp.maximum splits it)
    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": lambda z: jnp.where(z > 0, z, 0.0),
            "leaky_relu": lambda z: jnp.where(z > 0, z, 0.01 * z)}[name]


_jax_compiled: dict = {}


def _jax_step(problem):
    """(forward, loss, step) of a problem in JAX: step((params, m, v, t), _, x, y)
    is one full-batch epoch, with PyTorch's Adam or SGD arithmetic."""
    act = _jax_activation(problem.activation)
    lr, b1, b2, eps = problem.lr, 0.9, 0.999, 1e-8

    def forward(params, x):
        a = x
        for i, (W, b) in enumerate(params):
            z = a @ W + b
            a = act(z) if i < len(params) - 1 else z
        return a

    def loss(params, x, y):
        out = forward(params, x)
        if problem.loss == "mse":
            return jnp.mean((out - y) ** 2)
        return jnp.mean(jnp.maximum(out, 0) - out * y + jnp.log1p(jnp.exp(-jnp.abs(out))))  # from the logit

    value_and_grad = jax.value_and_grad(loss)
    tree_map = jax.tree_util.tree_map

    def step(carry, _, x, y):
        params, m, v, t = carry
        value, g = value_and_grad(params, x, y)
        if problem.optimizer == "adam":  # PyTorch's arithmetic
            t = t + 1
            m = tree_map(lambda m, g: m + (1 - b1) * (g - m), m, g)
            v = tree_map(lambda v, g: v * b2 + (1 - b2) * g * g, v, g)
            step_size, root = lr / (1 - b1**t), jnp.sqrt(1 - b2**t)
            params = tree_map(lambda p, m, v: p - step_size * m / (jnp.sqrt(v) / root + eps), params, m, v)
        else:
            params = tree_map(lambda p, g: p - lr * g, params, g)
        return (params, m, v, t), value

    return forward, loss, step


def _start(params):
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return params, zeros, zeros, jnp.zeros((), params[0][0].dtype)


def jax_trainer(problem):
    """train(params, x, y) -> the loss after problem.epochs epochs: the
    unjitted loop, for jax.jit(jax.vmap(train, (0, None, None))) over many
    initial parameter sets (benchmarks/bench_sweep.py)."""
    _, loss, step = _jax_step(problem)

    def train(params, x, y):
        carry, _ = jax.lax.scan(lambda c, u: step(c, u, x, y), _start(params), None, length=problem.epochs)
        return loss(carry[0], x, y)

    return train


def _jax_program(problem, upto: int):
    """One jitted function: (params, x, y, grid) -> (losses of every epoch,
    params and grid outputs at `upto`, final params).  Cached per problem
    shape, so that repeats time the run, not the compilation."""
    key = (problem.name, problem.epochs, upto, problem.dtype)
    if key in _jax_compiled:
        return _jax_compiled[key]
    forward, loss, step = _jax_step(problem)

    output = jax.nn.sigmoid if problem.output_activation == "sigmoid" else (lambda z: z)

    @jax.jit
    def run(params, x, y, grid):
        carry = _start(params)
        body = lambda c, u: step(c, u, x, y)  # noqa: E731
        carry, first = jax.lax.scan(body, carry, None, length=upto)
        at_upto = carry[0]
        carry, rest = jax.lax.scan(body, carry, None, length=problem.epochs - upto)
        final = carry[0]
        losses = jnp.concatenate([first, rest, loss(final, x, y)[None]])
        return losses, at_upto, output(forward(at_upto, grid)), final

    _jax_compiled[key] = run
    return run


def train_jax(problem, weights, upto: int):
    """(losses after every epoch 0..epochs, flat params at upto, grid outputs at upto)."""
    dtype = problem.dtype
    params = [(jnp.asarray(W, dtype), jnp.asarray(b, dtype)) for W, b in weights]
    x, y, grid = (jnp.asarray(a, dtype) for a in (problem.x, problem.y, problem.grid))
    losses, at_upto, outputs, _ = jax.block_until_ready(_jax_program(problem, upto)(params, x, y, grid))
    flat = np.concatenate([np.concatenate([np.asarray(W).ravel(), np.asarray(b)]) for W, b in at_upto])
    return np.asarray(losses, np.float64), flat, np.asarray(outputs)


# -------------------------------------------------------------------- numba

ACT_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3}
_numba_kernel = None


def _numba_train():
    """The numba trainer, compiled once: plain loops over epochs, samples,
    units; a network of any widths as flat weights with layer offsets."""
    global _numba_kernel
    if _numba_kernel is not None:
        return _numba_kernel
    njit = numba.njit

    @njit(cache=False, fastmath=False)
    def act_and_deriv(code, z):
        if code == 0:
            s = 1.0 / (1.0 + math.exp(-z))
            return s, s * (1.0 - s)
        if code == 1:
            t = math.tanh(z)
            return t, 1.0 - t * t
        if code == 2:
            return (z, 1.0) if z > 0 else (0.0, 0.0)
        return (z, 1.0) if z > 0 else (0.01 * z, 0.01)

    @njit(cache=False, fastmath=False)
    def train(params, sizes, offsets, x, y, epochs, upto, code, bce, adam, lr, losses, at_upto):
        L = len(sizes) - 1
        n = x.shape[0]
        P = params.shape[0]
        width = sizes.max()
        grad = np.zeros(P, params.dtype)
        m = np.zeros(P, params.dtype)
        v = np.zeros(P, params.dtype)
        acts = np.zeros((L + 1, width), params.dtype)
        derivs = np.zeros((L + 1, width), params.dtype)
        delta = np.zeros(width, params.dtype)
        prev = np.zeros(width, params.dtype)
        count = n * sizes[L]
        for epoch in range(epochs + 1):
            if epoch == upto:
                at_upto[:] = params
            grad[:] = 0.0
            total = 0.0
            for s in range(n):
                for i in range(sizes[0]):
                    acts[0, i] = x[s, i]
                for l in range(L):
                    W, b = offsets[l], offsets[l] + sizes[l] * sizes[l + 1]
                    for j in range(sizes[l + 1]):
                        z = params[b + j]
                        for i in range(sizes[l]):
                            z += acts[l, i] * params[W + i * sizes[l + 1] + j]
                        if l < L - 1:
                            acts[l + 1, j], derivs[l + 1, j] = act_and_deriv(code, z)
                        else:
                            acts[l + 1, j] = z
                for j in range(sizes[L]):
                    z, t = acts[L, j], y[s, j]
                    if bce:
                        total += max(z, 0.0) - z * t + math.log1p(math.exp(-abs(z)))
                        delta[j] = (1.0 / (1.0 + math.exp(-z)) - t) / count
                    else:
                        total += (z - t) ** 2
                        delta[j] = 2.0 * (z - t) / count
                for l in range(L - 1, -1, -1):
                    W, b = offsets[l], offsets[l] + sizes[l] * sizes[l + 1]
                    for j in range(sizes[l + 1]):
                        grad[b + j] += delta[j]
                        for i in range(sizes[l]):
                            grad[W + i * sizes[l + 1] + j] += acts[l, i] * delta[j]
                    if l > 0:
                        for i in range(sizes[l]):
                            a = 0.0
                            for j in range(sizes[l + 1]):
                                a += params[W + i * sizes[l + 1] + j] * delta[j]
                            prev[i] = a * derivs[l, i]
                        for i in range(sizes[l]):
                            delta[i] = prev[i]
            losses[epoch] = total / count
            if epoch == epochs:
                break
            t = epoch + 1
            if adam:
                step_size = lr / (1.0 - 0.9**t)
                root = math.sqrt(1.0 - 0.999**t)
                for k in range(P):
                    m[k] += 0.1 * (grad[k] - m[k])
                    v[k] = v[k] * 0.999 + 0.001 * grad[k] * grad[k]
                    params[k] -= step_size * m[k] / (math.sqrt(v[k]) / root + 1e-8)
            else:
                for k in range(P):
                    params[k] -= lr * grad[k]

    _numba_kernel = train
    return train


def train_numba(problem, weights, upto: int):
    """(losses after every epoch 0..epochs, flat params at upto, grid outputs at upto)."""
    dtype = problem.dtype
    flat = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in weights]).astype(dtype)
    sizes = np.array(problem.sizes, np.int64)
    offsets = np.concatenate([[0], np.cumsum([(i + 1) * o for i, o in zip(sizes[:-1], sizes[1:])])[:-1]])
    losses = np.zeros(problem.epochs + 1)
    at_upto = np.zeros_like(flat)
    _numba_train()(flat, sizes, offsets.astype(np.int64), problem.x.astype(dtype), problem.y.astype(dtype),
                   problem.epochs, upto, ACT_CODES[problem.activation], problem.loss == "bce",
                   problem.optimizer == "adam", problem.lr, losses, at_upto)
    return losses, at_upto, _numpy_outputs(problem, at_upto)


def _numpy_outputs(problem, flat: np.ndarray) -> np.ndarray:
    """The network's grid outputs for flat parameters (the agreement check)."""
    acts = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
            "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}
    a, offset = problem.grid.astype(flat.dtype), 0
    L = len(problem.sizes) - 1
    for l, (i, o) in enumerate(zip(problem.sizes[:-1], problem.sizes[1:])):
        W, b = flat[offset:offset + i * o].reshape(i, o), flat[offset + i * o:offset + (i + 1) * o]
        offset += (i + 1) * o
        z = a @ W + b
        a = acts[problem.activation](z) if l < L - 1 else z
    return 1 / (1 + np.exp(-a)) if problem.output_activation == "sigmoid" else a
