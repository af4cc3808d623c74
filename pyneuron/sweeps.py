"""Many networks trained at once: ensembles and hyperparameter sweeps in C.

One training run can mislead: whether sigmoid or leaky ReLU "wins" on
e^(-5x) depends on the initial weights.  :func:`sweep` trains every
combination of the settings it is given (seeds, initialisers, activations,
learning rates, optimisers, targets), each run exactly as
:meth:`Network.fit` would train it, on a pool of threads in C (or on a Dask
cluster), and keeps a compact summary of each.

>>> import pyneuron
>>> from pyneuron import datasets
>>> x, y = datasets.exp_decay()
>>> s = pyneuron.sweep(x, y, [1, 2, 2, 1], activation=["sigmoid", "leaky_relu"], seed=range(3), epochs=200)
>>> s.final_loss.shape
(6,)
>>> s.runs[4]
{'activation': 'leaky_relu', 'seed': 1}
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._core import check, ffi, lib
from ._files import write_atomically
from .network import Network, _interrupt_requests, _progress_bar, _TrainingCall
from .optim import SGD, Adam
from .trajectory import Trajectory

__all__ = ["sweep", "SweepResult", "AXES"]

FORMAT_NAME, FORMAT_VERSION = "pyneuron-sweep", 1

#: The settings a sweep varies, each given as one value or a list of values:
#: the network's (``activation``, ``alpha``, ``init``, ``seed``: the initial
#: weights' seed) and fit's (``optimizer``: ``"adam"``, ``"sgd"`` or an
#: instance; ``lr``, which replaces the optimizer's; ``batch_size``,
#: ``shuffle``, ``data_seed``: fit's ``seed``; ``regularization``,
#: ``regularization_rate``), and ``target``: names of ``y`` when ``y`` is a
#: mapping of named targets.
AXES = ("activation", "alpha", "init", "seed", "optimizer", "lr", "batch_size", "shuffle", "data_seed",
        "regularization", "regularization_rate", "target")

_FIT_DEFAULTS = {"optimizer": "adam", "batch_size": None, "shuffle": True, "data_seed": 0, "regularization": None,
                 "regularization_rate": 0.0}


@dataclass(frozen=True)
class _Plan:
    """What every run of a sweep shares, and how one run is set up: what a
    Dask worker receives with its chunk of runs."""

    x: np.ndarray
    targets: Mapping[str, Any]      # name -> y; one entry named "" when y is a single array
    layers: tuple[int, ...]
    epochs: int
    loss: str
    output_activation: str
    dtype: np.dtype
    snapshots: int

    def network(self, settings: Mapping[str, Any]) -> Network:
        kwargs = {k: settings[k] for k in ("activation", "alpha", "init", "seed") if k in settings}
        return Network(list(self.layers), output_activation=self.output_activation, dtype=self.dtype, **kwargs)

    def fit_arguments(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the Network.fit call that this run is."""
        s = {**_FIT_DEFAULTS, **settings}
        optimizer = s["optimizer"]
        if isinstance(optimizer, str):
            if optimizer not in ("adam", "sgd"):
                raise ValueError(f"sweep: unknown optimizer {optimizer!r}; expected 'adam', 'sgd' or an instance")
            optimizer = Adam(lr=0.01) if optimizer == "adam" else SGD(lr=0.1)
        elif not isinstance(optimizer, (SGD, Adam)):
            raise TypeError(f"sweep: optimizer must be 'adam', 'sgd', pyneuron.SGD or pyneuron.Adam, "
                            f"got {type(optimizer).__name__}")
        if "lr" in s:
            optimizer = dataclasses.replace(optimizer, lr=s["lr"])
        return {"y": self.targets[s.get("target", "")], "loss": self.loss, "optimizer": optimizer,
                "epochs": self.epochs, "batch_size": s["batch_size"], "shuffle": s["shuffle"],
                "seed": s["data_seed"], "snapshots": self.snapshots, "regularization": s["regularization"],
                "regularization_rate": s["regularization_rate"]}

    def training_call(self, settings: Mapping[str, Any]) -> _TrainingCall:
        """Run `settings` set up for pn_train: fit's checks and conversions,
        recording the loss at the plan's log-spaced epochs and no grid."""
        net = self.network(settings)
        a = self.fit_arguments(settings)
        setup = net._training_setup(self.x, a["y"], a["loss"], a["optimizer"], a["epochs"], a["batch_size"],
                                    a["seed"], a["snapshots"], "log", None, None, None, None, a["regularization"],
                                    a["regularization_rate"])
        return _TrainingCall(net, setup.xs, setup.ys, setup.labels, setup.xs[:0], a["loss"], setup.optimizer,
                             setup.batch_size, a["shuffle"], int(a["seed"]), a["regularization"],
                             float(a["regularization_rate"]), setup.epochs_rec)


