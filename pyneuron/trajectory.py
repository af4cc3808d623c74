"""What a training run recorded, snapshot by snapshot, and its file format.

File format (``.npz``, format version 1): a zip of ``.npy`` arrays, no
pickles:

=================  ===================  =======================================
name               shape                content
=================  ===================  =======================================
``format``         ()                   the string ``"pyneuron-trajectory"``
``format_version`` ()                   1 (readers refuse newer versions)
``config``         ()                   JSON: network, optimiser, loss, data,
                                        epochs, pyneuron version, SIMD level
``sizes``          (L + 1,)             layer sizes
``epochs``         (S,)                 epoch of each snapshot (ascending)
``loss``           (S,)                 loss on the whole training set
``params``         (S, P)               all parameters, layer by layer: W
                                        (in x out, row-major) then b
``predictions``    (S, G, outputs)      network output on the grid
``grid``           (G, inputs)          evaluation inputs
``grad_norms``     (S, L)               per-layer gradient norm (W and b)
``unit_stats``     (S, L, 2)            per layer: dead fraction (ReLU,
                                        leaky ReLU), saturated fraction
                                        (sigmoid, tanh)
``partial``        ()                   training was interrupted
``diverged_at``    ()                   epoch the loss stopped being finite,
                                        or -1
``data_x``         (n, inputs)          optional: the training inputs
``data_y``         (n, outputs) or (n,) optional: the training targets
                                        (class labels for cross-entropy)
``test_x``         (m, inputs)          optional: a held-out test set
``test_y``         (m, outputs) or (m,) and its targets,
``test_predictions`` (S, m, outputs)    the network's outputs on it,
``test_loss``      (S,)                 its loss (the training loss's kind)
``test_accuracy``  (S,)                 and, for classifiers, the accuracy
=================  ===================  =======================================

What the run was -- its task, network, loss, optimiser and data -- is
read from ``config`` through :attr:`Trajectory.info`, a :class:`RunInfo`.
Readers ignore arrays they do not know, so the optional ones keep the
format at version 1.
"""
from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike

from ._files import write_atomically

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["Trajectory", "Snapshot", "RunInfo", "TestRecord", "FORMAT_VERSION", "schedule_epochs"]

FORMAT_NAME = "pyneuron-trajectory"
FORMAT_VERSION = 1


def schedule_epochs(schedule: str | ArrayLike, epochs: int, snapshots: int) -> np.ndarray:
    """The epochs to record: ``"log"``, ``"linear"`` or explicit; 0 and
    ``epochs`` are always included by the named schedules."""
    if isinstance(schedule, str):
        if isinstance(snapshots, bool) or not isinstance(snapshots, (int, np.integer)) or snapshots < 2:
            raise ValueError(f"fit: snapshots must be an integer >= 2, got {snapshots!r}")
        count = min(int(snapshots), epochs + 1)
        if schedule == "linear":
            return np.unique(np.round(np.linspace(0, epochs, count)).astype(np.int64))
        if schedule == "log":
            return _log_schedule(epochs, count)
        raise ValueError(f"fit: unknown schedule {schedule!r}; expected 'log', 'linear' or an array of epochs")
    e = np.asarray(schedule)
    if e.ndim != 1 or e.size == 0 or e.dtype.kind not in "iu":
        raise ValueError("fit: an explicit schedule must be a non-empty 1-D array of integer epochs")
    if e.min() < 0 or e.max() > epochs:
        raise ValueError(f"fit: scheduled epochs must lie in [0, {epochs}], got {e.min()}..{e.max()}")
    return np.unique(e.astype(np.int64))


