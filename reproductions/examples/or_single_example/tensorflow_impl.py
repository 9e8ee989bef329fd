"""The OR gate's first example in TensorFlow: ``keras.layers.Dense(1)`` (with
``use_bias=False`` for Figs 10-17), ``tf.sigmoid``, half of Keras's mean squared error
as the loss, ``tf.GradientTape`` and ``keras.optimizers.SGD`` with step size 1.

Layout: Keras keeps examples as rows (x is 1 x 2) and the kernel as (in, out) = (2, 1);
the blog keeps examples as columns, W as (1, 2) and b as (1, 1). ``from_blog`` and
``to_blog`` translate the data, the start values and the printed intermediates; the
harness translates the watched parameters and their gradients back (``[layout]``).
"""

import keras
import tensorflow as tf


def from_blog(columns):
    """Examples as columns -> rows; W (1, 2) -> kernel (2, 1)."""
    return tf.transpose(columns)


def to_blog(tensor, like="examples"):
    """Examples as rows -> columns; kernel (2, 1) -> W (1, 2); bias (1,) -> (1, 1)."""
    if like == "bias":
        return tf.reshape(tensor, [1, 1])
    return tf.transpose(tensor)


def new_dense(ctx, bias):
    dense = keras.layers.Dense(1, use_bias=bias, dtype=ctx.dtype)
    dense.build((None, 2))
    dense.kernel.assign(from_blog(ctx.tensor(ctx.init["W"])))
    if bias:
        dense.bias.assign(tf.reshape(ctx.tensor(ctx.init["b"]), [-1]))
    return dense


def forward(dense, X, Y, show, dtype):
    """The forward pass and the loss; the values the text prints go to ``show``."""
    z = dense(X)
    y_hat = tf.sigmoid(z)
    loss = 0.5 * keras.losses.MeanSquaredError(dtype=dtype)(Y, y_hat)  # 1/2 (y - y_hat)^2
    show("z", to_blog(z))
    show("minus_z", to_blog(-z))
    show("y_hat", to_blog(y_hat))
    show("residual", to_blog(Y - y_hat))
    return z, y_hat, loss


def forward_backward(dense, X, Y, show, dtype):
    """Loss and gradients of the layer's weights; the printed intermediates go to ``show``."""
    with tf.GradientTape(persistent=True) as tape:
        z, y_hat, loss = forward(dense, X, Y, show, dtype)
    grads = tape.gradient(loss, dense.trainable_weights)
    dy_hat, dz = tape.gradient(loss, [y_hat, z])
    show("dL_dy_hat", to_blog(dy_hat))
    show("dy_hat_dz", to_blog(tape.gradient(y_hat, z)))  # the sigmoid's local gradient
    show("dL_dz", to_blog(dz))
    del tape
    return loss, grads


def reproduce(ctx):
    X, Y = from_blog(ctx.data("X")), from_blog(ctx.data("Y"))
    trace = ctx.trace

    # Figs 10-17: no bias
    trace.step(0)
    nobias = new_dense(ctx, bias=False)
    show = lambda name, value: trace.value("nobias_" + name, value)
    loss, (dkernel,) = forward_backward(nobias, X, Y, show, ctx.dtype)
    show("loss", loss)
    show("dW", to_blog(dkernel, "kernel"))

    # Figs 21-24: with the bias b = 0, one step of size 1
    dense = new_dense(ctx, bias=True)
    trace.watch(W=dense.kernel, b=dense.bias)  # see [layout]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        loss, grads = forward_backward(dense, X, Y, trace.value, ctx.dtype)
        trace.gradients(loss, grads)
        optimizer.apply_gradients(zip(grads, [dense.kernel, dense.bias]))
        trace.parameters()

    # Figs 25-26: the state after the step
    if ctx.steps:
        trace.step(ctx.steps)
        trace.cost(forward(dense, X, Y, trace.value, ctx.dtype)[2])
