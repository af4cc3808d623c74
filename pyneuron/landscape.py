"""The loss landscape around a training run.

A network's loss is a function of all its parameters; to draw it, pick a
plane through parameter space.  Following Li et al., "Visualizing the Loss
Landscape of Neural Nets" (NeurIPS 2018, section 7), the plane goes through
the run's final parameters along the two principal directions of the
recorded trajectory (PCA of the snapshots' parameters minus the final ones),
so that the optimiser's path projects onto it as faithfully as any plane
allows.  The loss over a grid of that plane is computed in C, many
parameter vectors per call (:meth:`Network.losses`).

The picture has a known pitfall: the path's points do not lie in the plane.
Their loss drawn at their projection is their true loss, but the surface
under them is the loss of the projected parameters, which can differ; the
``off_plane`` distances say how far each point is from the plane.

>>> import pyneuron
>>> from pyneuron import datasets
>>> x, y = datasets.exp_decay()
>>> traj = pyneuron.Network([1, 2, 2, 1]).fit(x, y, epochs=300, snapshots=30)
>>> land = pyneuron.landscape(traj, resolution=21)
>>> land.loss.shape
(21, 21)
>>> bool(land.plane_loss[-1] == traj.loss[-1])  # the final state is the plane's origin
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network
from .trajectory import Trajectory

__all__ = ["landscape", "Landscape"]

#: parameter vectors per C call: bounds the memory of a fine grid over a big network
_VECTORS_PER_CALL = 4096


@dataclass(frozen=True)
class Landscape:
    """The loss over a plane of parameter space, and a run's path on it.

    ``loss[j, i]`` is the training loss at ``origin + a[i] * directions[0]
    + b[j] * directions[1]``.  ``path[k]`` is snapshot k's coordinates
    (a, b) in the plane, ``path_loss[k]`` its recorded (true) loss,
    ``plane_loss[k]`` the loss at its projection onto the plane, and
    ``off_plane[k]`` its distance from the plane (the same units as a and b:
    the directions are orthonormal).  ``explained`` is the share of the
    path's squared distance from the origin each direction captures."""

    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    origin: np.ndarray
    directions: np.ndarray
    explained: np.ndarray
    path: np.ndarray
    path_loss: np.ndarray
    plane_loss: np.ndarray
    off_plane: np.ndarray
    epochs: np.ndarray

    @property
    def max_off_plane(self) -> float:
        """The farthest any snapshot lies from the plane, relative to the
        path's extent in it."""
        extent = float(np.ptp(self.path, axis=0).max())
        return float(self.off_plane.max()) / extent if extent > 0 else 0.0


def landscape(traj: Trajectory, resolution: int = 201, margin: float = 0.25) -> Landscape:
    """The training loss of ``traj``'s network over the plane of its path's
    two principal directions, on a ``resolution`` x ``resolution`` grid
    covering the path (and the final state) with ``margin`` of its extent
    on every side."""
    if not isinstance(traj, Trajectory):
        raise TypeError(f"landscape: expected a Trajectory, got {type(traj).__name__}")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"landscape: resolution must be an integer >= 2, got {resolution!r}")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin <= 10:
        raise ValueError(f"landscape: margin must be a number in [0, 10], got {margin!r}")
    finite = np.isfinite(traj.loss) & np.isfinite(traj.flat_params).all(axis=1)
    if finite.sum() < 3:
        raise ValueError("landscape: the trajectory needs at least 3 snapshots with finite parameters and loss")
    params = traj.flat_params[finite].astype(np.float64)
    if params.shape[1] < 2:
        raise ValueError("landscape: a plane needs a network of at least 2 parameters")
    origin = params[-1]
    moves = params - origin
    _, singular, vt = np.linalg.svd(moves, full_matrices=False)
    if singular.size < 2 or singular[1] <= 1e-12 * singular[0]:
        raise ValueError("landscape: the path moves along a single direction; it spans no plane")
    directions = vt[:2]
    path = moves @ directions.T
    off_plane = np.linalg.norm(moves - path @ directions, axis=1)
    explained = singular[:2] ** 2 / (singular ** 2).sum()

    lo, hi = np.minimum(path.min(axis=0), 0.0), np.maximum(path.max(axis=0), 0.0)
    pad = margin * (hi - lo)
    a = np.linspace(lo[0] - pad[0], hi[0] + pad[0], int(resolution))
    b = np.linspace(lo[1] - pad[1], hi[1] + pad[1], int(resolution))

    net = Network.from_config(traj.config["network"])
    loss_name = traj.config["loss"]
    grid = origin + a[None, :, None] * directions[0] + b[:, None, None] * directions[1]  # (B, A, P)
    flat = grid.reshape(-1, origin.size)
    losses = np.concatenate([net.losses(flat[k:k + _VECTORS_PER_CALL], traj.data_x, traj.data_y, loss_name)
                             for k in range(0, flat.shape[0], _VECTORS_PER_CALL)])
    plane_loss = net.losses(origin + path @ directions, traj.data_x, traj.data_y, loss_name)
    return Landscape(a=a, b=b, loss=losses.reshape(b.size, a.size), origin=origin, directions=directions,
                     explained=explained, path=path, path_loss=traj.loss[finite].copy(), plane_loss=plane_loss,
                     off_plane=off_plane, epochs=traj.epochs[finite].copy())
