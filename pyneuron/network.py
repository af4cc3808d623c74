"""Small fully connected networks that train in C and record what they do.

>>> import pyneuron
>>> from pyneuron import datasets
>>> x, y = datasets.exp_decay()
>>> net = pyneuron.Network([1, 2, 2, 1], activation="leaky_relu")
>>> traj = net.fit(x, y, optimizer=pyneuron.Adam(lr=0.01), epochs=2000, snapshots=50)
>>> float(traj.loss[-1]) < float(traj.loss[0])
True
"""
from __future__ import annotations

import contextlib
import functools
import math
import signal
import time
import warnings
from typing import Any, Callable, Iterator, NamedTuple, Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _arrays as A
from . import features as features_module
from . import functional as F
from ._core import ACTIVATION_INFO, check, ffi, lib, simd_level
from .optim import SGD, Adam
from .trajectory import TestRecord, Trajectory, schedule_epochs

__all__ = ["Network", "Layer", "ACTIVATION_NAMES", "INITS", "activation_function"]

#: Activations a layer can use: the C layer's (csrc/ops.def), plus an alias.
_ACT_CODES = {info["name"]: code for code, info in enumerate(ACTIVATION_INFO)} | {"linear": lib.PN_ACT_IDENTITY}
ACTIVATION_NAMES = tuple(sorted(_ACT_CODES))
#: The activations with a real parameter (alpha), and its default.
_DEFAULT_ALPHA = {info["name"]: info["param_default"] for info in ACTIVATION_INFO if info["param"]}

INITS = ("xavier", "glorot", "he", "lecun", "tutorial")
#: The ReLU-like activations, for which the default initialisation is He's.
_RELU_LIKE = {info["name"] for info in ACTIVATION_INFO
              if info["family"] in (lib.PN_FAMILY_RELU, lib.PN_FAMILY_SMOOTH_RELU)}

_LOSSES = {"mse": lib.PN_TRAIN_MSE, "bce": lib.PN_TRAIN_BCE, "cross_entropy": lib.PN_TRAIN_XENT}


def activation_function(name: str, alpha: float | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The :mod:`pyneuron.functional` op a layer with activation ``name``
    (any name :class:`Network` accepts, or ``"softmax"``) applies, with its
    ``alpha``: what replaying a recorded network needs."""
    if name == "softmax":
        return F.softmax
    if name not in _ACT_CODES:
        raise ValueError(f"unknown activation {name!r}; expected softmax or one of {', '.join(ACTIVATION_NAMES)}")
    if name == "gelu_tanh":
        return functools.partial(F.gelu, approximate="tanh")
    op = getattr(F, "identity" if name == "linear" else name)
    return op if alpha is None else functools.partial(op, alpha=alpha)


class Layer:
    """One dense layer: ``activation(x @ W + b)``.

    ``W`` (in, out) and ``b`` (out,) are writable views of the network's
    parameter vector, the memory the C training loop updates.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, activation: str, alpha: float | None):
        self.W, self.b, self.activation, self.alpha = W, b, activation, alpha

    def __repr__(self) -> str:
        act = self.activation + (f"({self.alpha})" if self.alpha is not None else "")
        return f"Layer({self.W.shape[0]} -> {self.W.shape[1]}, {act})"


def _as_list(value, count: int, what: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"Network: {what} has {len(value)} entries for {count} hidden layers")
        return list(value)
    return [value] * count


