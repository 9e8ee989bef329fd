"""Activation derivatives of section 7.5.12 (Notation 13) in NumPy, as the notes write them.

The notes give a catalogue, not code: each activation beside the derivative they derive
for it. Here each entry is a pair of functions, ``f`` and ``d_f``, written from the
equations (7.31 to 7.40). Vectors are columns (the notes' convention); the elementwise
activations work on the 1-D grid ``z`` one point at a time, and softmax on a column.

The kinks follow the notes' piecewise definitions, whose ``z >= 0`` branch owns z = 0:
step(0) = 1 (eq 7.32), step'(0) = 0 (eq 7.33) and ReLU'(0) = step(0) = 1 (eq 7.36).
"""

import numpy as np


# %% forward
# --- Notation 13 and section 7.5.12, one pair per activation -------------------------

def step(z):
    return np.where(z >= 0, 1.0, 0.0).astype(z.dtype)  # eq 7.32: 1 if z >= 0, 0 if z < 0


def ReLU(z):
    return np.where(z >= 0, z, 0.0)  # eq 7.35: z if z >= 0, 0 if z < 0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))  # eq 7.38


def identity(z):
    return z  # "Identity ('linear') function f(z) = z"


def tanh(z):
    return np.tanh(z)  # the notes print no definition


def softmax(z):
    """Not printed in the notes ('a difficult derivative we won't go over here')."""
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


# %% backward
def d_step(z):
    return np.where(z >= 0, 0.0, 0.0).astype(z.dtype)  # eq 7.31/7.33: 0 if z >= 0, 0 if z < 0


def d_ReLU(z):
    return step(z)  # eq 7.34/7.36: d/dz ReLU(z) = step(z)


def d_sigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))  # eq 7.37, first form


def d_sigmoid_exp_form(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2  # eq 7.37, second form


def d_identity(z):
    return np.ones_like(z)  # eq 7.39


def d_tanh(z):
    return 1 - tanh(z) ** 2  # eq 7.40


def d_softmax(z):
    """The standard Jacobian diag(s) - s s^T (not in the notes), in the notes' denominator
    layout (eq 7.50): entry [i, j] = d s_j / d z_i. It is symmetric, so the layout is
    only a matter of principle here."""
    s = softmax(z)
    return np.diagflat(s) - s @ s.T


ELEMENTWISE = {  # name: (activation, derivative by the notes' formula)
    "step": (step, d_step),
    "relu": (ReLU, d_ReLU),
    "sigmoid": (sigmoid, d_sigmoid),
    "identity": (identity, d_identity),
    "tanh": (tanh, d_tanh),
}
KINKED = ("step", "relu")  # the ones whose derivative does not exist at z = 0


# %% check
def central_difference(f, z, h):
    return (f(z + h) - f(z - h)) / (2 * h)


# %% record
def reproduce(ctx):
    trace, h = ctx.trace, ctx.hyper.h
    z = ctx.data("z")
    smooth, kink = z != 0, z == 0

    trace.step(0)
    for name, (f, d_f) in ELEMENTWISE.items():
        trace.value(name, f(z))
        d = d_f(z)
        if name in KINKED:
            trace.value(f"d_{name}", d[smooth])
            trace.finding(f"d_{name}_at_0", d[kink])
        else:
            trace.value(f"d_{name}", d)
        # the slope seen from outside: f(z +- h) cancel over 2h
        zs = z[smooth]
        trace.value(f"fd_{name}", central_difference(f, zs, h), scale=f(zs + h) / (2 * h))
    trace.value("d_sigmoid_exp_form", d_sigmoid_exp_form(z))

    # one-sided slopes at the kink: which side the notes' convention takes
    zero = z[kink]
    for name in KINKED:
        f = ELEMENTWISE[name][0]
        trace.value(f"{name}_slope_right_of_0", (f(zero + h) - f(zero)) / h, scale=f(zero + h) / h)
        trace.value(f"{name}_slope_left_of_0", (f(zero) - f(zero - h)) / h, scale=f(zero) / h)

    z_vec = ctx.data("z_softmax")
    trace.value("softmax", softmax(z_vec))
    trace.value("d_softmax", d_softmax(z_vec))
