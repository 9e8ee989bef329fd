"""SGD-NEURAL-NET in JAX: the 2-4-3 network as a pure function of a dict of parameters
(tanh hidden layer, linear output), ``optax.losses.softmax_cross_entropy`` (softmax and
the multiclass NLL in one, on the logits, with one-hot targets), ``jax.value_and_grad``
and ``optax.sgd``, one stored data point per step.

All gradients come from one ``jax.value_and_grad`` at the step's start and the optimizer
then updates every layer: the reading of the pseudocode explained in example.toml. That
step is one ``jax.jit``. Where the step's values are printed (step 0), the other reading
(layer 1's gradient with layer 2 already updated) is computed before the step, by
``jax.vjp`` through that partially updated network, for the record.

Layout: JAX keeps W^l as (in, out) = (m^l, n^l), the notes' W^l, as Keras does; its bias
is (n^l,) where the notes' W_0^l is (n^l, 1), and it takes points as rows where the
notes' X and Y hold them as columns. ``[layout]`` in example.toml declares the data:
``ctx.data`` gives the points as rows, ``ctx.load`` the start values, and the harness
gives what is recorded the notes' shapes.
"""

import jax
import jax.numpy as jnp
import optax


# %% forward
def hidden(params, x):
    """A^1 = tanh(Z^1), the points as rows."""
    return jnp.tanh(x @ params["W1"] + params["W0_1"])


def network(params, x):
    """The logits Z^2 (the softmax is the cost's)."""
    return hidden(params, x) @ params["W2"] + params["W0_2"]


def nllm(logits, y):
    """Softmax and the multiclass NLL, -sum_j y_j log a_j, on the logits; the mean over
    the points (one per step)."""
    return jnp.mean(optax.losses.softmax_cross_entropy(logits, y))


# %% autodiff
@jax.jit  # compiled as one program
def reading_with_updated_W2(params, x, y, lr):
    """Layer 2 updated, layer 1 not: layer 1's gradient, back-propagating the step's
    output error dL/dZ^2 through the updated W^2 (the other reading, for the record)."""
    logits, network_vjp = jax.vjp(lambda p: network(p, x), params)
    dL_dZ2 = jax.grad(nllm)(logits, y)
    (grads,) = network_vjp(dL_dZ2)
    W2_updated = params["W2"] - lr * grads["W2"]
    (partial,) = jax.vjp(lambda p: hidden(p, x) @ W2_updated, params)[1](dL_dZ2)
    return partial["W1"]


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points, targets = ctx.data("X"), ctx.data("Y")   # one point per row
    order = ctx.example.data["order"]
    lr = ctx.hyper.learning_rate

    params = ctx.load(W2=jax.ShapeDtypeStruct((4, 3), ctx.dtype),  # the notes' names
                      W0_2=jax.ShapeDtypeStruct((3,), ctx.dtype),
                      W1=jax.ShapeDtypeStruct((2, 4), ctx.dtype),
                      W0_1=jax.ShapeDtypeStruct((4,), ctx.dtype))
    trace.watch(**params)  # see [layout]
    optimizer = optax.sgd(learning_rate=lr)
    opt_state = optimizer.init(params)

    @jax.jit  # compiled once: every step's point has the same shape
    def training_step(params, opt_state, x, y):
        """One step on the point x, y: the cost, the gradients and the updated parameters."""
        cost, grads = jax.value_and_grad(lambda p: nllm(network(p, x), y))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    def step(carry, point):  # one step as jax.lax.scan runs it: the state in, its values out
        cost, grads, params, opt_state = training_step(*carry, *point)
        return (params, opt_state), (cost, grads, params)

    # the steps between printed ones in one compiled loop, each one's values stacked
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        taken = jnp.asarray([int(i) for i in order[first:first + count]])
        steps_points = (points[taken][:, None], targets[taken][:, None])  # batches of one
        readings = {}
        if trace.printed:  # before the update: the other reading of the pseudocode
            x, y = points[taken[0]][None], targets[taken[0]][None]
            readings["dL_dW1_with_updated_W2"] = reading_with_updated_W2(params, x, y, lr)[None]
        (params, opt_state), (costs, grads, updated) = jax.lax.scan(
            step, (params, opt_state), steps_points)
        trace.training(costs, grads, updated, values=readings)  # by name: from now on