class Network:
    """A multilayer perceptron whose forward pass and training run in C.

    ``Network([1, 2, 2, 1], activation="leaky_relu")``: 1 input, two hidden
    layers of 2 units, 1 output.

    - ``activation``: name, or one name per hidden layer; any of
      :data:`ACTIVATION_NAMES`.  ``alpha``: the leaky-ReLU slope or ELU scale
      (a number, or one per hidden layer; default 0.01 and 1.0).
    - ``output_activation``: ``"identity"`` (regression), ``"sigmoid"``
      (binary classification, trained with ``loss="bce"``), ``"softmax"``
      (classes, ``loss="cross_entropy"``) or any activation name.
    - ``init``: ``"xavier"``/``"glorot"`` (uniform, PyTorch's
      ``xavier_uniform_``), ``"he"`` (normal, std sqrt(2/in)), ``"lecun"``
      (normal, std sqrt(1/in)) or ``"tutorial"`` (0.1 N(0, 1), as in the
      classic from-scratch tutorials); biases start at 0.  Default: he for
      ReLU-like hidden units, xavier otherwise.  Seeded by ``seed``.
    - ``features``: input features, as TensorFlow Playground's (see
      :mod:`pyneuron.features`): ``Network([2, 8, 1], features=["x1", "x2",
      "x1*x2"])`` takes x of 2 columns and feeds its first layer the three
      features, computed in C (for training, predictions and the recorded
      grid).  ``layers[0]`` is then the raw input count and ``sizes`` the
      dense layers' (``[3, 8, 1]``); default: the inputs themselves.
    """

    def __init__(self, layers: Sequence[int], activation: str | Sequence[str] = "sigmoid",
                 output_activation: str = "identity", init: str | None = None, seed: int = 0,
                 dtype: DTypeLike = np.float64, alpha: float | Sequence[float | None] | None = None,
                 features: Sequence[str] | None = None):
        sizes = list(layers) if isinstance(layers, (list, tuple)) else None
        if sizes is None or len(sizes) < 2 or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes):
            raise ValueError(f"Network: layers must be a list of at least 2 positive sizes, got {layers!r}")
        dtype = np.dtype(dtype)
        if dtype not in (A.F32, A.F64):
            raise TypeError(f"Network: dtype must be float32 or float64, got {dtype}")
        hidden = len(sizes) - 2
        acts = _as_list(activation, hidden, "activation")
        alphas = _as_list(alpha, hidden, "alpha")
        names = ", ".join(ACTIVATION_NAMES)
        for a in acts:
            if a not in _ACT_CODES:
                raise ValueError(f"Network: unknown hidden activation {a!r}; expected one of {names}")
        if output_activation not in _ACT_CODES and output_activation != "softmax":
            raise ValueError(f"Network: unknown output_activation {output_activation!r}; "
                             f"expected softmax or one of {names}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"Network: seed must be a non-negative integer, got {seed!r}")
        if init is None:
            init = "he" if acts and all(a in _RELU_LIKE for a in acts) else "xavier"
        if init not in INITS:
            raise ValueError(f"Network: unknown init {init!r}; expected one of {', '.join(INITS)}")

        self._inputs_count = int(sizes[0])
        self.features = None if features is None else features_module.canonical(features, self._inputs_count)
        self._c_features = None if self.features is None else features_module._c_features(self.features)
        self.sizes = [len(self.features) if self.features else int(sizes[0])] + [int(s) for s in sizes[1:]]
        self.activations = acts + [output_activation]
        self.alphas = [self._alpha(a, al) for a, al in zip(acts, alphas)] + [self._alpha(output_activation, None)]
        self.output_activation = output_activation
        self.init, self.seed, self.dtype = init, int(seed), dtype
        count = sum((i + 1) * o for i, o in zip(self.sizes[:-1], self.sizes[1:]))
        self.params = np.zeros(count, dtype)
        self.layers: list[Layer] = []
        offset = 0
        for l, (i, o) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            W = self.params[offset:offset + i * o].reshape(i, o)
            b = self.params[offset + i * o:offset + (i + 1) * o]
            offset += (i + 1) * o
            self.layers.append(Layer(W, b, self.activations[l], self.alphas[l]))
        self.reset(seed)
        self._c_sizes = ffi.new("int64_t[]", self.sizes)
        codes = [_ACT_CODES.get(a, lib.PN_ACT_IDENTITY) for a in self.activations]
        self._c_acts = ffi.new("int[]", codes)
        self._c_alphas = ffi.new("double[]", [a if a is not None else 0.0 for a in self.alphas])

    @staticmethod
    def _alpha(activation: str, alpha):
        if activation not in _DEFAULT_ALPHA:
            if alpha is not None:
                raise ValueError(f"Network: alpha applies to leaky_relu and elu, not {activation}")
            return None
        value = _DEFAULT_ALPHA[activation] if alpha is None else alpha
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not math.isfinite(value):
            raise ValueError(f"Network: alpha must be a finite number, got {alpha!r}")
        return float(value)

    def reset(self, seed: int | None = None) -> None:
        """Draw fresh initial weights (``seed`` defaults to the network's)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        for layer in self.layers:
            fan_in, fan_out = layer.W.shape
            if self.init in ("xavier", "glorot"):
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                w = rng.uniform(-bound, bound, layer.W.shape)
            elif self.init == "he":
                w = rng.normal(0.0, math.sqrt(2.0 / fan_in), layer.W.shape)
            elif self.init == "lecun":
                w = rng.normal(0.0, math.sqrt(1.0 / fan_in), layer.W.shape)
            else:
                w = 0.1 * rng.standard_normal(layer.W.shape)
            layer.W[...] = w
            layer.b[...] = 0.0

    # ---------------------------------------------------------------- C view

    def _c_net(self, params: np.ndarray | None = None):
        """The pn_mlp struct describing this network (and the buffers it points to)."""
        params = self.params if params is None else params
        net = ffi.new("pn_mlp *")
        net.dtype = A.dtype_code(params)
        net.n_layers = len(self.layers)
        net.sizes, net.acts, net.alphas = self._c_sizes, self._c_acts, self._c_alphas
        net.softmax_output = int(self.output_activation == "softmax")
        buf = A.buf(params)
        net.params = buf
        return net, buf

    @property
    def path(self) -> str:
        """How the C loop computes this network's passes: ``"lanes"`` (narrow
        layers, up to 64 units: one sample per vector lane, forward, loss and
        backward fused over blocks of samples held in cache) or ``"layers"``
        (wider ones: layer by layer, products on the GEMM)."""
        net, _keep = self._c_net()
        return ("lanes", "layers")[lib.pn_mlp_path(net)]

    @property
    def n_inputs(self) -> int:
        """Columns of the x this network takes (``sizes[0]`` unless it has ``features``)."""
        return self._inputs_count

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def _inputs(self, x, where: str, name: str = "x") -> np.ndarray:
        a = A.as_float(x, where, name)
        if a.ndim == 1 and self.n_inputs == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[1] != self.n_inputs:
            raise ValueError(f"{where}: {name} has shape {a.shape}; this network takes (n, {self.n_inputs})")
        if not np.isfinite(a).all():
            raise ValueError(f"{where}: {name} contains NaN or inf")
        return np.require(a, self.dtype, ["C_CONTIGUOUS", "ALIGNED"])

    def _first_layer(self, x: np.ndarray, where: str) -> np.ndarray:
        """What the first dense layer reads for checked inputs x: x itself,
        or its features (computed in C)."""
        if self.features is None:
            return x
        return features_module._computed(x, self._c_features, len(self.features), where)

    def predict(self, x: ArrayLike) -> np.ndarray:
        """The network's output (n, outputs) for inputs x (n, inputs); forward pass in C."""
        xs = self._first_layer(self._inputs(x, "predict"), "predict")
        y = np.empty((xs.shape[0], self.n_outputs), self.dtype)
        net, _keep = self._c_net()
        check(lib.pn_mlp_forward(net, A.buf(xs), A.buf(y), xs.shape[0]), "predict")
        return y

    __call__ = predict

    def describe(self) -> str:
        """e.g. ``1-2-2-1 leaky_relu(0.01)``."""
        hidden = sorted(set(f"{l.activation}" + (f"({l.alpha})" if l.alpha is not None else "")
                            for l in self.layers[:-1]))
        features = f" on {', '.join(self.features)}" if self.features else ""
        return "-".join(map(str, self.sizes)) + " " + ("/".join(hidden) or "no hidden layer") + features

    def config(self) -> dict[str, Any]:
        return {"layers": self.sizes, "activations": self.activations, "alphas": self.alphas,
                "output_activation": self.output_activation, "init": self.init, "seed": self.seed,
                "dtype": self.dtype.name, "inputs": self.n_inputs,
                "features": None if self.features is None else list(self.features)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        """The network a :meth:`config` describes (a trajectory's
        ``config["network"]``), with that config's initial weights."""
        acts = list(config["activations"])
        layers = [int(config.get("inputs", config["layers"][0]))] + [int(s) for s in config["layers"][1:]]
        return cls(layers, activation=acts[:-1], output_activation=acts[-1], init=config["init"],
                   seed=int(config["seed"]), dtype=config["dtype"], alpha=list(config["alphas"][:-1]),
                   features=config.get("features"))

    def losses(self, params: ArrayLike, x: ArrayLike, y: ArrayLike, loss: str = "mse") -> np.ndarray:
        """The training loss on (x, y) at each row of ``params`` (k, parameter
        count; each laid out as :attr:`params`), computed in C: the loss
        ``fit`` records at a snapshot with those parameters, bit for bit.
        For loss landscapes (:func:`pyneuron.landscape`)."""
        self._check_loss(loss, "losses")
        p = np.asarray(params)
        if p.ndim != 2 or p.shape[1] != self.params.size:
            raise ValueError(f"losses: params has shape {p.shape}; expected (k, {self.params.size}) "
                             f"for this network's {self.params.size} parameters")
        if p.dtype.kind not in "fiu":
            raise TypeError(f"losses: params has unsupported dtype {p.dtype}")
        p = np.require(p, self.dtype, ["C_CONTIGUOUS", "ALIGNED"])
        xs = self._inputs(x, "losses")
        if xs.shape[0] == 0:
            raise ValueError("losses: x has no rows")
        try:
            ys, labels = self._targets(y, loss, xs.shape[0])
        except ValueError as exc:
            raise ValueError(f"losses: {str(exc).removeprefix('fit: ')}") from None
        first = self._first_layer(xs, "losses")
        data = ffi.new("pn_train_data *")
        keep = [A.buf(first)] + ([A.buf(ys)] if ys is not None else [A.buf(labels)])
        data.x, data.n = keep[0], xs.shape[0]
        data.y = keep[1] if ys is not None else ffi.NULL
        data.labels = ffi.cast("int64_t *", keep[1]) if labels is not None else ffi.NULL
        out = np.empty(p.shape[0])
        net, _keep = self._c_net()
        check(lib.pn_mlp_losses(net, _LOSSES[loss], A.buf(p) if p.size else ffi.NULL, p.shape[0], data,
                                ffi.cast("double *", A.buf(out))), "losses")
        return out

    def __repr__(self) -> str:
        features = f", features={list(self.features)}" if self.features else ""
        return f"Network({self.sizes}, activations={self.activations}, dtype={self.dtype.name}{features})"

    # ------------------------------------------------------------- training

    def _targets(self, y, loss: str, n: int):
        if loss == "cross_entropy":
            lab = np.asarray(y)
            if lab.shape == (n, self.n_outputs) and lab.dtype.kind in "fb":
                if not (np.isin(lab, (0, 1)).all() and (lab.sum(1) == 1).all()):
                    raise ValueError("fit: cross_entropy targets of shape (n, classes) must be one-hot")
                lab = lab.argmax(1)
            if lab.shape != (n,) or lab.dtype.kind not in "iu":
                raise ValueError(f"fit: cross_entropy needs integer class labels of shape ({n},) "
                                 f"or one-hot rows ({n}, {self.n_outputs}), got {lab.dtype} {lab.shape}")
            if lab.size and (lab.min() < 0 or lab.max() >= self.n_outputs):
                raise ValueError(f"fit: labels must lie in [0, {self.n_outputs}), got {lab.min()}..{lab.max()}")
            return None, np.require(lab, np.int64, ["C_CONTIGUOUS", "ALIGNED"])
        t = A.as_float(y, "fit", "y")
        if t.ndim == 1 and self.n_outputs == 1:
            t = t.reshape(-1, 1)
        if t.shape != (n, self.n_outputs):
            raise ValueError(f"fit: y has shape {t.shape}; expected ({n}, {self.n_outputs}) for x with {n} rows")
        if not np.isfinite(t).all():
            raise ValueError("fit: y contains NaN or inf")
        if loss == "bce" and ((t < 0) | (t > 1)).any():
            raise ValueError("fit: bce targets must lie in [0, 1]")
        return np.require(t, self.dtype, ["C_CONTIGUOUS", "ALIGNED"]), None

    def _check_loss(self, loss: str, where: str) -> None:
        """``loss`` is one of the losses, and this network's output activation suits it."""
        if loss not in _LOSSES:
            raise ValueError(f"{where}: unknown loss {loss!r}; expected one of {', '.join(_LOSSES)}")
        need = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss)
        if need and self.output_activation != need:
            raise ValueError(f"{where}: loss {loss!r} needs output_activation={need!r}, "
                             f"this network has {self.output_activation!r}")

    def _training_setup(self, x, y, loss, optimizer, epochs, batch_size, seed, snapshots, schedule, grid, source,
                        validation, train_ratio, regularization, regularization_rate) -> _Setup:
        """fit's arguments checked and converted (see fit): what a training
        call of fit or pyneuron.sweep needs."""
        self._check_loss(loss, "fit")
        optimizer = Adam(lr=0.01) if optimizer is None else optimizer
        if not isinstance(optimizer, (SGD, Adam)):
            raise TypeError(f"fit: optimizer must be pyneuron.SGD or pyneuron.Adam, got {type(optimizer).__name__}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"fit: seed must be a non-negative integer, got {seed!r}")
        data_info = _data_source(source, self.n_inputs)
        xs = self._inputs(x, "fit")
        n = xs.shape[0]
        if n == 0:
            raise ValueError("fit: x has no rows")
        ys, labels = self._targets(y, loss, n)
        if regularization not in (None, "l1", "l2"):
            raise ValueError(f"fit: regularization must be None, 'l1' or 'l2', got {regularization!r}")
        if isinstance(regularization_rate, bool) or not isinstance(regularization_rate, (int, float, np.floating)) \
                or not (math.isfinite(regularization_rate) and regularization_rate >= 0):
            raise ValueError(f"fit: regularization_rate must be a finite number >= 0, got {regularization_rate!r}")
        if regularization is None and regularization_rate:
            raise ValueError("fit: regularization_rate needs regularization='l1' or 'l2'")
        if validation is not None and train_ratio is not None:
            raise ValueError("fit: give validation=(x, y) or train_ratio, not both")
        if train_ratio is not None:
            xs, ys, labels, test_set = _split(xs, ys, labels, train_ratio, int(seed))
            n = xs.shape[0]
        elif validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise ValueError("fit: validation must be a pair (x_test, y_test)")
            tx = self._inputs(validation[0], "fit", "validation x")
            if tx.shape[0] == 0:
                raise ValueError("fit: the validation set has no rows")
            try:
                ty, tl = self._targets(validation[1], loss, tx.shape[0])
            except ValueError as exc:
                raise ValueError(f"fit: validation targets: {str(exc).removeprefix('fit: ')}") from None
            test_set = (tx, ty, tl)
        else:
            test_set = None
        if batch_size is None:
            batch_size = n
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r}")
        gs = xs if grid is None else self._inputs(grid, "fit", "grid")

        epochs_rec = schedule_epochs(schedule, int(epochs), snapshots)
        return _Setup(xs, ys, labels, gs, optimizer, int(batch_size), test_set, data_info, epochs_rec)

    def fit(self, x: ArrayLike, y: ArrayLike, loss: str = "mse", optimizer: SGD | Adam | None = None,
            epochs: int = 10_000, batch_size: int | None = None, shuffle: bool = True, seed: int = 0,
            snapshots: int = 300, schedule: str | ArrayLike = "log", grid: ArrayLike | None = None,
            progress: bool = False, source: str | None = None,
            validation: tuple[ArrayLike, ArrayLike] | None = None, train_ratio: float | None = None,
            regularization: str | None = None, regularization_rate: float = 0.0) -> Trajectory:
        """Train in C and return the recorded :class:`Trajectory`.

        - ``loss``: ``"mse"``, ``"bce"`` (needs ``output_activation="sigmoid"``;
          computed stably from the logit) or ``"cross_entropy"`` (needs
          ``"softmax"``; y: class labels (n,) or one-hot rows).
        - ``optimizer``: :class:`SGD` or :class:`Adam`; default ``Adam(lr=0.01)``.
        - ``batch_size``: ``None`` for full batch; otherwise minibatches, the
          samples reshuffled every epoch (``shuffle``) by a generator seeded
          with ``seed``.
        - ``snapshots`` epochs are recorded, chosen by ``schedule``: ``"log"``
          (log-spaced: early learning gets more frames), ``"linear"``, or an
          explicit array of epochs.  Snapshot e is the state after e epochs:
          0 is the initial weights, ``epochs`` the final ones.
        - ``grid``: inputs at which predictions are recorded (default x).
        - ``progress``: show a progress bar.
        - ``source``: what the data is, for the run's labels and videos: the
          expression in x a 1-D target was made from (``"exp(-5*x)"``) or
          the name of a :mod:`pyneuron.datasets` set (``"circle"``); kept
          in ``trajectory.info`` (see :class:`RunInfo`).

        - ``validation``: a held-out test set ``(x_test, y_test)`` (targets as
          for ``y``); or ``train_ratio``: train on that share of the samples
          (0 < ratio < 1, as TensorFlow Playground's train:test ratio),
          picked at random by ``seed``, and test on the rest.  Either way
          the trajectory's ``test`` (:class:`TestRecord`) holds the test
          set, the predictions on it, its loss and, for classifiers, its
          accuracy at every snapshot.

        - ``regularization``: ``"l1"`` or ``"l2"``, at ``regularization_rate``,
          on every layer's weights (not the biases).  L2: before every step
          the weight gradient gets ``rate * W`` (with SGD or Adam, the same
          as torch's ``weight_decay`` on a parameter group of the weights).
          L1, as TensorFlow Playground applies it: after every step
          ``W -= lr * rate * sign(W)``, a weight that this carries across 0
          stopping at exactly 0.  The recorded loss, gradient norms and test
          loss are the data's, without the penalty
          (``config["regularization"]`` says so).

        The trajectory also keeps the training data (``data_x``, ``data_y``).

        The loop runs in C, a chunk of epochs per call; between chunks
        Python updates the progress bar and lets Ctrl-C stop training: the
        trajectory recorded so far is returned, marked ``partial``.  If the
        loss becomes NaN or inf, training stops there with a warning and the
        trajectory records ``diverged_at``.
        """
        setup = self._training_setup(x, y, loss, optimizer, epochs, batch_size, seed, snapshots, schedule, grid,
                                     source, validation, train_ratio, regularization, regularization_rate)
        xs, ys, labels, gs, optimizer, batch_size, test_set, data_info, epochs_rec = setup
        n = xs.shape[0]
        run = _TrainingCall(self, xs, ys, labels, gs, loss, optimizer, int(batch_size), shuffle, int(seed),
                            regularization, float(regularization_rate), epochs_rec)
        out, state, rec = run.out, run.state, run.rec

        bar, partial, diverged_at = None, False, None
        chunk, started = 64, time.perf_counter()
        try:
            with _interrupt_requests() as interrupted:
                bar = _progress_bar(int(epochs), self.describe()) if progress else None
                while state.epoch < epochs and not interrupted():
                    t0 = time.perf_counter()
                    todo = min(chunk, int(epochs) - state.epoch)
                    status = lib.pn_train(run.net, run.config, run.data, state, rec, todo)
                    if status == lib.PN_DIVERGED:
                        diverged_at = int(state.epoch)
                        warnings.warn(f"fit: training diverged at epoch {diverged_at}: the loss is not finite "
                                      "(try a smaller learning rate)", RuntimeWarning, stacklevel=2)
                        break
                    check(status, "fit")
                    if bar:  # the postfix first: update() draws it with the count
                        bar.set_postfix(loss=f"{out['loss'][rec.next - 1]:.3g}", refresh=False)
                        bar.update(todo)
                    # about 0.1 s per C call: responsive to Ctrl-C, negligible overhead
                    elapsed = time.perf_counter() - t0
                    chunk = int(min(max(chunk * (0.1 / elapsed if elapsed > 0 else 4), 16), chunk * 4))
                partial = diverged_at is None and state.epoch < epochs  # stopped by Ctrl-C
        except KeyboardInterrupt:  # raised by Python code in the loop (the progress bar, say)
            partial = True
        finally:
            if bar:
                bar.close()
        seconds = time.perf_counter() - started

        recorded = int(rec.next)
        epochs_out = run.epochs[:recorded].copy()
        if diverged_at is not None and recorded:
            epochs_out[-1] = diverged_at
        config = {
            "network": self.config(), "loss": loss, "optimizer": optimizer.config(),
            "epochs": int(epochs), "epochs_run": int(state.epoch), "batch_size": int(batch_size),
            "shuffle": bool(shuffle), "seed": int(seed),
            "regularization": {"kind": regularization, "rate": float(regularization_rate), "on": "weights",
                               "in_recorded_loss": False},
            "schedule": schedule if isinstance(schedule, str) else "explicit",
            "data": {"n": n, "inputs": self.n_inputs, "outputs": self.n_outputs,
                     "x_min": xs.min(0).tolist(), "x_max": xs.max(0).tolist(), **data_info},
            "seconds": seconds, "simd_level": simd_level(), "path": self.path,
        }
        if test_set is not None:
            config["test"] = {"n": int(test_set[0].shape[0]),
                              "split": "train_ratio" if train_ratio is not None else "validation",
                              **({"train_ratio": float(train_ratio)} if train_ratio is not None else {})}
        test = None if test_set is None else self._test_record(out["params"][:recorded], loss, *test_set)
        return Trajectory(
            epochs=epochs_out, loss=out["loss"][:recorded], flat_params=out["params"][:recorded],
            predictions=out["predictions"][:recorded], grid=gs.copy(), grad_norms=out["grad_norms"][:recorded],
            unit_stats=out["unit_stats"][:recorded], sizes=self.sizes, config=config,
            partial=partial, diverged_at=diverged_at, data_x=xs.copy(), data_y=(ys if labels is None else labels).copy(),
            test=test,
        )

    def _test_record(self, params: np.ndarray, loss: str, x: np.ndarray, y: np.ndarray | None,
                     labels: np.ndarray | None) -> TestRecord:
        """The test set's predictions, loss and accuracy at every recorded
        parameter vector: a forward pass in C per snapshot."""
        S, m = params.shape[0], x.shape[0]
        predictions = np.empty((S, m, self.n_outputs), self.dtype)
        first = self._first_layer(x, "fit")
        for k in range(S):
            net, _keep = self._c_net(params[k])
            check(lib.pn_mlp_forward(net, A.buf(first), A.buf(predictions[k]), m), "fit")
        p = predictions.astype(np.float64)
        accuracy = None
        with np.errstate(all="ignore"):  # a diverged snapshot's NaN stays NaN
            if loss in ("mse", "bce"):  # the project's own losses (BCE on probabilities, logs clamped at -100)
                measure = F.mse if loss == "mse" else F.binary_cross_entropy
                t = y.astype(np.float64)
                losses = np.array([float(measure(p[k], t)) for k in range(S)])
                accuracy = None if loss == "mse" else ((p > 0.5) == (t > 0.5)).mean(axis=(1, 2))
            else:  # softmax outputs: F.cross_entropy takes logits, these are probabilities
                chosen = p[:, np.arange(m), labels]
                losses = -np.maximum(np.log(chosen), -100).mean(axis=1)
                accuracy = (p.argmax(axis=2) == labels).mean(axis=1)
        return TestRecord(x=x.copy(), y=(y if labels is None else labels).copy(), predictions=predictions,
                          loss=losses, accuracy=accuracy)