def _log_schedule(epochs: int, count: int) -> np.ndarray:
    """``count`` epochs from 0 to ``epochs``, log-spaced in epoch + 1 where
    that spaces them at least one epoch apart: every epoch up to some m,
    then count - m values geometric in epoch + 1 from m + 1 to epochs + 1,
    m the fewest whose first geometric step is at least 1 (the step grows
    with m, so m is found by bisection)."""
    if count >= epochs + 1:
        return np.arange(epochs + 1, dtype=np.int64)

    def first_step(m: int) -> float:
        points = count - m
        ratio = ((epochs + 1) / (m + 1)) ** (1 / (points - 1))
        return (m + 1) * (ratio - 1)

    lo, hi = 0, count - 2  # at count - 2 the geometric part is its two ends, epochs apart
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if first_step(mid) < 1 else (lo, mid)
    # steps of at least 1 stay distinct when rounded half up
    geometric = np.floor(np.geomspace(lo + 1, epochs + 1, count - lo) + 0.5).astype(np.int64) - 1
    return np.concatenate([np.arange(lo, dtype=np.int64), geometric])


@dataclass
class Snapshot:
    """The state at one (possibly fractional) epoch, see :meth:`Trajectory.at`."""

    epoch: float
    loss: float
    params: list[dict[str, np.ndarray]]  # per layer {"W": (in, out), "b": (out,)}
    predictions: np.ndarray
    grad_norms: np.ndarray
    unit_stats: np.ndarray


@dataclass(frozen=True)
class TestRecord:
    """A held-out test set and how the network did on it at every snapshot
    (``fit(validation=...)`` or ``fit(train_ratio=...)``): inputs ``x``
    (m, inputs), targets ``y``, ``predictions`` (S, m, outputs), ``loss``
    (S,) of the same kind as the training loss (mean over the test set, no
    penalty), and ``accuracy`` (S,) for classifiers, else None."""

    x: np.ndarray
    y: np.ndarray
    predictions: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray | None

    def check(self, snapshots: int, inputs: int, outputs: int) -> None:
        m = self.x.shape[0] if self.x.ndim == 2 else -1
        for name, value, shape in (("test_x", self.x, (m, inputs)), ("test_predictions", self.predictions,
                                                                      (snapshots, m, outputs)),
                                   ("test_loss", self.loss, (snapshots,))):
            if value.shape != shape:
                raise ValueError(f"trajectory: {name} has shape {value.shape}, expected {shape}")
        if self.y.shape[:1] != (m,) or self.y.ndim not in (1, 2):
            raise ValueError(f"trajectory: test_y has shape {self.y.shape}, expected ({m}, ...)")
        if self.accuracy is not None and self.accuracy.shape != (snapshots,):
            raise ValueError(f"trajectory: test_accuracy has shape {self.accuracy.shape}, expected ({snapshots},)")


