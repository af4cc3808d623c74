"""pyneuron.sweep: every run equals its own Network.fit bit for bit, at any
thread count and on a Dask cluster; divergence, Ctrl-C and bad settings are
reported; the C entry point pn_train_jobs checks its arguments."""
from __future__ import annotations

import numpy as np
import pytest

import pyneuron
from pyneuron import datasets
from pyneuron._core import LEVELS, ffi, lib


def assert_run_is_fit(result, i, x, y, layers, fit_kwargs, network_kwargs, snapshots=50):
    traj = pyneuron.Network(layers, **network_kwargs).fit(x, y, snapshots=snapshots, **fit_kwargs)
    label = f"run {i} {result.runs[i]}"
    assert np.array_equal(result.epochs, traj.epochs), label
    assert np.array_equal(result.loss[i], traj.loss), label
    assert np.array_equal(result.params[i], traj.flat_params[-1]), label
    assert np.array_equal(result.unit_stats[i], traj.unit_stats[-1]), label
    assert np.array_equal(result.grad_norms[i], traj.grad_norms[-1]), label


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_every_run_equals_its_own_fit(simd, threads):
    x, y = datasets.exp_decay()
    lib.pn_simd_served(1)
    result = pyneuron.sweep(x, y, [1, 2, 2, 1], activation=["sigmoid", "leaky_relu", "tanh"], seed=range(3),
                            lr=[0.01, 0.05], epochs=300, threads=threads)
    # the runs trained on helper threads, at the level this thread chose
    assert lib.pn_simd_served(0) == 1 << LEVELS.index(simd)
    assert len(result.runs) == 18 and result.done.all() and not result.partial
    assert result.runs[0] == {"activation": "sigmoid", "seed": 0, "lr": 0.01}
    assert result.runs[-1] == {"activation": "tanh", "seed": 2, "lr": 0.05}
    for i, run in enumerate(result.runs):
        assert_run_is_fit(result, i, x, y, [1, 2, 2, 1], {"optimizer": pyneuron.Adam(lr=run["lr"]), "epochs": 300},
                          {"activation": run["activation"], "seed": run["seed"]})


def test_targets_optimizers_and_minibatches_equal_fit(simd):
    x, y = datasets.exp_decay()
    targets = {"exp": y, "sin": np.sin(3 * x)}
    result = pyneuron.sweep(x, targets, [1, 4, 1], optimizer=["sgd", pyneuron.Adam(lr=0.02)], batch_size=[None, 32],
                            data_seed=[0, 3], epochs=40, snapshots=10, threads=2)
    assert len(result.runs) == 16 and result.axes == ["optimizer", "batch_size", "data_seed", "target"]
    for i, run in enumerate(result.runs):
        optimizer = pyneuron.SGD(lr=0.1) if run["optimizer"] == "sgd" else run["optimizer"]
        assert_run_is_fit(result, i, x, targets[run["target"]], [1, 4, 1],
                          {"optimizer": optimizer, "epochs": 40, "batch_size": run["batch_size"],
                           "seed": run["data_seed"]}, {}, snapshots=10)


def test_results_do_not_depend_on_the_thread_count():
    x, y = datasets.exp_decay()
    runs = [pyneuron.sweep(x, y, [1, 3, 1], activation=["relu", "elu"], seed=range(7), epochs=60, threads=t) for t in (1, 2, 7)]
    for other in runs[1:]:
        for name in ("loss", "params", "unit_stats", "grad_norms", "diverged_at"):
            assert np.array_equal(getattr(runs[0], name), getattr(other, name), equal_nan=True), name


def test_a_diverging_run_says_where_and_the_others_carry_on(simd):
    x, y = datasets.exp_decay()
    y = 1000 * y
    result = pyneuron.sweep(x, y, [1, 8, 1], optimizer=pyneuron.SGD(lr=0.1), lr=[1e-4, 5.0], epochs=200, threads=2)
    calm, wild = 0, 1
    assert result.diverged_at[calm] == -1 and np.isfinite(result.loss[calm]).all()
    with pytest.warns(RuntimeWarning, match="diverged at epoch"):
        traj = pyneuron.Network([1, 8, 1]).fit(x, y, optimizer=pyneuron.SGD(lr=5.0), epochs=200, snapshots=50)
    assert result.diverged_at[wild] == traj.diverged_at > 0
    reached = result.epochs < traj.diverged_at
    assert np.array_equal(result.loss[wild][reached], traj.loss[:reached.sum()])
    assert np.isnan(result.loss[wild][~reached]).all() and np.isnan(result.final_loss[wild])
    assert np.array_equal(result.params[wild], traj.flat_params[-1], equal_nan=True)


