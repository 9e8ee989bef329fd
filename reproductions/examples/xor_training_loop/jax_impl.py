"""The blog's XOR training loop (Fig 91-93) in JAX: two layers as a pure function of a
dict of parameters, ``jax.nn.sigmoid``, the cost ``optax.losses.l2_loss`` averaged,
``jax.value_and_grad`` and ``optax.sgd``, the training step one ``jax.jit``.

Layout: JAX holds the examples as rows, the blog as columns, so the data and the
printed outputs are transposed, and so is W (in, out) against the blog's W (out, in),
as in Keras (``[layout]`` in example.toml: the harness translates them both ways). A
bias is (out,) where the blog's b is (out, 1).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:two_layer_net
def two_layer_net(ctx):
    """The parameters, as JAX holds them, at their start values (ctx.load returns them)."""
    return ctx.load(W1=jax.ShapeDtypeStruct((2, 3), ctx.dtype),  # hidden layer: W1, b1
                    b1=jax.ShapeDtypeStruct((3,), ctx.dtype),
                    W2=jax.ShapeDtypeStruct((3, 1), ctx.dtype),  # output layer: W2, b2
                    b2=jax.ShapeDtypeStruct((1,), ctx.dtype))


# %% forward
def forward(params, X):
    """The output A2 of both sigmoid layers."""
    A1 = jax.nn.sigmoid(X @ params["W1"] + params["b1"])
    return jax.nn.sigmoid(A1 @ params["W2"] + params["b2"])


# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:blog_parameters
def blog_parameters(params):
    """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
    return {name: params[name] for name in ("W2", "b2", "W1", "b1")}


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = the mean over the m examples of 1/2 (Y - Y_hat)^2
    return jnp.mean(optax.losses.l2_loss(Y_hat, Y))


# %% check
def predict(params, X, Y, thresh=0.5):
    """Output above ``thresh`` -> 1, else 0 (this suite's reading), and the accuracy in %."""
    predictions = (forward(params, X) > thresh).astype(X.dtype)
    accuracy = jnp.mean((predictions == Y).astype(X.dtype)) * 100
    return predictions, accuracy


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    params = blog_parameters(two_layer_net(ctx))
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)
    trace.watch(**params)  # see [layout]

    @jax.jit  # JAX's idiom: the step compiled once, a pure function of the parameters
    def training_step(params, opt_state):
        cost, grads = jax.value_and_grad(lambda p: compute_cost(Y, forward(p, X)))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    names = list(params)  # the order ctx.references gives them in (a pytree's keys are sorted)

    def epoch(carry, restart):  # restart: a step-local run's NumPy parameters, else None
        if restart is not None:
            carry = (dict(zip(names, restart)), carry[1])
        cost, grads, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, grads, params)

    # every epoch in one compiled loop: each one's cost, gradients and parameters, stacked
    restarts = ctx.references(0, ctx.steps, **params) or None  # a step-local run only
    (params, opt_state), (costs, grads, updated) = jax.lax.scan(
        epoch, (params, opt_state), restarts, length=ctx.steps)
    trace.training(costs, grads, updated)  # by name: the parameters from now on

    trace.step(ctx.steps)  # after the last update
    Y_hat = forward(params, X)
    trace.value("A2", Y_hat)
    trace.cost(compute_cost(Y, Y_hat))
    trace.value("costs", costs[::100])  # the loop prints and keeps every 100th epoch's cost
    predictions, accuracy = predict(params, X, Y)
    trace.values(predicted_outputs=predictions, accuracy=accuracy)
