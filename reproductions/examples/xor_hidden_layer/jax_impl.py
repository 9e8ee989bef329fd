"""XOR with one hidden layer in JAX: pure functions of a dict of parameters, the
sigmoid ``jax.nn.sigmoid``, the cost ``optax.losses.l2_loss`` averaged,
``jax.value_and_grad`` and ``optax.sgd``, the training step one ``jax.jit``.

Layout: JAX holds the examples as rows, the blog as columns, so the data and every
printed intermediate are transposed, and so is W (in, out) against the blog's W
(out, in), as in Keras (``[layout]`` in example.toml: the harness translates them
both ways). A bias is (out,) where the blog's b is (out, 1).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


def two_layer_net(ctx):
    """The parameters, as JAX holds them, at their start values (ctx.load returns them)."""
    return ctx.load(W1=jax.ShapeDtypeStruct((2, 3), ctx.dtype),  # hidden layer: W1, b1
                    b1=jax.ShapeDtypeStruct((3,), ctx.dtype),
                    W2=jax.ShapeDtypeStruct((3, 1), ctx.dtype),  # output layer: W2, b2
                    b2=jax.ShapeDtypeStruct((1,), ctx.dtype))


# %% forward
def forward(params, X):
    """Z1, A1, Z2 and A2 = the output."""
    Z1 = X @ params["W1"] + params["b1"]
    A1 = jax.nn.sigmoid(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = jax.nn.sigmoid(Z2)
    return Z1, A1, Z2, A2


def blog_parameters(params):
    """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
    return {name: params[name] for name in ("W2", "b2", "W1", "b1")}


# %% cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = the mean over the m examples of 1/2 (Y - Y_hat)^2
    return jnp.mean(optax.losses.l2_loss(Y_hat, Y))


# %% autodiff
def sigmoid_local_gradient(Z):
    """dA/dZ of the element-wise sigmoid, by autodiff."""
    return jax.grad(lambda Z: jnp.sum(jax.nn.sigmoid(Z)))(Z)


def first_iteration(trace, params, X, Y):
    """Fig 79-81: the forward pass and every upstream and local gradient, by autodiff:
    the cost's gradient with respect to each intermediate, one stage back at a time."""
    Z1, A1, Z2, A2 = forward(params, X)
    dA2 = jax.grad(compute_cost, argnums=1)(Y, A2)
    (dZ2,) = jax.vjp(jax.nn.sigmoid, Z2)[1](dA2)
    (dA1,) = jax.vjp(lambda A1: A1 @ params["W2"] + params["b2"], A1)[1](dZ2)
    (dZ1,) = jax.vjp(jax.nn.sigmoid, Z1)[1](dA1)
    trace.values(Z1=Z1, A1=A1, Z2=Z2, A2=A2, Y_minus_Y_hat=Y - A2,
                 dA2=dA2, one_minus_A2=1 - A2, dA2_dZ2=sigmoid_local_gradient(Z2),
                 dZ2=dZ2, dA1=dA1, one_minus_A1=1 - A1,
                 dA1_dZ1=sigmoid_local_gradient(Z1), dZ1=dZ1)


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

    trace.step(ctx.steps)  # after the last update: the cost and the outputs
    Y_hat = forward(params, X)[-1]
    trace.value("A2", Y_hat)
    trace.cost(compute_cost(Y, Y_hat))
