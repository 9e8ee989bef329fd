"""Car prices with biases (chapters 4-7) in TensorFlow: ``tf.Variable`` weights,
``tf.GradientTape``, Keras ``MeanSquaredError(reduction="sum")`` and
``keras.optimizers.SGD``.

The weights keep the chapters' bias trick and layout: W^1 (4x3), W^2 (4x2) and W^3 (3x1)
are (inputs + 1, neurons) with the biases as their last row, and a column of ones is
appended to X and to each hidden activation, so nothing is translated. (In a
``keras.layers.Dense`` the same layer is ``kernel = W[:-1]`` and ``bias = W[-1]``.) The
chapters' deltas are the tape's gradients with respect to Z^(4), [a^(3), 1] and
[a^(2), 1], the last two multiplied by 1 - tanh([Z, 1])^2 as the chapter displays them.
The update W - alpha (1/n) dJ/dW is SGD with learning_rate = alpha / n on the summed cost.
"""

import keras
import tensorflow as tf


# %% data
NAMES = ("W1", "W2", "W3")


def illustrations(ctx, X, W1):
    trace, hyper = ctx.trace, ctx.hyper
    trace.value("Z2_bias_shift", X @ W1 - X[:, :-1] @ W1[:-1])
    km1, z1, km2, z2, km = (tf.constant(hyper[k], dtype=ctx.dtype) for k in
                            ("km_low", "normalised_low", "km_high", "normalised_high", "km_threshold"))
    sigma = (km2 - km1) / (z2 - z1)
    mean = km1 - z1 * sigma
    trace.value("normalised_50k", (km - mean) / sigma)


# %% forward
def add_ones(a):
    return tf.concat([a, tf.ones((a.shape[0], 1), dtype=a.dtype)], axis=1)


def forward(X, W):
    f = {"Z2": X @ W["W1"]}
    f["a2"] = tf.tanh(f["Z2"])
    f["a2_bias"] = add_ones(f["a2"])
    f["Z3"] = f["a2_bias"] @ W["W2"]
    f["a3"] = tf.tanh(f["Z3"])
    f["a3_bias"] = add_ones(f["a3"])
    f["Z4"] = f["a3_bias"] @ W["W3"]
    f["a4"] = tf.tanh(f["Z4"])
    return f


# %% cost
def cost(a4, y):
    """J = sum over the cars of 1/2 (y - yhat)^2."""
    return 0.5 * keras.losses.MeanSquaredError(reduction="sum", dtype=y.dtype)(y, a4)


# %% autodiff
def tanh_prime(z):
    return 1 - tf.tanh(z) ** 2


# %% check
def unrolled(W):
    return tf.reshape(tf.concat([tf.reshape(W[name], [-1]) for name in NAMES], axis=0), [-1, 1])


def rolled(w):
    return {"W1": tf.reshape(w[0:12], (4, 3)), "W2": tf.reshape(w[12:20], (4, 2)),
            "W3": tf.reshape(w[20:23], (3, 1))}


def check_gradients(trace, X, y, W, h):
    """V1 by the tape, V2 by centred differences one weight at a time, as chapter 7."""
    weights = tf.convert_to_tensor(unrolled(W))
    at = rolled(weights)
    with tf.GradientTape() as tape:
        tape.watch(list(at.values()))
        J = cost(forward(X, at)["a4"], y)
    grads = tape.gradient(J, list(at.values()))
    V1 = tf.reshape(tf.concat([tf.reshape(g, [-1]) for g in grads], 0), [-1, 1])
    trace.values(V1=V1, n_parameters=tf.constant(float(tf.size(V1)), dtype=V1.dtype))
    V2 = []
    for p in range(weights.shape[0]):
        perturbation = tf.one_hot([p], weights.shape[0], on_value=h, off_value=0.0, axis=0, dtype=weights.dtype)
        a4_plus_h = forward(X, rolled(weights + perturbation))["a4"]
        loss2 = cost(a4_plus_h, y)
        a4_minus_h = forward(X, rolled(weights - perturbation))["a4"]
        loss1 = cost(a4_minus_h, y)
        if p == 0:  # the chapter prints the first weight's passes
            trace.values(a4_plus_h=a4_plus_h, loss2=loss2, a4_minus_h=a4_minus_h, loss1=loss1)
        V2.append((loss2 - loss1) / (2 * h))
    V2 = tf.reshape(tf.stack(V2), [-1, 1])
    trace.value("numerical_grad", V2, scale=J / (2 * h))  # costs cancel over 2h
    norm_of_sum = tf.norm(V1 + V2)
    trace.value("relative_difference", tf.norm(V1 - V2) / norm_of_sum, scale=J / (2 * h) / norm_of_sum)


# %% record
def record_passes(trace, f, y, dZ4, da3_bias, da2_bias):
    """The matrices chapters 4 and 6 print: the forward pass, and the deltas from the
    gradients with respect to Z^(4), [a^(3), 1] and [a^(2), 1]."""
    dtanh3, dtanh2 = tanh_prime(add_ones(f["Z3"])), tanh_prime(add_ones(f["Z2"]))
    trace.values(**f, cost_per_car=0.5 * tf.square(y - f["a4"]),
                 dtanh_Z4=tanh_prime(f["Z4"]), residual=y - f["a4"],
                 delta4=dZ4, dtanh_Z3_bias=dtanh3, delta4_W3T=da3_bias, delta3=da3_bias * dtanh3,
                 dtanh_Z2_bias=dtanh2, delta3_W2T=da2_bias, delta2=da2_bias * dtanh2)


def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, h = hyper.learning_rate, y.shape[0], hyper.h
    W = {name: tf.Variable(ctx.tensor(ctx.init[name]), name=name) for name in NAMES}
    trace.watch(**W)  # the chapters' own (inputs + 1, neurons) layout
    optimizer = keras.optimizers.SGD(learning_rate=alpha / n)  # W - alpha (1/n) dJ/dW

    trace.step(0)
    illustrations(ctx, X, tf.convert_to_tensor(W["W1"]))  # chapter 4's numbers, before any training
    for step in range(ctx.steps):
        trace.step(step)
        with tf.GradientTape() as tape:
            f = forward(X, W)
            J = cost(f["a4"], y)
        watched = [f["Z4"], f["a3_bias"], f["a2_bias"]] + [W[name] for name in NAMES]
        dZ4, da3_bias, da2_bias, *grads = tape.gradient(J, watched)
        trace.gradients(J, grads)
        if trace.printed:
            record_passes(trace, f, y, dZ4, da3_bias, da2_bias)
            check_gradients(trace, X, y, W, h)
        optimizer.apply_gradients(zip(grads, [W[name] for name in NAMES]))
        trace.parameters()
    trace.step(ctx.steps)  # after the update: the check at the weights the chapter displays
    if trace.printed:
        check_gradients(trace, X, y, W, h)
