"""A from-scratch numpy MLP trainer: the independent reference that the C
training loop is checked against.  Written for clarity, in float64 (a
float32 network is checked against it from its float32 weights and data).

It reproduces pyneuron's documented semantics: full-batch or minibatch
epochs, splitmix64 + Fisher-Yates shuffling, torch-style SGD and Adam,
MSE, binary cross-entropy on the logit and softmax cross-entropy on class
labels, snapshots of the state after e epochs measured on the whole
training set.  The activations and their derivatives are tests/refs.py's
float64 references, written from the calculus.
"""
from __future__ import annotations

import math

import numpy as np

from refs import FLOAT64, FLOAT64_DERIVATIVE

MASK64 = (1 << 64) - 1


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _act(name: str):
    """(f(z, alpha), f'(z, alpha)) of a network activation name."""
    if name in ("linear", "identity"):
        name = "identity"
    if name == "gelu_tanh":
        return (lambda z, a: FLOAT64["gelu"](z, approximate="tanh"),
                lambda z, a: FLOAT64_DERIVATIVE["gelu"](z, approximate="tanh"))
    if name in ("leaky_relu", "elu"):
        return (lambda z, a: FLOAT64[name](z, alpha=a), lambda z, a: FLOAT64_DERIVATIVE[name](z, alpha=a))
    return lambda z, a: FLOAT64[name](z), lambda z, a: FLOAT64_DERIVATIVE[name](z)


ACTS = {name: _act(name) for name in ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu",
                                      "gelu_tanh", "silu", "softplus")}


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def splitmix64(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def shuffle(order: list, state: int) -> int:
    for i in range(len(order) - 1, 0, -1):
        state, u = splitmix64(state)
        j = (u * (i + 1)) >> 64
        order[i], order[j] = order[j], order[i]
    return state


class ReferenceMLP:
    def __init__(self, Ws, bs, acts, alphas, loss):
        self.W = [w.astype(float).copy() for w in Ws]
        self.b = [b.astype(float).copy() for b in bs]
        self.acts, self.alphas, self.loss = acts, alphas, loss

    def forward(self, x):
        self.inputs, self.zs = [], []
        a = x
        for layer, (W, b, act, alpha) in enumerate(zip(self.W, self.b, self.acts, self.alphas)):
            self.inputs.append(a)
            z = a @ W + b
            self.zs.append(z)
            last = layer == len(self.W) - 1
            a = softmax(z) if last and self.loss == "cross_entropy" else ACTS[act][0](z, alpha)
        return a

    def loss_and_grads(self, x, y):
        """Mean loss and (dW, db) per layer of the batch (x, y); y holds
        class labels (n,) for cross_entropy."""
        out = self.forward(x)
        z = self.zs[-1]
        if self.loss == "mse":
            value = np.mean((out - y) ** 2)
            dz = 2 * (out - y) / out.size * ACTS[self.acts[-1]][1](z, self.alphas[-1])
        elif self.loss == "cross_entropy":  # softmax output, labels
            rows = np.arange(len(z))
            shifted = z - z.max(1, keepdims=True)
            value = np.mean(np.log(np.exp(shifted).sum(1)) - shifted[rows, y])
            dz = out.copy()
            dz[rows, y] -= 1
            dz /= len(z)
        else:  # bce on the logit z
            value = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
            dz = (sigmoid(z) - y) / z.size
        grads = []
        for layer in range(len(self.W) - 1, -1, -1):
            grads.append((self.inputs[layer].T @ dz, dz.sum(0)))
            if layer:
                da = dz @ self.W[layer].T
                dz = da * ACTS[self.acts[layer - 1]][1](self.zs[layer - 1], self.alphas[layer - 1])
        return value, grads[::-1]

    def flat(self):
        return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(self.W, self.b)])


class SGDRef:
    def __init__(self, lr, momentum=0.0, nesterov=False):
        self.lr, self.mu, self.nesterov, self.buf = lr, momentum, nesterov, None

    def step(self, params, grads):
        if self.mu:
            if self.buf is None:
                self.buf = [g.copy() for g in grads]
            else:
                self.buf = [b * self.mu + g for b, g in zip(self.buf, grads)]
            grads = [g + self.mu * b for g, b in zip(grads, self.buf)] if self.nesterov else self.buf
        for p, g in zip(params, grads):
            p += -self.lr * g


class AdamRef:
    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr, (self.b1, self.b2), self.eps, self.wd = lr, betas, eps, weight_decay
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        self.t += 1
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            g = g + self.wd * p if self.wd else g
            m += (1 - self.b1) * (g - m)
            v[...] = v * self.b2 + (1 - self.b2) * g * g
            p += (-self.lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + self.eps)


def train(ref: ReferenceMLP, opt, x, y, epochs, batch_size, shuffle_data, seed, record_at, regularization=None):
    """Train; return {epoch: (loss on all data, flat params, full-data grads,
    the network's outputs on x)} at record_at.  ``regularization``: ("l1" or
    "l2", rate), Playground's penalty on the weights: L2 added to their
    gradients before each step; L1 after it, W -= lr rate sign(W), a weight
    that crosses 0 stopping there (the recorded loss and grads are the data's)."""
    n = len(x)
    order, state = list(range(n)), seed
    out = {}

    def snapshot(e):
        value, grads = ref.loss_and_grads(x, y)
        out[e] = (value, ref.flat(), grads, ref.forward(x))

    for e in range(epochs + 1):
        if e in record_at:
            snapshot(e)
        if e == epochs:
            break
        if batch_size >= n:
            batches = [np.arange(n)]
        else:
            if shuffle_data:
                state = shuffle(order, state)
            idx = np.array(order)
            batches = [idx[s:s + batch_size] for s in range(0, n, batch_size)]
        for rows in batches:
            _, grads = ref.loss_and_grads(x[rows], y[rows])
            kind, rate = regularization or (None, 0.0)
            if kind == "l2":
                grads = [(dW + rate * W, db) for (dW, db), W in zip(grads, ref.W)]
            params = [p for W, b in zip(ref.W, ref.b) for p in (W, b)]
            opt.step(params, [g for dW, db in grads for g in (dW, db)])
            if kind == "l1":
                for W in ref.W:
                    moved = W - opt.lr * rate * np.sign(W)
                    W[...] = np.where(moved * W < 0, 0.0, moved)
    return out
