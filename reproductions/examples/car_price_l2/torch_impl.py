"""Car prices with L2 regularisation (chapter 8) in PyTorch.

The weights keep the chapters' bias trick and (inputs + 1, neurons) layout, as in the
car_price example (the last row of each W is the bias of a torch.nn.Linear). L2 is
torch's own: ``torch.optim.SGD(lr=alpha / n, weight_decay=lambda)`` adds lambda W to
the gradient of the summed data cost, which is the gradient of
J = sum 1/2 (y - yhat)^2 + 1/2 lambda sum W^2 with the bias rows included. The
recorded gradient is that sum, formed as SGD forms it. The text's printed version
(minus signs) cannot be a weight decay (torch rejects a negative one), so it is
trained with its penalty written into the loss.
"""

import torch


# %% data
NAMES = ("W1", "W2", "W3")


# %% forward
# Copied from reproductions/examples/car_price/torch_impl.py:add_ones
def add_ones(a):
    return torch.cat([a, torch.ones((a.shape[0], 1), dtype=a.dtype)], dim=1)


def forward(X, W):
    a2 = add_ones(torch.tanh(X @ W["W1"]))
    a3 = add_ones(torch.tanh(a2 @ W["W2"]))
    return torch.tanh(a3 @ W["W3"])


# %% cost
# Copied from reproductions/examples/car_price/torch_impl.py:cost
def data_cost(a4, y):
    """J = sum over the cars of 1/2 (y - yhat)^2."""
    return 0.5 * torch.nn.MSELoss(reduction="sum")(a4, y)


def sum_of_squares(W):
    return sum(torch.sum(W[name] ** 2) for name in NAMES)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, Lambda = ctx.hyper.learning_rate, y.shape[0], ctx.hyper.Lambda
    W = {name: torch.nn.Parameter(ctx.tensor(ctx.init[name])) for name in NAMES}
    trace.watch(**W)
    optimizer = torch.optim.SGD(W.values(), lr=alpha / n, weight_decay=Lambda)
    P = {name: torch.nn.Parameter(ctx.tensor(ctx.init[name])) for name in NAMES}
    printed_optimizer = torch.optim.SGD(P.values(), lr=alpha / n)

    trace.step(0)  # L1026: 'Our network has 23 parameters so we need at least 230 cars'
    n_parameters = torch.tensor(float(sum(W[name].numel() for name in NAMES)), dtype=ctx.dtype)
    trace.values(n_parameters=n_parameters, cars_needed=10 * n_parameters)
    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        J_data = data_cost(forward(X, W), y)
        J_data.backward()
        with torch.no_grad():
            squares = sum_of_squares(W)
            trace.values(data_cost=J_data, sum_of_squares=squares)
            trace.gradients(J_data + 0.5 * Lambda * squares,  # the gradient as SGD's
                            [W[name].grad.add(W[name], alpha=Lambda) for name in NAMES])  # decay adds it
        optimizer.step()
        trace.parameters()

        printed_optimizer.zero_grad()
        squares = sum_of_squares(P)
        J_printed = data_cost(forward(X, P), y) - 0.5 * Lambda * squares  # L1030's minus
        J_printed.backward()
        trace.values(sum_of_squares_as_printed=squares, cost_as_printed=J_printed)
        printed_optimizer.step()
        trace.values(**{f"{name}_as_printed": P[name] for name in NAMES})
