"""pyneuron's L2 regularisation against PyTorch's weight_decay, run by hand
(PyTorch is not a test dependency): the same 1-8-8-1 tanh network from the
same weights, trained by both in float64 for 200 epochs, with SGD (with and
without momentum) and Adam, the weights in a parameter group with
``weight_decay=rate`` and the biases in one without.  Prints the largest
differences of the parameters and losses; exit status 1 above 1e-10.

    pip install torch==2.13.0
    .venv/bin/python tools/torch_regularization.py
"""
import sys

import numpy as np
import torch

import pyneuron
from pyneuron import datasets

RATE, EPOCHS = 0.05, 200


def torch_run(net: pyneuron.Network, x, y, make_optimizer):
    layers = [torch.nn.Linear(l.W.shape[0], l.W.shape[1]).double() for l in net.layers]
    with torch.no_grad():
        for layer, ours in zip(layers, net.layers):
            layer.weight.copy_(torch.from_numpy(ours.W.T.copy()))
            layer.bias.copy_(torch.from_numpy(ours.b.copy()))
    groups = [{"params": [l.weight for l in layers], "weight_decay": RATE},
              {"params": [l.bias for l in layers], "weight_decay": 0.0}]
    opt = make_optimizer(groups)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for _ in range(EPOCHS):
        a = xt
        for k, layer in enumerate(layers):
            a = layer(a)
            if k < len(layers) - 1:
                a = torch.tanh(a)
        loss = torch.mean((a - yt) ** 2)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    flat = np.concatenate([np.concatenate([l.weight.detach().numpy().T.ravel(), l.bias.detach().numpy()])
                           for l in layers])
    return flat, np.array(losses)


def main() -> int:
    torch.set_num_threads(1)
    x, y = datasets.function("exp(-5*x)", n=256)
    cases = {
        "sgd": (lambda: pyneuron.SGD(lr=0.1), lambda g: torch.optim.SGD(g, lr=0.1)),
        "sgd momentum 0.9": (lambda: pyneuron.SGD(lr=0.05, momentum=0.9),
                             lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9)),
        "adam": (lambda: pyneuron.Adam(lr=0.01), lambda g: torch.optim.Adam(g, lr=0.01)),
    }
    worst = 0.0
    print(f"L2 rate {RATE}, {EPOCHS} epochs, 1-8-8-1 tanh, float64; torch {torch.__version__}, "
          f"pyneuron at SIMD level {pyneuron.simd_level()}")
    for name, (ours, theirs) in cases.items():
        net = pyneuron.Network([1, 8, 8, 1], activation="tanh", seed=4)
        start = pyneuron.Network([1, 8, 8, 1], activation="tanh", seed=4)
        run = net.fit(x, y, optimizer=ours(), epochs=EPOCHS, schedule=np.arange(EPOCHS + 1),
                      regularization="l2", regularization_rate=RATE)
        flat, losses = torch_run(start, x, y, theirs)
        dp = float(np.max(np.abs(run.flat_params[-1] - flat)))
        dl = float(np.max(np.abs(run.loss[:EPOCHS] - losses) / losses))
        worst = max(worst, dp, dl)
        print(f"  {name:<18} max |params difference| {dp:.1e}   max relative loss difference {dl:.1e}")
    return 0 if worst <= 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
