"""Gradient descent with a learning rate too high, in NumPy: hours_studied's neuron.

Seed 001 (Fig 30-31) shows gradient descent on a u-shaped loss converging at a small
learning rate and diverging at a large one (alpha = 50): each step overshoots the
minimum by more than the last. Here the same happens to hours_studied's neuron and
data (seed 000's chapter classes, copied), trained on its MSE with alpha = 50, far
above the stable limit of about 0.043 for this data: the cost grows about 5.3e6-fold
per step until it overflows. The check compares the divergence: every framework must
stop being finite at the same step, in the same way, and agree before it.
"""

import numpy as np


# %% data
# Copied from reproductions/examples/hours_studied/numpy_impl.py:Dense_Layer
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


# Copied from reproductions/examples/hours_studied/numpy_impl.py:MSE_Cost
class MSE_Cost:
    """Mean over every example and output feature of the squared error."""

    def forward(self, y_pred, y_true):
        error = y_pred - y_true
        return np.mean(error * error)

    def backward(self, y_pred, y_true):
        # 2 (yhat - y) for one element; a mean over n * f elements scales each by 1/(n f)
        n_elements = y_true.size
        self.dinputs = 2 * (y_pred - y_true) / n_elements


# Copied from reproductions/examples/hours_studied/numpy_impl.py:new_model
def new_model(ctx):
    start = {name: ctx.tensor(ctx.init[name]) for name in ("weights", "biases")}
    return Dense_Layer(1, 1, start)


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace, learning_rate = ctx.trace, ctx.hyper.learning_rate
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
