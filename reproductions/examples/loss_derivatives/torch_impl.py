"""Loss derivatives in PyTorch: ``torch.nn.functional`` losses, differentiated by autograd.

Each loss is evaluated per pair (``reduction='none'``) for its values; its derivative
with respect to the guess is ``.grad`` after ``backward()`` of the summed loss
(``reduction='sum'``). The pairs are independent, so that gradient is each pair's
derivative.

Multiclass: PyTorch wants one case per row, (N, C); the notes write one case per column.
``to_rows`` and ``to_notes`` are the only places that translate.
"""

import torch
import torch.nn.functional as F


def to_rows(M):
    return M.T


def to_notes(M):
    return M.T


def loss_and_derivative(loss, a, y):
    a = a.clone().requires_grad_(True)
    loss(a, y, reduction="sum").backward()
    return loss(a, y, reduction="none").detach(), a.grad


def reproduce(ctx):
    trace = ctx.trace
    h = torch.tensor(ctx.hyper.h, dtype=ctx.dtype)
    trace.step(0)

    a, y = ctx.data("a_reg"), ctx.data("y_reg")
    smooth, kink = a != y, a == y
    values, d = loss_and_derivative(F.mse_loss, a, y)
    trace.value("loss_sq", values)
    trace.value("d_sq", d)
    L_sq = lambda a, y: F.mse_loss(a, y, reduction="none")  # noqa: E731
    trace.value("fd_sq", (L_sq(a + h, y) - L_sq(a - h, y)) / (2 * h), scale=L_sq(a + h, y) / (2 * h))
    values, d = loss_and_derivative(F.l1_loss, a, y)
    trace.value("loss_abs", values)
    trace.value("d_abs", d[smooth])
    trace.finding("d_abs_at_kink", d[kink])
    L_lin = lambda a, y: F.l1_loss(a, y, reduction="none")  # noqa: E731
    a_s, y_s = a[smooth], y[smooth]
    trace.value("fd_abs", (L_lin(a_s + h, y_s) - L_lin(a_s - h, y_s)) / (2 * h),
                scale=L_lin(a_s + h, y_s) / (2 * h))
    a_k, y_k = a[kink], y[kink]
    trace.value("abs_slope_right_of_kink", (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h,
                scale=L_lin(a_k + h, y_k) / h)
    trace.value("abs_slope_left_of_kink", (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h,
                scale=L_lin(a_k - h, y_k) / h)

    a, y = ctx.data("a_nll"), ctx.data("y_nll")
    values, d = loss_and_derivative(F.binary_cross_entropy, a, y)
    trace.value("loss_nll", values)
    trace.value("d_nll", d)
    L_NLL = lambda a, y: F.binary_cross_entropy(a, y, reduction="none")  # noqa: E731
    trace.value("fd_nll", (L_NLL(a + h, y) - L_NLL(a - h, y)) / (2 * h), scale=L_NLL(a + h, y) / (2 * h))

    a, y = ctx.data("a_nll_edge"), ctx.data("y_nll_edge")
    values, d = loss_and_derivative(F.binary_cross_entropy, a, y)
    trace.finding("loss_nll_edge", values)
    trace.finding("d_nll_edge", d)

    Z, Y = ctx.data("Z"), ctx.data("Y")
    Z_rows, Y_rows = to_rows(Z), to_rows(Y)
    target = Y_rows.argmax(dim=1)  # nll_loss takes the class index of each one-hot row
    A_rows = torch.softmax(Z_rows, dim=1)
    trace.value("A", to_notes(A_rows))

    # d/da: NLL on the probabilities, nll_loss of log(a)
    A_leaf = A_rows.detach().requires_grad_(True)
    F.nll_loss(torch.log(A_leaf), target, reduction="sum").backward()
    trace.value("loss_nllm", F.nll_loss(torch.log(A_rows), target, reduction="none"))
    trace.value("d_nllm_da", to_notes(A_leaf.grad))
    trace.finding("d_nllm_da_library", to_notes(A_leaf.grad))

    # d/dz: cross_entropy on the logits (the fused softmax + NLL) ...
    Z_leaf = Z_rows.clone().requires_grad_(True)
    F.cross_entropy(Z_leaf, Y_rows, reduction="sum").backward()
    trace.value("d_nllm_dz", to_notes(Z_leaf.grad))
    # ... and the same loss taken apart, so autograd carries -y/a back through softmax
    Z_leaf = Z_rows.clone().requires_grad_(True)
    F.nll_loss(torch.log(torch.softmax(Z_leaf, dim=1)), target, reduction="sum").backward()
    trace.value("d_nllm_dz_chain", to_notes(Z_leaf.grad))
