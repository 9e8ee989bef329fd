"""OR gate, batch gradient descent, in TensorFlow: ``keras.layers.Dense(1)``,
``tf.sigmoid``, half of Keras's mean squared error as the cost, ``tf.GradientTape``
and ``keras.optimizers.SGD``. The epochs the text does not work by hand run as one
compiled ``tf.function`` step (eager TensorFlow takes half a minute for 5000 epochs).

Layout: Keras keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1) and the
kernel as (in, out) = (2, 1); the blog keeps examples as columns and W as (1, 2), b as
(1, 1). ``from_blog`` and ``to_blog`` translate the data and the printed intermediates;
the harness translates the watched parameters and their gradients back (``[layout]``).
"""

import keras
import tensorflow as tf


def from_blog(columns):
    """Examples as columns (blog) -> examples as rows (Keras); W (1, 2) -> kernel (2, 1)."""
    return tf.transpose(columns)


# Copied from reproductions/examples/or_single_example/tensorflow_impl.py:to_blog
def to_blog(tensor, like="examples"):
    """Examples as rows -> columns; kernel (2, 1) -> W (1, 2); bias (1,) -> (1, 1)."""
    if like == "bias":
        return tf.reshape(tensor, [1, 1])
    return tf.transpose(tensor)


def reproduce(ctx):
    X, Y = from_blog(ctx.data("X_train")), from_blog(ctx.data("Y_train"))
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    dense = keras.layers.Dense(1, dtype=ctx.dtype)
    dense.build((None, 2))
    dense.kernel.assign(from_blog(ctx.tensor(ctx.init["W"])))
    dense.bias.assign(tf.reshape(ctx.tensor(ctx.init["b"]), [-1]))
    mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)

    def forward():
        Z = dense(X)
        Y_hat = tf.sigmoid(Z)
        return Z, Y_hat, 0.5 * mse(Y, Y_hat)  # (1/2m) sum (Y - Y_hat)^2

    variables = [dense.kernel, dense.bias]
    trace.watch(W=dense.kernel, b=dense.bias)  # see [layout]
    optimizer.build(variables)  # its variables exist before tracing

    @tf.function
    def plain_epoch():
        """An epoch not worked by hand, compiled once: the cost, the gradients and the
        updated parameters."""
        with tf.GradientTape() as tape:
            cost = forward()[2]
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(v) for v in variables]  # read after the update

    for epoch in range(ctx.steps):
        trace.step(epoch)
        by_hand = epoch < ctx.hyper.hand_worked_steps

        if not by_hand:
            cost, grads, updated = plain_epoch()
            trace.gradients(cost, grads)
            trace.parameters(updated)
            continue

        with tf.GradientTape(persistent=True) as tape:
            Z, Y_hat, cost = forward()
        dW, db = tape.gradient(cost, [dense.kernel, dense.bias])
        dY_hat, dZ = tape.gradient(cost, [Y_hat, Z])
        local = tape.gradient(Y_hat, Z)  # the sigmoid's local gradient, elementwise
        del tape
        residual = Y - Y_hat
        squared = tf.square(residual)
        trace.value("X_train", to_blog(X))
        trace.value("Z", to_blog(Z))
        trace.value("minus_Z", to_blog(-Z))
        trace.value("Y_hat", to_blog(Y_hat))
        trace.value("residual", to_blog(residual))
        trace.value("squared_residual", to_blog(squared))
        trace.value("sum_squares", tf.reduce_sum(squared))
        trace.value("dY_hat", to_blog(dY_hat))
        trace.value("one_minus_Y_hat", to_blog(1 - Y_hat))
        trace.value("dY_hat_dZ", to_blog(local))
        trace.value("dZ", to_blog(dZ))
        trace.gradients(cost, [dW, db])
        # the step SGD takes, -lr * gradient (Fig 45)
        trace.value("delta_W", to_blog(-learning_rate * dW, "kernel"))
        trace.value("delta_b", to_blog(-learning_rate * db, "bias"))
        optimizer.apply_gradients([(dW, dense.kernel), (db, dense.bias)])
        trace.parameters()
