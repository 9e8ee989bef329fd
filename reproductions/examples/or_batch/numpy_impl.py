"""OR gate, vectorised batch gradient descent, in NumPy in the blog's own style.

Column-major as in the blog: the examples are the columns of ``X_train`` (2 x 4),
``Z = W . X_train + b``, and the layers are the blog's ``LinearLayer`` and
``SigmoidLayer`` with its ``compute_cost`` helper (written here afresh). The hand
arithmetic of Figs 42-47 (3 decimals, "just for brevity") goes through the trace at
every epoch; it records at the two the text works by hand (steps 0 and 1, the steps of
the claims), and the code keeps computing with what the trace returns, so the rounded
replay redoes the author's arithmetic.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
def neuron(ctx, input_shape):
    """The one neuron, with the blog's start values W and b (Fig 41): its linear layer
    and its sigmoid."""
    Z1 = LinearLayer(input_shape, 1, ctx.init["W"], ctx.init["b"])
    A1 = SigmoidLayer(Z1.Z.shape)
    return Z1, A1


# %% forward
class LinearLayer:
    """Z = W . A_prev + b for a batch whose examples are columns."""

    def __init__(self, input_shape, n_out, W, b):
        self.m = input_shape[1]  # number of examples
        self.params = {"W": W.copy(), "b": b.copy()}  # the text's start values, Fig 41
        self.Z = np.zeros((n_out, input_shape[1]))

    def forward(self, A_prev):
        self.A_prev = A_prev
        self.Z = np.dot(self.params["W"], self.A_prev) + self.params["b"]

    def backward(self, upstream_grad):
        self.dW = np.dot(upstream_grad, self.A_prev.T)  # 1/m already sits in dY_hat
        self.db = np.sum(upstream_grad, axis=1, keepdims=True)
        self.dA_prev = np.dot(self.params["W"].T, upstream_grad)

    def update_params(self, learning_rate, record=no_record):
        # Fig 45 writes W - alpha dW as W + (0.048, 0.038): the step is shown on its own.
        self.params["W"] = self.params["W"] + record("delta_W", -learning_rate * self.dW)
        self.params["b"] = self.params["b"] + record("delta_b", -learning_rate * self.db)


class SigmoidLayer:
    def __init__(self, shape):
        self.A = np.zeros(shape)

    def forward(self, Z, record=no_record):
        self.A = record("Y_hat", 1 / (1 + np.exp(record("minus_Z", -Z))))

    def backward(self, upstream_grad, record=no_record):
        # local gradient A(1 - A), Fig 44.b, then the upstream gradient times it
        local = record("dY_hat_dZ", self.A * record("one_minus_Y_hat", 1 - self.A))
        self.dZ = record("dZ", upstream_grad * local)


def predict(example, params, X):
    """The neuron's output for inputs X, one example per column, at params (the decision
    boundary of report.boundary_plot)."""
    unit = LinearLayer(X.shape, 1, params["W"], params["b"])
    unit.forward(X)
    squash = SigmoidLayer(unit.Z.shape)
    squash.forward(unit.Z)
    return squash.A


# %% cost
def compute_cost(Y, Y_hat, record=no_record):
    """Squared-error cost (1/2m) sum (Y - Y_hat)^2 and its derivative in Y_hat."""
    m = Y.shape[1]
    residual = record("residual", Y - Y_hat)
    total = record("sum_squares", np.sum(record("squared_residual", np.square(residual))))
    cost = np.squeeze((1 / (2 * m)) * total)
    dY_hat = -1 / m * residual
    return cost, dY_hat


def cost_at(example, step, params):
    """The cost of Fig 43 at any W, b (for the numerical-gradient column)."""
    X_train, Y_train = example.array("X_train"), example.array("Y_train")
    Z = np.dot(params["W"], X_train) + params["b"]
    Y_hat = 1 / (1 + np.exp(-Z))
    return compute_cost(Y_train, Y_hat)[0]


# %% backward
def backward(trace, Z1, A1, dA1, record):
    """The backward pass from dA1 = dCost/dY_hat, through the sigmoid, then the linear
    layer; the gradients go through the trace, and the work goes on with what it returns."""
    A1.backward(record("dY_hat", dA1), record)
    Z1.backward(A1.dZ)
    Z1.dW = trace.grad("W", Z1.dW)
    Z1.db = trace.grad("b", Z1.db)


# %% record
def reproduce(ctx):
    X_train, Y_train = ctx.data("X_train"), ctx.data("Y_train")
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    Z1, A1 = neuron(ctx, X_train.shape)

    record = trace.value  # it records where the text works by hand (printed_steps)
    for epoch in range(ctx.steps):
        trace.step(epoch)

        Z1.forward(record("X_train", X_train))
        Z1.Z = record("Z", Z1.Z)
        A1.forward(Z1.Z, record)
        cost, dA1 = compute_cost(Y_train, A1.A, record)
        trace.cost(cost)

        backward(trace, Z1, A1, dA1, record)
        Z1.update_params(learning_rate, record)
        Z1.params["W"] = trace.param("W", Z1.params["W"])
        Z1.params["b"] = trace.param("b", Z1.params["b"])
