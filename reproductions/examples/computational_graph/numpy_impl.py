"""The computational graph of Figs 51-53 in NumPy, backpropagated by hand.

e = c * d, c = a * b, d = b + 5. Node b feeds both c and d, so the gradient that
reaches b is the sum of what flows back along the two paths:
de/db = (de/dd * dd/db) + (de/dc * dc/db) = (c * 1) + (d * a).
"""

import numpy as np


# %% forward
def forward(a, b, d_offset):
    c = a * b
    d = b + d_offset
    return c, d, c * d


def cost_at(example, step, params):
    """e as a function of a and b (for the numerical-gradient column)."""
    return forward(params["a"], params["b"], example.hyper["d_offset"])[2]


# %% backward
def backward(trace, a, b, c, d):
    """The backward pass by hand, from a, b and the c and d the trace returned."""
    # local gradients of each node, Fig 52
    de_dc = trace.value("de/dc", d)  # e = c * d
    de_dd = trace.value("de/dd", c)
    dc_db = trace.value("dc/db", a)  # c = a * b
    dc_da = b
    dd_db = trace.value("dd/db", np.ones_like(b))  # d = b + 5

    # upstream times local along each path, then the sum at b, Fig 53
    via_d = trace.value("grad.b.via.d", de_dd * dd_db)
    via_c = trace.value("grad.b.via.c", de_dc * dc_db)
    trace.grad("a", de_dc * dc_da)
    trace.grad("b", via_d + via_c)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    a, b = ctx.tensor(ctx.init["a"]), ctx.tensor(ctx.init["b"])

    trace.step(0)
    c, d, e = forward(a, b, ctx.hyper.d_offset)
    c = trace.value("c", c)
    d = trace.value("d", d)
    trace.value("e", e)
    backward(trace, a, b, c, d)