@dataclass
class _Summaries:
    """The per-run arrays of a SweepResult, for runs [start, start + count)."""

    loss: np.ndarray           # (count, S)
    diverged_at: np.ndarray    # (count,)
    params: np.ndarray         # (count, P)
    grad_norms: np.ndarray     # (count, L)
    unit_stats: np.ndarray     # (count, L, 2)
    done: np.ndarray           # (count,) bool

    @classmethod
    def empty(cls, count: int, snapshots: int, params: int, layers: int, dtype: np.dtype) -> _Summaries:
        return cls(np.full((count, snapshots), np.nan), np.full(count, -1, np.int64),
                   np.full((count, params), np.nan, dtype), np.full((count, layers), np.nan),
                   np.full((count, layers, 2), np.nan), np.zeros(count, bool))

    def take(self, i: int, call: _TrainingCall, status: int) -> None:
        """Run i's summary from its finished training call."""
        recorded, out = int(call.rec.next), call.out
        if status == lib.PN_DIVERGED:
            self.diverged_at[i] = int(call.state.epoch)
            self.loss[i, :recorded - 1] = out["loss"][:recorded - 1]  # the slots the run reached in time
        else:
            self.loss[i, :recorded] = out["loss"][:recorded]
        self.params[i] = out["params"][recorded - 1]
        self.grad_norms[i] = out["grad_norms"][recorded - 1]
        self.unit_stats[i] = out["unit_stats"][recorded - 1]
        self.done[i] = True


def _run_chunk(plan: _Plan, runs: Sequence[Mapping[str, Any]], threads: int, shape: tuple[int, int, int]
               ) -> _Summaries:
    """Train `runs` in one pn_train_jobs call; their summaries.  What a Dask
    task runs, and each batch of a local sweep."""
    calls = [plan.training_call(s) for s in runs]
    jobs = ffi.new("pn_train_job[]", len(calls))
    for job, call in zip(jobs, calls):
        job.net, job.config, job.data, job.state, job.rec = call.net, call.config, call.data, call.state, call.rec
        job.epochs = plan.epochs
    check(lib.pn_train_jobs(jobs, len(calls), threads), "sweep")
    summaries = _Summaries.empty(len(calls), *shape, plan.dtype)
    for i, (job, call) in enumerate(zip(jobs, calls)):
        if job.status not in (lib.PN_OK, lib.PN_DIVERGED):
            check(job.status, f"sweep: run {dict(runs[i])}")
        summaries.take(i, call, job.status)
    return summaries


