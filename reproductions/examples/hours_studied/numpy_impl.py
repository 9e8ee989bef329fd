"""Hours studied in NumPy, in the chapter's own style.

The chapter's classes, with its names for the layer, the costs and their attributes
(``weights``, ``biases``, ``outputs``, ``dweights``, ``dbiases``, ``dinputs``):
``Dense_Layer`` (row-major ``X @ w + b``, weights of shape (inputs, neurons), biases
of shape (1, neurons)), ``MSE_Cost`` and ``MAE_Cost``, each with a ``forward`` and a
hand-written ``backward`` method. The bodies are this suite's own.
"""

import numpy as np


# %% data
class Dense_Layer:
    """A layer of n_neurons, each taking every input feature.

    The chapter starts it at 0.01 * randn(n_inputs, n_neurons) and zero biases; those
    draws are made by [init] (seed 0) and handed in as ``start``."""

    def __init__(self, n_inputs, n_neurons, start):
        self.weights = np.array(start["weights"]).reshape(n_inputs, n_neurons)
        self.biases = np.array(start["biases"]).reshape(1, n_neurons)

    def forward(self, X):
        # yhat = X w + b; X is kept, since dyhat/dw = X is needed going back
        self.inputs = X
        self.outputs = X @ self.weights + self.biases

    def backward(self, dC_dyhat):
        # dC/dw = X^T . dC/dyhat: for each weight, its slope summed over the examples
        self.dweights = self.inputs.T @ dC_dyhat
        # dyhat/db = 1: dC/db sums dC/dyhat down the examples, one row kept
        self.dbiases = dC_dyhat.sum(axis=0, keepdims=True)


def new_model(ctx):
    start = {name: ctx.tensor(ctx.init[name]) for name in ("weights", "biases")}
    return Dense_Layer(1, 1, start)


# %% cost
class MSE_Cost:
    """Mean over every example and output feature of the squared error."""

    def forward(self, y_pred, y_true):
        error = y_pred - y_true
        return np.mean(error * error)

    def backward(self, y_pred, y_true):
        # 2 (yhat - y) for one element; a mean over n * f elements scales each by 1/(n f)
        n_elements = y_true.size
        self.dinputs = 2 * (y_pred - y_true) / n_elements


class MAE_Cost:
    """Mean over every example and output feature of the absolute error."""

    def forward(self, y_pred, y_true):
        return np.abs(y_pred - y_true).mean()

    def backward(self, y_pred, y_true):
        # -1 below the answer, +1 above it, 0 on it (np.sign), each over n * f
        error = y_pred - y_true
        self.dinputs = np.sign(error) / error.size


def cost_of(model, X, y):
    model.forward(X)
    return MSE_Cost().forward(model.outputs, y)


def cost_at(example, step, params):
    """The MSE of the whole data at given weights and biases (for the numerical column)."""
    return cost_of(Dense_Layer(1, 1, params), example.array("X"), example.array("y"))


# %% check
def numerical_slope(parameter, cost, EPS):
    """Rise over run between the parameter nudged up and down by EPS, as the chapter
    takes it: each nudge made and then undone in place, the cost read in between."""
    nudged, costs = [], []
    for nudge in (EPS, -EPS):
        parameter += nudge
        nudged.append(parameter.copy())
        costs.append(cost())
        parameter -= nudge
    rise = costs[0] - costs[1]
    run = nudged[0] - nudged[1]
    return (rise / run)[0, 0]


def numerical_derivative_section(ctx, X, y):
    trace, EPS = ctx.trace, ctx.hyper.eps
    trace.value("eps", np.asarray(EPS, dtype=ctx.dtype))

    # First code block: slope of w, then nudge w against it.
    model = new_model(ctx)
    og_cost = cost_of(model, X, y)
    slope_w = numerical_slope(model.weights, lambda: cost_of(model, X, y), EPS)
    trace.value("slope_w", slope_w, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    model.weights += EPS if slope_w < 0 else -EPS
    new_cost = trace.value("cost_after_w_nudge", cost_of(model, X, y))
    trace.value("change_after_w_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_w_nudge", og_cost - new_cost, scale=og_cost)

    # Second code block: slope of w, nudge w, then slope of b (at the nudged w), nudge b.
    model = new_model(ctx)
    og_cost = cost_of(model, X, y)
    slope_w = numerical_slope(model.weights, lambda: cost_of(model, X, y), EPS)
    model.weights += EPS if slope_w < 0 else -EPS
    slope_b = numerical_slope(model.biases, lambda: cost_of(model, X, y), EPS)
    trace.value("slope_b", slope_b, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    model.biases += EPS if slope_b < 0 else -EPS
    new_cost = trace.value("cost_after_wb_nudge", cost_of(model, X, y))
    trace.value("change_after_wb_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_wb_nudge", og_cost - new_cost, scale=og_cost)

    # The prose reads each slope as the cost change per unit step, so a step of 1
    # against it lowers the cost by -slope * 1 ('610' and '120'); then what a step
    # of 1 really does to the cost, which is quadratic in w and b.
    trace.value("linear_decrease_w", -slope_w * 1.0, scale=og_cost / (2 * EPS))
    trace.value("linear_decrease_b", -slope_b * 1.0, scale=og_cost / (2 * EPS))
    model = new_model(ctx)
    model.weights += 1.0
    trace.value("decrease_for_w_plus_1", og_cost - cost_of(model, X, y))
    model.biases += 1.0
    trace.value("decrease_for_wb_plus_1", og_cost - cost_of(model, X, y))


# %% backward
def mae_backward_section(ctx, X, y):
    trace = ctx.trace
    model = new_model(ctx)
    model.forward(X)
    mae = MAE_Cost()
    trace.value("mae_cost", mae.forward(model.outputs, y))
    mae.backward(model.outputs, y)
    trace.value("mae_dinputs", mae.dinputs)
    model.backward(mae.dinputs)
    trace.value("mae_slope_w", model.dweights)
    trace.value("mae_slope_b", model.dbiases)


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace, learning_rate = ctx.trace, ctx.hyper.learning_rate

    trace.step(0)
    numerical_derivative_section(ctx, X, y)
    mae_backward_section(ctx, X, y)

    model, mse = new_model(ctx), MSE_Cost()
    for step in range(ctx.steps):
        trace.step(step)
        model.forward(X)
        yhat = model.outputs
        trace.cost(mse.forward(yhat, y))
        mse.backward(yhat, y)          # dC/dyhat
        model.backward(mse.dinputs)    # the chain rule: dC/dw and dC/db
        model.dweights = trace.grad("weights", model.dweights)
        model.dbiases = trace.grad("biases", model.dbiases)
        model.weights = trace.param("weights", model.weights - learning_rate * model.dweights)
        model.biases = trace.param("biases", model.biases - learning_rate * model.dbiases)
