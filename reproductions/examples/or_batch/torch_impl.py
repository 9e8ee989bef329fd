"""OR gate, batch gradient descent, in PyTorch: ``nn.Linear(2, 1)``, ``torch.sigmoid``,
half of ``nn.MSELoss`` as the cost, autograd and ``torch.optim.SGD``.

Layout: PyTorch keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1); the blog
keeps them as columns. ``nn.Linear``'s weight (1, 2) is already the blog's W; its bias
(1,) is the blog's b (1, 1). ``from_blog`` and ``to_blog`` translate the data and the
printed intermediates; the harness translates the watched parameters and their
gradients back (``[layout]``).
"""

import torch


def from_blog(columns):
    """Examples as columns (blog) -> examples as rows (PyTorch)."""
    return columns.T


def to_blog(tensor, like="examples"):
    """Examples as rows -> columns; a bias (1,) -> (1, 1); the weight is unchanged."""
    if like == "bias":
        return tensor.reshape(1, 1)
    if like == "weight":
        return tensor
    return tensor.T


def reproduce(ctx):
    X, Y = from_blog(ctx.data("X_train")), from_blog(ctx.data("Y_train"))
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    linear = torch.nn.Linear(2, 1, dtype=ctx.dtype)
    with torch.no_grad():
        linear.weight.copy_(ctx.tensor(ctx.init["W"]))
        linear.bias.copy_(ctx.tensor(ctx.init["b"]).reshape(-1))
    mse = torch.nn.MSELoss()
    trace.watch(W=linear.weight, b=linear.bias)  # see [layout]
    optimizer = torch.optim.SGD(linear.parameters(), lr=learning_rate)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        by_hand = epoch < ctx.hyper.hand_worked_steps
        optimizer.zero_grad()

        Z = linear(X)
        Y_hat = torch.sigmoid(Z)
        cost = 0.5 * mse(Y_hat, Y)  # (1/2m) sum (Y - Y_hat)^2
        if by_hand:
            # the sigmoid's local gradient, elementwise, by autograd (before retain_grad,
            # which would otherwise add this call's ones to Y_hat.grad)
            (local,) = torch.autograd.grad(Y_hat, Z, torch.ones_like(Y_hat), retain_graph=True)
            Z.retain_grad()
            Y_hat.retain_grad()
        cost.backward()

        if by_hand:
            with torch.no_grad():
                residual = Y - Y_hat
                squared = residual.square()
                trace.value("X_train", to_blog(X))
                trace.value("Z", to_blog(Z))
                trace.value("minus_Z", to_blog(-Z))
                trace.value("Y_hat", to_blog(Y_hat))
                trace.value("residual", to_blog(residual))
                trace.value("squared_residual", to_blog(squared))
                trace.value("sum_squares", squared.sum())
                trace.value("dY_hat", to_blog(Y_hat.grad))
                trace.value("one_minus_Y_hat", to_blog(1 - Y_hat))
                trace.value("dY_hat_dZ", to_blog(local))
                trace.value("dZ", to_blog(Z.grad))
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if by_hand:  # the step SGD takes, -lr * gradient (Fig 45)
            trace.value("delta_W", to_blog(-learning_rate * linear.weight.grad, "weight"))
            trace.value("delta_b", to_blog(-learning_rate * linear.bias.grad, "bias"))
        optimizer.step()
        trace.parameters()