@dataclass
class SweepResult:
    """A sweep's runs and what each did.

    ``runs[i]`` holds run i's settings (the axes given); every array's first
    axis is the run.  ``loss[i, k]`` is run i's training loss after
    ``epochs[k]`` epochs (log-spaced, 0 and the last included): NaN where the
    run did not get there (it diverged at ``diverged_at[i]``, -1 if it did
    not, or Ctrl-C stopped the sweep first: ``done[i]`` False).  The final
    state's ``params``, per-layer ``grad_norms`` and ``unit_stats`` (dead
    and saturated fractions, as :class:`Trajectory` records them) are those
    of the last snapshot.  ``trajectories`` maps the runs asked for to their
    full :class:`Trajectory`."""

    runs: list[dict[str, Any]]
    epochs: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray
    params: np.ndarray
    grad_norms: np.ndarray
    unit_stats: np.ndarray
    done: np.ndarray
    sizes: list[int]
    config: dict[str, Any]
    trajectories: dict[int, Trajectory] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """Whether Ctrl-C stopped the sweep before every run had trained."""
        return not bool(self.done.all())

    @property
    def final_loss(self) -> np.ndarray:
        """Each run's training loss after the last epoch (NaN if it did not get there)."""
        return self.loss[:, -1]

    @property
    def dead_fraction(self) -> np.ndarray:
        """Each run's share of dead hidden units at the end: ReLU and leaky-ReLU
        units whose pre-activation is <= 0 on every training input."""
        return self._hidden_share(0)

    @property
    def saturated_fraction(self) -> np.ndarray:
        """Each run's share of saturated (input, hidden unit) pairs at the end
        (sigmoid and tanh units whose derivative is below 5% of its peak)."""
        return self._hidden_share(1)

    def _hidden_share(self, stat: int) -> np.ndarray:
        widths = np.asarray(self.sizes[1:-1], float)
        if widths.size == 0:
            return np.zeros(len(self.runs))
        return self.unit_stats[:, :-1, stat] @ widths / widths.sum()

    def setting(self, name: str) -> np.ndarray:
        """Every run's value of one axis, as an array (object dtype for optimizers)."""
        if not self.runs or name not in self.runs[0]:
            raise KeyError(f"sweep: {name!r} is not an axis of this sweep; its axes: {', '.join(self.axes)}")
        values = [r[name] for r in self.runs]
        return np.array(values, dtype=object if any(isinstance(v, (SGD, Adam)) for v in values) else None)

    @property
    def axes(self) -> list[str]:
        return list(self.runs[0]) if self.runs else []

    _ARRAYS = ("epochs", "loss", "diverged_at", "params", "grad_norms", "unit_stats", "done")

    def save(self, path: str | os.PathLike) -> None:
        """Write one ``.npz`` file atomically (as :meth:`Trajectory.save`):
        the summaries and settings; not the chosen runs' trajectories (save
        those themselves)."""
        runs = [{k: (v.config() if isinstance(v, (SGD, Adam)) else v) for k, v in r.items()} for r in self.runs]
        meta = {"runs": runs, "sizes": self.sizes, "config": self.config}
        arrays = {name: getattr(self, name) for name in self._ARRAYS}
        arrays.update(format=np.array(FORMAT_NAME), format_version=np.array(FORMAT_VERSION),
                      meta=np.array(json.dumps(meta)))
        path = os.fspath(path)
        write_atomically(path, lambda f: np.savez_compressed(f, **arrays), f".{os.path.basename(path)}.{os.getpid()}-")

    @classmethod
    def load(cls, path: str | os.PathLike) -> SweepResult:
        """Read a file written by :meth:`save`; a corrupt or foreign file is a
        ValueError naming it."""
        path = os.fspath(path)
        with open(path, "rb") as f:
            raw = f.read()
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            if arrays["format"].item() != FORMAT_NAME or int(arrays["format_version"]) > FORMAT_VERSION:
                raise ValueError("not a pyneuron sweep file of a format this version reads")
            meta = json.loads(arrays["meta"].item())
            runs = [{k: (_optimizer_from_config(v) if k == "optimizer" and isinstance(v, dict) else v)
                     for k, v in r.items()} for r in meta["runs"]]
            return cls(runs=runs, sizes=list(meta["sizes"]), config=dict(meta["config"]),
                       **{name: arrays[name] for name in cls._ARRAYS})
        except Exception as exc:  # zipfile, zlib, json, a missing key: each fails its own way
            raise ValueError(f"{path}: not a readable sweep file: {type(exc).__name__}: {exc}") from None

    def where(self, **settings: Any) -> np.ndarray:
        """Indices of the runs with these settings: ``s.where(activation="sigmoid")``."""
        mask = np.ones(len(self.runs), bool)
        for name, value in settings.items():
            mask &= self.setting(name) == value
        return np.flatnonzero(mask)


def _optimizer_from_config(config: dict) -> SGD | Adam:
    settings = {k: v for k, v in config.items() if k != "name"}
    if config["name"] == "adam":
        return Adam(**{**settings, "betas": tuple(settings["betas"])})
    return SGD(**settings)


