"""Hours studied in NumPy, in the chapter's own style.

The classes are the chapter's: ``Dense_Layer`` (row-major ``X @ w + b``, weights of
shape (inputs, neurons)), ``MSE_Cost`` and ``MAE_Cost``, each with a forward and a
hand-written backward method.
"""

import numpy as np


class Dense_Layer:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros([1, n_neurons])

    def forward(self, inputs):
        self.inputs = inputs
        self.outputs = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)


class MSE_Cost:
    def forward(self, y_pred, y_true):
        return np.mean(np.square(y_pred - y_true))

    def backward(self, y_pred, y_true):
        self.dinputs = (2 / y_pred.size) * (y_pred - y_true)


class MAE_Cost:
    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_pred - y_true))

    def backward(self, y_pred, y_true):
        self.dinputs = np.sign(y_pred - y_true) / y_pred.size


def new_model(ctx):
    model = Dense_Layer(1, 1)
    model.weights = ctx.init["weights"].copy()  # drawn as the chapter draws it
    model.biases = ctx.init["biases"].copy()
    return model


def cost_of(model, X, y):
    model.forward(X)
    return MSE_Cost().forward(model.outputs, y)


def numerical_slope(parameter, cost, EPS):
    """The chapter's numerical derivative: nudge up, nudge down, restore each time."""
    parameter += EPS
    x2 = parameter.copy()
    cost2 = cost()
    parameter -= EPS
    parameter -= EPS
    x1 = parameter.copy()
    cost1 = cost()
    parameter += EPS
    return ((cost2 - cost1) / (x2 - x1))[0, 0]


def numerical_derivative_section(ctx, X, y):
    trace, EPS = ctx.trace, ctx.hyper["eps"]
    trace.value("eps", EPS)

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

    # The prose: what a whole step of 1 against the slopes does to the cost.
    model = new_model(ctx)
    model.weights += 1.0
    trace.value("decrease_for_w_plus_1", og_cost - cost_of(model, X, y))
    model.biases += 1.0
    trace.value("decrease_for_wb_plus_1", og_cost - cost_of(model, X, y))


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


def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace, learning_rate = ctx.trace, ctx.hyper["learning_rate"]

    trace.step(0)
    numerical_derivative_section(ctx, X, y)
    mae_backward_section(ctx, X, y)

    model, mse = new_model(ctx), MSE_Cost()
    for step in range(ctx.steps):
        trace.step(step)
        model.forward(X)
        trace.cost(mse.forward(model.outputs, y))
        mse.backward(model.outputs, y)
        model.backward(mse.dinputs)
        model.dweights = trace.grad("weights", model.dweights)
        model.dbiases = trace.grad("biases", model.dbiases)
        model.weights = trace.param("weights", model.weights - learning_rate * model.dweights)
        model.biases = trace.param("biases", model.biases - learning_rate * model.dbiases)


def cost_at(example, step, params):
    """The MSE of the whole data at given weights and biases (for the numerical column)."""
    model = Dense_Layer(1, 1)
    model.weights, model.biases = params["weights"], params["biases"]
    return cost_of(model, example.array("X"), example.array("y"))
