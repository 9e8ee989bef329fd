"""The generic engine in PyTorch: ``nn.Linear`` layers, torch's activations and
``torch.nn`` losses, autograd and ``torch.optim.SGD``, or the [optimizer]'s
``torch.optim`` class where it computes the source's formula and the update written
out in torch ops where not (``engines/torch/optimizers.py``; the class's difference
measured as a finding).

PyTorch holds the examples as rows and an ``nn.Linear`` weight as (out, in); the
example's [layout] (set from network.layout) says which names that transposes, and
the harness translates them both ways. A bias is (out,); 'fixed' stops its gradient,
'shared' is one ``nn.Parameter`` added to every unit, 'folded' a last input column of
the weight on a column of ones, 'none' leaves it out. dZ is each Z's ``.grad``.
A network without a cost (steps = 0) is its forward pass at step 0 alone. An image
network's conv, pool and flatten entries are engines/torch/layers.py (``F.conv2d``,
``F.max_pool2d``, ...) on ``nn.Parameter`` kernels held in the source's layout, and
autograd runs through them; its dense layers take the flattened rows.
"""

from __future__ import annotations

import math

import torch

from reproductions.engines.optimizers import class_differences
from reproductions.engines.torch import layers as image
from reproductions.engines.torch import optimizers
from reproductions.generic.definition import (batch, expected_shapes, has_z, intermediates,
                                              network_of, optimizer_of, penalised, smaller_batch,
                                              trained_names, update_of)


# %% data
def examples_of(array, indices):
    """The step's examples (rows): all of them, or those ``indices``."""
    return array if indices is None else array[indices]


# %% forward
def activate(name, Z):
    """The activation; softmax along the units (the last axis)."""
    if name == "sigmoid":
        return torch.sigmoid(Z)
    if name == "tanh":
        return torch.tanh(Z)
    if name == "relu":
        return torch.relu(Z)
    if name == "softmax":
        return torch.softmax(Z, dim=-1)
    return Z


class Net(torch.nn.Module):
    def __init__(self, ctx, network):
        super().__init__()
        self.network = network
        shapes = expected_shapes(network, 1)  # of one example: each layer's output size
        sizes = [network.inputs] + [math.prod(shapes[f"A{k}"][0])
                                    for k in range(1, len(network.layers))]
        self.linears = torch.nn.ModuleDict({
            str(k): torch.nn.Linear(n_in + (layer.bias == "folded"), layer.units,
                                    bias=layer.bias in ("trained", "fixed"), dtype=ctx.dtype)
            for k, (n_in, layer) in enumerate(zip(sizes, network.layers), 1)
            if has_z(layer) and layer.type != "conv2d"})
        self.convs = torch.nn.ParameterDict({  # a kernel and its bias as the source holds them
            f"{name}{k}": torch.nn.Parameter(torch.zeros(ctx.init[f"{name}{k}"].shape,
                                                         dtype=ctx.dtype))
            for k, layer in enumerate(network.layers, 1) if layer.type == "conv2d"
            for name in ("W", "b") if name == "W" or layer.bias == "trained"})
        self.shared = torch.nn.ParameterDict({
            f"b{k}": torch.nn.Parameter(torch.zeros((), dtype=ctx.dtype))
            for k, layer in enumerate(network.layers, 1) if getattr(layer, "bias", "") == "shared"})
        ctx.load(**self.source_parameters())
        for k, linear in self.linears.items():
            if network.layers[int(k) - 1].bias == "fixed":
                linear.bias.requires_grad_(False)

    def forward(self, X):
        """Every Z and every A (Z None for a pool or a flatten); each Z keeps its gradient
        (dZ) once the cost is backward."""
        Zs, As, A = [], [], X
        for k, layer in enumerate(self.network.layers, 1):
            if not has_z(layer):
                A = getattr(image, f"{layer.type}_forward")(A, layer)
                Zs.append(None)
                As.append(A)
                continue
            if layer.type == "conv2d":
                Z = image.conv2d_forward(A, self.convs[f"W{k}"], self.convs.get(f"b{k}"), layer)
            else:
                if layer.bias == "folded":
                    A = torch.cat([A, torch.ones_like(A[:, :1])], dim=-1)
                Z = self.linears[str(k)](A)
            if layer.bias == "shared":
                Z = Z + self.shared[f"b{k}"]
            Z.retain_grad()
            A = activate(layer.activation, Z)
            Zs.append(Z)
            As.append(A)
        return Zs, As

    def cost(self, Y, Zs, As):
        cost = data_cost(self.network, Y, Zs[-1], As[-1])
        if self.network.l2:
            params = self.source_parameters()
            cost = cost + self.network.l2 / 2 * sum(torch.sum(params[name] ** 2)
                                                    for name in penalised(self.network))
        return cost

    def source_parameters(self, trained_only=False):
        """The parameters by the definition's names: W1, b1, W2, ..."""
        held = dict(self.convs)
        for k, linear in self.linears.items():
            held[f"W{k}"] = linear.weight
            if linear.bias is not None:
                held[f"b{k}"] = linear.bias
        held.update(self.shared)
        held = {f"{name}{k}": held[f"{name}{k}"] for k in range(1, len(self.network.layers) + 1)
                for name in ("W", "b") if f"{name}{k}" in held}
        names = trained_names(self.network) if trained_only else held
        return {name: held[name] for name in names}


