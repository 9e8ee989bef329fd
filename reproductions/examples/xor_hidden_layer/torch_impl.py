"""XOR with one hidden layer in PyTorch: two ``nn.Linear`` layers with
``torch.sigmoid``, the cost ``0.5 * nn.MSELoss()``, autograd and ``torch.optim.SGD``.

Layout: PyTorch holds the examples as rows, the blog as columns, so the data and every
printed intermediate are transposed (``[layout]`` in example.toml: the harness
translates them both ways). ``nn.Linear`` keeps its weight as (out, in), as the blog's
W does, and its bias as (out,) where the blog's b is (out, 1).
"""

import torch


# %% data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class TwoLayerNet(torch.nn.Module):
    def __init__(self, ctx):
        super().__init__()
        self.layer1 = torch.nn.Linear(2, 3, dtype=ctx.dtype)  # hidden layer: W1, b1
        self.layer2 = torch.nn.Linear(3, 1, dtype=ctx.dtype)  # output layer: W2, b2
        ctx.load(W1=self.layer1.weight, b1=self.layer1.bias,
                 W2=self.layer2.weight, b2=self.layer2.bias)

    def forward(self, X):
        self.Z1 = self.layer1(X)
        self.A1 = torch.sigmoid(self.Z1)
        self.Z2 = self.layer2(self.A1)
        self.A2 = torch.sigmoid(self.Z2)
        return self.A2

    def blog_parameters(self):
        """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
        return {"W2": self.layer2.weight, "b2": self.layer2.bias,
                "W1": self.layer1.weight, "b1": self.layer1.bias}


# %% cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


# %% autodiff
def sigmoid_local_gradient(Z):
    """dA/dZ of the element-wise sigmoid, by autograd."""
    Z = Z.detach().requires_grad_()
    (local,) = torch.autograd.grad(torch.sigmoid(Z).sum(), Z)
    return local


def first_iteration(trace, net, X, Y):
    """Fig 79-81: the forward pass and every upstream and local gradient, by autograd."""
    cost = compute_cost(Y, net(X))
    dA2, dZ2, dA1, dZ1 = torch.autograd.grad(cost, [net.A2, net.Z2, net.A1, net.Z1])
    trace.values(Z1=net.Z1, A1=net.A1, Z2=net.Z2, A2=net.A2, Y_minus_Y_hat=Y - net.A2,
                 dA2=dA2, one_minus_A2=1 - net.A2, dA2_dZ2=sigmoid_local_gradient(net.Z2),
                 dZ2=dZ2, dA1=dA1, one_minus_A1=1 - net.A1,
                 dA1_dZ1=sigmoid_local_gradient(net.Z1), dZ1=dZ1)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = TwoLayerNet(ctx)
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    trace.watch(**net.blog_parameters())  # see [layout]

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

    trace.step(ctx.steps)  # after the last update: the cost and the outputs
    with torch.no_grad():
        cost = compute_cost(Y, net(X))
        trace.value("A2", net.A2)
        trace.cost(cost)
