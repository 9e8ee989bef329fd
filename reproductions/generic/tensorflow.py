"""The generic engine in TensorFlow: ``keras.layers.Dense`` layers, Keras
activations and losses, ``tf.GradientTape`` and ``keras.optimizers.SGD``, or the
[optimizer]'s Keras class where it computes the source's formula and the update
written out in Keras ops where not (``engines/tensorflow/optimizers.py``; the class's
difference measured as a finding); the training loop is one ``tf.function``.

Keras holds the examples as rows and a Dense kernel as (in, out); the example's
[layout] (set from network.layout) says which names that transposes, and the harness
translates them both ways. A bias is (out,); 'fixed' keeps it out of the tape and the
optimizer, 'shared' is one ``tf.Variable`` added to every unit, 'folded' a last input
row of the kernel on a column of ones, 'none' leaves it out. dZ is the tape's
gradient of the cost with respect to each Z. Every step runs inside one graph
(``graph_loop``); a step-local step first assigns NumPy's parameters. A network
without a cost (steps = 0) is its forward pass at step 0 alone, run eagerly. Keras's
MeanSquaredError averages over the last axis first: reduction "sum" sums the examples'
means over the n outputs. The L2 term is written out: ``keras.regularizers.L2(f)``
casts its factor f through float32 (``ops.cast`` of a Python float), so L2(0.025) is
0.0250000004 even in float64. An image network's conv, pool and flatten entries are
engines/tensorflow/layers.py (``tf.nn.conv2d``, ``tf.nn.max_pool2d``, ...) on
``tf.Variable`` kernels held in the source's layout, inside the same tape.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop
from reproductions.engines.optimizers import class_differences
from reproductions.engines.tensorflow import layers as image
from reproductions.engines.tensorflow import optimizers
from reproductions.generic.definition import (batch, even_spans, expected_shapes, has_z,
                                              intermediates, network_of, optimizer_of, penalised,
                                              smaller_batch, trained_names, update_of)


# %% data
def examples_of(array, indices):
    """The step's examples (rows): all of them, or those ``indices``."""
    return array if indices is None else tf.gather(array, indices)


def steps_examples(network, m, first, count):
    """The examples of each step ``first .. first + count - 1``, one row of indices a step,
    or None when every step takes them all."""
    if network.batch_size is None and network.order is None:
        return None
    return tf.constant([batch(network, m, step) for step in range(first, first + count)])


# %% forward
def activate(name, Z):
    """The activation; softmax along the units (the last axis)."""
    if name == "sigmoid":
        return keras.activations.sigmoid(Z)
    if name == "tanh":
        return keras.activations.tanh(Z)
    if name == "relu":
        return keras.activations.relu(Z)
    if name == "softmax":
        return keras.activations.softmax(Z, axis=-1)
    return Z


class Net:
    def __init__(self, ctx, network):
        self.network = network
        self.denses, self.convs, self.shared = {}, {}, {}
        shapes = expected_shapes(network, 1)  # of one example: each layer's output size
        n_in = network.inputs
        for k, layer in enumerate(network.layers, 1):
            if layer.type == "conv2d":  # a kernel and its bias as the source holds them
                for name in ("W", "b") if layer.bias == "trained" else ("W",):
                    self.convs[f"{name}{k}"] = tf.Variable(
                        tf.zeros(ctx.init[f"{name}{k}"].shape, dtype=ctx.dtype))
            elif has_z(layer):
                dense = keras.layers.Dense(layer.units,
                                           use_bias=layer.bias in ("trained", "fixed"),
                                           dtype=ctx.dtype)
                dense.build((None, n_in + (layer.bias == "folded")))
                self.denses[k] = dense
            if getattr(layer, "bias", "") == "shared":
                self.shared[f"b{k}"] = tf.Variable(tf.zeros((), dtype=ctx.dtype))
            n_in = math.prod(shapes[f"A{k}"][0])
        ctx.load(**self.source_parameters())

    def forward(self, X):
        """Every Z and every A (Z None for a pool or a flatten)."""
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
                    A = tf.concat([A, tf.ones_like(A[:, :1])], axis=-1)
                Z = self.denses[k](A)
            if layer.bias == "shared":
                Z = Z + self.shared[f"b{k}"]
            A = activate(layer.activation, Z)
            Zs.append(Z)
            As.append(A)
        return Zs, As

    def cost(self, Y, Zs, As):
        cost = data_cost(self.network, Y, Zs[-1], As[-1])
        if self.network.l2:
            params = self.source_parameters()
            cost = cost + self.network.l2 / 2 * sum(tf.reduce_sum(params[name] ** 2)
                                                    for name in penalised(self.network))
        return cost

    def source_parameters(self, trained_only=False):
        """The parameters by the definition's names: W1, b1, W2, ..."""
        held = dict(self.convs)
        for k, dense in self.denses.items():
            held[f"W{k}"] = dense.kernel
            if dense.use_bias:
                held[f"b{k}"] = dense.bias
        held.update(self.shared)
        held = {f"{name}{k}": held[f"{name}{k}"] for k in range(1, len(self.network.layers) + 1)
                for name in ("W", "b") if f"{name}{k}" in held}
        names = trained_names(self.network) if trained_only else held
        return {name: held[name] for name in names}


