"""The generic engine in NumPy: the reference, in the source's layout, with the
backward pass written out by hand.

Each step: forward through the layers on the step's examples (Z and A recorded
where the source prints them), the cost and dCost/dZ of the output layer, backward
to every gradient (each dZ recorded), then one update: gradient descent, or the
[optimizer]'s rule written out (engines/numpy/optimizers.py), its state recorded after
the parameters. A network without a cost (steps = 0) is its forward pass at step 0
alone. It records
with the values it goes on computing with, so the rounded replay redoes the
author's arithmetic on the printed Z, A, dZ, gradients and parameters. An image
network's conv, pool and flatten entries run engines/numpy/layers.py, forward and
backward written out there.
"""

from __future__ import annotations

import numpy as np

from reproductions.engines.numpy import layers as image
from reproductions.engines.numpy.optimizers import Optimizer
from reproductions.generic.definition import (HAS_B, EngineView, batch, dense_layout,
                                              examples_axis, has_held_out_set, has_z,
                                              held_out_set, intermediates, is_image,
                                              network_of, optimizer_of, penalised,
                                              smaller_batch, start_names, trained_names,
                                              update_of)
from reproductions.trace import no_record


# %% data
def examples_of(array, indices, axis):
    """The step's examples of X or Y: all of them, or those ``indices`` along ``axis``."""
    return array if indices is None else np.take(array, indices, axis=axis)


# %% forward
def activate(name, Z, axis):
    """The activation; ``axis`` is the units' axis, along which softmax normalises."""
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-Z))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "softmax":
        E = np.exp(Z - np.max(Z, axis=axis, keepdims=True))
        return E / np.sum(E, axis=axis, keepdims=True)
    return Z


def affine(layout, W, A):
    """W applied to the layer's input A, in the source's layout (the bias aside)."""
    if layout == "rows":
        return A @ W
    return W @ A if layout == "columns" else W.T @ A


def with_ones(A, axis):
    """A with a one appended to each example, along the units' ``axis`` (a folded bias)."""
    ones = np.ones(A.shape[:axis] + (1,) + A.shape[axis + 1:])
    return np.concatenate([A, ones], axis=axis)


