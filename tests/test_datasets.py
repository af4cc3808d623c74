"""Datasets and the safe target-expression parser."""
import numpy as np
import pytest

from pyneuron import datasets
from pyneuron._expr import compile_expression


def test_exp_decay():
    x, y = datasets.exp_decay()
    assert x.shape == y.shape == (256, 1)
    assert x[0, 0] == 0 and x[-1, 0] == 1
    np.testing.assert_allclose(y, np.exp(-5 * x))
    x, y = datasets.exp_decay(n=10, rate=2.0, x_range=(-1, 2))
    np.testing.assert_allclose(y, np.exp(-2 * x))
    assert x.shape == (10, 1) and x.min() == -1 and x.max() == 2


@pytest.mark.parametrize("expr,fn", [
    ("exp(-5*x)", lambda x: np.exp(-5 * x)), ("sin(3*x)", lambda x: np.sin(3 * x)),
    ("x**2 - 2*x + 1", lambda x: x**2 - 2 * x + 1), ("-x / (1 + abs(x))", lambda x: -x / (1 + np.abs(x))),
    ("tanh(pi*x) + e", lambda x: np.tanh(np.pi * x) + np.e), ("max(x, 0.5)", lambda x: np.maximum(x, 0.5)),
    ("2", lambda x: np.full_like(x, 2.0)),
])
def test_expressions(expr, fn):
    x, y = datasets.function(expr, n=50, x_range=(-1, 1))
    np.testing.assert_allclose(y.ravel(), fn(x.ravel()), rtol=1e-15)


@pytest.mark.parametrize("expr,match", [
    ("__import__('os').system('true')", "not allowed"), ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__", "not allowed"), ("[x for x in ()]", "not allowed"), ("lambda: 1", "not allowed"),
    ("exp(y)", "unknown name 'y'"), ("exp(-5*x", "cannot parse"), ("x if x else 1", "not allowed"),
    ("open('f')", "unknown function 'open'"), ("'a' * 3", "not allowed"), ("exp(x, out=x)", "not allowed"),
])
def test_unsafe_or_bad_expressions_are_refused(expr, match):
    with pytest.raises(ValueError, match=match):
        compile_expression(expr)


def test_function_checks():
    with pytest.raises(ValueError, match="not finite"):
        datasets.function("log(x)", x_range=(0, 1))
    with pytest.raises(ValueError, match="x_range"):
        datasets.function("x", x_range=(1, 0))
    with pytest.raises(ValueError, match="n must be"):
        datasets.function("x", n=0)
    x, y = datasets.function(np.cos, n=5)
    np.testing.assert_allclose(y, np.cos(x))


@pytest.mark.parametrize("name", sorted(datasets.CLASSIFICATION))
def test_classification_sets(name):
    make = datasets.CLASSIFICATION[name]
    X, y = make()
    assert X.shape == (500, 2) and y.shape == (500, 1)
    assert set(np.unique(y)) == {0.0, 1.0} and 150 < y.sum() < 350
    X2, y2 = make(seed=0)
    np.testing.assert_array_equal(X, X2)
    X3, _ = make(noise=0.3, seed=1)
    assert not np.array_equal(X, X3) and np.abs(X3).max() < 12
    with pytest.raises(ValueError, match="noise"):
        make(noise=2.0)


def test_playground_geometry():
    X, y = datasets.circle()
    r = np.hypot(X[:, 0], X[:, 1])
    assert (r[y[:, 0] == 1] < 2.5).all() and (r[y[:, 0] == 0] >= 3.5).all()
    X, y = datasets.xor()
    assert ((X[:, 0] * X[:, 1] >= 0) == (y[:, 0] == 1)).all() and np.abs(X).min() >= 0.3
    X, y = datasets.linear()
    assert ((X.sum(1) > 0) == (y[:, 0] == 1)).all()  # separable by x1 + x2 = 0


@pytest.mark.parametrize("name", sorted(datasets.REGRESSION_2D))
def test_regression_sets(name):
    X, y = datasets.REGRESSION_2D[name]()
    assert X.shape == (500, 2) and y.shape == (500, 1) and np.abs(y).max() <= 1.2
