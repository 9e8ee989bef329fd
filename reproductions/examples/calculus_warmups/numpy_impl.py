"""The calculus warm-ups of chapters 5-6 in NumPy, by the formulas the text derives.

- the slope of the sigmoid's tangent at x = 2: sigma'(x) = e^x / (e^x + 1)^2;
- the gradient of z = x^2 + y^3, F = [2x, 3y^2], at (4, 2), the whole gradient
  subtracted, and one gradient-descent step with learning rate 0.01;
- the chain rule on f(x) = (2x^2 + 8)^3 with g(x) = 2x^2 + 8: g'(x) = 4x,
  f'(g) = 3g^2, f'(x) = 3(2x^2 + 8)^2 . 4x, at x = 1 (this suite's choice: the text
  never evaluates it).
"""

import numpy as np


# %% forward
def z(point):
    x, y = point
    return x ** 2 + y ** 3


def g(x):
    return 2 * x ** 2 + 8


# %% backward
def sigmoid_derivative(x):
    return np.exp(x) / (np.exp(x) + 1) ** 2


def gradient_of_z(point):
    x, y = point
    return np.array([2 * x, 3 * y ** 2])


# %% record
def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    def given(*names):
        """Inputs from [hyper], in the run's dtype."""
        return np.array([hyper[name] for name in names], dtype=ctx.dtype)

    trace.value("sigmoid_slope", sigmoid_derivative(given("sigmoid_x")[0]))

    point = given("point_x", "point_y")
    F = trace.value("gradient", gradient_of_z(point))
    trace.value("full_step", point - F)
    new_point = trace.value("descent_step", point - hyper.learning_rate * F)
    trace.value("z_before", z(point))
    trace.value("z_after", z(new_point))

    x = given("chain_x")[0]
    trace.value("g", g(x))
    trace.value("dg_dx", 4 * x)
    trace.value("df_dg", 3 * g(x) ** 2)
    trace.value("df_dx", 3 * (2 * x ** 2 + 8) ** 2 * 4 * x)
