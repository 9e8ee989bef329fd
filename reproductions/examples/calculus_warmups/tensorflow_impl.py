"""The calculus warm-ups of chapters 5-6 in TensorFlow, by ``tf.GradientTape``: the
sigmoid differentiated at x = 2, the gradient of x^2 + y^3 and the steps by
``keras.optimizers.SGD`` (learning rate 1 for the whole gradient, 0.01 for the text's
step), and the chain rule's three derivatives from one persistent tape.
"""

import keras
import tensorflow as tf


# %% forward
def z(point):
    return point[0] ** 2 + point[1] ** 3


# %% autodiff
def gradient_step(start, learning_rate, dtype):
    """One step of SGD on z from ``start``: z there, its gradient, the point after the step."""
    point = tf.Variable(tf.constant(start, dtype=dtype))
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    with tf.GradientTape() as tape:
        z_before = z(point)
    F = tape.gradient(z_before, point)
    optimizer.apply_gradients([(F, point)])
    return z_before, F, point


# %% record
def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    x = tf.Variable(hyper.sigmoid_x, dtype=ctx.dtype)
    with tf.GradientTape() as tape:
        s = tf.sigmoid(x)
    trace.value("sigmoid_slope", tape.gradient(s, x))

    start = [hyper.point_x, hyper.point_y]
    _, F, full_step = gradient_step(start, 1.0, ctx.dtype)  # the whole gradient subtracted
    trace.values(gradient=F, full_step=full_step)
    z_before, _, new_point = gradient_step(start, hyper.learning_rate, ctx.dtype)
    trace.values(descent_step=new_point, z_before=z_before, z_after=z(new_point))

    x = tf.Variable(hyper.chain_x, dtype=ctx.dtype)
    with tf.GradientTape(persistent=True) as tape:
        g = 2 * x ** 2 + 8
        f = g ** 3
    df_dg = tape.gradient(f, g)
    dg_dx = tape.gradient(g, x)
    df_dx = tape.gradient(f, x)
    del tape
    trace.values(g=g, dg_dx=dg_dx, df_dg=df_dg, df_dx=df_dx)
