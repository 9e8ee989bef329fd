"""The OR gate's first example in JAX: pure functions of a dict of parameters (W alone
for Figs 10-17, W and b after), ``jax.nn.sigmoid``, the loss ``optax.losses.l2_loss``
averaged, ``jax.value_and_grad`` and ``optax.sgd`` with step size 1.

The run is one step, and every value of it is printed, so it runs eagerly: there is no
training loop to compile.

Layout: JAX keeps examples as rows (x is 1 x 2), the blog as columns (2 x 1), and W as
(in, out) = (2, 1) where the blog's W is (1, 2): x, W and W's gradient are transposed,
as in Keras (``[layout]`` in example.toml: the harness translates them both ways; the
one example's printed values are 1 x 1 either way). The bias is (1,) where the blog's b
is (1, 1).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
def neuron(ctx, bias):
    """The one neuron's parameters, with the blog's start values: W, and b = 0 if it has
    a bias (ctx.load returns them, as JAX holds them)."""
    params = ctx.load(W=jax.ShapeDtypeStruct((2, 1), ctx.dtype))
    if bias:
        params |= ctx.load(b=jax.ShapeDtypeStruct((1,), ctx.dtype))
    return params


# %% forward
def forward(params, X, Y):
    """The forward pass and the loss: the loss first, then z and y_hat (the values the
    text prints beside it, as ``jax.value_and_grad(..., has_aux=True)`` takes them)."""
    z = X @ params["W"]
    if "b" in params:
        z = z + params["b"]
    y_hat = jax.nn.sigmoid(z)
    return compute_cost(Y, y_hat), (z, y_hat)  # 1/2 (y - y_hat)^2


# %% cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return jnp.mean(optax.losses.l2_loss(Y_hat, Y))


# %% autodiff
def forward_backward(params, X, Y, record):
    """Loss and gradients of the parameters (``jax.value_and_grad``), and the upstream
    and local gradients one stage back at a time (``jax.grad``, ``jax.vjp``); the
    intermediates the text prints go to ``record``."""
    (loss, (z, y_hat)), grads = jax.value_and_grad(forward, has_aux=True)(params, X, Y)
    record(z=z, minus_z=-z, y_hat=y_hat, residual=Y - y_hat)
    dL_dy_hat = jax.grad(compute_cost, argnums=1)(Y, y_hat)
    _, sigmoid_vjp = jax.vjp(jax.nn.sigmoid, z)
    (local,) = sigmoid_vjp(jnp.ones_like(y_hat))  # the sigmoid's local gradient
    (dL_dz,) = sigmoid_vjp(dL_dy_hat)
    record(dL_dy_hat=dL_dy_hat, dy_hat_dz=local, dL_dz=dL_dz)
    return loss, grads


# %% record
def prefixed(record, prefix):
    """``record`` with ``prefix`` before every name (the pass without a bias: nobias_*)."""
    return lambda **named: record(**{prefix + name: value for name, value in named.items()})


def reproduce(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    trace = ctx.trace

    # Figs 10-17: no bias
    trace.step(0)
    nobias = neuron(ctx, bias=False)
    record = prefixed(trace.values, "nobias_")
    loss, grads = forward_backward(nobias, X, Y, record)
    record(loss=loss, dW=grads["W"])

    # Figs 21-24: with the bias b = 0, one step of size 1
    params = neuron(ctx, bias=True)
    trace.watch(**params)  # see [layout]
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)
    for step in range(ctx.steps):
        trace.step(step)
        loss, grads = forward_backward(params, X, Y, trace.values)
        trace.gradients(loss, grads)  # the loss, and each parameter's gradient, by name
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        trace.parameters(params)  # the updated parameters, from now on the mirror's

    # Figs 25-26: the state after the step
    trace.step(ctx.steps)
    loss, (z, y_hat) = forward(params, X, Y)
    trace.values(z=z, minus_z=-z, y_hat=y_hat, residual=Y - y_hat)
    trace.cost(loss)