def _grid(axes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the first axis varying slowest.
    A list, range or array is an axis's values; anything else, a tuple
    included (per-layer activations, say), is its one value."""
    for name in axes:
        if name not in AXES:
            raise TypeError(f"sweep() got an unexpected keyword argument {name!r}; the axes it varies are "
                            f"{', '.join(AXES)}")
    values = {}
    for name, value in axes.items():
        many = isinstance(value, (list, range, np.ndarray))
        values[name] = [v.item() if isinstance(v, np.generic) else v for v in value] if many else [value]
        if not values[name]:
            raise ValueError(f"sweep: {name} has no values")
    return [dict(zip(values, combo)) for combo in itertools.product(*values.values())]


def _default_threads() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        count = os.cpu_count() or 1
    return max(1, min(count, lib.PN_MAX_THREADS))


def sweep(x: ArrayLike, y: ArrayLike | Mapping[str, ArrayLike], layers: Sequence[int], *, epochs: int = 10_000,
          loss: str = "mse", output_activation: str = "identity", dtype: DTypeLike = np.float64,
          snapshots: int = 50, threads: int | None = None, progress: bool = False, client: Any = None,
          chunk_size: int | None = None, trajectories: Iterable[int] = (), **axes: Any) -> SweepResult:
    """Train a network of ``layers`` for every combination of the ``axes``'
    values (see :data:`AXES`) on x and y, and summarise each run.

    ``sweep(x, y, [1, 2, 2, 1], activation=["sigmoid", "leaky_relu"],
    seed=range(500), epochs=10_000)`` trains 1,000 networks.  Run i is
    exactly ``Network(layers, output_activation=..., dtype=..., <network
    settings>).fit(x, y, loss=..., epochs=..., <fit settings>)``, bit for
    bit, whatever the thread count or cluster (fit's defaults where an axis
    is not given, except the optimizer: Adam(lr=0.01) as fit's, SGD(lr=0.1)
    for ``"sgd"``).  ``y`` may map names to targets, to sweep over
    ``target``.

    - ``threads``: the C thread pool's size (default: the CPUs this process
      may run on); the GIL is released while runs train.
    - ``client``: a ``dask.distributed.Client``: chunks of ``chunk_size``
      runs become tasks, each chunk one C call on a worker; the results are
      the same as a local sweep's.  Needs the ``dask`` extra.
    - ``snapshots``: how many log-spaced epochs the loss is kept at.
    - ``trajectories``: indices of runs to train again with ``fit``'s full
      recording (300 snapshots), in ``result.trajectories``.
    - ``progress``: a progress bar over runs.  Ctrl-C stops the sweep after
      the runs under way: the result holds what finished (``partial``).

    Memory stays bounded however many runs: runs train in batches, and only
    each run's summary is kept.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"sweep: epochs must be a positive integer, got {epochs!r}")
    if threads is None:
        threads = _default_threads()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or \
            not 1 <= threads <= lib.PN_MAX_THREADS:
        raise ValueError(f"sweep: threads must be an integer in 1..{lib.PN_MAX_THREADS}, got {threads!r}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer))
                                   or chunk_size < 1):
        raise ValueError(f"sweep: chunk_size must be a positive integer, got {chunk_size!r}")
    if isinstance(y, Mapping):
        if not y:
            raise ValueError("sweep: y maps no targets")
        if "target" not in axes:
            axes = {**axes, "target": list(y)}
        targets = dict(y)
    else:
        if "target" in axes:
            raise ValueError("sweep: the target axis needs y to map names to targets")
        targets = {"": y}
    runs = _grid(axes)
    for r in runs:
        if "target" in r and r["target"] not in targets:
            raise ValueError(f"sweep: target {r['target']!r} is not a key of y")
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"sweep: layers must be a list of sizes, got {layers!r}")
    plan = _Plan(np.asarray(x), targets, tuple(layers), int(epochs), loss, output_activation, np.dtype(dtype),
                 int(snapshots) if isinstance(snapshots, (int, np.integer)) and not isinstance(snapshots, bool)
                 else snapshots)
    # Check every run's settings before training any: a mistake in run 900
    # should not surface after 899 runs.  fit's own checks run once per
    # combination of settings other than the seeds, whose check is cheap.
    try:
        checked = set()
        for r in runs:
            for name in ("seed", "data_seed"):
                value = r.get(name, 0)
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                    raise ValueError(f"sweep: {name} must be a non-negative integer, got {value!r}")
            key = repr({k: v for k, v in r.items() if k not in ("seed", "data_seed")})
            if key not in checked:
                checked.add(key)
                sample = plan.training_call(r)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        for prefix in ("fit: ", "Network: "):
            message = message.removeprefix(prefix)
        raise type(exc)(message if message.startswith("sweep:") else f"sweep: {message}") from None
    wanted = sorted(set(int(i) for i in trajectories))
    for i in wanted:
        if not 0 <= i < len(runs):
            raise ValueError(f"sweep: trajectories asks for run {i}; there are {len(runs)} runs")

    net = sample.network
    shape = (len(sample.epochs), net.params.size, len(net.layers))
    result = _Summaries.empty(len(runs), *shape, plan.dtype)
    started = time.perf_counter()
    if client is None:
        _sweep_here(plan, runs, threads, progress, shape, result)
    else:
        _sweep_on_dask(plan, runs, client, chunk_size, progress, shape, result)
    seconds = time.perf_counter() - started

    config = {"layers": list(layers), "loss": loss, "output_activation": output_activation,
              "dtype": plan.dtype.name, "epochs": int(epochs), "axes": list(axes), "threads": int(threads),
              "on": "dask" if client is not None else "threads", "seconds": seconds}
    sweep_result = SweepResult(runs=runs, epochs=sample.epochs.copy(), loss=result.loss, diverged_at=result.diverged_at,
                               params=result.params, grad_norms=result.grad_norms, unit_stats=result.unit_stats,
                               done=result.done, sizes=list(net.sizes), config=config)
    for i in wanted:
        if result.done[i]:
            a = plan.fit_arguments(runs[i])
            sweep_result.trajectories[i] = plan.network(runs[i]).fit(plan.x, **{**a, "snapshots": 300})
    return sweep_result


