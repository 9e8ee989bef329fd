"""The generic engine in JAX: pure functions of a dict of parameters, ``jax.nn``
activations and optax losses, ``jax.value_and_grad`` and ``optax.sgd``, or the
[optimizer]'s optax transformation where it computes the source's formula and the
update written out in jax.numpy where not (``engines/jax/optimizers.py``; the
transformation's difference measured as a finding); the training loop is one
``jax.lax.scan``, a step-local step starting from NumPy's parameters.

JAX holds the examples as rows and W as (in, out), as Keras does; the example's
[layout] (set from network.layout) says which names that transposes, and the harness
translates them both ways. A bias is (out,); 'fixed' is a parameter outside the
differentiated and updated dict, 'shared' one number () added to every unit,
'folded' a last input row of W on a column of ones, 'none' leaves it out. dZ is the
gradient of the cost with respect to a zero added to each Z, taken by the same
``value_and_grad`` as the parameters' gradients (one backward pass). A network
without a cost (steps = 0) is its forward pass at step 0 alone, with no shift.

optax.sgd's update is ``p + (-learning_rate * g)``, which is ``p - learning_rate * g``
in every bit (negation is exact); the adapter keeps XLA from fusing it into one
multiply-add. ``optax.l2_loss`` is ``0.5 * (A - Y) ** 2``: summed and divided by m it
is sum E^2 / (2m) in every bit, as halving is exact. An image network's conv, pool and
flatten entries are engines/jax/layers.py (``jax.lax.conv_general_dilated``,
``jax.lax.reduce_window``) on kernels held in the source's layout, differentiated by the
same ``value_and_grad``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax

from reproductions.engines.jax import layers as image
from reproductions.engines.jax import optimizers
from reproductions.engines.optimizers import class_differences
from reproductions.generic.definition import (HAS_B, batch, even_spans, expected_shapes, has_z,
                                              intermediates, is_image, network_of, optimizer_of,
                                              penalised, smaller_batch, trained_names, update_of)


# %% data
def examples_of(array, indices):
    """The step's examples (rows): all of them, or those ``indices``."""
    return array if indices is None else jnp.take(array, indices, axis=0)


def steps_examples(network, m, first, count):
    """The examples of each step ``first .. first + count - 1``, one row of indices a step,
    or None when every step takes them all."""
    if network.batch_size is None and network.order is None:
        return None
    return jnp.asarray([batch(network, m, step) for step in range(first, first + count)])


# %% forward
def activate(name, Z):
    """The activation; softmax along the units (the last axis)."""
    if name == "sigmoid":
        return jax.nn.sigmoid(Z)
    if name == "tanh":
        return jnp.tanh(Z)
    if name == "relu":
        return jax.nn.relu(Z)
    if name == "softmax":
        return jax.nn.softmax(Z, axis=-1)
    return Z


