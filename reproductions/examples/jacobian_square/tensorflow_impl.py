"""The Notation 17 example in TensorFlow: f'(z) with ``tf.GradientTape.gradient``,
the full Jacobian with ``tf.GradientTape.jacobian``.

Layout: ``tape.jacobian(a, z)`` returns the numerator layout, J[i, ., j, .] =
d a_i / d z_j, of shape a.shape + z.shape = (3, 1, 3, 1). The notes use the
denominator layout (eq 7.50: row i for z_i, column j for a_j). ``to_notes_layout`` is
the one place that translates.
"""

import tensorflow as tf


def f(z):
    return tf.square(z)  # f(z) = z^2


def to_notes_layout(jacobian, n_out, n_in):
    """(n_out, 1, n_in, 1) numerator layout -> (n_in, n_out) denominator layout."""
    return tf.transpose(tf.reshape(jacobian, [n_out, n_in]))


def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z")

    trace.step(0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        a = f(z)
    trace.value("a", a)
    # gradient() sums over the outputs: for an element-wise f that is f'(z).
    trace.value("f_prime", tape.gradient(a, z))
    jacobian = tape.jacobian(a, z)
    trace.value("da_dz", to_notes_layout(jacobian, int(tf.size(a)), int(tf.size(z))))
    del tape
