"""The command line, run as a user runs it."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

from pyneuron import Trajectory


def run(*args):
    # outside the source tree, so the installed package (with its compiled module) is imported
    return subprocess.run([sys.executable, "-m", "pyneuron", *args], capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_train_target_and_save(tmp_path):
    out = tmp_path / "runs" / "leaky.npz"
    r = run("train", "--layers", "1,2,2,1", "--activation", "leaky_relu", "--target", "exp(-5*x)",
            "--epochs", "3000", "--optimizer", "adam", "--lr", "0.01", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("trained 1-2-2-1 leaky_relu(0.01) on y = exp(-5*x)") and str(out) in r.stdout
    traj = Trajectory.load(out)
    assert traj.epochs[-1] == 3000 and traj.grid.shape == (200, 1) and traj.loss[-1] < traj.loss[0]


def test_train_dataset():
    r = run("train", "--layers", "2,6,1", "--activation", "tanh", "--dataset", "xor", "--epochs", "500",
            "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--batch-size", "50")
    assert r.returncode == 0, r.stderr
    assert "on xor (500 points" in r.stdout and "bce" in r.stdout


def test_a_diverged_run_exits_1_and_saves_what_it_recorded(tmp_path):
    out = tmp_path / "diverged.npz"
    r = run("train", "--optimizer", "sgd", "--lr", "200", "--epochs", "1000", "--out", str(out))
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.startswith("diverged at epoch ") and str(out) in r.stdout
    traj = Trajectory.load(out)
    assert traj.diverged_at is not None and f"diverged at epoch {traj.diverged_at} " in r.stdout
    assert not np.isfinite(traj.loss[-1]) and np.isfinite(traj.loss[:-1]).all()


def test_errors_are_one_line():
    cases = [
        ("train", "--epochs", "0"), ("train", "--lr", "-1"), ("train", "--activation", "swish"),
        ("train", "--target", "__import__('os')"), ("train", "--layers", "2,2,1"), ("train", "--layers", "a,b"),
        ("train", "--dataset", "moons"), ("train", "--out", "/proc/forbidden/x.npz", "--epochs", "10"),
    ]
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr, (args, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.startswith("pyneuron: error:") or "error:" in l]
        assert len(lines) == 1, (args, r.stderr)


def test_help_and_info():
    r = run("train", "--help")
    assert r.returncode == 0
    for option in ("--layers", "--activation", "--target", "--dataset", "--epochs", "--optimizer", "--lr", "--out",
                   "--batch-size", "--snapshots", "--schedule", "--seed"):
        assert option in r.stdout
    r = run("info")
    assert r.returncode == 0 and "SIMD levels available: baseline" in r.stdout and "SIMD level in use" in r.stdout
    assert "sanitizer build: " in r.stdout


def test_info_prints_the_measured_accuracy_of_every_registry_row():
    from pyneuron._registry import ACTIVATIONS, measured_accuracy

    lines = run("info").stdout.splitlines()
    table = lines[lines.index(next(l for l in lines if l.startswith("accuracy: "))) + 2:]
    rows = {line.split()[0]: line.split()[1:] for line in table}
    acc = measured_accuracy()
    assert {row["name"] for row in acc["rows"]} == {spec.name for spec in ACTIVATIONS}
    for spec in ACTIVATIONS:
        bound, *measured = rows[spec.name]
        assert int(bound) == spec.ulp_bound and len(measured) == len(acc["levels"])
        assert all(int(m) <= spec.ulp_bound for m in measured), (spec.name, measured)


def test_ctrl_c_saves_the_partial_run_and_exits_130(tmp_path):
    import signal

    out = tmp_path / "partial.npz"
    proc = subprocess.Popen([sys.executable, "-m", "pyneuron", "train", "--epochs", "100000000", "--progress",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        bar = ""
        while not re.search(r"\| *[1-9][\d.]*[kMG]?/", bar):  # the bar counts trained epochs
            char = proc.stderr.read(1)
            assert char, f"the run ended before training: {bar}"
            bar += char
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stdout.count("\n") == 1 and stdout.startswith("interrupted 1-2-2-1 sigmoid") and str(out) in stdout
    traj = Trajectory.load(out)
    assert traj.partial and 0 < traj.config["epochs_run"] < 100_000_000
    assert traj.epochs[-1] <= traj.config["epochs_run"] and np.isfinite(traj.loss).all()


def test_train_ratio_records_a_test_loss(tmp_path):
    out = tmp_path / "run.npz"
    done = run("train", "--dataset", "xor", "--layers", "2,4,1", "--epochs", "200", "--train-ratio", "0.6",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert re.search(r"bce [\d.]+ -> [\d.]+, test [\d.]+ on 200 held out, 201 snapshots", done.stdout), done.stdout
    traj = Trajectory.load(out)
    assert traj.config["data"]["n"] == 300 and traj.test.x.shape == (200, 2)


def test_regularization_options(tmp_path):
    out = tmp_path / "run.npz"
    done = run("train", "--epochs", "50", "--regularization", "l1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert Trajectory.load(out).config["regularization"]["kind"] == "l1"
    assert Trajectory.load(out).config["regularization"]["rate"] == 0.001
    done = run("train", "--epochs", "5", "--regularization-rate", "0.1")
    assert done.returncode == 2 and "regularization_rate needs regularization='l1' or 'l2'" in done.stderr
