"""The scale case in PyTorch: two ``nn.Linear`` layers with ``torch.tanh``,
``torch.nn.functional.cross_entropy`` on the one-hot targets (class probabilities),
autograd and ``torch.optim.SGD``.

Layout: ``nn.Linear`` keeps its weight as (out, in) and its bias as (out,); the
example keeps W as (in, out) and b as (1, out). ``to_torch`` sets the start
values; the harness translates the watched parameters and their gradients back
(``[layout]``).
"""

import torch

NAMES = ("W1", "b1", "W2", "b2")


def to_torch(tensor, name):
    return tensor.T if name.startswith("W") else tensor.reshape(-1)


class MLP(torch.nn.Module):
    def __init__(self, ctx):
        super().__init__()
        n_in, width = ctx.init["W1"].shape
        n_out = ctx.init["W2"].shape[1]
        self.hidden = torch.nn.Linear(n_in, width, dtype=ctx.dtype)  # W1, b1
        self.output = torch.nn.Linear(width, n_out, dtype=ctx.dtype)  # W2, b2
        self.by_name = {"W1": self.hidden.weight, "b1": self.hidden.bias,
                        "W2": self.output.weight, "b2": self.output.bias}
        with torch.no_grad():
            for name, parameter in self.by_name.items():
                parameter.copy_(to_torch(ctx.tensor(ctx.init[name]), name))

    def forward(self, X):
        return self.output(torch.tanh(self.hidden(X)))


def reproduce(ctx):
    trace = ctx.trace
    X, Y = ctx.data("X"), ctx.data("Y")
    net = MLP(ctx)
    trace.watch(**net.by_name)  # see [layout]
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)

    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        cost = torch.nn.functional.cross_entropy(net(X), Y)  # mean over the batch
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        optimizer.step()
        trace.parameters()