class Net:
    """The network's parameters by their names, in the source's layout."""

    def __init__(self, network, params):
        self.network, self.params = network, params
        self.layout = dense_layout(network)  # an image network's dense layers: rows
        self.examples = examples_axis(network.layout)  # the axis of the examples
        self.units = 1 - examples_axis(self.layout)  # the axis of a dense layer's units

    def layer_input(self, k, A):
        """What layer k's W multiplies: the previous A, with its ones for a folded bias."""
        return with_ones(A, self.units) if self.network.layers[k - 1].bias == "folded" else A

    def forward(self, X, record=no_record):
        """Every activation, X first, then A1, A2, ...; and every Z (None for a pool or a
        flatten, which has none)."""
        As, Zs = [X], []
        for k, layer in enumerate(self.network.layers, 1):
            if not has_z(layer):  # a pool or a flatten
                Zs.append(None)
                As.append(record(f"A{k}", getattr(image, f"{layer.type}_forward")(As[-1], layer)))
                continue
            if layer.type == "conv2d":
                Z = image.conv2d_forward(As[-1], self.params[f"W{k}"], self.params.get(f"b{k}"),
                                         layer)
            else:
                Z = affine(self.layout, self.params[f"W{k}"], self.layer_input(k, As[-1]))
                if layer.bias in HAS_B:
                    Z = Z + self.params[f"b{k}"]
            Zs.append(record(f"Z{k}", Z))
            As.append(record(f"A{k}", activate(layer.activation, Zs[-1], self.units)))
        return As, Zs

    def cost(self, Y, As, Zs):
        """The cost and dCost/dZ of the output layer."""
        cost, dZ = data_cost(self.network, Y, Zs[-1], As[-1], self.units)
        if self.network.l2:  # l2 / 2 times the sum of squares of the penalised parameters
            cost = cost + self.network.l2 / 2 * sum(np.sum(self.params[name] ** 2)
                                                    for name in penalised(self.network))
        return cost, dZ

    def backward(self, As, dZ, record=no_record):
        """Every gradient, from the output layer's dCost/dZ back (each dZ recorded), and
        the size of the terms each of its elements sums (``terms``): the same sums of
        magnitudes, which the gradient's rounding is relative to (parity.py)."""
        grads, layers, self.terms, dA = {}, self.network.layers, {}, None
        for k in range(len(layers), 0, -1):  # the last layer is dense: dA comes from it
            layer = layers[k - 1]
            if not has_z(layer):  # a pool or a flatten hands dA back to its input
                dA = getattr(image, f"{layer.type}_backward")(As[k - 1], dA, layer)
            elif layer.type == "conv2d":
                dZ = record(f"dZ{k}", dZ)
                dA = self.conv_backward(k, layer, As[k - 1], dZ, grads)
            else:
                dZ = record(f"dZ{k}", dZ)
                dA = self.dense_backward(k, layer, As[k - 1], dZ, grads)
            if k > 1 and has_z(layers[k - 2]):
                dZ = activation_backward(layers[k - 2].activation, As[k - 1], dA, self.units)
        return grads

    def dense_backward(self, k, layer, A, dZ, grads):
        """A dense layer's gradients into ``grads`` (and terms); dCost/dA of its input."""
        W, bias, A = self.params[f"W{k}"], layer.bias, self.layer_input(k, A)
        grads[f"W{k}"], dA = affine_backward(self.layout, W, A, dZ)
        self.terms[f"W{k}"] = affine_backward(self.layout, W, np.abs(A), np.abs(dZ))[0]
        if bias == "trained":
            b = self.params[f"b{k}"]
            grads[f"b{k}"] = np.sum(dZ, axis=self.examples, keepdims=True).reshape(b.shape)
            self.terms[f"b{k}"] = np.sum(np.abs(dZ), axis=self.examples,
                                         keepdims=True).reshape(b.shape)
        elif bias == "shared":
            grads[f"b{k}"] = np.sum(dZ).reshape(self.params[f"b{k}"].shape)
            self.terms[f"b{k}"] = np.sum(np.abs(dZ)).reshape(self.params[f"b{k}"].shape)
        for name in {f"W{k}", f"b{k}"} & set(penalised(self.network)):  # + l2 p
            grads[name] = grads[name] + self.network.l2 * self.params[name]
            self.terms[name] = self.terms[name] + np.abs(self.network.l2 * self.params[name])
        if bias == "folded":  # the ones are no unit of the layer below
            dA = np.delete(dA, -1, axis=self.units)
        return dA

    def conv_backward(self, k, layer, A, dZ, grads):
        """A conv's gradients (engines/numpy/layers.py) into ``grads`` (and terms, the
        same sums of magnitudes); dCost/dA of its input."""
        W, b = self.params[f"W{k}"], self.params.get(f"b{k}")
        dA, grads[f"W{k}"], db = image.conv2d_backward(A, W, b, dZ, layer)
        _, self.terms[f"W{k}"], db_terms = image.conv2d_backward(
            np.abs(A), np.abs(W), None if b is None else np.abs(b), np.abs(dZ), layer)
        if b is not None:
            grads[f"b{k}"], self.terms[f"b{k}"] = db, db_terms
        return dA


def predict(example, params, X):
    """The network's output for inputs X (the source's layout) at params: the decision
    boundary of a two-input classifier (report.boundary_plot); None for any other network."""
    network = network_of(example)
    if is_image(network) or network.inputs != 2 or \
            network.layers[-1].activation not in ("sigmoid", "softmax"):
        return None
    As, _ = Net(network, params).forward(X)
    return As[-1]


