"""OR gate, batch gradient descent, in TensorFlow: ``keras.layers.Dense(1)``,
``tf.sigmoid``, half of Keras's mean squared error as the cost, ``tf.GradientTape``
and ``keras.optimizers.SGD``. The epochs the text does not work by hand run as one
compiled ``tf.function`` step (eager TensorFlow takes half a minute for 5000 epochs).

Layout: Keras keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1) and the
kernel as (in, out) = (2, 1); the blog keeps examples as columns and W as (1, 2), b as
(1, 1). ``from_blog`` and ``to_blog`` are the only places that translate.
"""

import keras
import tensorflow as tf


def from_blog(columns):
    """Examples as columns (blog) -> examples as rows (Keras); W (1, 2) -> kernel (2, 1)."""
    return tf.transpose(columns)


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

    optimizer.build([dense.kernel, dense.bias])  # its variables exist before tracing

    @tf.function
    def plain_epoch():
        """An epoch not worked by hand, compiled once: the cost, the gradients and the
        updated parameters, the last two in the blog's layout."""
        with tf.GradientTape() as tape:
            cost = forward()[2]
        dW, db = tape.gradient(cost, [dense.kernel, dense.bias])
        optimizer.apply_gradients([(dW, dense.kernel), (db, dense.bias)])
        return (cost, to_blog(dW, "kernel"), to_blog(db, "bias"),
                to_blog(dense.kernel, "kernel"), to_blog(dense.bias, "bias"))  # updated

    for epoch in range(ctx.steps):
        trace.step(epoch)
        by_hand = epoch < ctx.hyper.hand_worked_steps

        if not by_hand:
            cost, dW, db, W, b = plain_epoch()
            trace.cost(cost)
            trace.grad("W", dW)
            trace.grad("b", db)
            trace.param("W", W)
            trace.param("b", b)
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
        trace.cost(cost)
        trace.grad("W", to_blog(dW, "kernel"))
        trace.grad("b", to_blog(db, "bias"))
        # the step SGD takes, -lr * gradient (Fig 45)
        trace.value("delta_W", to_blog(-learning_rate * dW, "kernel"))
        trace.value("delta_b", to_blog(-learning_rate * db, "bias"))
        optimizer.apply_gradients([(dW, dense.kernel), (db, dense.bias)])
        trace.param("W", to_blog(dense.kernel, "kernel"))
        trace.param("b", to_blog(dense.bias, "bias"))
