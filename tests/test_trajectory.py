"""Trajectories: schedules, interpolation, and the file format (atomic
writes; corrupt, foreign and newer files refused with a clear error)."""
import json
import os

import numpy as np
import pytest

import pyneuron
from pyneuron import datasets
from pyneuron.trajectory import FORMAT_VERSION, Trajectory, schedule_epochs


@pytest.fixture(scope="module")
def traj():
    x, y = datasets.exp_decay(n=64)
    return pyneuron.Network([1, 3, 2, 1], activation="leaky_relu").fit(x, y, epochs=500, snapshots=40,
                                                                      grid=np.linspace(0, 1, 17))


def test_schedules():
    log = schedule_epochs("log", 10_000, 300)
    assert len(log) == 300 and log[0] == 0 and log[-1] == 10_000 and (np.diff(log) > 0).all()
    assert (log[:20] == np.arange(20)).all()  # early epochs all recorded
    lin = schedule_epochs("linear", 1000, 11)
    assert lin.tolist() == list(range(0, 1001, 100))
    assert schedule_epochs("log", 5, 300).tolist() == [0, 1, 2, 3, 4, 5]
    assert schedule_epochs(np.array([7, 3, 3, 0]), 10, 2).tolist() == [0, 3, 7]


def test_shapes_and_views(traj):
    assert traj.epochs[0] == 0 and traj.epochs[-1] == 500 and len(traj) == 40
    assert traj.predictions.shape == (40, 17, 1) and traj.grid.shape == (17, 1)
    assert [p["W"].shape for p in traj.params] == [(40, 1, 3), (40, 3, 2), (40, 2, 1)]
    assert traj.grad_norms.shape == (40, 3) and traj.unit_stats.shape == (40, 3, 2)
    cfg = traj.config
    assert cfg["network"]["activations"] == ["leaky_relu", "leaky_relu", "identity"]
    assert cfg["optimizer"]["name"] == "adam" and cfg["simd_level"] in pyneuron.simd_levels()
    assert cfg["loss"] == "mse" and cfg["data"]["n"] == 64


def test_at_interpolates(traj):
    s = traj.at(traj.epochs[5])
    np.testing.assert_array_equal(s.predictions, traj.predictions[5])
    assert s.loss == traj.loss[5]
    e0, e1 = traj.epochs[30], traj.epochs[31]
    mid = traj.at((e0 + e1) / 2)
    np.testing.assert_allclose(mid.params[1]["W"], (traj.params[1]["W"][30] + traj.params[1]["W"][31]) / 2)
    np.testing.assert_allclose(mid.loss, np.sqrt(traj.loss[30] * traj.loss[31]))  # geometric
    assert traj.at(500).epoch == 500.0
    with pytest.raises(ValueError, match="outside the recorded range"):
        traj.at(501)


def test_save_load_round_trip(traj, tmp_path):
    path = tmp_path / "sub" / "run.npz"
    traj.save(path)
    assert os.listdir(path.parent) == ["run.npz"]  # no temporary file left behind
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it, not mkstemp's 0600
    back = Trajectory.load(path)
    for name in ("epochs", "loss", "flat_params", "predictions", "grid", "grad_norms", "unit_stats"):
        np.testing.assert_array_equal(getattr(back, name), getattr(traj, name))
    assert back.config == json.loads(json.dumps(traj.config)) and back.sizes == traj.sizes
    assert back.partial is False and back.diverged_at is None
    np.testing.assert_array_equal(back.data_x, traj.data_x)
    np.testing.assert_array_equal(back.data_y, traj.data_y)


def test_info_reads_what_fit_recorded(traj):
    info = traj.info
    assert info.task == "regression" and info.layers == (1, 3, 2, 1) and (info.inputs, info.outputs) == (1, 1)
    assert info.activations == ("leaky_relu", "leaky_relu") and info.activation == "leaky_relu"
    assert info.alphas == (0.01, 0.01) and info.output_activation == "identity"
    assert (info.loss, info.optimizer, info.epochs) == ("mse", "adam", 500) and info.lr == 0.01
    assert info.target is None and info.dataset is None and info.description == "64 samples"


