"""Car prices with biases (chapters 4-7) in JAX: the weights a dict of arrays, the
network and the cost pure functions of it, the cost ``optax.losses.l2_loss`` summed,
``jax.value_and_grad`` and ``optax.sgd``; the one training step runs op by op
(``training_step``).

The weights keep the chapters' bias trick and layout: W^1 (4x3), W^2 (4x2) and W^3 (3x1)
are (inputs + 1, neurons) with the biases as their last row, and a column of ones is
appended to X and to each hidden activation, so nothing is translated (``[layout]``).
The chapters' deltas come from the cost's gradients with respect to Z^(4), [a^(3), 1]
and [a^(2), 1], taken by ``jax.grad`` and ``jax.vjp`` one stage back at a time, the
last two multiplied by 1 - tanh([Z, 1])^2 as the chapter displays them. The update
W - alpha (1/n) dJ/dW is ``optax.sgd`` with learning_rate = alpha / n on the summed cost.
"""

import jax
import jax.numpy as jnp
import optax


# %% data
NAMES = ("W1", "W2", "W3")


def illustrations(ctx, X, W1):
    trace, hyper = ctx.trace, ctx.hyper
    trace.value("Z2_bias_shift", X @ W1 - X[:, :-1] @ W1[:-1])
    km1, z1, km2, z2, km = (jnp.asarray(hyper[k], dtype=ctx.dtype) for k in
                            ("km_low", "normalised_low", "km_high", "normalised_high", "km_threshold"))
    sigma = (km2 - km1) / (z2 - z1)
    mean = km1 - z1 * sigma
    trace.value("normalised_50k", (km - mean) / sigma)


# %% forward
def add_ones(a):
    return jnp.concatenate([a, jnp.ones((a.shape[0], 1), dtype=a.dtype)], axis=1)


def forward(X, W):
    f = {"Z2": X @ W["W1"]}
    f["a2"] = jnp.tanh(f["Z2"])
    f["a2_bias"] = add_ones(f["a2"])
    f["Z3"] = f["a2_bias"] @ W["W2"]
    f["a3"] = jnp.tanh(f["Z3"])
    f["a3_bias"] = add_ones(f["a3"])
    f["Z4"] = f["a3_bias"] @ W["W3"]
    f["a4"] = jnp.tanh(f["Z4"])
    return f


# %% cost
def cost(a4, y):
    """J = sum over the cars of 1/2 (y - yhat)^2."""
    return jnp.sum(optax.losses.l2_loss(a4, y))


# %% autodiff
def tanh_prime(z):
    return 1 - jnp.tanh(z) ** 2


def upstream_gradients(f, y, W):
    """dJ/dZ^(4), dJ/d[a^(3), 1] and dJ/d[a^(2), 1] at the forward pass ``f``, by
    autodiff: the cost's gradient with respect to Z^(4), then one stage back at a time."""
    dZ4 = jax.grad(lambda Z4: cost(jnp.tanh(Z4), y))(f["Z4"])
    (da3_bias,) = jax.vjp(lambda a3_bias: a3_bias @ W["W3"], f["a3_bias"])[1](dZ4)
    (dZ3,) = jax.vjp(lambda Z3: add_ones(jnp.tanh(Z3)), f["Z3"])[1](da3_bias)
    (da2_bias,) = jax.vjp(lambda a2_bias: a2_bias @ W["W2"], f["a2_bias"])[1](dZ3)
    return dZ4, da3_bias, da2_bias


# %% check
def unrolled(W):
    return jnp.concatenate([W[name].reshape(-1) for name in NAMES]).reshape(-1, 1)


def rolled(w):
    return {"W1": w[0:12].reshape(4, 3), "W2": w[12:20].reshape(4, 2), "W3": w[20:23].reshape(3, 1)}