@dataclass(frozen=True)
class RunInfo:
    """What a recorded run was, read from its ``config`` by
    :attr:`Trajectory.info`: every writer (``Network.fit``, the CLI, the
    scenes) records the same keys, and every reader (the video API, the
    CLI's ``render``) reads them here.

    - ``task``: ``"regression"``, ``"binary"`` (BCE, one sigmoid output) or
      ``"multiclass"`` (softmax cross-entropy).
    - ``activations``, ``alphas``: per hidden layer; ``output_activation``.
    - ``target``: the expression in x a 1-D run fitted, if one was given;
      ``dataset``: the name of a :mod:`pyneuron.datasets` set, if one was;
      ``description``: the data in words, for captions.
    - ``inputs``: the raw inputs (columns of x); ``features``: the input
      features the first layer reads (:mod:`pyneuron.features`), or None
      when it reads the inputs themselves (``layers[0] == inputs``).
    - ``regularization``: ``"l1"``, ``"l2"`` or None, at
      ``regularization_rate``.
    """

    task: str
    layers: tuple[int, ...]
    activations: tuple[str, ...]
    alphas: tuple[float | None, ...]
    output_activation: str
    loss: str
    optimizer: str
    lr: float
    epochs: int
    target: str | None
    dataset: str | None
    description: str
    inputs: int
    features: tuple[str, ...] | None = None
    regularization: str | None = None
    regularization_rate: float = 0.0

    @property
    def outputs(self) -> int:
        return self.layers[-1]

    @property
    def activation(self) -> str:
        """The hidden activation, or ``"mixed"`` when the layers differ
        (``"identity"`` without hidden layers)."""
        names = set(self.activations)
        return names.pop() if len(names) == 1 else ("mixed" if names else "identity")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "RunInfo":
        try:
            net, data, opt = config["network"], config.get("data", {}), config["optimizer"]
            layers = tuple(int(v) for v in net["layers"])
            acts = tuple(str(a) for a in net["activations"])
            alphas = tuple(None if a is None else float(a) for a in net["alphas"])
            loss = str(config["loss"])
            info = cls(task={"bce": "binary", "cross_entropy": "multiclass"}.get(loss, "regression"),
                       layers=layers, activations=acts[:-1], alphas=alphas[:-1],
                       output_activation=str(net.get("output_activation", acts[-1])), loss=loss,
                       optimizer=str(opt["name"]), lr=float(opt["lr"]), epochs=int(config["epochs"]),
                       target=data.get("target"), dataset=data.get("dataset"),
                       description=str(data.get("description") or _describe_data(data)),
                       inputs=int(net.get("inputs") or layers[0]),
                       features=None if net.get("features") is None else tuple(str(f) for f in net["features"]),
                       regularization=(config.get("regularization") or {}).get("kind"),
                       regularization_rate=float((config.get("regularization") or {}).get("rate") or 0.0))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"trajectory: config does not describe a run ({type(exc).__name__}: {exc})") from None
        if len(acts) != len(layers) - 1 or len(alphas) != len(acts):
            raise ValueError(f"trajectory: config has {len(acts)} activations for {len(layers) - 1} layers")
        if info.features is None and info.inputs != layers[0] or info.features is not None and (
                len(info.features) != layers[0]):
            raise ValueError(f"trajectory: config's first layer reads {layers[0]} values, but it names "
                             f"{info.inputs} input(s) and features {info.features}")
        return info


def _describe_data(data: dict[str, Any]) -> str:
    n = data.get("n")
    points = f" ({n} points)" if n else ""
    if data.get("target"):
        return f"y = {data['target']}{points}"
    if data.get("dataset"):
        return f"{data['dataset']}{points}"
    return f"{n} samples" if n else "unnamed data"


