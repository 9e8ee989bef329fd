"""The blog's XOR training loop (Fig 91-93) in PyTorch: two ``nn.Linear`` layers with
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
        return torch.sigmoid(self.layer2(torch.sigmoid(self.layer1(X))))


# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


@torch.no_grad()
def predict(net, X, Y, thresh=0.5):
    """Output above ``thresh`` -> 1, else 0 (this suite's reading), and the accuracy in %."""
    predictions = (net(X) > thresh).to(X.dtype)
    accuracy = (predictions == Y).to(X.dtype).mean() * 100
    return predictions, accuracy


def reproduce(ctx):
    trace = ctx.trace
    X = to_torch(ctx.data("X_train"), "data")
    Y = to_torch(ctx.data("Y_train"), "data")
    net = TwoLayerNet(ctx)
    trace.watch(W2=net.layer2.weight, b2=net.layer2.bias,  # the blog's update order
                W1=net.layer1.weight, b1=net.layer1.bias)  # see [layout]
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)

    costs = []  # the costs the loop prints and keeps, every 100 epochs
    for epoch in range(ctx.steps):
        trace.step(epoch)
        optimizer.zero_grad()
        cost = compute_cost(Y, net(X))
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if epoch % 100 == 0:
            costs.append(cost.detach())
        optimizer.step()
        trace.parameters()

    if ctx.steps:  # after the last update
        trace.step(ctx.steps)
        with torch.no_grad():
            Y_hat = net(X)
            trace.value("A2", to_blog(Y_hat))
            trace.cost(compute_cost(Y, Y_hat))
        trace.value("costs", torch.stack(costs))
        predictions, accuracy = predict(net, X, Y)
        trace.value("predicted_outputs", to_blog(predictions))
        trace.value("accuracy", accuracy)
