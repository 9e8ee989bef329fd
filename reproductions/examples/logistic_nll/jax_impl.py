"""The logistic neuron in JAX: z = x w + w_0 as a pure function of a dict of
parameters, the NLL ``optax.losses.sigmoid_binary_cross_entropy`` on the logit z (the
sigmoid and -(y log a + (1 - y) log(1 - a)) in one), ``jax.value_and_grad`` and
``optax.sgd``, one data point per step; the step is one ``jax.jit``, given the step's
point.

``sigmoid_binary_cross_entropy`` computes -(y log_sigmoid(z) + (1 - y) log_sigmoid(-z)),
the notes' NLL without forming a = sigma(z) and without any clipping.

Layout: JAX keeps w as (in, out) = (d, 1), the notes' column w; its bias is (1,) where
the notes' w_0 is (1, 1), and it takes points as rows where the notes' X holds them as
columns. ``[layout]`` in example.toml declares the data: ``ctx.data`` gives the points
as rows, ``ctx.load`` the start values, and the harness gives the watched parameters
and their gradients the notes' shapes.
"""

import jax
import jax.numpy as jnp
import optax


# %% forward
def nll(params, x, y):
    """The NLL of the neuron's output on the points x (rows), averaged over them."""
    z = x @ params["w"] + params["w0"]
    return jnp.mean(optax.losses.sigmoid_binary_cross_entropy(z, y))


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points = ctx.data("X")            # (n, d): one data point per row
    labels = ctx.data("y")            # (n, 1)
    order = ctx.example.data["order"]

    params = ctx.load(w=jax.ShapeDtypeStruct((points.shape[1], 1), ctx.dtype),
                      w0=jax.ShapeDtypeStruct((1,), ctx.dtype))
    trace.watch(**params)  # see [layout]

    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit  # compiled once: every step's point has the same shape
    def training_step(params, opt_state, x, y):
        cost, grads = jax.value_and_grad(nll)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    def step(carry, point):  # one step as jax.lax.scan runs it: the state in, its values out
        cost, grads, params, opt_state = training_step(*carry, *point)
        return (params, opt_state), (cost, grads, params)

    # each step's point, a batch of one: (steps, 1, d) and (steps, 1, 1)
    taken = jnp.asarray([int(order[step % len(order)]) for step in range(ctx.steps)])
    steps_points = (points[taken][:, None], labels[taken][:, None])
    # every step in one compiled loop: each one's cost, gradients and parameters, stacked
    (params, opt_state), (costs, grads, updated) = jax.lax.scan(
        step, (params, opt_state), steps_points)
    trace.training(costs, grads, updated)  # by name: the parameters from now on
