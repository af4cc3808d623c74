"""Trajectory.plot and a Trajectory's display in Jupyter: the figure shows
the recorded numbers, and without matplotlib the error says what to install."""
import sys

import numpy as np
import pytest

import pyneuron
from pyneuron import datasets


@pytest.fixture(scope="module")
def fit_run():
    x, y = datasets.exp_decay(n=32)
    return pyneuron.Network([1, 3, 1], activation="sigmoid").fit(x, y, epochs=300, snapshots=20, source="exp(-5*x)")


@pytest.fixture(scope="module")
def plane_run():
    x, y = datasets.circle(n=60)
    return pyneuron.Network([2, 4, 1], activation="tanh", output_activation="sigmoid").fit(
        x, y, loss="bce", epochs=50, snapshots=10, grid=datasets.plane_grid(8), source="circle")


def test_the_figure_shows_the_recorded_numbers(fit_run):
    fig = fit_run.plot(snapshots=3)
    loss_ax, pred_ax, grad_ax = fig.axes
    [loss_line] = loss_ax.get_lines()
    np.testing.assert_array_equal(loss_line.get_ydata(), fit_run.loss)
    np.testing.assert_array_equal(loss_line.get_xdata(), fit_run.epochs + 1)
    lines = pred_ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["epoch 0", f"epoch {fit_run.epochs[10]:,}", "epoch 300"]
    np.testing.assert_array_equal(lines[-1].get_ydata(), fit_run.predictions[-1][:, 0])
    np.testing.assert_array_equal(pred_ax.collections[0].get_offsets(), np.column_stack([fit_run.data_x, fit_run.data_y]))
    assert [ln.get_label() for ln in grad_ax.get_lines()] == ["layer 1", "output layer"]
    np.testing.assert_array_equal(grad_ax.get_lines()[1].get_ydata(), fit_run.grad_norms[:, 1])
    assert fig._suptitle.get_text().startswith("1-3-1 sigmoid on y = exp(-5*x) (32 points), adam lr 0.01: 300 epochs")


def test_a_2d_run_shows_its_final_prediction_over_the_plane(plane_run):
    pred_ax = plane_run.plot().axes[1]  # (and a colour bar)
    [image] = pred_ax.get_images()
    np.testing.assert_array_equal(image.get_array(), plane_run.predictions[-1][:, 0].reshape(8, 8))
    assert image.get_extent() == [-6.0, 6.0, -6.0, 6.0]


def test_jupyter_shows_a_summary_line_and_the_plot(fit_run):
    html = fit_run._repr_html_()
    assert html.startswith("<p><code>1-3-1 sigmoid on y = exp(-5*x) (32 points)") and "mse " in html
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in html  # a PNG, inline


def test_without_matplotlib_the_error_says_what_to_install(fit_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'pyneuron\[notebook\]'"):
        fit_run.plot()
    html = fit_run._repr_html_()
    assert "<img" not in html and "install matplotlib" in html


def test_a_run_with_a_test_split_plots_its_test_loss():
    x, y = datasets.exp_decay(n=40)
    run = pyneuron.Network([1, 3, 1]).fit(x, y, epochs=100, snapshots=10, train_ratio=0.75)
    loss_ax = run.plot().axes[0]
    training, test = loss_ax.get_lines()
    assert test.get_label() == "test (10)"
    np.testing.assert_array_equal(test.get_ydata(), run.test.loss)


@pytest.mark.parametrize("snapshots", [0, -1, 2.5, True])
def test_bad_snapshot_counts_are_refused(fit_run, snapshots):
    with pytest.raises(ValueError, match="snapshots must be a positive integer"):
        fit_run.plot(snapshots=snapshots)
