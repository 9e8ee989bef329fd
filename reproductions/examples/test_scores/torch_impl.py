"""Test scores in PyTorch: two bias-free ``nn.Linear`` layers with ``torch.sigmoid``,
``0.5 * nn.MSELoss(reduction="sum")``, autograd and ``torch.optim.SGD``.

Layout: ``nn.Linear`` keeps its weight as (out, in); the series keeps W1 as (2, 3)
and W2 as (3, 1), i.e. (in, out). ``to_torch`` and ``to_series`` translate in the
step-0 sections; in training, the harness translates the watched weights and their
gradients back, as ``[layout]`` in example.toml declares.
"""

import torch


class Neural_Network(torch.nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.hidden = torch.nn.Linear(2, 3, bias=False, dtype=dtype)  # W1
        self.output = torch.nn.Linear(3, 1, bias=False, dtype=dtype)  # W2

    def forward(self, X):
        self.z2 = self.hidden(X)
        self.z3 = self.output(torch.sigmoid(self.z2))
        return torch.sigmoid(self.z3)


def to_torch(tensor):
    """A series weight (in, out) as an nn.Linear weight (out, in)."""
    return tensor.T


def to_series(tensor):
    """An nn.Linear weight or its gradient (out, in) back to the series' (in, out)."""
    return tensor.T


def new_network(ctx):
    net = Neural_Network(ctx.dtype)
    set_weights(net, ctx.tensor(ctx.init["W1"]), ctx.tensor(ctx.init["W2"]))
    return net


@torch.no_grad()
def set_weights(net, W1, W2):
    net.hidden.weight.copy_(to_torch(W1))
    net.output.weight.copy_(to_torch(W2))


def cost_function(yHat, y):
    # J = 1/2 sum (y - yHat)^2: the series' cost has no mean, so reduction="sum"
    return 0.5 * torch.nn.MSELoss(reduction="sum")(yHat, y)


def get_params(net):
    """The series' parameter vector: W1 row by row, then W2."""
    return torch.cat([to_series(net.hidden.weight).reshape(-1),
                      to_series(net.output.weight).reshape(-1)])


def set_params(net, params):
    set_weights(net, params[:6].reshape(2, 3), params[6:].reshape(3, 1))


@torch.no_grad()
def numerical_gradient(net, X, y, e):
    """Central differences, and the largest cost differenced (see numpy_impl.py)."""
    start = get_params(net).clone()
    numgrad = torch.zeros_like(start)
    costs = []
    for p in range(start.numel()):
        nudge = torch.zeros_like(start)
        nudge[p] = e
        set_params(net, start + nudge)
        cost_up = cost_function(net(X), y)
        set_params(net, start - nudge)
        cost_down = cost_function(net(X), y)
        numgrad[p] = (cost_up - cost_down) / (2 * e)
        costs += [cost_up, cost_down]
    set_params(net, start)
    return numgrad, torch.stack(costs).abs().max()


def step_zero(ctx, X, y):
    trace, e = ctx.trace, ctx.hyper.eps
    net = new_network(ctx)

    yHat = net(X)
    net.z2.retain_grad()
    net.z3.retain_grad()
    cost = cost_function(yHat, y)
    cost.backward()
    trace.value("yHat", yHat)
    residual = trace.value("y_minus_yHat", y - yHat)
    trace.value("shape.y_minus_yHat", torch.tensor(residual.shape, dtype=ctx.dtype))
    delta3 = trace.value("delta3", net.z3.grad)  # dJ/dz3
    trace.value("shape.delta3", torch.tensor(delta3.shape, dtype=ctx.dtype))
    trace.value("delta2", net.z2.grad)  # dJ/dz2
    n_weights = sum(parameter.numel() for parameter in net.parameters())
    trace.value("n_weights", torch.tensor(n_weights, dtype=ctx.dtype))

    # Where the sigmoid's slope is largest, by autograd on a grid of step 0.01.
    z = (torch.arange(-500, 501, dtype=ctx.dtype) / 100).requires_grad_()
    torch.sigmoid(z).sum().backward()
    steepest = torch.argmax(z.grad)
    trace.value("sigmoidPrime_argmax", z.detach()[steepest])
    trace.value("sigmoidPrime_max", z.grad[steepest])

    dJdW1, dJdW2 = to_series(net.hidden.weight.grad), to_series(net.output.weight.grad)
    grad = torch.cat([dJdW1.reshape(-1), dJdW2.reshape(-1)])
    numgrad, largest_cost = numerical_gradient(net, X, y, e)
    # scales as in numpy_impl.py (only the reference's are used): costs cancelled over
    # 2e; grad against numgrad, each about half of norm(grad + numgrad)
    trace.value("numgrad", numgrad, scale=largest_cost / (2 * e))
    norm_of_sum = torch.linalg.vector_norm(grad + numgrad)
    operands = torch.maximum(torch.linalg.vector_norm(grad), torch.linalg.vector_norm(numgrad))
    trace.value("gradient_check", torch.linalg.vector_norm(grad - numgrad) / norm_of_sum,
                scale=operands / norm_of_sum)

    scalar = ctx.hyper.probe_step
    with torch.no_grad():
        W1, W2 = to_series(net.hidden.weight).clone(), to_series(net.output.weight).clone()
        set_weights(net, W1 + scalar * dJdW1, W2 + scalar * dJdW2)
        trace.value("cost_plus_gradient", cost_function(net(X), y))
        set_weights(net, W1 - scalar * dJdW1, W2 - scalar * dJdW2)
        trace.value("cost_minus_gradient", cost_function(net(X), y))


def reproduce(ctx):
    trace = ctx.trace

    trace.step(0)
    X_raw, y_raw = ctx.data("X"), ctx.data("y")
    X = trace.value("X_scaled", X_raw / X_raw.amax(dim=0))  # columns over their maxima
    y = trace.value("y_scaled", y_raw / 100)  # scores over 100
    step_zero(ctx, X, y)

    net = new_network(ctx)
    trace.watch(W1=net.hidden.weight, W2=net.output.weight)  # [layout] says how they map
    optimizer = torch.optim.SGD(net.parameters(), lr=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        optimizer.zero_grad()
        cost = cost_function(net(X), y)
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched weight's .grad
        optimizer.step()
        trace.parameters()
