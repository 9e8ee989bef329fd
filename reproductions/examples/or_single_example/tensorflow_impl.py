"""The OR gate's first example in TensorFlow: ``keras.layers.Dense(1)`` (with
``use_bias=False`` for Figs 10-17), ``tf.sigmoid``, half of Keras's mean squared error
as the loss, ``tf.GradientTape`` and ``keras.optimizers.SGD`` with step size 1.

Layout: Keras keeps examples as rows (x is 1 x 2), the blog as columns (2 x 1), and a
Dense kernel is (in, out) = (2, 1) where the blog's W is (1, 2): x, W and W's gradient
are transposed (``[layout]`` in example.toml: the harness translates them both ways;
the one example's printed values are 1 x 1 either way). A Dense bias is (1,) where the
blog's b is (1, 1).
"""

import keras
import tensorflow as tf


# %% data
def neuron(ctx, bias):
    """The one neuron, with the blog's start values: W, and b = 0 if it has a bias."""
    dense = keras.layers.Dense(1, use_bias=bias, dtype=ctx.dtype)
    dense.build((None, 2))
    ctx.load(W=dense.kernel)
    if bias:
        ctx.load(b=dense.bias)
    return dense


# %% forward
def forward(dense, X, Y, record):
    """The forward pass and the loss; the values the text prints go to ``record``."""
    z = dense(X)
    y_hat = tf.sigmoid(z)
    loss = compute_cost(Y, y_hat)  # 1/2 (y - y_hat)^2
    record(z=z, minus_z=-z, y_hat=y_hat, residual=Y - y_hat)
    return z, y_hat, loss


# %% cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return 0.5 * keras.losses.MeanSquaredError()(Y, Y_hat)


# %% autodiff
def forward_backward(dense, X, Y, record):
    """Loss and gradients of the layer's weights; the printed intermediates go to ``record``."""
    with tf.GradientTape(persistent=True) as tape:
        z, y_hat, loss = forward(dense, X, Y, record)
    grads = tape.gradient(loss, dense.trainable_weights)
    dy_hat, dz = tape.gradient(loss, [y_hat, z])
    local = tape.gradient(y_hat, z)  # the sigmoid's local gradient
    del tape
    record(dL_dy_hat=dy_hat, dy_hat_dz=local, dL_dz=dz)
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
    loss, (dW,) = forward_backward(nobias, X, Y, record)
    record(loss=loss, dW=dW)

    # Figs 21-24: with the bias b = 0, one step of size 1
    dense = neuron(ctx, bias=True)
    trace.watch(W=dense.kernel, b=dense.bias)  # see [layout]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    for step in range(ctx.steps):
        trace.step(step)
        loss, grads = forward_backward(dense, X, Y, trace.values)
        trace.gradients(loss, grads)
        optimizer.apply_gradients(zip(grads, [dense.kernel, dense.bias]))
        trace.parameters()

    # Figs 25-26: the state after the step
    trace.step(ctx.steps)
    trace.cost(forward(dense, X, Y, trace.values)[2])
