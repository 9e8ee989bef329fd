"""The computational graph of Figs 51-53 in TensorFlow: ``tf.GradientTape`` does the
backward pass.

The gradient along each path to b is the tape's too: holding the other branch constant
(``tf.stop_gradient``) leaves only that path. Scalars throughout, as in the blog.
"""

import tensorflow as tf


# %% forward
def forward(a, b, d_offset):
    c = a * b
    d = b + d_offset
    e = c * d
    return c, d, e


# %% autodiff
def backward(trace, tape, a, b, c, d, e, e_via_d, e_via_c):
    """The backward pass by the tape that watched the forward pass (and e along each path
    to b alone)."""
    de_dc, de_dd = tape.gradient(e, [c, d])
    dc_db = tape.gradient(c, b)
    dd_db = tape.gradient(d, b)
    trace.values(**{"de/dc": de_dc, "de/dd": de_dd, "dc/db": dc_db, "dd/db": dd_db})

    via_d = tape.gradient(e_via_d, b)
    via_c = tape.gradient(e_via_c, b)
    trace.values(**{"grad.b.via.d": via_d, "grad.b.via.c": via_c})

    de_da, de_db = tape.gradient(e, [a, b])  # both paths: the tape sums them at b
    trace.grad("a", de_da)
    trace.grad("b", de_db)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    a = tf.Variable(ctx.tensor(ctx.init["a"]))
    b = tf.Variable(ctx.tensor(ctx.init["b"]))
    d_offset = tf.constant(ctx.hyper.d_offset, dtype=ctx.dtype)

    trace.step(0)
    with tf.GradientTape(persistent=True) as tape:
        c, d, e = forward(a, b, d_offset)
        e_via_d = tf.stop_gradient(c) * d  # only the path through d
        e_via_c = c * tf.stop_gradient(d)  # only the path through c
    trace.values(c=c, d=d, e=e)
    backward(trace, tape, a, b, c, d, e, e_via_d, e_via_c)
    del tape