class Net:
    """The network's structure; its parameters are a dict the methods take (pure)."""

    def __init__(self, ctx, network):
        self.network = network
        self.init_shapes = {name: value.shape for name, value in ctx.init.items()}
        self.params = ctx.load(**self.parameter_shapes(ctx.dtype))  # the start values

    def parameter_shapes(self, dtype):
        """Every parameter by the definition's names, as JAX holds it: W1, b1, W2, ...
        (a conv's kernel and bias as the source holds them)."""
        one = expected_shapes(self.network, 1)  # of one example: each layer's output size
        sizes = [self.network.inputs] + [math.prod(one[f"A{k}"][0])
                                         for k in range(1, len(self.network.layers))]
        shapes = {}
        for k, (n_in, layer) in enumerate(zip(sizes, self.network.layers), 1):
            if layer.type == "conv2d":  # the kernel and the bias as the source holds them
                for name in (f"W{k}", f"b{k}") if layer.bias == "trained" else (f"W{k}",):
                    shapes[name] = self.init_shapes[name]
            elif has_z(layer):
                shapes[f"W{k}"] = (n_in + (layer.bias == "folded"), layer.units)
                if layer.bias in HAS_B:
                    shapes[f"b{k}"] = () if layer.bias == "shared" else (layer.units,)
        return {name: jax.ShapeDtypeStruct(shape, dtype) for name, shape in shapes.items()}

    def forward(self, params, X, shifts):
        """Every Z and every A (Z None for a pool or a flatten); each Z has its shift (a
        zero) added, so that the cost's gradient with respect to the shifts is dZ."""
        Zs, As, A = [], [], X
        for k, (layer, shift) in enumerate(zip(self.network.layers, shifts), 1):
            if not has_z(layer):
                A = getattr(image, f"{layer.type}_forward")(A, layer)
                Zs.append(None)
                As.append(A)
                continue
            if layer.type == "conv2d":
                Z = image.conv2d_forward(A, params[f"W{k}"], params.get(f"b{k}"), layer)
            else:
                if layer.bias == "folded":
                    A = jnp.concatenate([A, jnp.ones_like(A[:, :1])], axis=-1)
                Z = A @ params[f"W{k}"]
                if layer.bias in HAS_B:
                    Z = Z + params[f"b{k}"]
            Z = Z + shift
            A = activate(layer.activation, Z)
            Zs.append(Z)
            As.append(A)
        return Zs, As

    def cost(self, params, Y, Zs, As):
        cost = data_cost(self.network, Y, Zs[-1], As[-1])
        if self.network.l2:
            cost = cost + self.network.l2 / 2 * sum(jnp.sum(params[name] ** 2)
                                                    for name in penalised(self.network))
        return cost

    def loss(self, trained, shifts, fixed, X, Y):
        """The cost as a function of the trained parameters and the shifts of the Zs,
        with the Zs and As beside it."""
        params = {**fixed, **trained}
        Zs, As = self.forward(params, X, shifts)
        return self.cost(params, Y, Zs, As), (Zs, As)

    def source_parameters(self, trained_only=False):
        """The start values by the definition's names; only the trained ones, or the
        others (a 'fixed' bias)."""
        trained = trained_names(self.network)
        return {name: value for name, value in self.params.items()
                if (name in trained) == trained_only}


# %% cost
def data_cost(network, Y, Z, A):
    """The cost without its L2 term; the NLLs on the logits Z, as optax computes them."""
    cost, m = network.cost, Y.shape[0]
    if cost == "hinge":
        return jnp.mean(optax.losses.hinge_loss(A, Y))
    if cost == "binary_nll_probabilities":  # optax has none on probabilities
        return -jnp.mean(Y * jnp.log(A) + (1 - Y) * jnp.log(1 - A))
    if cost == "binary_nll":
        return jnp.mean(optax.losses.sigmoid_binary_cross_entropy(Z, Y))
    if cost == "multiclass_nll_sum":  # one-hot Y as class probabilities
        return jnp.sum(optax.losses.softmax_cross_entropy(Z, Y))
    if cost == "multiclass_nll_mean":
        return jnp.mean(optax.losses.softmax_cross_entropy(Z, Y))
    if cost == "half_sum_squares":
        return jnp.sum(optax.losses.l2_loss(A, Y))
    if cost == "sum_squares":
        return jnp.sum(optax.losses.squared_error(A, Y))
    if cost == "mse":
        return jnp.mean(optax.losses.squared_error(A, Y))
    if cost == "half_mean_squares":  # sum / (2m): half of each square, summed, over m
        return jnp.sum(optax.losses.l2_loss(A, Y)) / m
    return jnp.mean(jnp.abs(A - Y))  # mae


