"""OR gate, batch gradient descent, in JAX: a pure function of the parameters W and b,
``jax.nn.sigmoid``, the cost ``optax.losses.l2_loss`` averaged, ``jax.value_and_grad``
and ``optax.sgd``. Each epoch runs as one compiled ``jax.jit`` step.

Layout: JAX keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1), the blog as
columns, so the data and every printed intermediate are transposed; so are W (in, out)
= (2, 1) against the blog's W (1, 2), and the step taken on it, as in Keras
(``[layout]`` in example.toml: the harness translates them both ways). The bias is (1,)
where the blog's b is (1, 1).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
def neuron(ctx):
    """The one neuron's parameters W and b, with the blog's start values (Fig 41; ctx.load
    returns them, as JAX holds them)."""
    return ctx.load(W=jax.ShapeDtypeStruct((2, 1), ctx.dtype),
                    b=jax.ShapeDtypeStruct((1,), ctx.dtype))


# %% forward
def forward(params, X):
    """The neuron's output Y_hat = sigmoid(Z), one example per row."""
    return jax.nn.sigmoid(X @ params["W"] + params["b"])


# %% cost
# Copied from reproductions/examples/or_single_example/jax_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return jnp.mean(optax.losses.l2_loss(Y_hat, Y))


# %% autodiff
def worked_by_hand(trace, params, X, Y):
    """Figs 42-45: the forward pass, the squared residuals and every upstream and local
    gradient, by autodiff (``jax.grad`` of the cost in Y_hat, ``jax.vjp`` of the sigmoid)."""
    Z = X @ params["W"] + params["b"]
    Y_hat, sigmoid_vjp = jax.vjp(jax.nn.sigmoid, Z)
    (local,) = sigmoid_vjp(jnp.ones_like(Y_hat))  # the sigmoid's local gradient, elementwise
    dY_hat = jax.grad(compute_cost, argnums=1)(Y, Y_hat)
    (dZ,) = sigmoid_vjp(dY_hat)
    residual = Y - Y_hat
    squared = jnp.square(residual)
    trace.values(X_train=X, Z=Z, minus_Z=-Z, Y_hat=Y_hat, residual=residual,
                 squared_residual=squared, sum_squares=jnp.sum(squared), dY_hat=dY_hat,
                 one_minus_Y_hat=1 - Y_hat, dY_hat_dZ=local, dZ=dZ)


# %% record
def reproduce(ctx):
    X, Y = ctx.data("X_train"), ctx.data("Y_train")
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    params = neuron(ctx)
    trace.watch(**params)  # see [layout]
    optimizer = optax.sgd(learning_rate=learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit  # JAX's idiom: the step compiled once, a pure function of the parameters
    def training_step(params, opt_state):
        cost, grads = jax.value_and_grad(lambda p: compute_cost(Y, forward(p, X)))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return cost, grads, optax.apply_updates(params, updates), opt_state

    def epoch(carry, _):  # one epoch as jax.lax.scan runs it: the state in, its values out
        cost, grads, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, grads, params)

    # the epochs between printed ones in one compiled loop, each one's values stacked
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        if trace.printed:  # a pass of its own for the values the text works by hand
            worked_by_hand(trace, params, X, Y)
        (params, opt_state), (costs, grads, updated) = jax.lax.scan(
            epoch, (params, opt_state), length=count)
        # kept where printed: the step SGD takes, -lr * gradient (Fig 45); b is (1, 1) in the blog
        steps_taken = {"delta_W": -learning_rate * grads["W"],
                       "delta_b": -learning_rate * grads["b"].reshape(-1, 1, 1)}
        trace.training(costs, grads, updated, values=steps_taken)  # by name: from now on
