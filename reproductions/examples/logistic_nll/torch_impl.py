"""The logistic neuron in PyTorch: ``nn.Linear`` + ``nn.Sigmoid``, ``nn.BCELoss``,
autograd and ``torch.optim.SGD``, one data point per step.

``nn.BCELoss`` computes -(y log a + (1 - y) log(1 - a)) on the probability a, the
notes' NLL; it clamps each log at -100, which no value of this run comes near.

Layout: the notes keep w as a (d, 1) column with z = w^T x + w_0 and data points as
columns of X (d, n); ``nn.Linear`` keeps its weight as (out, in) = w^T, its bias as
(out,), and takes points as rows. ``[layout]`` in example.toml declares both:
``ctx.data`` gives the points as rows, ``ctx.load`` sets the start values, and the
harness translates the watched parameters and their gradients back.
"""

import torch


# %% forward
def logistic_neuron(n_inputs, dtype):
    """The linear subunit z = w^T x + w_0 (``nn.Linear``), then a = sigma(z)
    (``nn.Sigmoid``); the Linear is returned too, for its parameters."""
    linear = torch.nn.Linear(n_inputs, 1, dtype=dtype)
    return linear, torch.nn.Sequential(linear, torch.nn.Sigmoid())


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points = ctx.data("X")            # (n, d): one data point per row
    labels = ctx.data("y")            # (n, 1)
    order = ctx.example.data["order"]

    linear, neuron = logistic_neuron(points.shape[1], ctx.dtype)
    ctx.load(w=linear.weight, w0=linear.bias)
    trace.watch(w=linear.weight, w0=linear.bias)  # see [layout]
    nll = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(neuron.parameters(), lr=ctx.hyper.learning_rate)

    for step in range(ctx.steps):
        trace.step(step)
        i = int(order[step % len(order)])
        optimizer.zero_grad()
        cost = nll(neuron(points[i:i + 1]), labels[i:i + 1])
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        optimizer.step()
        trace.parameters()
