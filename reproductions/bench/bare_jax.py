"""Bare training loops in JAX: each mirror's loop without the trace.

The mirrors' pure functions, optax losses and ``optax.sgd``, with the training step one
``jax.jit`` (forward, cost, ``jax.value_and_grad``, the optax update), every step in
one ``jax.lax.scan``, as the mirrors run it. The start values go into JAX's layout once before the loop and the final
parameters come back once after it.
"""

import sys

if "jax" not in sys.modules:  # the adapter's setup must start it (CPU, XLA flags, x64)
    raise ImportError("set JAX up before importing its bare loops: "
                      "reproductions.bench.context(example, 'jax', dtype) does")

import jax
import jax.numpy as jnp
import optax

from frameworks.jax_adapter import to_numpy


def sgd_loop(ctx, params, cost_of):
    """``ctx.steps`` steps of optax.sgd on ``cost_of(params)``; the final parameters."""
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit
    def training_step(params, opt_state):
        grads = jax.grad(cost_of)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    def step(carry, _):
        return training_step(*carry), None

    (params, opt_state), _ = jax.lax.scan(step, (params, opt_state), length=ctx.steps)
    params = jax.block_until_ready(params)  # JAX dispatches asynchronously: wait for the end
    return params


def hours_studied(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    params = {"weights": init["weights"], "biases": init["biases"].reshape(-1)}

    def cost_of(p):
        return jnp.mean(optax.losses.squared_error(X @ p["weights"] + p["biases"], y))

    p = sgd_loop(ctx, params, cost_of)
    return {"weights": to_numpy(p["weights"]), "biases": to_numpy(p["biases"].reshape(1, -1))}


def xor_hidden_layer(ctx):
    X, Y = ctx.data("X_train").T, ctx.data("Y_train").T  # examples as rows
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    params = {"W2": init["W2"].T, "b2": init["b2"].reshape(-1),
              "W1": init["W1"].T, "b1": init["b1"].reshape(-1)}

    def cost_of(p):
        A2 = jax.nn.sigmoid(jax.nn.sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return jnp.mean(optax.losses.l2_loss(A2, Y))

    p = sgd_loop(ctx, params, cost_of)
    return {"W1": to_numpy(p["W1"].T), "b1": to_numpy(p["b1"].reshape(-1, 1)),
            "W2": to_numpy(p["W2"].T), "b2": to_numpy(p["b2"].reshape(-1, 1))}


def test_scores(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    X, y = X / jnp.max(X, axis=0), y / 100  # columns over their maxima, scores over 100
    params = {"W1": ctx.tensor(ctx.init["W1"]), "W2": ctx.tensor(ctx.init["W2"])}

    def cost_of(p):
        yHat = jax.nn.sigmoid(jax.nn.sigmoid(X @ p["W1"]) @ p["W2"])
        return jnp.sum(optax.losses.l2_loss(yHat, y))

    p = sgd_loop(ctx, params, cost_of)
    return {"W1": to_numpy(p["W1"]), "W2": to_numpy(p["W2"])}


def scale_mlp(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    params = {"W1": init["W1"], "b1": init["b1"].reshape(-1),
              "W2": init["W2"], "b2": init["b2"].reshape(-1)}

    def cost_of(p):
        logits = jnp.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return jnp.mean(optax.losses.softmax_cross_entropy(logits, Y))

    p = sgd_loop(ctx, params, cost_of)
    return {"W1": to_numpy(p["W1"]), "b1": to_numpy(p["b1"].reshape(1, -1)),
            "W2": to_numpy(p["W2"]), "b2": to_numpy(p["b2"].reshape(1, -1))}
