"""Test scores in PyTorch: two bias-free ``nn.Linear`` layers with ``torch.sigmoid``,
``0.5 * nn.MSELoss(reduction="sum")``, autograd and ``torch.optim.SGD``.

Layout: ``nn.Linear`` keeps its weight as (out, in); the series keeps W1 as (2, 3)
and W2 as (3, 1), i.e. (in, out). ``ctx.load`` sets the start values and the harness
translates the weights and their gradients back, as ``[layout]`` in example.toml
declares. The one translation left is ``unrolled``: the gradient check's parameter
vector runs through the series' W1 row by row, which in nn.Linear's (out, in) is a
transpose inside one vector of both weights, and [layout] names whole arrays only.
"""

import torch


# %% forward
class Neural_Network(torch.nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.hidden = torch.nn.Linear(2, 3, bias=False, dtype=dtype)  # W1
        self.output = torch.nn.Linear(3, 1, bias=False, dtype=dtype)  # W2

    def weights(self):
        """The series' (W1, W2), as nn.Linear holds them: (out, in)."""
        return [self.hidden.weight, self.output.weight]

    def forward(self, X):
        self.z2 = self.hidden(X)
        self.z3 = self.output(torch.sigmoid(self.z2))
        return torch.sigmoid(self.z3)


# %% data
def new_network(ctx):
    net = Neural_Network(ctx.dtype)
    ctx.load(W1=net.hidden.weight, W2=net.output.weight)
    return net


@torch.no_grad()
def set_weights(net, W1, W2):
    net.hidden.weight.copy_(W1)
    net.output.weight.copy_(W2)


# %% cost
def cost_function(yHat, y):
    # J = 1/2 sum (y - yHat)^2: the series' cost has no mean, so reduction="sum"
    return 0.5 * torch.nn.MSELoss(reduction="sum")(yHat, y)


# %% check
def unrolled(W1, W2):
    """The series' parameter vector of (W1, W2) held as (out, in): W1 row by row, then W2,
    each row of the series' (in, out) a column here."""
    return torch.cat([W1.T.reshape(-1), W2.T.reshape(-1)])


def get_params(net):
    return unrolled(*net.weights())


def set_params(net, params):
    set_weights(net, params[:6].reshape(2, 3).T, params[6:].reshape(3, 1).T)


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


# %% autodiff
def step_zero(ctx, X, y):
    trace, e = ctx.trace, ctx.hyper.eps
    net = new_network(ctx)

    yHat = net(X)
    cost = cost_function(yHat, y)
    dJdW1, dJdW2, delta3, delta2 = torch.autograd.grad(cost, net.weights() + [net.z3, net.z2])
    residual = y - yHat
    n_weights = sum(w.numel() for w in net.weights())
    trace.values(yHat=yHat, y_minus_yHat=residual,
                 **{"shape.y_minus_yHat": torch.tensor(residual.shape, dtype=ctx.dtype)},
                 delta3=delta3,  # dJ/dz3
                 **{"shape.delta3": torch.tensor(delta3.shape, dtype=ctx.dtype)},
                 delta2=delta2,  # dJ/dz2
                 n_weights=torch.tensor(n_weights, dtype=ctx.dtype))

    # Where the sigmoid's slope is largest, by autograd on a grid of step 0.01.
    z = (torch.arange(-500, 501, dtype=ctx.dtype) / 100).requires_grad_()
    (slopes,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    steepest = torch.argmax(slopes)
    trace.values(sigmoidPrime_argmax=z.detach()[steepest], sigmoidPrime_max=slopes[steepest])

    grad = unrolled(dJdW1, dJdW2)
    numgrad, largest_cost = numerical_gradient(net, X, y, e)
    # scales as in numpy_impl.py (only the reference's are used): costs cancelled over
    # 2e, and the check inherits that over norm(grad + numgrad)
    trace.value("numgrad", numgrad, scale=largest_cost / (2 * e))
    norm_of_sum = torch.linalg.vector_norm(grad + numgrad)
    trace.value("gradient_check", torch.linalg.vector_norm(grad - numgrad) / norm_of_sum,
                scale=largest_cost / (2 * e) / norm_of_sum)

    scalar = ctx.hyper.probe_step
    with torch.no_grad():
        W1, W2 = [w.clone() for w in net.weights()]
        set_weights(net, W1 + scalar * dJdW1, W2 + scalar * dJdW2)
        uphill = cost_function(net(X), y)
        set_weights(net, W1 - scalar * dJdW1, W2 - scalar * dJdW2)
        trace.values(cost_plus_gradient=uphill, cost_minus_gradient=cost_function(net(X), y))


# %% record
def reproduce(ctx):
    trace = ctx.trace

    trace.step(0)
    X_raw, y_raw = ctx.data("X"), ctx.data("y")
    X = X_raw / X_raw.amax(dim=0)  # columns over their maxima
    y = y_raw / 100  # scores over 100
    trace.values(X_scaled=X, y_scaled=y)
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
