"""Gradient descent with a learning rate too high, in JAX: hours_studied's neuron (a
pure function of a dict of parameters, the MSE ``optax.losses.squared_error``
averaged, ``jax.value_and_grad``, ``optax.sgd``) with alpha = 50, the training step one
``jax.jit``; see numpy_impl.py.

Layout: JAX holds the weights as (in, out), as the chapter does, and the biases as
(out,) where the chapter's are (1, out) (``[layout]``).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
# Copied from reproductions/examples/hours_studied/jax_impl.py:new_model
def new_model(ctx):
    """The neuron's parameters at their start values, as JAX holds them."""
    return ctx.load(weights=jax.ShapeDtypeStruct((1, 1), ctx.dtype),
                    biases=jax.ShapeDtypeStruct((1,), ctx.dtype))


# Copied from reproductions/examples/hours_studied/jax_impl.py:forward
def forward(params, X):
    """yhat = X w + b, one example per row."""
    return X @ params["weights"] + params["biases"]


# Copied from reproductions/examples/hours_studied/jax_impl.py:cost_of
def cost_of(params, X, y):
    return jnp.mean(optax.losses.squared_error(forward(params, X), y))


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace
    params = new_model(ctx)
    trace.watch(**params)  # [layout] says how they map
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit  # JAX's idiom: the step compiled once, a pure function of the parameters
    def training_step(params, opt_state):
        cost, slopes = jax.value_and_grad(cost_of)(params, X, y)
        updates, opt_state = optimizer.update(slopes, opt_state, params)
        return cost, slopes, optax.apply_updates(params, updates), opt_state

    def step(carry, _):  # one step as jax.lax.scan runs it: the state in, its values out
        cost, slopes, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, slopes, params)

    # every step in one compiled loop: each one's cost, slopes and parameters, stacked
    (params, opt_state), (costs, slopes, updated) = jax.lax.scan(
        step, (params, opt_state), length=ctx.steps)
    trace.training(costs, slopes, updated)  # by name: the updated parameters, from now on the mirror's
