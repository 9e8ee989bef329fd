"""The OR gate's first example in PyTorch: ``nn.Linear(2, 1)`` (with ``bias=False`` for
Figs 10-17), ``torch.sigmoid``, half of ``nn.MSELoss`` as the loss, autograd and
``torch.optim.SGD`` with step size 1.

Layout: PyTorch keeps examples as rows (x is 1 x 2), the blog as columns (2 x 1), so x
is transposed (``[layout]`` in example.toml: the harness translates it both ways; the
one example's printed values are 1 x 1 either way). ``nn.Linear``'s weight (1, 2) is
already the blog's W; its bias is (1,) where the blog's b is (1, 1).
"""

import torch


# %% data
def neuron(ctx, bias):
    """The one neuron, with the blog's start values: W, and b = 0 if it has a bias."""
    linear = torch.nn.Linear(2, 1, bias=bias, dtype=ctx.dtype)
    ctx.load(W=linear.weight)
    if bias:
        ctx.load(b=linear.bias)
    return linear


# %% forward
def forward(linear, X, Y, record):
    """The forward pass and the loss; the values the text prints go to ``record``."""
    z = linear(X)
    y_hat = torch.sigmoid(z)
    loss = compute_cost(Y, y_hat)  # 1/2 (y - y_hat)^2
    with torch.no_grad():
        record(z=z, minus_z=-z, y_hat=y_hat, residual=Y - y_hat)
    return z, y_hat, loss


# %% cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


# %% autodiff
def forward_backward(linear, X, Y, record):
    """Loss and backward pass; the intermediates the text prints go to ``record``."""
    z, y_hat, loss = forward(linear, X, Y, record)
    # the sigmoid's local gradient by autograd (before retain_grad, which would
    # otherwise add this call's ones to y_hat.grad)
    (local,) = torch.autograd.grad(y_hat, z, torch.ones_like(y_hat), retain_graph=True)
    z.retain_grad()
    y_hat.retain_grad()
    loss.backward()
    record(dL_dy_hat=y_hat.grad, dy_hat_dz=local, dL_dz=z.grad)
    return loss


# %% record
def prefixed(record, prefix):
    """``record`` with ``prefix`` before every name (the pass without a bias: nobias_*)."""
    return lambda **named: record(**{prefix + name: value for name, value in named.items()})


def reproduce(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    trace = ctx.trace

    # Figs 10-17: no bias
    trace.step(0)
    nobias = neuron(ctx, bias=False)
    record = prefixed(trace.values, "nobias_")
    loss = forward_backward(nobias, X, Y, record)
    record(loss=loss, dW=nobias.weight.grad)

    # Figs 21-24: with the bias b = 0, one step of size 1
    linear = neuron(ctx, bias=True)
    trace.watch(W=linear.weight, b=linear.bias)  # see [layout]
    optimizer = torch.optim.SGD(linear.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        trace.gradients(forward_backward(linear, X, Y, trace.values))  # and each .grad
        optimizer.step()
        trace.parameters()

    # Figs 25-26: the state after the step
    trace.step(ctx.steps)
    with torch.no_grad():
        trace.cost(forward(linear, X, Y, trace.values)[2])
