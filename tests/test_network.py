"""Network construction: parameter views, initialisers, forward pass."""
import math

import numpy as np
import pytest

import pyneuron
from reference_mlp import ReferenceMLP


def test_layers_are_views_of_the_trained_parameters():
    net = pyneuron.Network([2, 3, 1], activation="tanh")
    assert np.shares_memory(net.layers[0].W, net.params) and net.layers[0].W.flags.writeable
    net.layers[0].W[...] = 0
    net.layers[0].b[...] = 0
    net.layers[1].b[...] = 0.25
    np.testing.assert_allclose(net.predict(np.ones((4, 2))), 0.25)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_predict_matches_reference(simd, act):
    net = pyneuron.Network([3, 5, 4, 2], activation=act, seed=4)
    x = np.random.default_rng(0).normal(size=(37, 3))
    ref = ReferenceMLP([l.W for l in net.layers], [l.b for l in net.layers],
                       [l.activation for l in net.layers], [l.alpha or 0 for l in net.layers], "mse")
    np.testing.assert_allclose(net(x), ref.forward(x), rtol=1e-13, atol=1e-15)


def test_initialisers():
    big = [200, 300, 300]
    W = pyneuron.Network(big, activation="tanh", init="xavier").layers[0].W
    bound = math.sqrt(6 / 500)
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    assert pyneuron.Network(big, activation="relu").init == "he"
    assert pyneuron.Network(big, activation="sigmoid").init == "xavier"
    W = pyneuron.Network(big, activation="relu").layers[0].W
    assert W.std() == pytest.approx(math.sqrt(2 / 200), rel=0.02)
    W = pyneuron.Network(big, init="lecun").layers[0].W
    assert W.std() == pytest.approx(math.sqrt(1 / 200), rel=0.02)
    net = pyneuron.Network(big, init="tutorial")
    assert net.layers[0].W.std() == pytest.approx(0.1, rel=0.02) and not net.layers[0].b.any()
    a, b = pyneuron.Network([1, 4, 1], seed=3), pyneuron.Network([1, 4, 1], seed=3)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, pyneuron.Network([1, 4, 1], seed=4).params)


def test_per_layer_activations_and_alpha():
    net = pyneuron.Network([1, 4, 4, 1], activation=["elu", "leaky_relu"], alpha=[0.5, 0.2])
    assert [l.activation for l in net.layers] == ["elu", "leaky_relu", "identity"]
    assert [l.alpha for l in net.layers] == [0.5, 0.2, None]
    assert net.describe() == "1-4-4-1 elu(0.5)/leaky_relu(0.2)"


@pytest.mark.parametrize("kwargs,match", [
    (dict(layers=[1]), "at least 2 positive sizes"), (dict(layers=[1, 0, 1]), "positive sizes"),
    (dict(activation="swish"), "unknown hidden activation 'swish'"),
    (dict(activation="softmax"), "unknown hidden activation 'softmax'"),
    (dict(output_activation="foo"), "unknown output_activation"),
    (dict(activation=["tanh"]), "1 entries for 2 hidden layers"),
    (dict(init="orthogonal"), "unknown init"), (dict(seed=-1), "seed"),
    (dict(activation="tanh", alpha=0.1), "alpha applies to leaky_relu and elu"),
])
def test_bad_construction(kwargs, match):
    args = dict(layers=[1, 2, 2, 1]) | kwargs
    with pytest.raises(ValueError, match=match):
        pyneuron.Network(**args)
    with pytest.raises(TypeError, match="dtype"):
        pyneuron.Network([1, 1], dtype=np.int32)


def test_predict_checks_input():
    net = pyneuron.Network([2, 3, 1])
    with pytest.raises(ValueError, match=r"shape \(5, 3\)"):
        net.predict(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        net.predict(np.array([[np.nan, 0.0]]))
    assert pyneuron.Network([1, 2, 1]).predict(np.linspace(0, 1, 7)).shape == (7, 1)


@pytest.mark.parametrize("inputs, source, recorded", [
    (1, "exp(-5*x)", {"target": "exp(-5*x)"}), (2, "spiral", {"dataset": "spiral"}), (2, "plane", {"dataset": "plane"}),
    (1, None, {}),
])
def test_fit_records_where_the_data_came_from(inputs, source, recorded):
    x = np.linspace(0, 1, 8 * inputs).reshape(8, inputs)
    run = pyneuron.Network([inputs, 2, 1]).fit(x, x[:, :1], epochs=2, source=source)
    assert {k: run.config["data"][k] for k in ("target", "dataset") if k in run.config["data"]} == recorded


@pytest.mark.parametrize("inputs, source, match", [
    (1, "", "source must be a dataset name or an expression in x, got ''"),
    (1, 3, "source must be a dataset name or an expression in x, got 3"),
    (1, "exp(-5*", r"source 'exp\(-5\*' is neither a dataset nor a valid expression: "),
    (1, "open('f')", r"source \"open\('f'\)\" is neither .*unknown function 'open'"),
    (2, "sin(3*x)", "source 'sin\\(3\\*x\\)' is not a 2-D dataset .*an expression in x describes 1-input data only"),
])
def test_fit_refuses_a_bad_source(inputs, source, match):
    x = np.zeros((4, inputs))
    with pytest.raises(ValueError, match=match):
        pyneuron.Network([inputs, 2, 1]).fit(x, x[:, :1], epochs=2, source=source)