def held_out_pass(example, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The generic NumPy engine's forward pass on the test set with ``params`` (by the
    source's names): Z1, A1, Z2, A2, ... by the source's names (none without a test set)."""
    network = network_of(example)
    if not has_held_out_set(network, example):
        return {}
    view = EngineView(example)
    X_test = held_out_set(example, network)["X_test"]
    As, Zs = Net(view.network, view.params(params)).forward(X_test)
    return {view.to_source(name): value for name, value in intermediates(Zs, As[1:]).items()}


# %% cost
def data_cost(network, Y, Z, A, axis):
    """The cost without its L2 term, and dCost/dZ of the output layer (``axis``: the units')."""
    cost, E, N, m = network.cost, Y - A, Y.size, Y.shape[1 - axis]
    if cost == "hinge":  # a subgradient: -Y / N where the margin Y A is below 1, else 0
        margin = 1 - Y * A
        return np.sum(np.maximum(margin, 0)) / N, activation_backward(
            network.layers[-1].activation, A, np.where(margin > 0, -Y, 0.0) / N, axis)
    if cost == "binary_nll_probabilities":  # on A itself, as sources write it: inf at 0 or 1
        value = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / N
        return value, activation_backward("sigmoid", A, -(Y / A - (1 - Y) / (1 - A)) / N, axis)
    if cost == "binary_nll":  # on the logits, as the frameworks' fused losses; dZ = (A - Y) / N
        return np.sum(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))) / N, -E / N
    if cost in ("multiclass_nll_sum", "multiclass_nll_mean"):  # log softmax of the logits
        per = m if cost == "multiclass_nll_mean" else 1
        shifted = Z - np.max(Z, axis=axis, keepdims=True)
        log_A = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return -np.sum(Y * log_A) / per, -E / per
    if cost == "half_sum_squares":
        value, dA = np.sum(E ** 2) / 2, -E
    elif cost == "sum_squares":
        value, dA = np.sum(E ** 2), -2 * E
    elif cost == "mse":
        value, dA = np.sum(E ** 2) / N, -2 * E / N
    elif cost == "half_mean_squares":
        value, dA = np.sum(E ** 2) / (2 * m), -E / m
    else:  # mae
        value, dA = np.sum(np.abs(E)) / N, -np.sign(E) / N
    return value, activation_backward(network.layers[-1].activation, A, dA, axis)


def cost_at(example, step, params):
    """The cost gradient descent minimises at ``step`` (on its examples), in float64:
    the numerical-gradient column."""
    network = network_of(example)
    net = Net(network, params)
    X, Y, axis = example.array("X"), example.array("Y"), net.examples
    indices = batch(network, X.shape[axis], step)
    X, Y = examples_of(X, indices, axis), examples_of(Y, indices, axis)
    return float(net.cost(Y, *net.forward(X))[0])


# %% backward
def activation_backward(name, A, dA, axis):
    """dCost/dZ from dCost/dA and the activation's output A."""
    if name == "sigmoid":
        return dA * (A * (1.0 - A))
    if name == "tanh":
        return dA * (1.0 - A ** 2)
    if name == "relu":
        return dA * (A > 0)
    if name == "softmax":  # the Jacobian diag(A) - A A^T, along the units' axis
        return A * (dA - np.sum(dA * A, axis=axis, keepdims=True))
    return dA


def affine_backward(layout, W, A, dZ):
    """dCost/dW and dCost/dA of Z = affine(W, A) + b."""
    if layout == "rows":
        return A.T @ dZ, dZ @ W.T
    if layout == "columns":
        return dZ @ A.T, W.T @ dZ
    return A @ dZ.T, W @ dZ


# %% record
def forward_only(trace, network, net, X):
    """A network without a cost (steps = 0): Z and A at step 0, on the examples the first
    step would take; no cost, no backward pass, no update."""
    trace.step(0)
    net.forward(examples_of(X, batch(network, X.shape[net.examples], 0), net.examples),
                trace.value)


def reproduce(ctx):
    trace = ctx.trace
    network = network_of(ctx.example)
    X = ctx.data("X")
    net = Net(network, {name: ctx.tensor(ctx.init[name]) for name in start_names(network)})
    if network.cost is None:
        return forward_only(trace, network, net, X)
    Y = ctx.data("Y")
    trained = trained_names(network)
    m = X.shape[net.examples]
    optimizer = Optimizer(update_of(ctx.example), {name: net.params[name] for name in trained})
    recorded_state = optimizer_of(ctx.example) is not None  # gradient descent keeps none

    for step in range(ctx.steps + 1):  # the last: after training, the cost, Z, A and dZ
        trace.step(step)  # on the examples the next step would take
        indices = batch(network, m, step)
        record = no_record if smaller_batch(network, m, step) else trace.value
        Xb, Yb = examples_of(X, indices, net.examples), examples_of(Y, indices, net.examples)
        As, Zs = net.forward(Xb, record)
        cost, dZ = net.cost(Yb, As, Zs)
        trace.cost(cost)
        grads = net.backward(As, dZ, record)
        if step == ctx.steps:
            break
        grads = {name: trace.grad(name, grads[name], terms=net.terms[name]) for name in trained}
        net.params.update(optimizer.step({name: net.params[name] for name in trained}, grads))
        for name in trained:
            net.params[name] = trace.param(name, net.params[name])
        for name, value in (optimizer.state().items() if recorded_state else ()):
            trace.param(name, value)