@pytest.mark.parametrize("loss, output, labels, task", [
    ("bce", "sigmoid", [0, 1, 1, 0], "binary"),
    ("cross_entropy", "softmax", [0, 2, 1, 2], "multiclass"),
])
def test_info_names_the_classification_task(loss, output, labels, task):
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.2]])
    outputs = 1 if loss == "bce" else 3
    net = pyneuron.Network([2, 3, outputs], activation=["tanh", "relu"][loss == "bce"], output_activation=output)
    y = np.array(labels, np.float64).reshape(-1, 1) if loss == "bce" else np.array(labels)
    run = net.fit(x, y, loss=loss, epochs=3, source="circle")
    assert run.info.task == task and run.info.dataset == "circle" and run.info.target is None
    assert run.info.output_activation == output
    np.testing.assert_array_equal(run.data_y.ravel(), labels)  # class ids, not one-hot rows


def test_info_from_a_mixed_network_and_a_foreign_config(traj):
    net = pyneuron.Network([1, 2, 2, 1], activation=["sigmoid", "elu"], alpha=[None, 0.5])
    run = net.fit(*datasets.exp_decay(n=8), epochs=2, source="exp(-5*x)")
    assert run.info.activation == "mixed" and run.info.alphas == (None, 0.5)
    assert run.info.target == "exp(-5*x)" and run.info.description == "y = exp(-5*x) (8 points)"
    foreign = Trajectory(epochs=traj.epochs, loss=traj.loss, flat_params=traj.flat_params,
                         predictions=traj.predictions, grid=traj.grid, grad_norms=traj.grad_norms,
                         unit_stats=traj.unit_stats, sizes=traj.sizes, config={"made": "elsewhere"})
    with pytest.raises(ValueError, match="config does not describe a run"):
        foreign.info


def test_data_must_match_the_network(traj):
    fields = dict(epochs=traj.epochs, loss=traj.loss, flat_params=traj.flat_params, predictions=traj.predictions,
                  grid=traj.grid, grad_norms=traj.grad_norms, unit_stats=traj.unit_stats, sizes=traj.sizes,
                  config=traj.config)
    with pytest.raises(ValueError, match="data_x and data_y come together"):
        Trajectory(**fields, data_x=np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"data_x has shape \(3, 2\), expected \(n, 1\)"):
        Trajectory(**fields, data_x=np.zeros((3, 2)), data_y=np.zeros(3))
    with pytest.raises(ValueError, match=r"data_y has shape \(4,\)"):
        Trajectory(**fields, data_x=np.zeros((3, 1)), data_y=np.zeros(4))


def test_save_replaces_atomically(traj, tmp_path):
    path = tmp_path / "run.npz"
    traj.save(path)
    before = path.read_bytes()

    class Boom(Exception):
        pass

    import pyneuron.trajectory as T
    original = T.np.savez_compressed

    def failing(f, **arrays):
        f.write(b"half a file")
        raise Boom

    T.np.savez_compressed = failing
    try:
        with pytest.raises(Boom):
            traj.save(path)
    finally:
        T.np.savez_compressed = original
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.npz"]


def test_save_syncs_the_file_renames_it_then_syncs_the_directory(traj, tmp_path, monkeypatch):
    """The order that makes a save atomic and durable, seen in the calls:
    fsync of the complete temporary file, os.replace of that same file (its
    inode is the one that ends up at the path: not a copy) onto the path,
    fsync of the directory."""
    import stat

    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        calls.append(("fsync", info.st_ino, stat.S_ISDIR(info.st_mode)))
        real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", os.stat(src).st_ino, os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "run.npz"
    traj.save(path)
    inode = os.stat(path).st_ino
    assert [c[0] for c in calls] == ["fsync", "replace", "fsync"], calls
    assert calls[0] == ("fsync", inode, False)
    _, replaced, src, dst = calls[1]
    assert replaced == inode and dst == str(path)
    assert os.path.dirname(src) == str(tmp_path) and os.path.basename(src).startswith(".tmp-")
    assert calls[2] == ("fsync", os.stat(tmp_path).st_ino, True)
    assert same_trajectory(Trajectory.load(path), traj)


