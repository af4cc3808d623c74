"""Your own data: datasets.from_csv and pyneuron train --data.  A good file
gives exactly its numbers; every kind of bad file is one ValueError that
names the file, the line and the column -- nothing dropped silently."""
import subprocess
import sys

import numpy as np
import pytest

from pyneuron import Trajectory, datasets


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_cell_is_read_in_the_files_order(tmp_path):
    path = write(tmp_path, "\ufeffa, b ,y\n1,2.5,-3\n 4 ,5e-1,6\n\n\n")  # a BOM, spaces, blank lines at the end
    x, y = datasets.from_csv(path, target="y")
    np.testing.assert_array_equal(x, [[1, 2.5], [4, 0.5]])
    np.testing.assert_array_equal(y, [[-3], [6]])
    x, y = datasets.from_csv(path, target="a", features=["y", "b"])
    np.testing.assert_array_equal(x, [[-3, 2.5], [6, 0.5]])
    np.testing.assert_array_equal(y, [[1], [4]])
    assert x.dtype == y.dtype == np.float64


def test_labels_for_each_task(tmp_path):
    path = write(tmp_path, "x,c\n0.1,0\n0.2,2\n0.3,1\n")
    _, y = datasets.from_csv(path, target="c", task="multiclass")
    assert y.dtype == np.int64 and y.tolist() == [0, 2, 1]
    path = write(tmp_path, "x,c\n0.1,0\n0.2,1.0\n")
    _, y = datasets.from_csv(path, target="c", task="binary")
    assert y.tolist() == [[0.0], [1.0]]


@pytest.mark.parametrize("text, kwargs, message", [
    ("", {}, "data.csv: the file is empty; expected a header row"),
    ("\n\n", {}, "data.csv: the file is empty"),
    ("x,y\n", {}, "data.csv: no data rows after the header"),
    ("x,y\n1,2\n3\n", {}, "data.csv, line 3: the row has 1 cells; the header has 2 columns"),
    ("x,y\n1,2\n3,4,5\n", {}, "data.csv, line 3: the row has 3 cells; the header has 2 columns"),
    ("x,y\n1,2\n\n3,4\n", {}, "data.csv, line 3: the row is empty; the header has 2 columns"),
    ("x,y\n1,2\n3,abc\n", {}, "data.csv, line 3, column 'y': 'abc' is not a number"),
    ("x,y\n1,\n", {}, "data.csv, line 2, column 'y': empty cell"),
    ("x,y\n1,2\nnan,4\n", {}, "data.csv, line 3, column 'x': nan is not a finite number"),
    ("x,y\n1,2\n-inf,4\n", {}, "data.csv, line 3, column 'x': -inf is not a finite number"),
    ("x,y\n1,1e999\n", {}, "data.csv, line 2, column 'y': 1e999 is not a finite number"),
    ("x,z\n1,2\n", {}, "data.csv: no target column 'y'; the columns are x, z"),
    ("x,y\n1,2\n", {"features": ["x", "w"]}, "data.csv: no feature column 'w'; the columns are x, y"),
    ("x,y\n1,2\n", {"features": ["x", "y"]}, "column 'y' is the target; it cannot be a feature too"),
    ("y\n1\n", {}, "data.csv: no feature columns besides the target 'y'"),
    ("x,x,y\n1,2,3\n", {}, "data.csv, line 1: column 'x' appears more than once"),
    ("x,,y\n1,2,3\n", {}, "data.csv, line 1: column 2 has no name"),
    ("x,y\n1,0\n2,0.5\n", {"task": "binary"}, "data.csv, line 3, column 'y': label 0.5 is not 0 or 1"),
    ("x,y\n1,0\n2,1.5\n", {"task": "multiclass"}, "data.csv, line 3, column 'y': class id 1.5 is not an integer"),
    ("x,y\n1,-1\n", {"task": "multiclass"}, "data.csv, line 2, column 'y': class id -1 is not an integer >= 0"),
    ("x,y\n1,0\n", {"task": "ranking"}, "task must be one of regression, binary, multiclass, got 'ranking'"),
])
def test_a_bad_file_names_the_file_line_and_column(tmp_path, text, kwargs, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        datasets.from_csv(path, **{"target": "y", **kwargs})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file_is_the_os_error_it_is(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.from_csv(tmp_path / "nope.csv", target="y")


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyneuron", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_train_on_your_own_csv(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (60, 3))
    label = (pts[:, 0] * pts[:, 2] > 0).astype(int)
    rows = "\n".join(f"{a:.6f},{b:.6f},{c:.6f},{k}" for (a, b, c), k in zip(pts, label))
    write(tmp_path, "u,noise,v,label\n" + rows + "\n")
    done = cli("train", "--data", "data.csv", "--target-column", "label", "--features", "u,v", "--layers", "2,8,1",
               "--activation", "tanh", "--loss", "bce", "--epochs", 500, "--out", "run.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "on data.csv (60 rows)" in done.stdout
    run = Trajectory.load(tmp_path / "run.npz")
    np.testing.assert_allclose(run.data_x, pts[:, [0, 2]], atol=1e-6)
    np.testing.assert_array_equal(run.data_y.ravel(), label)
    assert run.info.task == "binary" and run.config["data"]["target_column"] == "label"
    assert run.config["data"]["features"] == ["u", "v"] and run.loss[-1] < run.loss[0]


@pytest.mark.parametrize("args, message", [
    (["--data", "data.csv"], "--data needs --target-column"),
    (["--target-column", "y"], "--target-column and --features apply to --data FILE.csv"),
    (["--data", "data.csv", "--target-column", "y"], "--layers starts with 1 input(s), but data.csv has 2 feature"),
    (["--data", "data.csv", "--target-column", "q", "--layers", "2,1"], "no target column 'q'"),
    (["--data", "data.csv", "--target-column", "y", "--layers", "2,2", "--loss", "bce"],
     "data.csv, line 3, column 'y': label 7 is not 0 or 1"),
    (["--data", "missing.csv", "--target-column", "y"], "No such file or directory"),
])
def test_train_data_errors_are_one_line(tmp_path, args, message):
    write(tmp_path, "a,b,y\n1,2,0\n3,4,7\n")
    done = cli("train", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
