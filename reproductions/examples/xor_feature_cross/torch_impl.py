"""XOR with the feature cross in PyTorch: one ``nn.Linear(3, 1)`` with
``torch.sigmoid``, the cost ``0.5 * nn.MSELoss()``, autograd and ``torch.optim.SGD``.

Layout: PyTorch holds the examples as rows, the blog as columns, so the data and the
printed intermediates are transposed (``[layout]`` in example.toml: the harness
translates them both ways). ``nn.Linear`` keeps its weight as (out, in), as the
blog's W does, and its bias as (out,) where the blog's b is (out, 1).
"""

import torch


# %% data
# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class FeatureCrossNet(torch.nn.Module):
    def __init__(self, ctx):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1, dtype=ctx.dtype)  # inputs x1, x2, x3 = x1 * x2
        ctx.load(W=self.linear.weight, b=self.linear.bias)

    def forward(self, X):
        self.Z = self.linear(X)
        self.A = torch.sigmoid(self.Z)
        return self.A


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


# %% autodiff
def first_iteration(trace, net, X, Y):
    """Fig 71-72: the forward pass, dCost/dA and dCost/dZ, by autograd."""
    cost = compute_cost(Y, net(X))
    dA, dZ = torch.autograd.grad(cost, [net.A, net.Z])
    trace.values(Z=net.Z, A=net.A, dA=dA, dZ=dZ)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = FeatureCrossNet(ctx)
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    trace.watch(W=net.linear.weight, b=net.linear.bias)  # see [layout]

    for epoch in range(ctx.steps):
        trace.step(epoch)
        if trace.printed:  # a pass of its own for the intermediates the text prints
            first_iteration(trace, net, X, Y)
        optimizer.zero_grad()
        cost = compute_cost(Y, net(X))
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        optimizer.step()
        trace.parameters()

    trace.step(ctx.steps)  # the trained network: its cost and outputs
    with torch.no_grad():
        cost = compute_cost(Y, net(X))
        trace.value("A", net.A)
        trace.cost(cost)
