"""Recorded runs for videos: loading them, training and caching them,
replaying what the recorded networks computed inside, and the playhead
that maps screen time to training time.  Nothing here draws; nothing
here needs manim."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .. import SGD, Adam, Network, Trajectory, __version__, datasets, features
from .. import functional as F
from .._core import ffi, lib
from ..network import ACTIVATION_NAMES, INITS, activation_function
from ..trajectory import Snapshot
from .settings import each, expression, interval, layer_sizes, non_negative, one_of, positive

__all__ = ["cache_dir", "build_identity", "cached", "optimizer", "train_1d", "replay", "finite_part", "Playhead",
           "load_runs", "runs_from_environment", "epoch_and_loss", "RunsError", "HEADLINE", "HEADLINE_RULES"]

#: The headline video's runs (scenes/fit.py), which other scenes revisit
#: (scenes/ensemble.py, scenes/landscape.py): their settings, and the rules
#: the settings obey.
HEADLINE = {
    "target": "exp(-5*x)",
    "x_range": [0.0, 1.0],
    "points": 256,
    "layers": [1, 2, 2, 1],
    "activations": ["sigmoid", "leaky_relu"],
    "epochs": 10_000,
    "optimizer": "adam",
    "lr": 0.01,
    "seed": 0,
    "init": "xavier",  # the same for both, so both nets start from the same weights
}
HEADLINE_RULES = {
    "target": expression(), "x_range": interval(), "points": positive(), "layers": layer_sizes(1, 1),
    "activations": each(one_of(*ACTIVATION_NAMES), 2, 2), "epochs": positive(), "optimizer": one_of("adam", "sgd"),
    "lr": positive(float), "seed": non_negative(), "init": one_of(*INITS),
}


class RunsError(ValueError):
    """Runs that cannot be shown together, or not at all (the message says why)."""


def cache_dir() -> Path:
    """Where trained trajectories are cached: ``$PYNEURON_CACHE``, else
    ``~/.cache/pyneuron`` (``$XDG_CACHE_HOME/pyneuron``)."""
    if os.environ.get("PYNEURON_CACHE"):
        return Path(os.environ["PYNEURON_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pyneuron"


@lru_cache(maxsize=1)
def build_identity() -> str:
    """The compiled extension's identity: a digest of its file, so that a
    rebuilt kernel never serves a trajectory trained by the old one."""
    import pyneuron._ffi as ext

    digest = hashlib.sha256(Path(ext.__file__).read_bytes()).hexdigest()[:16]
    return f"{__version__}+{ffi.string(lib.pn_build_info()).decode()}+{digest}"


def cached(name: str, settings: dict, train: Callable[[], Any], load: Callable[[Path], Any] = Trajectory.load):
    """``train()``'s result (a trajectory, or anything with ``save`` that
    ``load`` reads back, such as a :class:`pyneuron.SweepResult`), saved in
    :func:`cache_dir` under a key made of every setting and
    :func:`build_identity`: a scene re-renders in seconds, and a changed
    setting, release or kernel trains again."""
    settings = dict(settings, build=build_identity())
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"{name}-{key}.npz"
    if path.exists():
        try:
            return load(path)
        except ValueError:
            pass  # damaged: train again
    result = train()
    result.save(path)
    return result


def optimizer(name: str, lr: float) -> SGD | Adam:
    if name not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {name!r}; expected 'adam' or 'sgd'")
    return Adam(lr=lr) if name == "adam" else SGD(lr=lr)


def train_1d(target: str, x_range, points: int, layers, activation: str, epochs: int, optimizer_name: str, lr: float,
             seed: int, init: str, snapshots: int, grid_points: int = 200) -> Trajectory:
    """A network trained (or loaded from the cache) on a 1-D target."""
    settings = dict(target=target, x_range=list(x_range), points=points, layers=list(layers), activation=activation,
                    epochs=epochs, optimizer=optimizer_name, lr=lr, seed=seed, init=init, snapshots=snapshots,
                    grid_points=grid_points)

    def train():
        x, y = datasets.function(target, n=points, x_range=x_range)
        net = Network(layers, activation=activation, init=init, seed=seed)
        grid = np.linspace(x_range[0], x_range[1], grid_points)
        return net.fit(x, y, optimizer=optimizer(optimizer_name, lr), epochs=epochs, snapshots=snapshots, grid=grid,
                       source=target)

    return cached(activation, settings, train)


def replay(traj: Trajectory, params: list[dict], x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every layer's (pre-activation, activation) for inputs x, recomputed
    from recorded parameters with pyneuron's own kernels: what the recorded
    network did inside, which the trajectory does not store.  Every
    activation a Network accepts replays, and input features (x holds the
    raw inputs)."""
    info = traj.info
    names = (*info.activations, info.output_activation)
    alphas = (*info.alphas, traj.config["network"]["alphas"][-1])
    a, layers = np.asarray(x, np.float64), []
    if info.features is not None:
        a = features.expand(a, info.features)
    for p, name, alpha in zip(params, names, alphas):
        z = F.dense(a, np.asarray(p["W"], np.float64), np.asarray(p["b"], np.float64))
        a = activation_function(name, alpha)(z)
        layers.append((z, a))
    return layers


