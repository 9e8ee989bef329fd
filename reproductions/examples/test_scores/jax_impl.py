"""Test scores in JAX: the series' bias-free 2-3-1 network as a pure function of a dict
of weights, the sigmoid ``jax.nn.sigmoid``, the cost ``optax.losses.l2_loss`` summed,
``jax.value_and_grad`` and ``optax.sgd``, the training step one ``jax.jit``.

Layout: JAX holds W as (in, out), as the series' W1 (2, 3) and W2 (3, 1) are, so
nothing is transposed (``[layout]``); ``ctx.load`` returns the start values. The
series' parameter vector (W1 row by row, then W2) is ``unrolled``, and ``set_params``
the dict of weights a vector holds.
"""

import jax
import jax.numpy as jnp
import optax


# %% forward
def forward(params, X):
    """z2, a2, z3 and yHat, one example per row."""
    z2 = X @ params["W1"]
    a2 = jax.nn.sigmoid(z2)
    z3 = a2 @ params["W2"]
    return z2, a2, z3, jax.nn.sigmoid(z3)


# %% data
def new_network(ctx):
    """The series' (W1, W2) at their start values, as JAX holds them: (in, out)."""
    return ctx.load(W1=jax.ShapeDtypeStruct((2, 3), ctx.dtype),  # inputs to hidden layer
                    W2=jax.ShapeDtypeStruct((3, 1), ctx.dtype))  # hidden layer to output


# %% cost
def cost_function(yHat, y):
    # J = 1/2 sum (y - yHat)^2: the series' cost has no mean, so half squares summed
    return jnp.sum(optax.losses.l2_loss(yHat, y))


# %% check
def unrolled(W1, W2):
    """The series' parameter vector of (W1, W2): W1 row by row, then W2."""
    return jnp.concatenate([W1.reshape(-1), W2.reshape(-1)])


def get_params(params):
    return unrolled(params["W1"], params["W2"])


def set_params(vector):
    """The weights a parameter vector holds, as a dict."""
    return {"W1": vector[:6].reshape(2, 3), "W2": vector[6:].reshape(3, 1)}


def numerical_gradient(params, X, y, e):
    """Central differences, and the largest cost differenced (see numpy_impl.py)."""
    start = get_params(params)
    numgrad, costs = [], []
    for p in range(start.size):
        nudge = jnp.zeros_like(start).at[p].set(e)
        cost_up = cost_function(forward(set_params(start + nudge), X)[-1], y)
        cost_down = cost_function(forward(set_params(start - nudge), X)[-1], y)
        numgrad.append((cost_up - cost_down) / (2 * e))
        costs += [cost_up, cost_down]
    return jnp.stack(numgrad), jnp.max(jnp.abs(jnp.stack(costs)))


# %% autodiff
@jax.jit  # one compiled program for every value of step 0
def step_zero_values(params, X, y, e, probe_step):
    """What the series computes at the start: the outputs, the deltas one stage back at a
    time, the sigmoid's steepest slope, the numerical gradient and the check (with the
    scales they cancel over), and the cost a step along and against the gradient."""
    z2, a2, z3, yHat = forward(params, X)
    grads = jax.grad(lambda params: cost_function(forward(params, X)[-1], y))(params)
    dJdW1, dJdW2 = grads["W1"], grads["W2"]
    # the cost's gradient with respect to z3 and z2, one stage back at a time
    dJ_dyHat = jax.grad(cost_function)(yHat, y)
    (delta3,) = jax.vjp(jax.nn.sigmoid, z3)[1](dJ_dyHat)
    (dJ_da2,) = jax.vjp(lambda a2: a2 @ params["W2"], a2)[1](delta3)
    (delta2,) = jax.vjp(jax.nn.sigmoid, z2)[1](dJ_da2)
    residual = y - yHat
    n_weights = sum(w.size for w in params.values())
    values = {"yHat": yHat, "y_minus_yHat": residual,
              "shape.y_minus_yHat": jnp.array(residual.shape, dtype=X.dtype),
              "delta3": delta3,  # dJ/dz3
              "shape.delta3": jnp.array(delta3.shape, dtype=X.dtype),
              "delta2": delta2,  # dJ/dz2
              "n_weights": jnp.array(n_weights, dtype=X.dtype)}

    # Where the sigmoid's slope is largest, by autodiff on a grid of step 0.01.
    z = jnp.arange(-500, 501, dtype=X.dtype) / 100
    slopes = jax.grad(lambda z: jnp.sum(jax.nn.sigmoid(z)))(z)
    steepest = jnp.argmax(slopes)
    values.update(sigmoidPrime_argmax=z[steepest], sigmoidPrime_max=slopes[steepest])

    grad = unrolled(dJdW1, dJdW2)
    numgrad, largest_cost = numerical_gradient(params, X, y, e)
    # scales as in numpy_impl.py (only the reference's are used): costs cancelled over
    # 2e, and the check inherits that over norm(grad + numgrad)
    norm_of_sum = jnp.linalg.norm(grad + numgrad)
    values.update(numgrad=numgrad, gradient_check=jnp.linalg.norm(grad - numgrad) / norm_of_sum)
    scales = {"numgrad": largest_cost / (2 * e),
              "gradient_check": largest_cost / (2 * e) / norm_of_sum}

    W1, W2 = params["W1"], params["W2"]
    values["cost_plus_gradient"] = cost_function(
        forward({"W1": W1 + probe_step * dJdW1, "W2": W2 + probe_step * dJdW2}, X)[-1], y)
    values["cost_minus_gradient"] = cost_function(
        forward({"W1": W1 - probe_step * dJdW1, "W2": W2 - probe_step * dJdW2}, X)[-1], y)
    return values, scales


# %% record
def reproduce(ctx):
    trace = ctx.trace

    trace.step(0)
    X_raw, y_raw = ctx.data("X"), ctx.data("y")
    X = X_raw / jnp.max(X_raw, axis=0)  # columns over their maxima
    y = y_raw / 100  # scores over 100
    trace.values(X_scaled=X, y_scaled=y)
    values, scales = step_zero_values(new_network(ctx), X, y, ctx.hyper.eps, ctx.hyper.probe_step)
    for name, value in values.items():
        trace.value(name, value, scale=scales.get(name))

    params = new_network(ctx)
    trace.watch(**params)  # already the series' (in, out)
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit
    def training_step(params, opt_state):
        """One step, compiled once: the cost, the gradients and the updated weights."""
        cost, gradients = jax.value_and_grad(
            lambda params: cost_function(forward(params, X)[-1], y))(params)
        updates, opt_state = optimizer.update(gradients, opt_state, params)
        return cost, gradients, optax.apply_updates(params, updates), opt_state

    def step(carry, _):  # one step as jax.lax.scan runs it: the state in, its values out
        cost, gradients, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, gradients, params)

    # every step in one compiled loop: each one's cost, gradients and parameters, stacked
    (params, opt_state), (costs, gradients, updated) = jax.lax.scan(
        step, (params, opt_state), length=ctx.steps)
    trace.training(costs, gradients, updated)  # by name: the updated weights, from now on the mirror's