# %% cost
def data_cost(network, Y, Z, A):
    """The cost without its L2 term; the NLLs on the logits Z, as Keras fuses them."""
    cost, n, losses = network.cost, Y.shape[-1], keras.losses
    if cost == "hinge":
        return losses.Hinge(dtype=Y.dtype)(Y, A)
    if cost == "binary_nll_probabilities":  # BinaryCrossentropy() would clip A to 1e-7
        return -keras.ops.mean(Y * keras.ops.log(A) + (1 - Y) * keras.ops.log(1 - A))
    if cost == "binary_nll":
        return losses.BinaryCrossentropy(from_logits=True, dtype=Y.dtype)(Y, Z)
    if cost in ("multiclass_nll_sum", "multiclass_nll_mean"):
        reduction = "sum" if cost == "multiclass_nll_sum" else "sum_over_batch_size"
        return losses.CategoricalCrossentropy(from_logits=True, reduction=reduction,
                                              dtype=Y.dtype)(Y, Z)
    if cost == "half_sum_squares":
        return 0.5 * n * losses.MeanSquaredError(reduction="sum", dtype=Y.dtype)(Y, A)
    if cost == "sum_squares":
        return n * losses.MeanSquaredError(reduction="sum", dtype=Y.dtype)(Y, A)
    if cost == "mse":
        return losses.MeanSquaredError(dtype=Y.dtype)(Y, A)
    if cost == "half_mean_squares":  # sum / (2m) = 1/2 * n * the mean over m * n elements
        return 0.5 * n * losses.MeanSquaredError(dtype=Y.dtype)(Y, A)
    return losses.MeanAbsoluteError(dtype=Y.dtype)(Y, A)  # mae


# %% autodiff
def forward_backward(net, variables, X, Y):
    """The cost on the examples X, Y, its gradients by the tape with respect to the
    trained ``variables`` and to every Z (dZ), and every Z and A."""
    with tf.GradientTape() as tape:
        Zs, As = net.forward(X)
        cost = net.cost(Y, Zs, As)
    grads, found = tape.gradient(cost, [variables, [Z for Z in Zs if Z is not None]])
    found = iter(found)  # a pool or a flatten has no Z, and no dZ
    return cost, grads, Zs, As, [None if Z is None else next(found) for Z in Zs]


# %% record
def forward_only(trace, network, net, X):
    """A network without a cost (steps = 0): Z and A at step 0, on the examples the first
    step would take; no cost, no backward pass, no update."""
    trace.step(0)
    Zs, As = net.forward(examples_of(X, batch(network, X.shape[0], 0)))
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
    variables = list(trained.values())
    spec, recorded_state = update_of(ctx.example), optimizer_of(ctx.example) is not None
    optimizer = optimizers.build(spec, trained)  # built: its variables exist before tracing
    trace.watch(**trained)
    for name, difference in class_differences(optimizers, spec, ctx.dtype.name).items():
        trace.finding(name, difference)  # at step 0

    @tf.function(reduce_retracing=True)  # compiled once per batch shape
    def compiled_forward_backward(X, Y):
        return forward_backward(net, variables, X, Y)

    batched = network.batch_size is not None or network.order is not None

    def training_step(*rows):
        """One step: on its examples (their indices, when steps take some), from NumPy's
        parameters in a step-local run; the cost, the gradients, the updated parameters
        and every Z, A and dZ."""
        step_indices, restart = (rows[0], rows[1:]) if batched else (None, rows)
        for variable, value in zip(variables, restart):
            variable.assign(value)
        cost, grads, Zs, As, dZs = compiled_forward_backward(examples_of(X, step_indices),
                                                             examples_of(Y, step_indices))
        optimizer.apply_gradients(zip(grads, variables))
        updated = [tf.identity(v) for v in variables]  # read after the update
        state = optimizers.state(spec, optimizer, trained) if recorded_state else {}
        return cost, grads, updated, intermediates(Zs, As, dZs), state

    training = graph_loop(training_step)  # the steps inside one graph, a run at a time
    m = X.shape[0]  # a run of steps takes one batch shape (a smaller last batch: a run apart)
    for first, count in even_spans(network, m, trace.spans(ctx.steps, printed_alone=False)):
        indices = steps_examples(network, m, first, count)
        rows = ([] if indices is None else [indices])
        rows += ctx.references(first, count, **trained)  # step-local parity only
        costs, grads, updated, values, state = training(count, *rows)  # each step's, stacked
        trace.training(costs, grads, updated, state=state,
                       values=None if smaller_batch(network, m, first) else values)

    trace.step(ctx.steps)  # after the last update: the cost, Z, A and dZ on the next examples
    step_indices = batch(network, m, ctx.steps)
    cost, _, Zs, As, dZs = compiled_forward_backward(examples_of(X, step_indices),
                                                     examples_of(Y, step_indices))
    if not smaller_batch(network, m, ctx.steps):
        trace.values(**intermediates(Zs, As, dZs))
    trace.cost(cost)
