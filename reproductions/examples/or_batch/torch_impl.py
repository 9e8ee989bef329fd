"""OR gate, batch gradient descent, in PyTorch: ``nn.Linear(2, 1)``, ``torch.sigmoid``,
half of ``nn.MSELoss`` as the cost, autograd and ``torch.optim.SGD``.

Layout: PyTorch keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1), the blog
as columns, so the data and every printed intermediate are transposed (``[layout]`` in
example.toml: the harness translates them both ways). ``nn.Linear``'s weight (1, 2) is
already the blog's W; its bias is (1,) where the blog's b is (1, 1).
"""

import torch


# %% data
def neuron(ctx):
    """The one neuron, nn.Linear(2, 1), with the blog's start values W and b (Fig 41)."""
    linear = torch.nn.Linear(2, 1, dtype=ctx.dtype)
    ctx.load(W=linear.weight, b=linear.bias)
    return linear


# %% forward
def forward(linear, X):
    """The neuron's output Y_hat = sigmoid(Z), one example per row."""
    return torch.sigmoid(linear(X))


# %% cost
# Copied from reproductions/examples/or_single_example/torch_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


# %% autodiff
def worked_by_hand(trace, linear, X, Y):
    """Figs 42-45: the forward pass, the squared residuals and every upstream and local
    gradient, by autograd."""
    Z = linear(X)
    Y_hat = torch.sigmoid(Z)
    cost = compute_cost(Y, Y_hat)
    (local,) = torch.autograd.grad(Y_hat, Z, torch.ones_like(Y_hat), retain_graph=True)
    dY_hat, dZ = torch.autograd.grad(cost, [Y_hat, Z])
    with torch.no_grad():
        residual = Y - Y_hat
        squared = residual.square()
        trace.values(X_train=X, Z=Z, minus_Z=-Z, Y_hat=Y_hat, residual=residual,
                     squared_residual=squared, sum_squares=squared.sum(), dY_hat=dY_hat,
                     one_minus_Y_hat=1 - Y_hat, dY_hat_dZ=local, dZ=dZ)


# %% record
def reproduce(ctx):
    X, Y = ctx.data("X_train"), ctx.data("Y_train")
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    linear = neuron(ctx)
    trace.watch(W=linear.weight, b=linear.bias)  # see [layout]
    optimizer = torch.optim.SGD(linear.parameters(), lr=learning_rate)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        if trace.printed:  # a pass of its own for the values the text works by hand
            worked_by_hand(trace, linear, X, Y)
        optimizer.zero_grad()
        cost = compute_cost(Y, forward(linear, X))
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if trace.printed:  # the step SGD takes, -lr * gradient (Fig 45); b is (1, 1) in the blog
            trace.values(delta_W=-learning_rate * linear.weight.grad,
                         delta_b=-learning_rate * linear.bias.grad.reshape(1, 1))
        optimizer.step()
        trace.parameters()
