"""Bare training loops in PyTorch: each mirror's loop without the trace.

The mirrors' modules, losses and ``torch.optim.SGD`` with ``zero_grad``,
``backward`` and ``step``; the start values go into ``nn.Linear``'s (out, in)
layout once before the loop and the final parameters come back once after it.
"""

import torch

from frameworks.torch_adapter import to_numpy


def linear(ctx, n_in, n_out, weight, bias=None):
    """An nn.Linear holding a start weight given as (out, in) and a bias as (out,)."""
    layer = torch.nn.Linear(n_in, n_out, bias=bias is not None, dtype=ctx.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def hours_studied(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    net = linear(ctx, 1, 1, init["weights"].T, init["biases"].reshape(-1))
    mse = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        optimizer.zero_grad()
        cost = mse(net(X), y)
        cost.backward()
        optimizer.step()
    return {"weights": to_numpy(net.weight.T), "biases": to_numpy(net.bias.reshape(1, -1))}


def xor_hidden_layer(ctx):
    X, Y = ctx.data("X_train").T, ctx.data("Y_train").T  # examples as rows
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    layer1 = linear(ctx, 2, 3, init["W1"], init["b1"].reshape(-1))
    layer2 = linear(ctx, 3, 1, init["W2"], init["b2"].reshape(-1))
    net = torch.nn.Sequential(layer1, torch.nn.Sigmoid(), layer2, torch.nn.Sigmoid())
    mse = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        optimizer.zero_grad()
        cost = 0.5 * mse(net(X), Y)
        cost.backward()
        optimizer.step()
    return {"W1": to_numpy(layer1.weight), "b1": to_numpy(layer1.bias.reshape(-1, 1)),
            "W2": to_numpy(layer2.weight), "b2": to_numpy(layer2.bias.reshape(-1, 1))}


def test_scores(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    X, y = X / X.amax(dim=0), y / 100  # columns over their maxima, scores over 100
    hidden = linear(ctx, 2, 3, ctx.tensor(ctx.init["W1"]).T)
    output = linear(ctx, 3, 1, ctx.tensor(ctx.init["W2"]).T)
    net = torch.nn.Sequential(hidden, torch.nn.Sigmoid(), output, torch.nn.Sigmoid())
    sse = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        optimizer.zero_grad()
        cost = 0.5 * sse(net(X), y)
        cost.backward()
        optimizer.step()
    return {"W1": to_numpy(hidden.weight.T), "W2": to_numpy(output.weight.T)}


def scale_mlp(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    n_in, width = init["W1"].shape
    hidden = linear(ctx, n_in, width, init["W1"].T, init["b1"].reshape(-1))
    output = linear(ctx, width, init["W2"].shape[1], init["W2"].T, init["b2"].reshape(-1))
    net = torch.nn.Sequential(hidden, torch.nn.Tanh(), output)
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        optimizer.zero_grad()
        cost = torch.nn.functional.cross_entropy(net(X), Y)
        cost.backward()
        optimizer.step()
    return {"W1": to_numpy(hidden.weight.T), "b1": to_numpy(hidden.bias.reshape(1, -1)),
            "W2": to_numpy(output.weight.T), "b2": to_numpy(output.bias.reshape(1, -1))}