class _Setup(NamedTuple):
    """fit's arguments, checked and converted by Network._training_setup."""

    xs: np.ndarray                      # training inputs (n, inputs)
    ys: np.ndarray | None               # targets (n, outputs), or None with labels
    labels: np.ndarray | None           # class labels (n,) for cross_entropy
    gs: np.ndarray                      # the grid of recorded predictions
    optimizer: SGD | Adam
    batch_size: int
    test_set: tuple | None              # (x, y, labels) held out, or None
    data_info: dict[str, str]
    epochs_rec: np.ndarray              # the epochs to record


class _TrainingCall:
    """One network's training in C: the pn_train arguments that ``fit`` and
    :func:`pyneuron.sweep` build alike (network, config, data, state and
    recording, and the arrays they point to), so that a run of either is the
    same computation.  Snapshots at ``rec_epochs``; predictions on ``gs``
    (no rows: none recorded)."""

    def __init__(self, network: Network, xs: np.ndarray, ys: np.ndarray | None, labels: np.ndarray | None,
                 gs: np.ndarray, loss: str, optimizer: SGD | Adam, batch_size: int, shuffle: bool, seed: int,
                 regularization: str | None, regularization_rate: float, rec_epochs: np.ndarray):
        S, L, P, G = len(rec_epochs), len(network.layers), network.params.size, gs.shape[0]
        n = xs.shape[0]
        self.network = network  # owns the sizes, activations and parameters the C structs point to
        self.epochs = np.ascontiguousarray(rec_epochs, np.int64)
        self.out = out = {
            "loss": np.full(S, np.nan), "params": np.empty((S, P), network.dtype),
            "predictions": np.empty((S, G, network.n_outputs), network.dtype),
            "grad_norms": np.empty((S, L)), "unit_stats": np.empty((S, L, 2)),
        }
        self._keep: list = []  # cdata buffers that must outlive the C calls
        ptr = self._pointer

        rec = self.rec = ffi.new("pn_recording *")
        rec.count, rec.epochs, rec.next = S, ptr(self.epochs, "int64_t *"), 0
        rec.loss, rec.params = ptr(out["loss"], "double *"), ptr(out["params"])
        rec.predictions = ptr(out["predictions"])
        rec.grad_norms, rec.unit_stats = ptr(out["grad_norms"], "double *"), ptr(out["unit_stats"], "double *")

        cfg = self.config = ffi.new("pn_train_config *")
        cfg.loss, cfg.optimizer, cfg.lr = _LOSSES[loss], optimizer.code, optimizer.lr
        if isinstance(optimizer, SGD):
            cfg.momentum, cfg.nesterov = optimizer.momentum, int(optimizer.nesterov)
            cfg.beta1, cfg.beta2, cfg.eps = 0.9, 0.999, 1e-8  # unused, kept valid
        else:
            (cfg.beta1, cfg.beta2), cfg.eps, cfg.weight_decay = optimizer.betas, optimizer.eps, optimizer.weight_decay
        cfg.batch_size, cfg.shuffle = batch_size, int(bool(shuffle))
        cfg.regularization = {None: lib.PN_REG_NONE, "l1": lib.PN_REG_L1, "l2": lib.PN_REG_L2}[regularization]
        cfg.regularization_rate = regularization_rate

        data = self.data = ffi.new("pn_train_data *")
        data.x, data.n = ptr(network._first_layer(xs, "fit")), n
        data.grid, data.grid_n = (ptr(network._first_layer(gs, "fit")) if G else ffi.NULL), G
        data.y = ptr(ys) if ys is not None else ffi.NULL
        data.labels = ptr(labels, "int64_t *") if labels is not None else ffi.NULL

        opt_a, opt_b, order = np.zeros(P, network.dtype), np.zeros(P, network.dtype), np.arange(n, dtype=np.int64)
        state = self.state = ffi.new("pn_train_state *")
        state.rng = seed & (2**64 - 1)
        state.opt_a, state.opt_b, state.order = ptr(opt_a), ptr(opt_b), ptr(order, "int64_t *")
        self.net, net_buffer = network._c_net()
        self._keep.append(net_buffer)

    def _pointer(self, a: np.ndarray, ctype: str = "void *"):
        b = A.buf(a)
        self._keep.append(b)
        return ffi.cast(ctype, b)