def test_interrupt_returns_the_finished_runs(interrupt_at_second_update):
    import pyneuron.sweeps as sweep_module

    interrupt_at_second_update(sweep_module)
    x, y = datasets.exp_decay()
    try:
        result = pyneuron.sweep(x, y, [1, 2, 1], seed=range(400), epochs=2000, threads=2, progress=True)
    except KeyboardInterrupt:  # a failure of this test, not the end of the session
        pytest.fail("Ctrl-C escaped the sweep instead of ending it with the finished runs")
    assert result.partial and 0 < result.done.sum() < 400
    finished = np.flatnonzero(result.done)
    assert np.array_equal(finished, np.arange(finished.size))  # the runs in order, up to where it stopped
    assert np.isnan(result.loss[~result.done]).all() and np.isfinite(result.loss[result.done]).all()
    assert_run_is_fit(result, int(finished[-1]), x, y, [1, 2, 1], {"epochs": 2000}, {"seed": int(finished[-1])})


def test_summaries_helpers_and_chosen_trajectories():
    x, y = datasets.exp_decay()
    result = pyneuron.sweep(x, y, [1, 16, 16, 1], activation=["relu", "sigmoid"], init="tutorial", seed=range(2),
                            optimizer=pyneuron.Adam(lr=0.3), epochs=300, trajectories=[1, 2])
    assert list(result.where(activation="sigmoid")) == [2, 3]
    assert list(result.setting("seed")) == [0, 1, 0, 1]
    assert sorted(result.trajectories) == [1, 2]
    for i, traj in result.trajectories.items():
        assert len(traj) == 300 and traj.epochs[-1] == 300
        assert np.array_equal(traj.flat_params[-1], result.params[i])
    # the hidden layers' shares, weighted by their widths (both 16 here)
    stats = result.unit_stats
    assert np.array_equal(result.dead_fraction, (stats[:, 0, 0] + stats[:, 1, 0]) / 2)
    assert np.array_equal(result.saturated_fraction, (stats[:, 0, 1] + stats[:, 1, 1]) / 2)
    assert result.dead_fraction[:2].max() > 0  # lr 0.3 kills ReLU units
    assert (result.dead_fraction[2:] == 0).all() and result.saturated_fraction[2:].max() > 0
    with pytest.raises(KeyError, match="'lr' is not an axis of this sweep"):
        result.setting("lr")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"momentum": [0.9]}, TypeError, "unexpected keyword argument 'momentum'"),
    ({"optimizer": "rmsprop"}, ValueError, "sweep: unknown optimizer 'rmsprop'"),
    ({"optimizer": 3}, TypeError, "sweep: optimizer must be"),
    ({"activation": ["sigmoid", "swish"]}, ValueError, "sweep: unknown hidden activation 'swish'"),
    ({"lr": [0.1, -1.0]}, ValueError, "sweep: .*lr must be"),
    ({"target": "exp"}, ValueError, "sweep: the target axis needs y to map names"),
    ({"seed": []}, ValueError, "sweep: seed has no values"),
    ({"threads": 0}, ValueError, "sweep: threads must be an integer in 1..256"),
    ({"epochs": 0}, ValueError, "sweep: epochs must be a positive integer"),
    ({"trajectories": [4]}, ValueError, "sweep: trajectories asks for run 4; there are 1 runs"),
    ({"batch_size": [0]}, ValueError, "sweep: batch_size must be a positive integer"),
    ({"chunk_size": 0}, ValueError, "sweep: chunk_size must be a positive integer"),
    ({"snapshots": 1}, ValueError, "sweep: snapshots must be an integer >= 2, got 1"),
    ({"snapshots": True}, ValueError, "sweep: snapshots must be an integer >= 2, got True"),
])
def test_bad_settings_are_refused_before_any_run(kwargs, error, message):
    x, y = datasets.exp_decay()
    with pytest.raises(error, match=message):
        pyneuron.sweep(x, y, [1, 2, 1], epochs=kwargs.pop("epochs", 10), **kwargs)