def _place(result: _Summaries, start: int, part: _Summaries) -> None:
    stop = start + len(part.done)
    for f in dataclasses.fields(_Summaries):
        getattr(result, f.name)[start:stop] = getattr(part, f.name)


def _sweep_here(plan: _Plan, runs: list, threads: int, progress: bool, shape, result: _Summaries) -> None:
    """Batches of runs, one pn_train_jobs call each, sized to last about a
    quarter of a second so that the progress bar moves and Ctrl-C is heard."""
    bar = _progress_bar(len(runs), f"sweep of {len(runs)} runs") if progress else None
    batch, start = threads, 0
    try:
        with _interrupt_requests() as interrupted:
            while start < len(runs) and not interrupted():
                t0 = time.perf_counter()
                part = _run_chunk(plan, runs[start:start + batch], threads, shape)
                _place(result, start, part)
                start += len(part.done)
                if bar:
                    bar.update(len(part.done))
                per_run = (time.perf_counter() - t0) / len(part.done)
                batch = int(min(max(threads, 0.25 * threads / max(per_run, 1e-9)), 4 * batch, 4096))
    except KeyboardInterrupt:  # raised by Python code between batches (the progress bar, say)
        pass
    finally:
        if bar:
            bar.close()


def _sweep_on_dask(plan: _Plan, runs: list, client: Any, chunk_size: int | None, progress: bool, shape,
                   result: _Summaries) -> None:
    """Chunks of runs as Dask tasks, each one C call on a worker (one thread:
    the workers' own parallelism spreads the chunks)."""
    try:
        from dask.distributed import as_completed
    except ImportError:
        raise ImportError("sweep: client= needs Dask: pip install 'pyneuron[dask]'") from None
    if chunk_size is None:
        workers = max(1, sum(client.nthreads().values()))
        chunk_size = max(1, math.ceil(len(runs) / (4 * workers)))
    starts = range(0, len(runs), chunk_size)
    shared = client.scatter(plan, broadcast=True)
    futures = {client.submit(_run_chunk, shared, runs[s:s + chunk_size], 1, shape, pure=False): s for s in starts}
    bar = _progress_bar(len(runs), f"sweep of {len(runs)} runs on Dask") if progress else None
    try:
        for future, part in as_completed(futures, with_results=True):
            _place(result, futures[future], part)
            if bar:
                bar.update(len(part.done))
    except KeyboardInterrupt:
        client.cancel(list(futures))
    finally:
        if bar:
            bar.close()