def test_corrupt_foreign_and_newer_files(traj, tmp_path):
    good = tmp_path / "good.npz"
    traj.save(good)
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        Trajectory.load(tmp_path / "truncated.npz")
    (tmp_path / "garbage.npz").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        Trajectory.load(tmp_path / "garbage.npz")
    np.savez(tmp_path / "foreign.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not a pyneuron trajectory"):
        Trajectory.load(tmp_path / "foreign.npz")
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(tmp_path / "newer.npz", **(arrays | {"format_version": np.array(FORMAT_VERSION + 1)}))
    with pytest.raises(ValueError, match="newer pyneuron"):
        Trajectory.load(tmp_path / "newer.npz")
    np.savez(tmp_path / "inconsistent.npz", **(arrays | {"loss": arrays["loss"][:-1]}))
    with pytest.raises(ValueError, match="loss has shape"):
        Trajectory.load(tmp_path / "inconsistent.npz")
    arrays.pop("grid")
    np.savez(tmp_path / "missing.npz", **arrays)
    with pytest.raises(ValueError, match="lacks grid"):
        Trajectory.load(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError):
        Trajectory.load(tmp_path / "absent.npz")


def same_trajectory(a: Trajectory, b: Trajectory) -> bool:
    arrays = ("epochs", "loss", "flat_params", "predictions", "grid", "grad_norms", "unit_stats")
    return (all(np.array_equal(getattr(a, n), getattr(b, n)) for n in arrays) and a.sizes == b.sizes
            and a.config == b.config and a.partial == b.partial and a.diverged_at == b.diverged_at)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    x, y = datasets.exp_decay(n=16)
    small = pyneuron.Network([1, 2, 1]).fit(x, y, epochs=20, snapshots=4, grid=np.linspace(0, 1, 3))
    path = tmp_path_factory.mktemp("small") / "small.npz"
    small.save(path)
    return small, path.read_bytes()


def test_every_bit_flip_is_refused_or_harmless(small_file, tmp_path):
    """Flip the lowest and the highest bit of every byte of a small file:
    each load is refused with a ValueError or gives the identical
    trajectory (the flip hit metadata such as a timestamp) -- never another
    exception, never different data."""
    original, data = small_file
    path = tmp_path / "flipped.npz"
    outcomes = {"refused": 0, "identical": 0}
    for i in range(len(data)):
        for bit in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[i] ^= bit
            path.write_bytes(flipped)
            try:
                back = Trajectory.load(path)
            except ValueError:
                outcomes["refused"] += 1
                continue
            assert same_trajectory(back, original), f"byte {i} bit {bit:#x}: a different trajectory loaded"
            outcomes["identical"] += 1
    assert outcomes["refused"] > len(data)  # most flips land in checksummed data


def test_every_truncation_is_refused(small_file, tmp_path):
    _, data = small_file
    path = tmp_path / "truncated.npz"
    for length in range(len(data)):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match="truncated or corrupt"):
            Trajectory.load(path)


# What version k of a large trajectory holds: a function of k alone, shared
# by the writer process and the test.
VERSION = r"""
import numpy as np
from pyneuron import Trajectory

def version(k):
    S, P = 100, 7_000  # 17 MB: a save takes long enough to be caught mid-way
    rng = np.random.default_rng(k)
    return Trajectory(epochs=np.arange(S), loss=rng.random(S), flat_params=rng.random((S, (1 + 1) * P + (P + 1))),
                      predictions=np.zeros((S, 1, 1)), grid=np.zeros((1, 1)), grad_norms=np.zeros((S, 2)),
                      unit_stats=np.zeros((S, 2, 2)), sizes=[1, P, 1], config={"version": k})
"""
# The writer saves version after version to one path.
WRITER = VERSION + r"""
import sys
path = sys.argv[1]
k = 0
while True:
    version(k).save(path)
    print(k, flush=True)
    k += 1
"""


def test_sigkill_mid_save_leaves_the_previous_file_intact(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "run.npz"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        first = writer.stdout.readline()
        assert first.strip() == "0", "the writer did not complete its first save"
        deadline = time.monotonic() + 60
        # kill while the next version is half written beside the target
        while not any(p.name.startswith(".tmp-") and p.stat().st_size > 0 for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline, "the writer never started a second save"
            time.sleep(0.005)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        writer.kill()
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    back = Trajectory.load(path)
    k = back.config["version"]
    namespace = {}
    exec(VERSION, namespace)
    assert same_trajectory(back, namespace["version"](k))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers, "the kill did not land mid-save"

    # The next save to that target removes the dead writer's leftover, and
    # only that: a live writer's file and another target's stay.
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kept = [tmp_path / f".tmp-run.npz-{live.pid}-abc.npz", tmp_path / f".tmp-other.npz-{writer.pid}-abc.npz"]
        for p in kept:
            p.write_bytes(b"being written")
        back.save(path)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")) == sorted(p.name for p in kept)
    finally:
        live.kill()
        live.wait()
