"""The logistic neuron ("LLC as neuron") of 7.5.2-7.5.5, trained by SGD, in NumPy.

The notes' units and names, column vectors throughout:

- linear subunit: z = w^T x + w_0 (eq 7.2), w of shape (d, 1), x of shape (d, 1);
- activation: g = sigma(z) = 1 / (1 + e^-z) (eq 7.2), written a from 7.5.3 on;
- loss unit: the NLL, L(g, y) = -(y log g + (1 - y) log(1 - g)) (7.5.13, seed line 693;
  eq 7.3 prints it without the leading minus, see the notes in example.toml).

The backward pass is eq 7.7 term by term, dL/dw = dL/dg * dg/dz * dz/dw with
dL/dg = -(y/g - (1-y)/(1-g)), dg/dz = g (1 - g), dz/dw = x, and dz/dw_0 = 1 ("the same
goes for w_0"). The step is eq 7.1, Delta theta = -eta dL/dtheta, one data point per step.
"""

import numpy as np


# %% forward
def sigma(z):
    return 1 / (1 + np.exp(-z))


def linear_subunit(w, w0, x):
    return w.T @ x + w0


def loss_unit(g, y):
    """The NLL (seed line 693), with the minus sign eq 7.3 drops."""
    return -(y * np.log(g) + (1 - y) * np.log(1 - g))


# %% record
def dL_dg(g, y):
    return -(y / g - (1 - y) / (1 - g))  # first factor of eq 7.7 (= eq 7.45)


def dg_dz(g):
    return g * (1 - g)                   # second factor of eq 7.7 (= eq 7.37)


def point(X, y, order, step):
    """The data point of a step: the fixed order, cycled."""
    i = int(order[step % len(order)])
    return X[:, [i]], y[0, i]


def cost_at(example, step, params):
    """The loss SGD descends at ``step``: the NLL of that step's data point."""
    x, y = point(example.array("X"), example.array("y"), example.data["order"], step)
    g = sigma(linear_subunit(params["w"], params["w0"], x))
    return loss_unit(g, y).item()


def predict(example, params, X):
    """The neuron's output g for points X, one per column, at params (the decision
    boundary of report.boundary_plot)."""
    return sigma(linear_subunit(params["w"], params["w0"], X))


def reproduce(ctx):
    trace, eta = ctx.trace, ctx.hyper.learning_rate
    w, w0 = ctx.tensor(ctx.init["w"]), ctx.tensor(ctx.init["w0"])
    X, Y, order = ctx.data("X"), ctx.data("y"), ctx.example.data["order"]

    for step in range(ctx.steps):
        trace.step(step)
        x, y = point(X, Y, order, step)

        # Forward pass (7.5.4): z, then a, then the loss.
        z = linear_subunit(w, w0, x)
        g = sigma(z)
        trace.cost(loss_unit(g, y)[0, 0])        # the loss of a (1, 1) output, a scalar

        # Back-propagation (7.5.5): loss unit, activation, linear subunit (eq 7.7).
        dL_dz = dL_dg(g, y) * dg_dz(g)
        dL_dw = trace.grad("w", dL_dz * x)        # dz/dw = x
        dL_dw0 = trace.grad("w0", dL_dz * 1.0)    # dz/dw_0 = 1

        # Gradient descent step, eq 7.1.
        w = trace.param("w", w - eta * dL_dw)
        w0 = trace.param("w0", w0 - eta * dL_dw0)
