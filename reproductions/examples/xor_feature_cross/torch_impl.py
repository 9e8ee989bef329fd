"""XOR with the feature cross in PyTorch: one ``nn.Linear(3, 1)`` with
``torch.sigmoid``, the cost ``0.5 * nn.MSELoss()``, autograd and ``torch.optim.SGD``.

Layout: PyTorch holds the examples as rows, the blog as columns. ``nn.Linear``
keeps its weight as (out, in), as the blog's W does, and its bias as (out,) where
the blog's b is (out, 1). ``to_torch`` and ``to_blog`` translate the start values
and the printed intermediates; the harness translates the watched parameters and
their gradients back (``[layout]`` in example.toml).
"""

import torch


# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:to_torch
def to_torch(tensor, kind):
    """The blog's layout to PyTorch's: data (features, examples) -> (examples, features)."""
    if kind == "data":
        return tensor.T
    return tensor.reshape(-1) if kind == "bias" else tensor


# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:to_blog
def to_blog(tensor):
    """PyTorch's examples as rows back to the blog's columns: (examples, units) -> (units, examples)."""
    return tensor.T


class FeatureCrossNet(torch.nn.Module):
    def __init__(self, ctx):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1, dtype=ctx.dtype)  # inputs x1, x2, x3 = x1 * x2
        with torch.no_grad():
            self.linear.weight.copy_(to_torch(ctx.tensor(ctx.init["W"]), "weight"))
            self.linear.bias.copy_(to_torch(ctx.tensor(ctx.init["b"]), "bias"))

    def forward(self, X):
        self.Z = self.linear(X)
        self.A = torch.sigmoid(self.Z)
        return self.A


# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


def reproduce(ctx):
    trace = ctx.trace
    X = to_torch(ctx.data("X_train"), "data")
    Y = to_torch(ctx.data("Y_train"), "data")
    net = FeatureCrossNet(ctx)
    trace.watch(W=net.linear.weight, b=net.linear.bias)  # see [layout]
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        optimizer.zero_grad()
        cost = compute_cost(Y, net(X))
        if epoch == 0:  # the first iteration (Fig 71-73): keep dCost/dA and dCost/dZ
            net.A.retain_grad()
            net.Z.retain_grad()
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if epoch == 0:
            trace.value("Z", to_blog(net.Z))
            trace.value("A", to_blog(net.A))
            trace.value("dA", to_blog(net.A.grad))
            trace.value("dZ", to_blog(net.Z.grad))
        optimizer.step()
        trace.parameters()

    if ctx.steps:  # the trained network: its cost and outputs
        trace.step(ctx.steps)
        with torch.no_grad():
            cost = compute_cost(Y, net(X))
            trace.value("A", to_blog(net.A))
            trace.cost(cost)
