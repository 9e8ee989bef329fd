"""Car prices with L2 regularisation (chapter 8) in TensorFlow.

The weights keep the chapters' bias trick and (inputs + 1, neurons) layout, as in the
car_price example (the last row of each W is the bias of a keras Dense layer). The
penalty is Keras's own ``keras.regularizers.L2(lambda / 2)``, i.e.
1/2 lambda sum W^2 with the bias rows included, added to the summed data cost
under the tape; ``keras.optimizers.SGD(learning_rate=alpha / n)`` takes the step.
The text's printed version subtracts the same penalty.
"""

import keras
import tensorflow as tf


# %% data
NAMES = ("W1", "W2", "W3")


# %% forward
# Copied from reproductions/examples/car_price/tensorflow_impl.py:add_ones
def add_ones(a):
    return tf.concat([a, tf.ones((a.shape[0], 1), dtype=a.dtype)], axis=1)


def forward(X, W):
    a2 = add_ones(tf.tanh(X @ W["W1"]))
    a3 = add_ones(tf.tanh(a2 @ W["W2"]))
    return tf.tanh(a3 @ W["W3"])


# %% cost
# Copied from reproductions/examples/car_price/tensorflow_impl.py:cost
def data_cost(a4, y):
    """J = sum over the cars of 1/2 (y - yhat)^2."""
    return 0.5 * keras.losses.MeanSquaredError(reduction="sum", dtype=y.dtype)(y, a4)


def sum_of_squares(W):
    return sum(tf.reduce_sum(tf.square(W[name])) for name in NAMES)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, Lambda = ctx.hyper.learning_rate, y.shape[0], ctx.hyper.Lambda
    penalty = keras.regularizers.L2(Lambda / 2)  # 1/2 lambda sum W^2
    W = {name: tf.Variable(ctx.tensor(ctx.init[name]), name=name) for name in NAMES}
    trace.watch(**W)
    optimizer = keras.optimizers.SGD(learning_rate=alpha / n)
    P = {name: tf.Variable(ctx.tensor(ctx.init[name]), name=name + "_printed") for name in NAMES}
    printed_optimizer = keras.optimizers.SGD(learning_rate=alpha / n)

    trace.step(0)  # L1026: 'Our network has 23 parameters so we need at least 230 cars'
    n_parameters = tf.constant(float(sum(int(tf.size(W[name])) for name in NAMES)), dtype=ctx.dtype)
    trace.values(n_parameters=n_parameters, cars_needed=10 * n_parameters)
    for step in range(ctx.steps):
        trace.step(step)
        with tf.GradientTape() as tape:
            J_data = data_cost(forward(X, W), y)
            J = J_data + sum(penalty(W[name]) for name in NAMES)
        grads = tape.gradient(J, [W[name] for name in NAMES])
        trace.values(data_cost=J_data, sum_of_squares=sum_of_squares(W))
        trace.gradients(J, grads)
        optimizer.apply_gradients(zip(grads, [W[name] for name in NAMES]))
        trace.parameters()

        with tf.GradientTape() as tape:
            J_printed = data_cost(forward(X, P), y) - sum(penalty(P[name]) for name in NAMES)  # L1030
        grads = tape.gradient(J_printed, [P[name] for name in NAMES])
        trace.values(sum_of_squares_as_printed=sum_of_squares(P), cost_as_printed=J_printed)
        printed_optimizer.apply_gradients(zip(grads, [P[name] for name in NAMES]))
        trace.values(**{f"{name}_as_printed": P[name] for name in NAMES})
