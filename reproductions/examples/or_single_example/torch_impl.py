"""The OR gate's first example in PyTorch: ``nn.Linear(2, 1)`` (with ``bias=False`` for
Figs 10-17), ``torch.sigmoid``, half of ``nn.MSELoss`` as the loss, autograd and
``torch.optim.SGD`` with step size 1.

Layout: PyTorch keeps examples as rows (x is 1 x 2); the blog keeps them as columns
(2 x 1). ``nn.Linear``'s weight (1, 2) is already the blog's W; its bias (1,) is the
blog's b (1, 1). ``from_blog`` and ``to_blog`` translate the data, the start values and
the printed intermediates; the harness translates the watched parameters and their
gradients back (``[layout]``).
"""

import torch


def from_blog(columns):
    return columns.T


def to_blog(tensor, like="examples"):
    if like == "bias":
        return tensor.reshape(1, 1)
    if like == "weight":
        return tensor
    return tensor.T


def new_linear(ctx, bias):
    linear = torch.nn.Linear(2, 1, bias=bias, dtype=ctx.dtype)
    with torch.no_grad():
        linear.weight.copy_(ctx.tensor(ctx.init["W"]))
        if bias:
            linear.bias.copy_(ctx.tensor(ctx.init["b"]).reshape(-1))
    return linear


def forward(linear, X, Y, show):
    """The forward pass and the loss; the values the text prints go to ``show``."""
    z = linear(X)
    y_hat = torch.sigmoid(z)
    loss = 0.5 * torch.nn.MSELoss()(y_hat, Y)  # 1/2 (y - y_hat)^2
    with torch.no_grad():
        show("z", to_blog(z))
        show("minus_z", to_blog(-z))
        show("y_hat", to_blog(y_hat))
        show("residual", to_blog(Y - y_hat))
    return z, y_hat, loss


def forward_backward(linear, X, Y, show):
    """Loss and backward pass; the intermediates the text prints go to ``show``."""
    z, y_hat, loss = forward(linear, X, Y, show)
    # the sigmoid's local gradient by autograd (before retain_grad, which would
    # otherwise add this call's ones to y_hat.grad)
    (local,) = torch.autograd.grad(y_hat, z, torch.ones_like(y_hat), retain_graph=True)
    z.retain_grad()
    y_hat.retain_grad()
    loss.backward()
    with torch.no_grad():
        show("dL_dy_hat", to_blog(y_hat.grad))
        show("dy_hat_dz", to_blog(local))
        show("dL_dz", to_blog(z.grad))
    return loss


def reproduce(ctx):
    X, Y = from_blog(ctx.data("X")), from_blog(ctx.data("Y"))
    trace = ctx.trace

    # Figs 10-17: no bias
    trace.step(0)
    nobias = new_linear(ctx, bias=False)
    show = lambda name, value: trace.value("nobias_" + name, value)
    show("loss", forward_backward(nobias, X, Y, show))
    show("dW", to_blog(nobias.weight.grad, "weight"))

    # Figs 21-24: with the bias b = 0, one step of size 1
    linear = new_linear(ctx, bias=True)
    trace.watch(W=linear.weight, b=linear.bias)  # see [layout]
    optimizer = torch.optim.SGD(linear.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        trace.gradients(forward_backward(linear, X, Y, trace.value))  # and each .grad
        optimizer.step()
        trace.parameters()

    # Figs 25-26: the state after the step
    if ctx.steps:
        trace.step(ctx.steps)
        with torch.no_grad():
            trace.cost(forward(linear, X, Y, trace.value)[2])
