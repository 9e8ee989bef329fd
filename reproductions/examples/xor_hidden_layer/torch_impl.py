"""XOR with one hidden layer in PyTorch: two ``nn.Linear`` layers with
``torch.sigmoid``, the cost ``0.5 * nn.MSELoss()``, autograd and ``torch.optim.SGD``.

Layout: PyTorch holds the examples as rows, the blog as columns. ``nn.Linear``
keeps its weight as (out, in), as the blog's W does, and its bias as (out,) where
the blog's b is (out, 1). ``to_torch`` and ``to_blog`` translate the start values
and the printed intermediates; the harness translates the watched parameters and
their gradients back (``[layout]`` in example.toml).
"""

import torch


def to_torch(tensor, kind):
    """The blog's layout to PyTorch's: data (features, examples) -> (examples, features)."""
    if kind == "data":
        return tensor.T
    return tensor.reshape(-1) if kind == "bias" else tensor


def to_blog(tensor):
    """PyTorch's examples as rows back to the blog's columns: (examples, units) -> (units, examples)."""
    return tensor.T


class TwoLayerNet(torch.nn.Module):
    def __init__(self, ctx):
        super().__init__()
        self.layer1 = torch.nn.Linear(2, 3, dtype=ctx.dtype)  # hidden layer: W1, b1
        self.layer2 = torch.nn.Linear(3, 1, dtype=ctx.dtype)  # output layer: W2, b2
        with torch.no_grad():
            for layer, k in ((self.layer1, "1"), (self.layer2, "2")):
                layer.weight.copy_(to_torch(ctx.tensor(ctx.init[f"W{k}"]), "weight"))
                layer.bias.copy_(to_torch(ctx.tensor(ctx.init[f"b{k}"]), "bias"))

    def forward(self, X):
        self.Z1 = self.layer1(X)
        self.A1 = torch.sigmoid(self.Z1)
        self.Z2 = self.layer2(self.A1)
        self.A2 = torch.sigmoid(self.Z2)
        return self.A2

    def named_blog_parameters(self):
        return {"W2": self.layer2.weight, "b2": self.layer2.bias,
                "W1": self.layer1.weight, "b1": self.layer1.bias}




def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


def sigmoid_local_gradient(Z):
    """dA/dZ of the element-wise sigmoid, by autograd."""
    with torch.enable_grad():
        Z = Z.detach().requires_grad_()
        (local,) = torch.autograd.grad(torch.sigmoid(Z).sum(), Z)
    return local


def show_first_iteration(trace, net, Y):
    """The intermediates Fig 79-81 print, from the forward pass and autograd."""
    for name in ("Z1", "A1", "Z2", "A2"):
        trace.value(name, to_blog(getattr(net, name)))
    trace.value("Y_minus_Y_hat", to_blog(Y - net.A2))
    trace.value("dA2", to_blog(net.A2.grad))
    trace.value("one_minus_A2", to_blog(1 - net.A2))
    trace.value("dA2_dZ2", to_blog(sigmoid_local_gradient(net.Z2)))
    trace.value("dZ2", to_blog(net.Z2.grad))
    trace.value("dA1", to_blog(net.A1.grad))
    trace.value("one_minus_A1", to_blog(1 - net.A1))
    trace.value("dA1_dZ1", to_blog(sigmoid_local_gradient(net.Z1)))
    trace.value("dZ1", to_blog(net.Z1.grad))


def reproduce(ctx):
    trace = ctx.trace
    X = to_torch(ctx.data("X_train"), "data")
    Y = to_torch(ctx.data("Y_train"), "data")
    net = TwoLayerNet(ctx)
    trace.watch(**net.named_blog_parameters())  # the blog's names and order; see [layout]
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        optimizer.zero_grad()
        cost = compute_cost(Y, net(X))
        if epoch == 0:  # Fig 79-81 print every intermediate of the first iteration
            for name in ("A2", "Z2", "A1", "Z1"):
                getattr(net, name).retain_grad()
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if epoch == 0:
            with torch.no_grad():
                show_first_iteration(trace, net, Y)
        optimizer.step()
        trace.parameters()

    if ctx.steps:  # after the last update: the cost and the outputs
        trace.step(ctx.steps)
        with torch.no_grad():
            cost = compute_cost(Y, net(X))
            trace.value("A2", to_blog(net.A2))
            trace.cost(cost)