def _split(x: np.ndarray, y: np.ndarray | None, labels: np.ndarray | None, ratio: float, seed: int):
    """Training and test parts of the samples for ``train_ratio``: a random
    permutation by ``seed``, the first round(ratio n) samples to train on."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.floating)) or not 0 < ratio < 1:
        raise ValueError(f"fit: train_ratio must be a number strictly between 0 and 1, got {ratio!r}")
    n = x.shape[0]
    k = int(round(ratio * n))
    if not 1 <= k < n:
        raise ValueError(f"fit: train_ratio {ratio} of {n} samples leaves {k} to train on and {n - k} to test on; "
                         "each needs at least one")
    order = np.random.default_rng(seed).permutation(n)
    train, test = np.sort(order[:k]), np.sort(order[k:])
    part = lambda a, rows: None if a is None else np.ascontiguousarray(a[rows])  # noqa: E731
    return part(x, train), part(y, train), part(labels, train), (part(x, test), part(y, test), part(labels, test))


def _data_source(source: str | None, inputs: int) -> dict[str, str]:
    """fit's ``source`` as the trajectory records it: {"dataset": name} or
    {"target": expression}, checked."""
    from . import datasets
    from ._expr import compile_expression

    if source is None:
        return {}
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"fit: source must be a dataset name or an expression in x, got {source!r}")
    if source in datasets.CLASSIFICATION or source in datasets.REGRESSION_2D:
        return {"dataset": source}
    if inputs != 1:
        raise ValueError(f"fit: source {source!r} is not a 2-D dataset "
                         f"({', '.join(list(datasets.CLASSIFICATION) + list(datasets.REGRESSION_2D))}), "
                         "and an expression in x describes 1-input data only")
    try:
        compile_expression(source)
    except ValueError as exc:
        raise ValueError(f"fit: source {source!r} is neither a dataset nor a valid expression: {exc}") from None
    return {"target": source}


@contextlib.contextmanager
def _interrupt_requests() -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C sets a flag that the loop reads between C
    calls instead of raising KeyboardInterrupt wherever Python happens to
    be -- which could be after the last chunk, losing the recording.  Only
    Python's default handler is replaced (in the main thread); a handler
    the user installed stays in charge."""
    requested = []
    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            raise ValueError
        previous = signal.signal(signal.SIGINT, lambda signum, frame: requested.append(signum))
    except ValueError:  # not the main thread, or not our handler to replace
        yield lambda: False
        return
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress_bar(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="epoch", unit_scale=True, dynamic_ncols=True, leave=False)
