"""Activation derivatives in TensorFlow: Keras activations differentiated by ``tf.GradientTape``.

Keras has no step activation; it is written ``tf.where(z >= 0, 1, 0)``, which the tape
sees as unconnected to z: its gradient is ``None``, read as zero
(``unconnected_gradients=ZERO``). For the elementwise activations the tape's gradient
of the vector output (the gradient of its sum) is the derivative at each grid point.

Layout: ``tape.jacobian`` returns d s_i / d z_j at [i, j] (shape (3, 1, 3, 1) for a
column, read as a 3 x 3 matrix); the notes' denominator layout is its transpose, [i, j]
= d s_j / d z_i (``[layout]`` in example.toml: the harness translates it).
"""

import keras
import tensorflow as tf


# %% forward
def step(z):
    return tf.where(z >= 0, tf.ones_like(z), tf.zeros_like(z))


ACTIVATIONS = {
    "step": step,
    "relu": keras.activations.relu,
    "sigmoid": keras.activations.sigmoid,
    "identity": keras.activations.linear,
    "tanh": keras.activations.tanh,
}
KINKED = ("step", "relu")


# %% autodiff
def derivative(f, z):
    """d/dz f(z) at every point of the grid, by the tape."""
    with tf.GradientTape() as tape:
        tape.watch(z)
        a = f(z)
    return tape.gradient(a, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)


# %% check
# Copied from reproductions/examples/activation_derivatives/numpy_impl.py:central_difference
def central_difference(f, z, h):
    return (f(z + h) - f(z - h)) / (2 * h)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    h = tf.constant(ctx.hyper.h, ctx.dtype)
    z = ctx.data("z")
    smooth, kink = z != 0, z == 0

    trace.step(0)
    for name, f in ACTIVATIONS.items():
        trace.value(name, f(z))
        d = derivative(f, z)
        if name in KINKED:
            trace.value(f"d_{name}", tf.boolean_mask(d, smooth))
            trace.finding(f"d_{name}_at_0", tf.boolean_mask(d, kink))
        else:
            trace.value(f"d_{name}", d)
        zs = tf.boolean_mask(z, smooth)
        trace.value(f"fd_{name}", central_difference(f, zs, h), scale=f(zs + h) / (2 * h))
    trace.value("d_sigmoid_exp_form", derivative(keras.activations.sigmoid, z))

    zero = tf.boolean_mask(z, kink)
    for name in KINKED:
        f = ACTIVATIONS[name]
        trace.value(f"{name}_slope_right_of_0", (f(zero + h) - f(zero)) / h, scale=f(zero + h) / h)
        trace.value(f"{name}_slope_left_of_0", (f(zero) - f(zero - h)) / h, scale=f(zero) / h)

    z_vec = ctx.data("z_softmax")
    n = z_vec.shape[0]
    with tf.GradientTape() as tape:
        tape.watch(z_vec)
        s = keras.activations.softmax(z_vec, axis=0)  # a column: classes on axis 0
    trace.values(softmax=s, d_softmax=tf.reshape(tape.jacobian(s, z_vec), [n, n]))
