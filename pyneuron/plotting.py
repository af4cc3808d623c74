"""A quick matplotlib summary of a recorded run, for notebooks: what
:meth:`Trajectory.plot` draws and a Trajectory shows in Jupyter.

matplotlib is optional (``pip install 'pyneuron[notebook]'``); nothing
else in pyneuron needs it.
"""
from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .trajectory import Trajectory

__all__ = ["plot", "summary", "html_summary"]


def _figure_class() -> Any:
    """A matplotlib Figure that shows itself in Jupyter (``_repr_png_``),
    drawn without pyplot so that plotting in a script or a test opens no
    window and keeps no global state."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("Trajectory.plot needs matplotlib: pip install 'pyneuron[notebook]'") from None

    class SummaryFigure(Figure):
        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=80)
            return buf.getvalue()

    return SummaryFigure


def summary(traj: "Trajectory") -> str:
    """One line: the network, the data, the loss from start to end."""
    try:
        info = traj.info
        what = f"{'-'.join(map(str, info.layers))} {info.activation} on {info.description}, {info.optimizer} lr {info.lr:g}"
    except ValueError:  # a foreign config: say what the arrays say
        what = "-".join(map(str, traj.sizes))
    if not len(traj):
        return f"{what}: no snapshots"
    end = f"diverged at epoch {traj.diverged_at:,}" if traj.diverged_at is not None else \
        f"{traj.config.get('loss', 'loss')} {traj.loss[0]:.4g} -> {traj.loss[-1]:.4g}"
    flags = " (interrupted)" if traj.partial else ""
    return f"{what}: {int(traj.epochs[-1]):,} epochs, {len(traj)} snapshots, {end}{flags}"


def plot(traj: "Trajectory", snapshots: int = 4) -> Any:
    """A figure of three panels: the loss curve (log-log), the predictions
    at ``snapshots`` recorded epochs (1-D runs over their grid with the
    training data; 2-D runs as the final prediction over the grid), and
    each layer's gradient norm.  Returns the matplotlib ``Figure``."""
    if isinstance(snapshots, bool) or not isinstance(snapshots, (int, np.integer)) or snapshots < 1:
        raise ValueError(f"plot: snapshots must be a positive integer, got {snapshots!r}")
    if len(traj) == 0:
        raise ValueError("plot: the trajectory has no snapshots")
    Figure = _figure_class()
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    loss_ax, pred_ax, grad_ax = fig.subplots(1, 3)
    fig.suptitle(summary(traj), fontsize=10)
    epochs = traj.epochs.astype(float) + 1  # log axes: epoch 0 at 1
    finite = np.isfinite(traj.loss)

    loss_ax.loglog(epochs[finite], traj.loss[finite], color="C0", label="training")
    loss_ax.set(title="training loss", xlabel="epoch + 1", ylabel=str(traj.config.get("loss", "loss")))
    if traj.test is not None:
        keep = np.isfinite(traj.test.loss)
        loss_ax.loglog(epochs[keep], traj.test.loss[keep], color="C1", ls="--", label=f"test ({len(traj.test.x)})")
        loss_ax.set_title("training and test loss")
        loss_ax.legend(fontsize=8)
    if traj.diverged_at is not None:
        loss_ax.axvline(traj.diverged_at + 1, color="C3", ls="--", label=f"diverged at {traj.diverged_at:,}")
        loss_ax.legend(fontsize=8)

    _predictions(traj, pred_ax, snapshots)

    for layer in range(traj.grad_norms.shape[1]):
        g = traj.grad_norms[:, layer]
        keep = np.isfinite(g) & (g > 0)
        name = "output layer" if layer == traj.grad_norms.shape[1] - 1 else f"layer {layer + 1}"
        grad_ax.loglog(epochs[keep], g[keep], label=name)
    grad_ax.set(title="gradient norm per layer", xlabel="epoch + 1")
    grad_ax.legend(fontsize=8)
    return fig


def _predictions(traj: "Trajectory", ax: Any, snapshots: int) -> None:
    inputs, outputs = traj.grid.shape[1], traj.predictions.shape[2]
    picks = np.unique(np.linspace(0, len(traj) - 1, snapshots).round().astype(int))
    if inputs == 1:
        order = np.argsort(traj.grid[:, 0])
        x = traj.grid[order, 0]
        if traj.data_x is not None and outputs == 1 and traj.data_y.ndim == 2:
            ax.scatter(traj.data_x[:, 0], traj.data_y[:, 0], s=6, color="0.6", label="training data")
        for k in picks:
            if np.isfinite(traj.predictions[k]).all():
                ax.plot(x, traj.predictions[k][order, 0], label=f"epoch {int(traj.epochs[k]):,}")
        ax.set(title="prediction", xlabel="x")
        ax.legend(fontsize=8)
        return
    res = int(round(np.sqrt(len(traj.grid))))
    last = int(np.flatnonzero(np.isfinite(traj.loss))[-1]) if np.isfinite(traj.loss).any() else 0
    if inputs == 2 and res * res == len(traj.grid):
        # plane_grid's order: rows from the top, as an image is stored
        field = traj.predictions[last][:, 0].reshape(res, res)
        extent = (traj.grid[:, 0].min(), traj.grid[:, 0].max(), traj.grid[:, 1].min(), traj.grid[:, 1].max())
        image = ax.imshow(field, extent=extent, cmap="coolwarm_r", origin="upper")
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
        if traj.data_x is not None and traj.data_x.shape[1] == 2:
            labels = np.asarray(traj.data_y).reshape(len(traj.data_x), -1)[:, 0]
            ax.scatter(*traj.data_x.T, c=labels, cmap="coolwarm_r", s=12, edgecolors="black", linewidths=0.4)
        ax.set(title=f"output 1 at epoch {int(traj.epochs[last]):,}", xlabel="x₁", ylabel="x₂")
        return
    ax.plot(traj.predictions[last][:, 0], ".", ms=3)
    ax.set(title=f"output 1 at epoch {int(traj.epochs[last]):,}", xlabel="grid point")


def html_summary(traj: "Trajectory") -> str:
    """The summary line and, when matplotlib is installed, the plot as an
    inline PNG: a Trajectory's display in Jupyter."""
    line = f"<p><code>{html.escape(summary(traj))}</code></p>"
    if not len(traj):
        return line
    try:
        fig = plot(traj)
    except ImportError:
        return line + "<p><em>install matplotlib for a plot: pip install 'pyneuron[notebook]'</em></p>"
    data = base64.b64encode(fig._repr_png_()).decode()
    return line + f'<img src="data:image/png;base64,{data}" style="max-width:100%"/>'