def finite_part(traj: Trajectory) -> Trajectory:
    """A diverged run up to its last snapshot with a finite loss (what can
    be drawn), still carrying ``diverged_at``; other runs as they are."""
    if traj.diverged_at is None:
        return traj
    k = int(np.isfinite(traj.loss).sum())  # only the last snapshot of a diverged run is not finite
    return Trajectory(epochs=traj.epochs[:k], loss=traj.loss[:k], flat_params=traj.flat_params[:k],
                      predictions=traj.predictions[:k], grid=traj.grid, grad_norms=traj.grad_norms[:k],
                      unit_stats=traj.unit_stats[:k], sizes=traj.sizes, config=traj.config, partial=traj.partial,
                      diverged_at=traj.diverged_at, data_x=traj.data_x, data_y=traj.data_y,
                      test=None if traj.test is None else dataclasses.replace(
                          traj.test, predictions=traj.test.predictions[:k], loss=traj.test.loss[:k],
                          accuracy=None if traj.test.accuracy is None else traj.test.accuracy[:k]))


def epoch_and_loss(state: Snapshot) -> str:
    """The readout of a playhead's state: 'epoch   315   loss 0.0069'."""
    loss = f"{state.loss:.4f}" if state.loss >= 1e-3 or state.loss == 0 else f"{state.loss:.1e}"  # never 0.0000
    return f"epoch {int(round(state.epoch)):>5,}   loss {loss}"


@dataclass
class Playhead:
    """Maps a continuous snapshot index u (what a ValueTracker animates) to
    the interpolated state of a trajectory: uniform speed in u is log-spaced
    in epochs when the snapshots are, so early learning gets screen time."""

    traj: Trajectory

    def epoch(self, u: float) -> float:
        return float(np.interp(u, np.arange(len(self.traj)), self.traj.epochs))

    def index_of_epoch(self, epoch: float) -> float:
        return float(np.interp(epoch, self.traj.epochs, np.arange(len(self.traj))))

    def at(self, u: float) -> Snapshot:
        return self.traj.at(self.epoch(u))


def load_runs(paths: Sequence[str | os.PathLike]) -> list[Trajectory]:
    """Trajectories from ``.npz`` files, one to four, each cut to its finite
    part; a file that is missing, corrupt or foreign, or a run without
    snapshots, is a :class:`RunsError` naming the file."""
    if not 1 <= len(paths) <= 4:
        raise RunsError(f"expected one to four runs, got {len(paths)}")
    runs = []
    for path in paths:
        try:
            traj = Trajectory.load(path)
        except FileNotFoundError:
            raise RunsError(f"{os.fspath(path)}: no such file") from None
        except OSError as exc:
            raise RunsError(f"{os.fspath(path)}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise RunsError(str(exc)) from None
        if len(traj) < 2 or not np.isfinite(traj.loss[0]):
            raise RunsError(f"{os.fspath(path)}: the run recorded {len(traj)} snapshot(s); a video needs at least two")
        try:
            traj.info
        except ValueError as exc:
            raise RunsError(f"{os.fspath(path)}: {exc}") from None
        runs.append(finite_part(traj))
    return runs


def runs_from_environment() -> list[Trajectory] | None:
    """The runs named by ``PYNEURON_RUNS`` (comma-separated ``.npz`` paths),
    or None when it is not set."""
    raw = os.environ.get("PYNEURON_RUNS", "").strip()
    if not raw:
        return None
    try:
        return load_runs([p.strip() for p in raw.split(",") if p.strip()])
    except RunsError as exc:
        raise RunsError(f"PYNEURON_RUNS: {exc}") from None
