"""Loss derivatives of section 7.5.13 (Notation 14) in NumPy, as the notes write them.

Each loss beside its derivative with respect to the guess a (eqs 7.41 to 7.45). The notes
write vectors as columns, so in the multiclass case each column of A and Y is one case,
and the Jacobian of softmax is in the notes' denominator layout (eq 7.50).

sign follows eq 7.44, whose 'u >= 0' branch owns u = 0: sign(0) = +1. (np.sign(0) is 0.)
"""

import numpy as np


# %% cost
# --- Notation 14 and section 7.5.13 -------------------------------------------------

def L_sq(a, y):
    return (a - y) ** 2  # L673


def L_lin(a, y):
    return np.abs(a - y)  # L679 (printed with the subscript 'sq')


def L_NLL(a, y):
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))  # L693


def L_NLLM(a, y):
    return -np.sum(y * np.log(a), axis=0)  # L697, one value per column


# --- softmax, for the multiclass case (not printed in the notes either) ----------------

def softmax(z):
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


# %% backward
def d_L_sq(a, y):
    return 2 * (a - y)  # eq 7.41


def sign(u):
    return np.where(u >= 0, 1.0, -1.0).astype(u.dtype)  # eq 7.44: 1 if u >= 0, -1 if u < 0


def d_L_lin(a, y):
    return sign(a - y)  # eq 7.42


def d_L_NLL(a, y):
    return -(y / a - (1 - y) / (1 - a))  # eq 7.45


def d_L_NLLM(a, y):
    return -y / a  # not printed ('we will omit this derivative'): the standard one


def d_softmax(z):
    """dA/dZ for one column z, in denominator layout: [i, j] = d a_j / d z_i."""
    s = softmax(z)
    return np.diagflat(s) - s @ s.T


# %% check
def central_difference(L, a, y, h):
    return (L(a + h, y) - L(a - h, y)) / (2 * h)


# %% record
def reproduce(ctx):
    trace, h = ctx.trace, ctx.hyper.h
    trace.step(0)

    # square and absolute loss, with one pair on the kink a = y
    a, y = ctx.data("a_reg"), ctx.data("y_reg")
    smooth, kink = a != y, a == y
    trace.value("loss_sq", L_sq(a, y))
    trace.value("d_sq", d_L_sq(a, y))
    trace.value("fd_sq", central_difference(L_sq, a, y, h), scale=L_sq(a + h, y) / (2 * h))
    trace.value("loss_abs", L_lin(a, y))
    d_abs = d_L_lin(a, y)
    trace.value("d_abs", d_abs[smooth])
    trace.finding("d_abs_at_kink", d_abs[kink])
    a_s, y_s = a[smooth], y[smooth]
    trace.value("fd_abs", central_difference(L_lin, a_s, y_s, h), scale=L_lin(a_s + h, y_s) / (2 * h))
    a_k, y_k = a[kink], y[kink]
    trace.value("abs_slope_right_of_kink", (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h,
                scale=L_lin(a_k + h, y_k) / h)
    trace.value("abs_slope_left_of_kink", (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h,
                scale=L_lin(a_k - h, y_k) / h)

    # NLL on guesses a in (0, 1) and labels y in {0, 1}
    a, y = ctx.data("a_nll"), ctx.data("y_nll")
    trace.value("loss_nll", L_NLL(a, y))
    trace.value("d_nll", d_L_NLL(a, y))
    trace.value("fd_nll", central_difference(L_NLL, a, y, h), scale=L_NLL(a + h, y) / (2 * h))

    # a confident wrong guess, where a library may clip a
    a, y = ctx.data("a_nll_edge"), ctx.data("y_nll_edge")
    trace.finding("loss_nll_edge", L_NLL(a, y))
    trace.finding("d_nll_edge", d_L_NLL(a, y))

    # multiclass NLL on A = softmax(Z), one case per column
    Z, Y = ctx.data("Z"), ctx.data("Y")
    A = trace.value("A", softmax(Z))
    trace.value("loss_nllm", L_NLLM(A, Y))
    dL_dA = trace.value("d_nllm_da", d_L_NLLM(A, Y))
    trace.finding("d_nllm_da_library", dL_dA)  # NumPy has no library loss: the formula
    trace.value("d_nllm_dz", A - Y)  # the standard simplification of softmax + NLLM
    # the pseudocode's within-layer step, dL/dZ = dA/dZ @ dL/dA, column by column
    chain = np.hstack([d_softmax(Z[:, [k]]) @ dL_dA[:, [k]] for k in range(Z.shape[1])])
    trace.value("d_nllm_dz_chain", chain)
