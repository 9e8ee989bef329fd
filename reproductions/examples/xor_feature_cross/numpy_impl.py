"""XOR with the feature cross x3 = x1 * x2, in NumPy, in the blog's style.

The OR network of Part I with a third input: a ``LinearLayer`` (Z = W @ X + b, W of
shape (1, 3)) feeding a ``SigmoidLayer``, the squared-error cost of ``compute_cost``,
(1/2m) sum (Y - Y_hat)^2, one example per column, and gradient descent with the
backward pass written out by hand. The classes follow the blog's design (forward,
backward and update methods) and are written for this suite.

Fig 71 and 72 show the first forward and backward pass as images only, so the
intermediates of step 0 are recorded for the comparison of the frameworks, with no
claim on them. After the last update, step ``steps`` records the final cost and outputs.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
# Copied from reproductions/examples/xor_hidden_layer/numpy_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per column."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
# Copied from reproductions/examples/xor_hidden_layer/numpy_impl.py:LinearLayer
class LinearLayer:
    """Weights W (n_out, n_in), bias b (n_out, 1); columns of the input are examples."""

    def __init__(self, W, b):
        self.W, self.b = W.copy(), b.copy()

    def forward(self, A_in):
        self.A_in = A_in  # the local gradient of W, kept for the backward pass
        return self.W @ A_in + self.b

    def backward(self, dZ):
        """dZ = dCost/dZ, the 1/m already in it; returns dCost/dA_in."""
        self.dW = dZ @ self.A_in.T
        self.db = np.sum(dZ, axis=1, keepdims=True)
        # the size of the terms each element sums, which its rounding is relative to
        self.dW_terms = np.abs(dZ) @ np.abs(self.A_in).T
        self.db_terms = np.sum(np.abs(dZ), axis=1, keepdims=True)
        return self.W.T @ dZ

    def update(self, rate):
        self.W, self.b = self.W - rate * self.dW, self.b - rate * self.db


class SigmoidLayer:
    """Element-wise logistic function; its local gradient is A (1 - A)."""

    def forward(self, Z, record=no_record):
        self.A = record("A", 1.0 / (1.0 + np.exp(-Z)))
        return self.A

    def backward(self, dA, record=no_record):
        return record("dZ", dA * (self.A * (1.0 - self.A)))


def predict(example, params, X):
    """The neuron's output for inputs x1, x2, one example per column, at params, with the
    feature cross x3 = x1 * x2 appended as X_train has it (the decision boundary of
    report.boundary_plot)."""
    X = np.vstack([X, X[0] * X[1]])
    return SigmoidLayer().forward(LinearLayer(params["W"], params["b"]).forward(X))


# %% cost
def compute_cost(Y, Y_hat):
    """Half the mean squared error over the m columns, and its gradient in Y_hat."""
    m = Y.shape[1]
    error = Y - Y_hat
    return np.squeeze(np.sum(error ** 2) / (2 * m)), -error / m


def cost_at(example, step, params):
    """The cost the loop minimises, in float64 (for the numerical-gradient column)."""
    X, Y = example.array("X_train"), example.array("Y_train")
    Y_hat = SigmoidLayer().forward(LinearLayer(params["W"], params["b"]).forward(X))
    return float(compute_cost(Y, Y_hat)[0])


# %% backward
def backward(trace, neuron, squash, dA, record):
    """The backward pass from dA = dCost/dA; the gradients go through the trace, and the
    work goes on with what it returns."""
    neuron.backward(squash.backward(record("dA", dA), record))
    neuron.dW = trace.grad("W", neuron.dW, terms=neuron.dW_terms)
    neuron.db = trace.grad("b", neuron.db, terms=neuron.db_terms)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    neuron = LinearLayer(ctx.tensor(ctx.init["W"]), ctx.tensor(ctx.init["b"]))
    squash = SigmoidLayer()
    record = trace.value  # it records at the steps printed_steps names: the first iteration

    for epoch in range(ctx.steps):
        trace.step(epoch)

        # forward pass (Fig 71) and cost
        Y_hat = squash.forward(record("Z", neuron.forward(X)), record)
        cost, dA = compute_cost(Y, Y_hat)
        trace.cost(cost)

        # backward pass (Fig 72)
        backward(trace, neuron, squash, dA, record)

        # gradient descent (Fig 73)
        neuron.update(ctx.hyper.learning_rate)
        neuron.W = trace.param("W", neuron.W)
        neuron.b = trace.param("b", neuron.b)

    trace.step(ctx.steps)  # the trained network: its cost and outputs
    trace.cost(compute_cost(Y, squash.forward(neuron.forward(X), record))[0])