# %% cost
def data_cost(network, Y, Z, A):
    """The cost without its L2 term; the NLLs on the logits Z, as torch fuses them."""
    cost, n = network.cost, Y.shape[-1]
    if cost == "hinge":  # torch has no loss class for it
        return torch.mean(torch.clamp(1 - Y * A, min=0))
    if cost == "binary_nll_probabilities":  # BCELoss would clamp each log at -100
        return -torch.mean(Y * torch.log(A) + (1 - Y) * torch.log(1 - A))
    if cost == "binary_nll":
        return torch.nn.BCEWithLogitsLoss()(Z, Y)
    if cost in ("multiclass_nll_sum", "multiclass_nll_mean"):  # one-hot Y as class probabilities
        return torch.nn.CrossEntropyLoss(reduction=cost.removeprefix("multiclass_nll_"))(Z, Y)
    if cost == "half_sum_squares":
        return 0.5 * torch.nn.MSELoss(reduction="sum")(A, Y)
    if cost == "sum_squares":
        return torch.nn.MSELoss(reduction="sum")(A, Y)
    if cost == "mse":
        return torch.nn.MSELoss()(A, Y)
    if cost == "half_mean_squares":  # sum / (2m) = 1/2 * n * the mean over m * n elements
        return 0.5 * n * torch.nn.MSELoss()(A, Y)
    return torch.nn.L1Loss()(A, Y)  # mae


# %% autodiff
def forward_backward(net, X, Y):
    """The cost on the examples X, Y and, by autograd, its gradient in each parameter's
    .grad; every Z, every A and each Z's gradient (dZ)."""
    Zs, As = net(X)
    cost = net.cost(Y, Zs, As)
    cost.backward()
    return cost, Zs, As, [None if Z is None else Z.grad for Z in Zs]


# %% record
def forward_only(trace, network, net, X):
    """A network without a cost (steps = 0): Z and A at step 0, on the examples the first
    step would take; no cost, no backward pass, no update."""
    trace.step(0)
    Zs, As = net(examples_of(X, batch(network, len(X), 0)))
    trace.values(**intermediates(Zs, As))


def reproduce(ctx):
    trace = ctx.trace
    network = network_of(ctx.example)
    X = ctx.data("X")
    net = Net(ctx, network)
    if network.cost is None:
        return forward_only(trace, network, net, X)
    Y = ctx.data("Y")
    trained = net.source_parameters(trained_only=True)
    spec, recorded_state = update_of(ctx.example), optimizer_of(ctx.example) is not None
    optimizer = optimizers.build(spec, trained)
    trace.watch(**trained)
    for name, difference in class_differences(optimizers, spec, str(ctx.dtype)[6:]).items():
        trace.finding(name, difference)  # at step 0

    for step in range(ctx.steps):
        trace.step(step)
        ctx.start_from_reference(step, **trained)  # step-local parity only
        indices = batch(network, len(X), step)
        optimizer.zero_grad()
        cost, Zs, As, dZs = forward_backward(net, examples_of(X, indices), examples_of(Y, indices))
        if not smaller_batch(network, len(X), step):
            trace.values(**intermediates(Zs, As, dZs))
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        optimizer.step()
        trace.parameters()
        for name, value in (optimizers.state(spec, optimizer, trained).items()
                            if recorded_state else ()):
            trace.param(name, value)

    trace.step(ctx.steps)  # after the last update: the cost, Z, A and dZ on the next examples
    indices = batch(network, len(X), ctx.steps)
    optimizer.zero_grad()
    cost, Zs, As, dZs = forward_backward(net, examples_of(X, indices), examples_of(Y, indices))
    if not smaller_batch(network, len(X), ctx.steps):
        trace.values(**intermediates(Zs, As, dZs))
    trace.cost(cost)

