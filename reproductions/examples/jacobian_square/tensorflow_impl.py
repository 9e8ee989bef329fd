"""The Notation 17 example in TensorFlow: f'(z) with ``tf.GradientTape.gradient``,
the full Jacobian with ``tf.GradientTape.jacobian``.

Layout: ``tape.jacobian(a, z)`` returns the numerator layout, J[i, ., j, .] =
d a_i / d z_j, of shape a.shape + z.shape = (3, 1, 3, 1), read as a 3 x 3 matrix. The
notes use the denominator layout (eq 7.50: row i for z_i, column j for a_j), its
transpose, taken here.
"""

import tensorflow as tf


# %% forward
def f(z):
    return tf.square(z)  # f(z) = z^2


# %% autodiff
def derivatives(z):
    """a = f(z), f'(z) and the full Jacobian of f at z, by the tape."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        a = f(z)
    # gradient() sums over the outputs: for an element-wise f that is f'(z).
    f_prime = tape.gradient(a, z)
    jacobian = tape.jacobian(a, z)
    del tape
    return a, f_prime, jacobian


# %% record
def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z")

    trace.step(0)
    a, f_prime, jacobian = derivatives(z)
    trace.value("a", a)
    trace.grad("z", f_prime)
    matrix = tf.reshape(jacobian, [tf.size(a), tf.size(z)])
    trace.value("da/dz", tf.transpose(matrix))  # the notes' layout
