"""The generic engine in NumPy: the reference, in the source's layout, with the
backward pass written out by hand.

Each step: forward through the layers (Z and A recorded where the source prints
them), the cost and dCost/dZ of the output layer, backward to every gradient, then
one full-batch gradient descent update. It records with the values it goes on
computing with, so the rounded replay redoes the author's arithmetic on the
printed Z, A, gradients and parameters.
"""

from __future__ import annotations

import numpy as np

from reproductions.generic.definition import examples_axis, network_of, start_names, trained_names
from reproductions.trace import no_record


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


def affine(layout, W, A):
    """W applied to the layer's input A, in the source's layout (the bias aside)."""
    if layout == "rows":
        return A @ W
    return W @ A if layout == "columns" else W.T @ A


def affine_backward(layout, W, A, dZ):
    """dCost/dW and dCost/dA of Z = affine(W, A) + b."""
    if layout == "rows":
        return A.T @ dZ, dZ @ W.T
    if layout == "columns":
        return dZ @ A.T, W.T @ dZ
    return A @ dZ.T, W @ dZ


def data_cost(network, Y, Z, A, axis):
    """The cost without its L2 term, and dCost/dZ of the output layer (``axis``: the units')."""
    cost, E, N, m = network.cost, Y - A, Y.size, Y.shape[1 - axis]
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


class Net:
    """The network's parameters by their names, in the source's layout."""

    def __init__(self, network, params):
        self.network, self.params = network, params
        self.examples = examples_axis(network.layout)  # the axis of the examples
        self.units = 1 - self.examples  # the axis of the units (features)

    def forward(self, X, record=no_record):
        """Every layer's input (X first, then each A) and every Z."""
        inputs, Zs = [X], []
        for k, layer in enumerate(self.network.layers, 1):
            Z = affine(self.network.layout, self.params[f"W{k}"], inputs[-1])
            if layer.bias != "none":
                Z = Z + self.params[f"b{k}"]
            Zs.append(record(f"Z{k}", Z))
            inputs.append(record(f"A{k}", activate(layer.activation, Zs[-1], self.units)))
        return inputs, Zs

    def cost(self, Y, inputs, Zs):
        """The cost and dCost/dZ of the output layer."""
        cost, dZ = data_cost(self.network, Y, Zs[-1], inputs[-1], self.units)
        if self.network.l2:
            cost = cost + self.network.l2 / 2 * sum(np.sum(self.params[f"W{k}"] ** 2)
                                                    for k in range(1, len(Zs) + 1))
        return cost, dZ

    def backward(self, inputs, dZ):
        """Every gradient, from the output layer's dCost/dZ back."""
        grads, layers = {}, self.network.layers
        for k in range(len(layers), 0, -1):
            W = self.params[f"W{k}"]
            grads[f"W{k}"], dA = affine_backward(self.network.layout, W, inputs[k - 1], dZ)
            if self.network.l2:
                grads[f"W{k}"] = grads[f"W{k}"] + self.network.l2 * W
            if layers[k - 1].bias == "trained":
                b = self.params[f"b{k}"]
                grads[f"b{k}"] = np.sum(dZ, axis=self.examples, keepdims=True).reshape(b.shape)
            if k > 1:
                dZ = activation_backward(layers[k - 2].activation, inputs[k - 1], dA, self.units)
        return grads


def cost_at(example, step, params):
    """The cost gradient descent minimises, in float64 (the numerical-gradient column)."""
    net = Net(network_of(example), params)
    return float(net.cost(example.array("Y"), *net.forward(example.array("X")))[0])


def reproduce(ctx):
    trace = ctx.trace
    network = network_of(ctx.example)
    X, Y = ctx.data("X"), ctx.data("Y")
    net = Net(network, {name: ctx.tensor(ctx.init[name]) for name in start_names(network)})
    rate, trained = ctx.hyper.learning_rate, trained_names(network)

    for step in range(ctx.steps):
        trace.step(step)
        inputs, Zs = net.forward(X, trace.value)
        cost, dZ = net.cost(Y, inputs, Zs)
        trace.cost(cost)
        grads = net.backward(inputs, dZ)
        grads = {name: trace.grad(name, grads[name]) for name in trained}
        for name in trained:
            net.params[name] = trace.param(name, net.params[name] - rate * grads[name])

    trace.step(ctx.steps)  # after the last update: the cost, Z and A
    inputs, Zs = net.forward(X, trace.value)
    trace.cost(net.cost(Y, inputs, Zs)[0])
