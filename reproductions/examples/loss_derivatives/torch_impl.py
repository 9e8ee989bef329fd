"""Loss derivatives in PyTorch: ``torch.nn.functional`` losses, differentiated by autograd.

Each loss is evaluated per pair (``reduction='none'``) for its values; its derivative
with respect to the guess is ``.grad`` after ``backward()`` of the summed loss
(``reduction='sum'``). The pairs are independent, so that gradient is each pair's
derivative.

Multiclass: PyTorch wants one case per row, (N, C); the notes write one case per column,
so Z, Y and every multiclass value are transposed (``[layout]`` in example.toml: the
harness translates them both ways).
"""

import torch
import torch.nn.functional as F


# %% cost
def per_pair(loss):
    """The loss of each pair (a[i], y[i]), as a function of a and y."""
    return lambda a, y: loss(a, y, reduction="none")


# %% autodiff
def loss_and_derivative(loss, a, y):
    """Each pair's loss and its derivative in a."""
    a = a.clone().requires_grad_(True)
    loss(a, y, reduction="sum").backward()
    return per_pair(loss)(a, y).detach(), a.grad


def gradient(f, x):
    """The gradient of f(x), a loss summed over the cases, with respect to x."""
    x = x.detach().requires_grad_(True)
    f(x).backward()
    return x.grad


# %% check
# Copied from reproductions/examples/loss_derivatives/numpy_impl.py:central_difference
def central_difference(L, a, y, h):
    return (L(a + h, y) - L(a - h, y)) / (2 * h)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    h = torch.tensor(ctx.hyper.h, dtype=ctx.dtype)
    trace.step(0)

    a, y = ctx.data("a_reg"), ctx.data("y_reg")
    smooth, kink = a != y, a == y
    values, d = loss_and_derivative(F.mse_loss, a, y)
    trace.values(loss_sq=values, d_sq=d)
    L_sq = per_pair(F.mse_loss)
    trace.value("fd_sq", central_difference(L_sq, a, y, h), scale=L_sq(a + h, y) / (2 * h))
    values, d = loss_and_derivative(F.l1_loss, a, y)
    trace.values(loss_abs=values, d_abs=d[smooth])
    trace.finding("d_abs_at_kink", d[kink])
    L_lin = per_pair(F.l1_loss)
    a_s, y_s = a[smooth], y[smooth]
    trace.value("fd_abs", central_difference(L_lin, a_s, y_s, h),
                scale=L_lin(a_s + h, y_s) / (2 * h))
    a_k, y_k = a[kink], y[kink]
    trace.value("abs_slope_right_of_kink", (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h,
                scale=L_lin(a_k + h, y_k) / h)
    trace.value("abs_slope_left_of_kink", (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h,
                scale=L_lin(a_k - h, y_k) / h)

    a, y = ctx.data("a_nll"), ctx.data("y_nll")
    values, d = loss_and_derivative(F.binary_cross_entropy, a, y)
    trace.values(loss_nll=values, d_nll=d)
    L_NLL = per_pair(F.binary_cross_entropy)
    trace.value("fd_nll", central_difference(L_NLL, a, y, h), scale=L_NLL(a + h, y) / (2 * h))

    a, y = ctx.data("a_nll_edge"), ctx.data("y_nll_edge")
    values, d = loss_and_derivative(F.binary_cross_entropy, a, y)
    trace.finding("loss_nll_edge", values)
    trace.finding("d_nll_edge", d)

    Z, Y = ctx.data("Z"), ctx.data("Y")  # one case per row
    target = Y.argmax(dim=1)  # nll_loss takes the class index of each one-hot row
    A = torch.softmax(Z, dim=1)
    trace.value("A", A)

    # d/da: NLL on the probabilities, nll_loss of log(a)
    dL_dA = gradient(lambda A: F.nll_loss(torch.log(A), target, reduction="sum"), A)
    trace.values(loss_nllm=F.nll_loss(torch.log(A), target, reduction="none"), d_nllm_da=dL_dA)
    trace.finding("d_nllm_da_library", dL_dA)

    # d/dz: cross_entropy on the logits (the fused softmax + NLL) ...
    trace.value("d_nllm_dz", gradient(lambda Z: F.cross_entropy(Z, Y, reduction="sum"), Z))
    # ... and the same loss taken apart, so autograd carries -y/a back through softmax
    trace.value("d_nllm_dz_chain", gradient(
        lambda Z: F.nll_loss(torch.log(torch.softmax(Z, dim=1)), target, reduction="sum"), Z))