class Trajectory:
    """Snapshots of a training run.

    Attributes: ``epochs`` (S,), ``loss`` (S,), ``params`` (per layer
    ``{"W": (S, in, out), "b": (S, out)}``), ``flat_params`` (S, P),
    ``predictions`` (S, G, outputs), ``grid`` (G, inputs), ``grad_norms``
    (S, L), ``unit_stats`` (S, L, 2), ``config`` (dict), ``partial``,
    ``diverged_at`` (epoch or None).

    >>> import os, tempfile, pyneuron
    >>> x, y = pyneuron.datasets.exp_decay(n=64)
    >>> traj = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=100, snapshots=5, schedule="linear")
    >>> traj.epochs.tolist()
    [0, 25, 50, 75, 100]
    >>> traj.at(62.5).epoch
    62.5
    >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
    >>> traj.save(path)
    >>> pyneuron.Trajectory.load(path).loss.tolist() == traj.loss.tolist()
    True
    """

    def __init__(self, *, epochs: ArrayLike, loss: ArrayLike, flat_params: ArrayLike, predictions: ArrayLike,
                 grid: ArrayLike, grad_norms: ArrayLike, unit_stats: ArrayLike, sizes: Sequence[int],
                 config: dict[str, Any], partial: bool = False, diverged_at: int | None = None,
                 data_x: ArrayLike | None = None, data_y: ArrayLike | None = None, test: TestRecord | None = None):
        self.epochs = np.asarray(epochs, np.int64)
        self.loss = np.asarray(loss, np.float64)
        self.flat_params = np.asarray(flat_params)
        self.predictions = np.asarray(predictions)
        self.grid = np.asarray(grid)
        self.grad_norms = np.asarray(grad_norms, np.float64)
        self.unit_stats = np.asarray(unit_stats, np.float64)
        self.sizes = [int(s) for s in sizes]
        self.config = config
        self.partial = bool(partial)
        self.diverged_at = None if diverged_at is None else int(diverged_at)
        self.data_x = None if data_x is None else np.asarray(data_x)
        self.data_y = None if data_y is None else np.asarray(data_y)
        self.test = test
        self._check()

    def _check(self) -> None:
        S, L = len(self.epochs), len(self.sizes) - 1
        P = sum((i + 1) * o for i, o in zip(self.sizes[:-1], self.sizes[1:]))
        expected = {
            "loss": (S,), "params": (S, P), "grad_norms": (S, L), "unit_stats": (S, L, 2),
            "predictions": (S, self.grid.shape[0] if self.grid.ndim == 2 else -1, self.sizes[-1]),
            "grid": (self.grid.shape[0] if self.grid.ndim == 2 else -1, self.inputs),
        }
        actual = {"loss": self.loss.shape, "params": self.flat_params.shape, "grad_norms": self.grad_norms.shape,
                  "unit_stats": self.unit_stats.shape, "predictions": self.predictions.shape,
                  "grid": self.grid.shape}
        for name, shape in expected.items():
            if actual[name] != shape:
                raise ValueError(f"trajectory: {name} has shape {actual[name]}, expected {shape}")
        for name in ("flat_params", "predictions", "grid"):
            if getattr(self, name).dtype not in (np.float32, np.float64):
                raise ValueError(f"trajectory: {name} has dtype {getattr(self, name).dtype}, expected float32 or float64")
        if S and np.any(np.diff(self.epochs) <= 0):
            raise ValueError("trajectory: epochs must be strictly increasing")
        if (self.data_x is None) != (self.data_y is None):
            raise ValueError("trajectory: data_x and data_y come together")
        if self.data_x is not None:
            if self.data_x.ndim != 2 or self.data_x.shape[1] != self.inputs:
                raise ValueError(f"trajectory: data_x has shape {self.data_x.shape}, expected (n, {self.inputs})")
            if self.data_y.shape[:1] != self.data_x.shape[:1] or self.data_y.ndim not in (1, 2):
                raise ValueError(f"trajectory: data_y has shape {self.data_y.shape}, "
                                 f"expected ({self.data_x.shape[0]}, ...)")
        if self.test is not None:
            self.test.check(S, self.inputs, self.sizes[-1])

    @property
    def features(self) -> tuple[str, ...] | None:
        """The input features the network's first layer read (see
        :mod:`pyneuron.features`), or None: it read the inputs themselves."""
        names = self.config.get("network", {}).get("features") if isinstance(self.config, dict) else None
        return None if names is None else tuple(str(n) for n in names)

    @property
    def inputs(self) -> int:
        """Columns of the inputs (grid, data_x): ``sizes[0]``, or as many as
        the config says when the run used input features."""
        if self.features is None:
            return self.sizes[0]
        try:
            return int(self.config["network"]["inputs"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("trajectory: config lists input features but not the number of inputs") from None

    @property
    def info(self) -> RunInfo:
        """What this run was: task, network, loss, optimiser, data (see
        :class:`RunInfo`); a config that does not say raises ``ValueError``."""
        return RunInfo.from_config(self.config)

    # ------------------------------------------------------------ views

    @property
    def params(self) -> list[dict[str, np.ndarray]]:
        out, offset = [], 0
        for i, o in zip(self.sizes[:-1], self.sizes[1:]):
            W = self.flat_params[:, offset:offset + i * o].reshape(-1, i, o)
            b = self.flat_params[:, offset + i * o:offset + (i + 1) * o]
            out.append({"W": W, "b": b})
            offset += (i + 1) * o
        return out

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        net = self.config.get("network", {})
        flags = " partial" if self.partial else ""
        flags += f" diverged at {self.diverged_at}" if self.diverged_at is not None else ""
        span = f"epochs {self.epochs[0]}..{self.epochs[-1]}" if len(self) else "empty"
        return (f"<Trajectory {'-'.join(map(str, self.sizes))} {net.get('activations', '')}: "
                f"{len(self)} snapshots, {span}{flags}>")

    def plot(self, snapshots: int = 4) -> Any:
        """A matplotlib figure: the loss curve, the predictions at
        ``snapshots`` recorded epochs, each layer's gradient norm (needs
        matplotlib: ``pip install 'pyneuron[notebook]'``)."""
        from .plotting import plot

        return plot(self, snapshots)

    def _repr_html_(self) -> str:
        """Jupyter's display: a summary line and :meth:`plot`."""
        from .plotting import html_summary

        return html_summary(self)

    def at(self, epoch: float) -> Snapshot:
        """The state at ``epoch``, interpolated between the two snapshots
        around it: parameters, predictions and statistics linearly, the loss
        geometrically (linearly in log scale, as it is plotted)."""
        if not len(self):
            raise ValueError("at: the trajectory has no snapshots")
        e = float(epoch)
        if not (self.epochs[0] <= e <= self.epochs[-1]):
            raise ValueError(f"at: epoch {epoch} is outside the recorded range "
                             f"[{self.epochs[0]}, {self.epochs[-1]}]")
        if len(self) == 1:
            i = j = 0
            t = 0.0
        else:  # snapshots i < j around e
            j = int(np.clip(np.searchsorted(self.epochs, e, side="right"), 1, len(self) - 1))
            i = j - 1
            t = (e - self.epochs[i]) / (self.epochs[j] - self.epochs[i])

        def lerp(a):
            return a[i] + (a[j] - a[i]) * t if t else a[i].copy()

        loss = interpolate_loss(self.loss[i], self.loss[j], t)
        flat = lerp(self.flat_params)
        params, offset = [], 0
        for a, o in zip(self.sizes[:-1], self.sizes[1:]):
            params.append({"W": flat[offset:offset + a * o].reshape(a, o), "b": flat[offset + a * o:offset + (a + 1) * o]})
            offset += (a + 1) * o
        return Snapshot(epoch=e, loss=loss, params=params, predictions=lerp(self.predictions),
                        grad_norms=lerp(self.grad_norms), unit_stats=lerp(self.unit_stats))

    # ------------------------------------------------------------- files

    def save(self, path: PathLike) -> None:
        """Write one ``.npz`` file, atomically: the data goes to a temporary
        file beside ``path`` that replaces it only once complete and synced,
        so a crash never leaves a half-written file under ``path``; then the
        directory is synced, so that the rename itself survives a crash."""
        path = os.fspath(path)
        arrays: dict[str, Any] = {
            "format": np.array(FORMAT_NAME), "format_version": np.array(FORMAT_VERSION),
            "config": np.array(json.dumps(self.config)), "sizes": np.array(self.sizes, np.int64),
            "epochs": self.epochs, "loss": self.loss, "params": self.flat_params, "predictions": self.predictions,
            "grid": self.grid, "grad_norms": self.grad_norms, "unit_stats": self.unit_stats,
            "partial": np.array(self.partial),
            "diverged_at": np.array(-1 if self.diverged_at is None else self.diverged_at, np.int64),
        }
        if self.data_x is not None:
            arrays.update(data_x=self.data_x, data_y=self.data_y)
        if self.test is not None:
            arrays.update(test_x=self.test.x, test_y=self.test.y, test_predictions=self.test.predictions,
                          test_loss=self.test.loss)
            if self.test.accuracy is not None:
                arrays["test_accuracy"] = self.test.accuracy
        directory = os.path.dirname(os.path.abspath(path))
        prefix = _temporary_prefix(path)
        if os.path.isdir(directory):
            _remove_leftovers(directory, prefix)
        write_atomically(path, lambda f: np.savez_compressed(f, **arrays), f"{prefix}{os.getpid()}-")

    @classmethod
    def load(cls, path: PathLike) -> "Trajectory":
        """Read a file written by :meth:`save`; a truncated, corrupt, foreign
        or newer-format file raises ``ValueError`` saying which."""
        path = os.fspath(path)
        with open(path, "rb") as f:  # a missing or unreadable file is the OSError it is
            raw = f.read()
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as exc:  # zipfile, zlib, numpy's header parser: each fails its own way
            raise ValueError(f"{path}: not a readable trajectory file (truncated or corrupt?): "
                             f"{type(exc).__name__}: {exc}") from None
        try:
            return cls._from_arrays(arrays)
        except _Refused as exc:
            raise ValueError(f"{path}: {exc}") from None
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"{path}: inconsistent trajectory file: {type(exc).__name__}: {exc}") from None

    @classmethod
    def _from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Trajectory":
        if "format" not in arrays or arrays["format"].shape != () or arrays["format"].item() != FORMAT_NAME:
            raise _Refused("not a pyneuron trajectory file")
        version = int(arrays["format_version"])
        if version > FORMAT_VERSION:
            raise _Refused(f"trajectory format version {version} was written by a newer pyneuron "
                           f"(this one reads up to {FORMAT_VERSION}); upgrade pyneuron")
        required = ("config", "sizes", "epochs", "loss", "params", "predictions", "grid", "grad_norms",
                    "unit_stats", "partial", "diverged_at")
        missing = [k for k in required if k not in arrays]
        if missing:
            raise _Refused(f"trajectory file lacks {', '.join(missing)}")
        config = json.loads(arrays["config"].item())
        if not isinstance(config, dict):
            raise ValueError(f"config is a JSON {type(config).__name__}, not an object")
        diverged = int(arrays["diverged_at"])
        return cls(epochs=arrays["epochs"], loss=arrays["loss"], flat_params=arrays["params"],
                   predictions=arrays["predictions"], grid=arrays["grid"], grad_norms=arrays["grad_norms"],
                   unit_stats=arrays["unit_stats"], sizes=arrays["sizes"].tolist(), config=config,
                   partial=bool(arrays["partial"]), diverged_at=None if diverged < 0 else diverged,
                   data_x=arrays.get("data_x"), data_y=arrays.get("data_y"), test=_test_record(arrays))


def interpolate_loss(l0: float, l1: float, t: float) -> float:
    """A loss a fraction t of the way between two recorded ones: geometrically,
    as losses fall by orders of magnitude (linearly where one is not positive)."""
    return float(l0 * (l1 / l0) ** t) if l0 > 0 and l1 > 0 else float(l0 + (l1 - l0) * t)


def _test_record(arrays: dict[str, np.ndarray]) -> TestRecord | None:
    names = ("test_x", "test_y", "test_predictions", "test_loss")
    present = [k for k in names if k in arrays]
    if not present:
        return None
    if len(present) != len(names):
        raise ValueError(f"trajectory: a test set needs {', '.join(names)}; the file has only {', '.join(present)}")
    return TestRecord(x=arrays["test_x"], y=arrays["test_y"], predictions=arrays["test_predictions"],
                      loss=np.asarray(arrays["test_loss"], np.float64), accuracy=arrays.get("test_accuracy"))


def _temporary_prefix(path: str) -> str:
    """The name of save()'s temporary files for ``path``: ``.tmp-<name>-``,
    then the writer's process id and a random part."""
    return f".tmp-{os.path.basename(path)}-"


def _remove_leftovers(directory: str, prefix: str) -> None:
    """Delete temporary files of earlier saves to the same target whose
    writer is no longer running (killed in mid-save); a live writer's file,
    this process's included, is never touched."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[^/]*\.npz\Z")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match and not _process_alive(int(match.group(1))):
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass  # another writer removed it first


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except (OverflowError, OSError):
        return False
    return True


class _Refused(Exception):
    """A file that is readable but not one this version can load (the message says why)."""
