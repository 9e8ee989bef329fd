"""Gradient descent with a learning rate too high, in PyTorch: hours_studied's neuron
(``nn.Linear``, ``nn.MSELoss``, ``torch.optim.SGD``) with alpha = 50; see numpy_impl.py.

Layout: ``nn.Linear`` keeps its weight as (out, in) and its bias as (out,); the
chapter keeps weights as (in, out) and biases as (1, out) (``[layout]``).
"""

import torch


# %% data
# Copied from reproductions/examples/hours_studied/torch_impl.py:new_model
def new_model(ctx):
    linear = torch.nn.Linear(1, 1, dtype=ctx.dtype)
    ctx.load(weights=linear.weight, biases=linear.bias)
    return linear


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace
    linear = new_model(ctx)
    trace.watch(weights=linear.weight, biases=linear.bias)  # [layout] says how they map
    mse = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(linear.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        cost = mse(linear(X), y)
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        optimizer.step()
        trace.parameters()
