"""Hours studied in PyTorch: ``nn.Linear``, ``nn.MSELoss``, ``nn.L1Loss``, autograd
and ``torch.optim.SGD``.

Layout: ``nn.Linear`` keeps its weight as (out, in) and its bias as (out,); the
chapter keeps weights as (in, out) and biases as (1, out). ``ctx.load`` sets the start
values and the harness translates what is recorded back, as ``[layout]`` in
example.toml declares (the MAE section's slopes are held as the weights and biases are).
"""

import torch


# %% data
def new_model(ctx):
    linear = torch.nn.Linear(1, 1, dtype=ctx.dtype)
    ctx.load(weights=linear.weight, biases=linear.bias)
    return linear


# %% cost
@torch.no_grad()
def cost_of(linear, X, y):
    return torch.nn.MSELoss()(linear(X), y)


# %% check
@torch.no_grad()
def numerical_slope(parameter, cost, EPS):
    """Nudge up, nudge down, restore each time, as the chapter's code does."""
    parameter += EPS
    x2 = parameter.clone()
    cost2 = cost()
    parameter -= EPS
    parameter -= EPS
    x1 = parameter.clone()
    cost1 = cost()
    parameter += EPS
    return ((cost2 - cost1) / (x2 - x1)).reshape(())


@torch.no_grad()
def nudge_against(parameter, slope, EPS):
    parameter += EPS if slope < 0 else -EPS


def numerical_derivative_section(ctx, X, y):
    trace, EPS = ctx.trace, ctx.hyper.eps
    trace.value("eps", torch.tensor(EPS, dtype=ctx.dtype))

    linear = new_model(ctx)
    og_cost = cost_of(linear, X, y)
    slope_w = numerical_slope(linear.weight, lambda: cost_of(linear, X, y), EPS)
    trace.value("slope_w", slope_w, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    nudge_against(linear.weight, slope_w, EPS)
    new_cost = trace.value("cost_after_w_nudge", cost_of(linear, X, y))
    trace.value("change_after_w_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_w_nudge", og_cost - new_cost, scale=og_cost)

    linear = new_model(ctx)
    og_cost = cost_of(linear, X, y)
    slope_w = numerical_slope(linear.weight, lambda: cost_of(linear, X, y), EPS)
    nudge_against(linear.weight, slope_w, EPS)
    slope_b = numerical_slope(linear.bias, lambda: cost_of(linear, X, y), EPS)
    trace.value("slope_b", slope_b, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    nudge_against(linear.bias, slope_b, EPS)
    new_cost = trace.value("cost_after_wb_nudge", cost_of(linear, X, y))
    trace.value("change_after_wb_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_wb_nudge", og_cost - new_cost, scale=og_cost)

    # the text's linear reading of a step of 1: the cost falls by -slope * 1
    trace.value("linear_decrease_w", -slope_w * 1.0, scale=og_cost / (2 * EPS))
    trace.value("linear_decrease_b", -slope_b * 1.0, scale=og_cost / (2 * EPS))

    linear = new_model(ctx)
    with torch.no_grad():
        linear.weight += 1.0
        trace.value("decrease_for_w_plus_1", og_cost - cost_of(linear, X, y))
        linear.bias += 1.0
        trace.value("decrease_for_wb_plus_1", og_cost - cost_of(linear, X, y))


# %% autodiff
def mae_backward_section(ctx, X, y):
    trace = ctx.trace
    linear = new_model(ctx)
    outputs = linear(X)
    outputs.retain_grad()
    mae = torch.nn.L1Loss()(outputs, y)
    mae.backward()
    trace.values(mae_cost=mae, mae_dinputs=outputs.grad, mae_slope_w=linear.weight.grad,
                 mae_slope_b=linear.bias.grad)


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace

    trace.step(0)
    numerical_derivative_section(ctx, X, y)
    mae_backward_section(ctx, X, y)

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
