"""Your own data from a CSV file: :func:`from_csv` (also
``pyneuron.datasets.from_csv`` and ``pyneuron train --data FILE.csv``).

The file has a header row of column names, then one row of numbers per
sample.  Every cell is read and checked; a bad file is a ``ValueError``
that names the file, the line and the column, and nothing is dropped
silently: non-numeric, empty, NaN or infinite cells, ragged rows, an empty
file, a missing column and labels that do not fit the task are refused.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "points.csv")
>>> _ = open(path, "w").write("x1,x2,label\\n0.5,-1,1\\n2,0.25,0\\n")
>>> x, y = from_csv(path, target="label", task="binary")
>>> x.tolist(), y.tolist()
([[0.5, -1.0], [2.0, 0.25]], [[1.0], [0.0]])
"""
from __future__ import annotations

import csv
import math
import os
from typing import Sequence

import numpy as np

__all__ = ["from_csv", "TASKS"]

#: What the target column holds: numbers to fit, labels 0/1, or class ids 0..k-1.
TASKS = ("regression", "binary", "multiclass")


def from_csv(path: str | os.PathLike, target: str, features: Sequence[str] | None = None,
             task: str = "regression") -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets from the CSV file ``path``.

    - ``target``: the name of the target column.
    - ``features``: the input columns, in this order (default: every other
      column, in the file's order).
    - ``task``: ``"regression"`` (any numbers: y is (n, 1) float64),
      ``"binary"`` (labels 0 or 1: y is (n, 1) float64, for BCE) or
      ``"multiclass"`` (class ids 0, 1, 2, ...: y is (n,) int64, for
      softmax cross-entropy).

    Returns x (n, len(features)) float64 and y.
    """
    name = os.fspath(path)
    if task not in TASKS:
        raise ValueError(f"from_csv: task must be one of {', '.join(TASKS)}, got {task!r}")
    if not isinstance(target, str) or not target:
        raise ValueError(f"from_csv: target must be a column name, got {target!r}")
    with open(name, newline="", encoding="utf-8-sig") as f:  # a missing file is the OSError it is
        try:
            rows = list(csv.reader(f))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"{name}: not a readable CSV file: {exc}") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # blank lines at the end hold no data
    if not rows:
        raise ValueError(f"{name}: the file is empty; expected a header row of column names, then rows of numbers")
    header = [cell.strip() for cell in rows[0]]
    columns = _columns(name, header, target, features)
    if len(rows) == 1:
        raise ValueError(f"{name}: no data rows after the header")
    values = np.empty((len(rows) - 1, len(header)))
    for k, row in enumerate(rows[1:]):
        line = k + 2
        if len(row) != len(header):
            what = "is empty" if not any(cell.strip() for cell in row) else f"has {len(row)} cells"
            raise ValueError(f"{name}, line {line}: the row {what}; the header has {len(header)} columns")
        for j, cell in enumerate(row):
            values[k, j] = _number(name, line, header[j], cell)
    x = values[:, [header.index(c) for c in columns]]
    y = values[:, header.index(target)]
    return x, _labels(name, target, y, task)


def _columns(name: str, header: list[str], target: str, features: Sequence[str] | None) -> list[str]:
    missing = [c for c in header if not c]
    if missing:
        raise ValueError(f"{name}, line 1: column {header.index('') + 1} has no name")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ValueError(f"{name}, line 1: column {repeated[0]!r} appears more than once")
    known = ", ".join(header)
    if target not in header:
        raise ValueError(f"{name}: no target column {target!r}; the columns are {known}")
    if features is None:
        columns = [c for c in header if c != target]
    else:
        if isinstance(features, str) or not all(isinstance(c, str) for c in features):
            raise ValueError(f"from_csv: features must be a list of column names, got {features!r}")
        columns = list(features)
        for c in columns:
            if c not in header:
                raise ValueError(f"{name}: no feature column {c!r}; the columns are {known}")
        if target in columns:
            raise ValueError(f"{name}: column {target!r} is the target; it cannot be a feature too")
    if not columns:
        raise ValueError(f"{name}: no feature columns besides the target {target!r}")
    return columns


def _number(name: str, line: int, column: str, cell: str) -> float:
    text = cell.strip()
    where = f"{name}, line {line}, column {column!r}"
    if not text:
        raise ValueError(f"{where}: empty cell; every cell must be a number")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {text} is not a finite number")
    return value


def _labels(name: str, target: str, y: np.ndarray, task: str) -> np.ndarray:
    if task == "regression":
        return y.reshape(-1, 1)
    if task == "binary":
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise ValueError(f"{name}, line {bad[0] + 2}, column {target!r}: label {y[bad[0]]:g} is not 0 or 1 "
                             "(binary classification)")
        return y.reshape(-1, 1)
    bad = np.flatnonzero((y != np.round(y)) | (y < 0))
    if bad.size:
        raise ValueError(f"{name}, line {bad[0] + 2}, column {target!r}: class id {y[bad[0]]:g} is not an integer "
                         ">= 0 (multi-class classification)")
    return y.astype(np.int64)
