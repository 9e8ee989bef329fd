"""Car prices without biases (chapter 3) in PyTorch.

Three bias-free ``torch.nn.Linear`` layers with ``torch.tanh`` between them.
``nn.Linear`` keeps its weight as (out, in); the chapter writes W^l as (in, out).
``to_torch`` is the only place that translates (only activations are recorded).
"""

import torch


def to_torch(linear, W):
    with torch.no_grad():
        linear.weight.copy_(W.T)


def new_layer(ctx, name):
    n_in, n_out = ctx.init[name].shape
    linear = torch.nn.Linear(n_in, n_out, bias=False, dtype=ctx.dtype)
    to_torch(linear, ctx.tensor(ctx.init[name]))
    return linear


@torch.no_grad()
def reproduce(ctx):
    trace = ctx.trace
    X = ctx.data("X")
    layer1, layer2, layer3 = (new_layer(ctx, name) for name in ("W1", "W2", "W3"))

    trace.step(0)
    Z2_car1 = trace.value("Z2_car1", layer1(X[:1]))
    trace.value("a2_car1", torch.tanh(Z2_car1))

    Z2 = trace.value("Z2", layer1(X))
    a2 = trace.value("a2", torch.tanh(Z2))
    Z3 = trace.value("Z3", layer2(a2))
    a3 = trace.value("a3", torch.tanh(Z3))
    Z4 = trace.value("Z4", layer3(a3))
    trace.value("a4", torch.tanh(Z4))
