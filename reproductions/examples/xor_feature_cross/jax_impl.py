"""XOR with the feature cross in JAX: one neuron as a pure function of a dict of
parameters, ``jax.nn.sigmoid``, the cost ``optax.losses.l2_loss`` averaged,
``jax.value_and_grad`` and ``optax.sgd``, the training step one ``jax.jit``.

Layout: JAX holds the examples as rows, the blog as columns, so the data and the
printed intermediates are transposed, and so is W (in, out) against the blog's W
(out, in), as in Keras (``[layout]`` in example.toml: the harness translates them both
ways). The bias is (out,) where the blog's b is (out, 1).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


def feature_cross_net(ctx):
    """The parameters, as JAX holds them, at their start values (ctx.load returns them)."""
    return ctx.load(W=jax.ShapeDtypeStruct((3, 1), ctx.dtype),  # inputs x1, x2, x3 = x1 * x2
                    b=jax.ShapeDtypeStruct((1,), ctx.dtype))


# %% forward
def forward(params, X):
    """Z and A = the output."""
    Z = X @ params["W"] + params["b"]
    A = jax.nn.sigmoid(Z)
    return Z, A


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/jax_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = the mean over the m examples of 1/2 (Y - Y_hat)^2
    return jnp.mean(optax.losses.l2_loss(Y_hat, Y))


# %% autodiff
def first_iteration(trace, params, X, Y):
    """Fig 71-72: the forward pass, dCost/dA and dCost/dZ, by autodiff: the cost's
    gradient with respect to A, then back through the sigmoid."""
    Z, A = forward(params, X)
    dA = jax.grad(compute_cost, argnums=1)(Y, A)
    (dZ,) = jax.vjp(jax.nn.sigmoid, Z)[1](dA)
    trace.values(Z=Z, A=A, dA=dA, dZ=dZ)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    params = feature_cross_net(ctx)
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)
    trace.watch(**params)  # see [layout]

    @jax.jit  # JAX's idiom: the step compiled once, a pure function of the parameters
    def training_step(params, opt_state):
        cost, grads = jax.value_and_grad(lambda p: compute_cost(Y, forward(p, X)[-1]))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    def epoch(carry, _):  # one epoch as jax.lax.scan runs it: the state in, its values out
        cost, grads, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, grads, params)

    # the epochs between printed ones in one compiled loop, each one's values stacked
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        if trace.printed:  # a pass of its own for the intermediates the text prints
            first_iteration(trace, params, X, Y)
        (params, opt_state), (costs, grads, updated) = jax.lax.scan(
            epoch, (params, opt_state), length=count)
        trace.training(costs, grads, updated)  # by name: the parameters from now on

    trace.step(ctx.steps)  # the trained network: its cost and outputs
    A = forward(params, X)[-1]
    trace.value("A", A)
    trace.cost(compute_cost(Y, A))