def check_gradients(trace, X, y, W, h):
    """V1 by autodiff, V2 by centred differences one weight at a time, as chapter 7."""
    weights = unrolled(W)
    J, grads = jax.value_and_grad(lambda at: cost(forward(X, at)["a4"], y))(rolled(weights))
    V1 = unrolled(grads)
    trace.values(V1=V1, n_parameters=jnp.asarray(float(V1.size), dtype=V1.dtype))
    V2 = []
    for p in range(len(weights)):
        perturbation = jnp.zeros_like(weights).at[p].set(h)
        a4_plus_h = forward(X, rolled(weights + perturbation))["a4"]
        loss2 = cost(a4_plus_h, y)
        a4_minus_h = forward(X, rolled(weights - perturbation))["a4"]
        loss1 = cost(a4_minus_h, y)
        if p == 0:  # the chapter prints the first weight's passes
            trace.values(a4_plus_h=a4_plus_h, loss2=loss2, a4_minus_h=a4_minus_h, loss1=loss1)
        V2.append((loss2 - loss1) / (2 * h))
    V2 = jnp.stack(V2).reshape(-1, 1)
    trace.value("numerical_grad", V2, scale=J / (2 * h))  # costs cancel over 2h
    norm_of_sum = jnp.linalg.norm(V1 + V2)
    trace.value("relative_difference", jnp.linalg.norm(V1 - V2) / norm_of_sum,
                scale=J / (2 * h) / norm_of_sum)


# %% record
def record_passes(trace, f, y, dZ4, da3_bias, da2_bias):
    """The matrices chapters 4 and 6 print: the forward pass, and the deltas from the
    gradients with respect to Z^(4), [a^(3), 1] and [a^(2), 1]."""
    dtanh3, dtanh2 = tanh_prime(add_ones(f["Z3"])), tanh_prime(add_ones(f["Z2"]))
    trace.values(**f, cost_per_car=optax.losses.l2_loss(f["a4"], y),
                 dtanh_Z4=tanh_prime(f["Z4"]), residual=y - f["a4"],
                 delta4=dZ4, dtanh_Z3_bias=dtanh3, delta4_W3T=da3_bias, delta3=da3_bias * dtanh3,
                 dtanh_Z2_bias=dtanh2, delta3_W2T=da2_bias, delta2=da2_bias * dtanh2)


def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, h = hyper.learning_rate, y.shape[0], hyper.h
    W = ctx.load(W1=jax.ShapeDtypeStruct((4, 3), ctx.dtype), W2=jax.ShapeDtypeStruct((4, 2), ctx.dtype),
                 W3=jax.ShapeDtypeStruct((3, 1), ctx.dtype))
    trace.watch(**W)  # the chapters' own (inputs + 1, neurons) layout
    optimizer = optax.sgd(learning_rate=alpha / n)  # W - alpha (1/n) dJ/dW
    opt_state = optimizer.init(W)

    def training_step(W, opt_state):
        """One step: the cost, the gradients and the updated weights. Not a jax.jit: the
        chapters take one step, and compiled, XLA folds the transpose of X^T . delta^(2)
        into its dot, which sums the five cars in another order (dJ/dW1[0, 2] one ulp
        off the step run op by op, which is NumPy's sum there)."""
        J, grads = jax.value_and_grad(lambda W: cost(forward(X, W)["a4"], y))(W)
        updates, opt_state = optimizer.update(grads, opt_state, W)
        return J, grads, optax.apply_updates(W, updates), opt_state

    trace.step(0)
    illustrations(ctx, X, W["W1"])  # chapter 4's numbers, before any training
    for step in range(ctx.steps):
        trace.step(step)
        J, grads, updated, opt_state = training_step(W, opt_state)
        trace.gradients(J, grads)  # by name
        if trace.printed:  # a pass of its own for the matrices the chapters print
            f = forward(X, W)
            record_passes(trace, f, y, *upstream_gradients(f, y, W))
            check_gradients(trace, X, y, W, h)
        W = updated
        trace.parameters(W)  # the updated weights, from now on the mirror's
    trace.step(ctx.steps)  # after the update: the check at the weights the chapter displays
    if trace.printed:
        check_gradients(trace, X, y, W, h)
