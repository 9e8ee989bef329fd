"""The calculus warm-ups of chapters 5-6 in PyTorch, by autograd: ``torch.sigmoid``
differentiated at x = 2, the gradient of x^2 + y^3 by ``backward()`` and the steps by
``torch.optim.SGD`` (learning rate 1 for the whole gradient, 0.01 for the text's step),
and the chain rule's three derivatives by ``torch.autograd.grad``.
"""

import torch


# %% forward
def z(point):
    return point[0] ** 2 + point[1] ** 3


# %% autodiff
def gradient_step(start, learning_rate, dtype):
    """One step of SGD on z from ``start``: z there, its gradient, the point after the step."""
    point = torch.nn.Parameter(torch.tensor(start, dtype=dtype))
    optimizer = torch.optim.SGD([point], lr=learning_rate)
    optimizer.zero_grad()
    z_before = z(point)
    z_before.backward()
    optimizer.step()
    return z_before, point.grad, point


# %% record
def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    x = torch.tensor(hyper.sigmoid_x, dtype=ctx.dtype, requires_grad=True)
    torch.sigmoid(x).backward()
    trace.value("sigmoid_slope", x.grad)

    start = [hyper.point_x, hyper.point_y]
    _, F, full_step = gradient_step(start, 1.0, ctx.dtype)  # the whole gradient subtracted
    trace.values(gradient=F, full_step=full_step)
    z_before, _, new_point = gradient_step(start, hyper.learning_rate, ctx.dtype)
    with torch.no_grad():
        trace.values(descent_step=new_point, z_before=z_before, z_after=z(new_point))

    x = torch.tensor(hyper.chain_x, dtype=ctx.dtype, requires_grad=True)
    g = 2 * x ** 2 + 8
    f = g ** 3
    df_dg, = torch.autograd.grad(f, g, retain_graph=True)
    dg_dx, = torch.autograd.grad(g, x, retain_graph=True)
    df_dx, = torch.autograd.grad(f, x)
    trace.values(g=g, dg_dx=dg_dx, df_dg=df_dg, df_dx=df_dx)