def test_bad_data_is_refused_with_the_sweeps_name():
    x, y = datasets.exp_decay()
    with pytest.raises(ValueError, match=r"sweep: y has shape \(255, 1\)"):
        pyneuron.sweep(x, y[:-1], [1, 2, 1], epochs=10)
    with pytest.raises(ValueError, match="sweep: target 'sin' is not a key of y"):
        pyneuron.sweep(x, {"exp": y}, [1, 2, 1], target=["exp", "sin"], epochs=10)


def test_a_dask_cluster_gives_the_local_results():
    distributed = pytest.importorskip("dask.distributed")
    x, y = datasets.exp_decay()
    axes = {"activation": ["sigmoid", "leaky_relu"], "seed": range(6), "epochs": 200}
    local = pyneuron.sweep(x, y, [1, 2, 2, 1], **axes)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = pyneuron.sweep(x, y, [1, 2, 2, 1], client=client, chunk_size=5, **axes)
    assert remote.config["on"] == "dask" and remote.done.all()
    for name in ("loss", "params", "unit_stats", "grad_norms", "diverged_at", "epochs"):
        assert np.array_equal(getattr(local, name), getattr(remote, name)), name


# ---- the C entry point

def jobs_for(result_count: int):
    """Valid pn_train jobs of a 1-2-1 net, and what keeps their buffers alive."""
    from pyneuron.network import _TrainingCall

    x, y = datasets.exp_decay()
    keep, jobs = [], ffi.new("pn_train_job[]", result_count)
    for job in jobs:
        net = pyneuron.Network([1, 2, 1])
        xs = np.ascontiguousarray(x.reshape(-1, 1))
        call = _TrainingCall(net, xs, np.ascontiguousarray(y.reshape(-1, 1)), None, xs[:0], "mse",
                             pyneuron.Adam(lr=0.01), 256, True, 0, None, 0.0, np.array([0, 5]))
        job.net, job.config, job.data, job.state, job.rec, job.epochs = (
            call.net, call.config, call.data, call.state, call.rec, 5)
        keep.append(call)
    return jobs, keep


def test_pn_train_jobs_checks_its_arguments():
    jobs, _keep = jobs_for(3)
    assert lib.pn_train_jobs(ffi.NULL, 0, 1) == lib.PN_OK
    assert lib.pn_train_jobs(ffi.NULL, 2, 1) == lib.PN_ERR_NULL
    assert lib.pn_train_jobs(jobs, -1, 1) == lib.PN_ERR_SIZE
    assert lib.pn_train_jobs(jobs, 3, 0) == lib.PN_ERR_ARG
    assert lib.pn_train_jobs(jobs, 3, lib.PN_MAX_THREADS + 1) == lib.PN_ERR_ARG
    misaligned = ffi.cast("pn_train_job *", ffi.cast("char *", jobs) + 4)
    assert lib.pn_train_jobs(misaligned, 2, 1) == lib.PN_ERR_ALIGN
    assert all(int(job.state.epoch) == 0 for job in jobs)  # refused: nothing ran


def test_each_job_gets_its_own_status():
    jobs, _keep = jobs_for(3)
    jobs[1].config.lr = -1.0  # this one breaks pn_train's rules; the others run
    jobs[2].epochs = -3
    assert lib.pn_train_jobs(jobs, 3, 2) == lib.PN_OK
    assert [jobs[i].status for i in range(3)] == [lib.PN_OK, lib.PN_ERR_ARG, lib.PN_ERR_SIZE]
    assert [int(jobs[i].state.epoch) for i in range(3)] == [5, 0, 0]


def test_a_saved_sweep_loads_back(tmp_path):
    x, y = datasets.exp_decay()
    result = pyneuron.sweep(x, y, [1, 2, 1], optimizer=["sgd", pyneuron.Adam(lr=0.02)], seed=range(2), epochs=30)
    path = tmp_path / "sweep.npz"
    result.save(path)
    back = pyneuron.SweepResult.load(path)
    assert back.runs == result.runs and isinstance(back.runs[2]["optimizer"], pyneuron.Adam)
    assert back.sizes == result.sizes and back.config == result.config
    for name in ("epochs", "loss", "diverged_at", "params", "grad_norms", "unit_stats", "done"):
        assert np.array_equal(getattr(back, name), getattr(result, name)), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.npz"]  # no temporary file left
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="sweep.npz: not a readable sweep file"):
        pyneuron.SweepResult.load(path)
