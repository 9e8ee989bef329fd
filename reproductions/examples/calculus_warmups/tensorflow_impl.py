"""The calculus warm-ups of chapters 5-6 in TensorFlow, by ``tf.GradientTape``: the
sigmoid differentiated at x = 2, the gradient of x^2 + y^3 and the steps by
``keras.optimizers.SGD`` (learning rate 1 for the whole gradient, 0.01 for the text's
step), and the chain rule's three derivatives from one persistent tape.
"""

import keras
import tensorflow as tf


def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    x = tf.Variable(hyper.sigmoid_x, dtype=ctx.dtype)
    with tf.GradientTape() as tape:
        s = tf.sigmoid(x)
    trace.value("sigmoid_slope", tape.gradient(s, x))

    start = tf.constant([hyper.point_x, hyper.point_y], dtype=ctx.dtype)

    def z(point):
        return point[0] ** 2 + point[1] ** 3

    for name, learning_rate in (("full_step", 1.0), ("descent_step", hyper.learning_rate)):
        point = tf.Variable(start)
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
        with tf.GradientTape() as tape:
            z_before = z(point)
        F = tape.gradient(z_before, point)
        if name == "full_step":
            trace.value("gradient", F)
        optimizer.apply_gradients([(F, point)])
        trace.value(name, point)
        if name == "descent_step":
            trace.value("z_before", z_before)
            trace.value("z_after", z(point))

    x = tf.Variable(hyper.chain_x, dtype=ctx.dtype)
    with tf.GradientTape(persistent=True) as tape:
        g = 2 * x ** 2 + 8
        f = g ** 3
    trace.value("g", g)
    trace.value("dg_dx", tape.gradient(g, x))
    trace.value("df_dg", tape.gradient(f, g))
    trace.value("df_dx", tape.gradient(f, x))
    del tape
