"""Car prices with L2 regularisation (chapter 8) in JAX.

The weights keep the chapters' bias trick and (inputs + 1, neurons) layout, as in the
car_price example (the last row of each W is a layer's bias), held as a dict of arrays.
The cost is written as chapter 8 writes it, J = sum 1/2 (y - yhat)^2 + 1/2 lambda sum W^2
with the bias rows included, and ``jax.value_and_grad`` gives J and its gradient
(the data term's plus lambda W); ``optax.sgd(learning_rate=alpha / n)`` takes the step.
The text's printed version subtracts the same penalty. The steps run op by op, not
as a ``jax.jit``: compiled, XLA folds the transpose of X^T . delta^(2) into its dot,
which sums the five cars in another order (dJ/dW1[0, 2] one ulp off; see car_price).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
NAMES = ("W1", "W2", "W3")


# %% forward
# Copied from reproductions/examples/car_price/jax_impl.py:add_ones
def add_ones(a):
    return jnp.concatenate([a, jnp.ones((a.shape[0], 1), dtype=a.dtype)], axis=1)


def forward(X, W):
    a2 = add_ones(jnp.tanh(X @ W["W1"]))
    a3 = add_ones(jnp.tanh(a2 @ W["W2"]))
    return jnp.tanh(a3 @ W["W3"])


# %% cost
# Copied from reproductions/examples/car_price/jax_impl.py:cost
def data_cost(a4, y):
    """J = sum over the cars of 1/2 (y - yhat)^2."""
    return jnp.sum(optax.losses.l2_loss(a4, y))


def sum_of_squares(W):
    return sum(jnp.sum(W[name] ** 2) for name in NAMES)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, Lambda = ctx.hyper.learning_rate, y.shape[0], ctx.hyper.Lambda
    shapes = {"W1": (4, 3), "W2": (4, 2), "W3": (3, 1)}
    W = ctx.load(**{name: jax.ShapeDtypeStruct(shapes[name], ctx.dtype) for name in NAMES})
    trace.watch(**W)
    optimizer = optax.sgd(learning_rate=alpha / n)
    opt_state = optimizer.init(W)
    P = dict(W)  # the printed version's weights, from the same start
    printed_optimizer = optax.sgd(learning_rate=alpha / n)
    printed_state = printed_optimizer.init(P)

    def regularised_cost(W, sign):
        """J = data cost + sign 1/2 lambda sum W^2, with its two terms."""
        J_data, squares = data_cost(forward(X, W), y), sum_of_squares(W)
        return J_data + sign * 0.5 * Lambda * squares, (J_data, squares)

    def training_step(W, opt_state):
        """One step of the cost as it should be: its terms, J, dJ/dW, the updated W."""
        (J, terms), grads = jax.value_and_grad(regularised_cost, has_aux=True)(W, +1)
        updates, opt_state = optimizer.update(grads, opt_state, W)
        return terms, J, grads, optax.apply_updates(W, updates), opt_state

    def printed_step(P, printed_state):
        """One step of the cost as printed, J_data - 1/2 lambda sum W^2 (L1030's minus)."""
        (J, terms), grads = jax.value_and_grad(regularised_cost, has_aux=True)(P, -1)
        updates, printed_state = printed_optimizer.update(grads, printed_state, P)
        return terms, J, optax.apply_updates(P, updates), printed_state

    trace.step(0)  # L1026: 'Our network has 23 parameters so we need at least 230 cars'
    n_parameters = jnp.asarray(float(sum(W[name].size for name in NAMES)), dtype=ctx.dtype)
    trace.values(n_parameters=n_parameters, cars_needed=10 * n_parameters)
    for step in range(ctx.steps):
        trace.step(step)
        (J_data, squares), J, grads, W, opt_state = training_step(W, opt_state)
        trace.values(data_cost=J_data, sum_of_squares=squares)
        trace.gradients(J, grads)  # dJ/dW of the regularised cost, by name
        trace.parameters(W)  # the updated weights, from now on the mirror's

        (_, squares), J_printed, P, printed_state = printed_step(P, printed_state)
        trace.values(sum_of_squares_as_printed=squares, cost_as_printed=J_printed)
        trace.values(**{f"{name}_as_printed": P[name] for name in NAMES})
