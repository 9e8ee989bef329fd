"""The blog's XOR training loop (Fig 91-93) in PyTorch: two ``nn.Linear`` layers with
``torch.sigmoid``, the cost ``0.5 * nn.MSELoss()``, autograd and ``torch.optim.SGD``.

Layout: PyTorch holds the examples as rows, the blog as columns, so the data and the
printed outputs are transposed (``[layout]`` in example.toml: the harness translates
them both ways). ``nn.Linear`` keeps its weight as (out, in), as the blog's W does,
and its bias as (out,) where the blog's b is (out, 1).
"""

import torch


# %% data
# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class TwoLayerNet(torch.nn.Module):
    # Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:TwoLayerNet.__init__
    def __init__(self, ctx):
        super().__init__()
        self.layer1 = torch.nn.Linear(2, 3, dtype=ctx.dtype)  # hidden layer: W1, b1
        self.layer2 = torch.nn.Linear(3, 1, dtype=ctx.dtype)  # output layer: W2, b2
        ctx.load(W1=self.layer1.weight, b1=self.layer1.bias,
                 W2=self.layer2.weight, b2=self.layer2.bias)

    def forward(self, X):
        return torch.sigmoid(self.layer2(torch.sigmoid(self.layer1(X))))

    # Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:TwoLayerNet.blog_parameters
    def blog_parameters(self):
        """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
        return {"W2": self.layer2.weight, "b2": self.layer2.bias,
                "W1": self.layer1.weight, "b1": self.layer1.bias}


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * torch.nn.MSELoss()(Y_hat, Y)


# %% check
@torch.no_grad()
def predict(net, X, Y, thresh=0.5):
    """Output above ``thresh`` -> 1, else 0 (this suite's reading), and the accuracy in %."""
    predictions = (net(X) > thresh).to(X.dtype)
    accuracy = (predictions == Y).to(X.dtype).mean() * 100
    return predictions, accuracy


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = TwoLayerNet(ctx)
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    trace.watch(**net.blog_parameters())  # see [layout]

    costs = []  # the loop prints and keeps the cost of every 100th epoch
    for epoch in range(ctx.steps):
        trace.step(epoch)
        ctx.start_from_reference(epoch, **net.blog_parameters())  # a step-local run only
        optimizer.zero_grad()
        cost = compute_cost(Y, net(X))
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        costs.append(cost.detach())
        optimizer.step()
        trace.parameters()

    trace.step(ctx.steps)  # after the last update
    with torch.no_grad():
        Y_hat = net(X)
        trace.value("A2", Y_hat)
        trace.cost(compute_cost(Y, Y_hat))
    trace.value("costs", torch.stack(costs[::100]))
    predictions, accuracy = predict(net, X, Y)
    trace.values(predicted_outputs=predictions, accuracy=accuracy)
