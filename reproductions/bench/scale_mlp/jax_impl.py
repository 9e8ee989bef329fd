"""The scale case in JAX: pure functions of a dict of parameters, ``jnp.tanh``,
``optax.losses.softmax_cross_entropy`` on the one-hot targets averaged over the batch,
``jax.value_and_grad`` and ``optax.sgd``, the training step one ``jax.jit``.

Layout: W is (in, out), as the example's W is; a bias is (out,) where the example's b
is (1, out). ``ctx.load`` returns the start values; the harness translates the
recorded parameters and their gradients back (``[layout]``).
"""

import jax
import jax.numpy as jnp
import optax

NAMES = ("W1", "b1", "W2", "b2")


def mlp(ctx):
    """The parameters, as JAX holds them, at their start values."""
    n_in, width = ctx.init["W1"].shape
    n_out = ctx.init["W2"].shape[1]
    shapes = {"W1": (n_in, width), "b1": (width,), "W2": (width, n_out), "b2": (n_out,)}
    return ctx.load(**{name: jax.ShapeDtypeStruct(shapes[name], ctx.dtype) for name in NAMES})


def forward(params, X):
    return jnp.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def reproduce(ctx):
    trace = ctx.trace
    X, Y = ctx.data("X"), ctx.data("Y")
    params = mlp(ctx)
    trace.watch(**params)  # see [layout]
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit
    def training_step(params, opt_state):
        """One step, compiled once: the cost, the gradients and the updated parameters."""
        cost, grads = jax.value_and_grad(
            lambda p: jnp.mean(optax.losses.softmax_cross_entropy(forward(p, X), Y)))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    for step in range(ctx.steps):
        trace.step(step)
        cost, grads, params, opt_state = training_step(params, opt_state)
        trace.gradients(cost, grads)  # by name
        trace.parameters(params)
