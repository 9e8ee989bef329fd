"""The calculus warm-ups of chapters 5-6 in PyTorch, by autograd: ``torch.sigmoid``
differentiated at x = 2, the gradient of x^2 + y^3 by ``backward()`` and the steps by
``torch.optim.SGD`` (learning rate 1 for the whole gradient, 0.01 for the text's step),
and the chain rule's three derivatives by ``torch.autograd.grad``.
"""

import torch


def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    x = torch.tensor(hyper.sigmoid_x, dtype=ctx.dtype, requires_grad=True)
    torch.sigmoid(x).backward()
    trace.value("sigmoid_slope", x.grad)

    start = [hyper.point_x, hyper.point_y]

    def z(point):
        return point[0] ** 2 + point[1] ** 3

    for name, learning_rate in (("full_step", 1.0), ("descent_step", hyper.learning_rate)):
        point = torch.nn.Parameter(torch.tensor(start, dtype=ctx.dtype))
        optimizer = torch.optim.SGD([point], lr=learning_rate)
        optimizer.zero_grad()
        z_before = z(point)
        z_before.backward()
        if name == "full_step":
            trace.value("gradient", point.grad)
        optimizer.step()
        trace.value(name, point)
        if name == "descent_step":
            trace.value("z_before", z_before)
            with torch.no_grad():
                trace.value("z_after", z(point))

    x = torch.tensor(hyper.chain_x, dtype=ctx.dtype, requires_grad=True)
    g = 2 * x ** 2 + 8
    f = g ** 3
    df_dg, = torch.autograd.grad(f, g, retain_graph=True)
    dg_dx, = torch.autograd.grad(g, x, retain_graph=True)
    df_dx, = torch.autograd.grad(f, x)
    trace.value("g", g)
    trace.value("dg_dx", dg_dx)
    trace.value("df_dg", df_dg)
    trace.value("df_dx", df_dx)