# %% autodiff
def forward_backward(net, trained, fixed, X, Y):
    """The cost on the examples X, Y and, by one ``jax.value_and_grad``, its gradients
    with respect to the trained parameters and to the shift (a zero) of each Z (dZ);
    every Z and A."""
    images = expected_shapes(net.network, X.shape[0]) if is_image(net.network) else {}
    shifts = [jnp.zeros(images.get(f"Z{k}", [(X.shape[0], getattr(layer, "units", 0))])[0],
                        X.dtype) if has_z(layer) else None
              for k, layer in enumerate(net.network.layers, 1)]
    gradients = jax.value_and_grad(net.loss, argnums=(0, 1), has_aux=True)
    (cost, (Zs, As)), (grads, dZs) = gradients(trained, shifts, fixed, X, Y)
    return cost, grads, Zs, As, dZs


# %% record
def forward_only(trace, network, net, X):
    """A network without a cost (steps = 0): Z and A at step 0, on the examples the first
    step would take; no cost, no backward pass, no update."""
    trace.step(0)
    indices = batch(network, X.shape[0], 0)
    X = examples_of(X, None if indices is None else jnp.asarray(indices))
    Zs, As = net.forward(net.params, X, [0.0] * len(network.layers))  # no shift: no dZ
    trace.values(**intermediates(Zs, As))


def reproduce(ctx):
    trace = ctx.trace
    network = network_of(ctx.example)
    X = ctx.data("X")
    net = Net(ctx, network)
    if network.cost is None:
        return forward_only(trace, network, net, X)
    Y = ctx.data("Y")
    trained, fixed = net.source_parameters(trained_only=True), net.source_parameters()
    spec, recorded_state = update_of(ctx.example), optimizer_of(ctx.example) is not None
    optimizer = optimizers.build(spec)
    opt_state = optimizer.init(trained)
    trace.watch(**trained)
    for name, difference in class_differences(optimizers, spec, jnp.dtype(ctx.dtype).name).items():
        trace.finding(name, difference)  # at step 0

    @jax.jit  # compiled once per batch shape
    def compiled_forward_backward(trained, X, Y):
        return forward_backward(net, trained, fixed, X, Y)

    def step(carry, rows):
        """One step as jax.lax.scan runs it: on its examples (their indices, when steps
        take some), from NumPy's parameters in a step-local run; the state in, the cost,
        the gradients, the updated parameters and every Z, A and dZ out."""
        trained, opt_state = carry
        indices, restart = rows
        if restart is not None:  # step-local parity: NumPy's parameters at this step
            trained = dict(zip(names, restart))
        cost, grads, Zs, As, dZs = compiled_forward_backward(trained, examples_of(X, indices),
                                                             examples_of(Y, indices))
        updates, opt_state = optimizer.update(grads, opt_state, trained)
        trained = optax.apply_updates(trained, updates)
        state = optimizers.state(spec, opt_state) if recorded_state else {}
        return (trained, opt_state), (cost, grads, trained, intermediates(Zs, As, dZs), state)

    names = list(trained)  # the order references come in (a pytree's keys are sorted)
    m = X.shape[0]  # a run of steps takes one batch shape (a smaller last batch: a run apart)
    for first, count in even_spans(network, m, trace.spans(ctx.steps, printed_alone=False)):
        rows = (steps_examples(network, m, first, count),
                ctx.references(first, count, **{name: trained[name] for name in names})
                or None)  # step-local parity only
        (trained, opt_state), (costs, grads, updated, values, state) = jax.lax.scan(
            step, (trained, opt_state), rows, length=count)
        trace.training(costs, grads, updated, state=dict(state),  # by name: the mirror's now
                       values=None if smaller_batch(network, m, first) else values)

    trace.step(ctx.steps)  # after the last update: the cost, Z, A and dZ on the next examples
    indices = batch(network, m, ctx.steps)
    indices = None if indices is None else jnp.asarray(indices)
    cost, _, Zs, As, dZs = compiled_forward_backward(trained, examples_of(X, indices),
                                                     examples_of(Y, indices))
    if not smaller_batch(network, m, ctx.steps):
        trace.values(**intermediates(Zs, As, dZs))
    trace.cost(cost)
