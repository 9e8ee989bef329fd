"""XOR with the feature cross x3 = x1 * x2, in NumPy, in the blog's style.

The OR network of Part I with a third input: one ``LinearLayer`` (Z = W . X + b,
W of shape (1, 3)) and one ``SigmoidLayer``, the cost of ``compute_cost``
((1/2m) sum (Y - Y_hat)^2), column-major (features are rows, examples columns),
trained by the blog's loop: forward, cost, backward, update.

Fig 71 and 72 show the first forward and backward pass as images only, so the
intermediates of step 0 are recorded for comparison but no claim rests on them.
"""

import numpy as np


def unchanged(name, value):
    """The ``show`` of the steps whose intermediates are not recorded."""
    return value


class LinearLayer:
    """Z = W . A_prev + b, with W of shape (n_out, n_in) and b of shape (n_out, 1)."""

    def __init__(self, input_shape, n_out, W, b):
        self.m = input_shape[1]  # number of examples
        self.params = {"W": W.copy(), "b": b.copy()}  # the Fig 73 start values
        self.Z = np.zeros((n_out, input_shape[1]))

    def forward(self, A_prev):
        self.A_prev = A_prev
        self.Z = np.dot(self.params["W"], self.A_prev) + self.params["b"]

    def backward(self, upstream_grad):
        self.dW = np.dot(upstream_grad, self.A_prev.T)
        self.db = np.sum(upstream_grad, axis=1, keepdims=True)
        self.dA_prev = np.dot(self.params["W"].T, upstream_grad)

    def update_params(self, learning_rate=0.1):
        self.params["W"] = self.params["W"] - learning_rate * self.dW
        self.params["b"] = self.params["b"] - learning_rate * self.db


class SigmoidLayer:
    """A = sigmoid(Z); backwards dZ = upstream * A(1 - A)."""

    def __init__(self, shape):
        self.A = np.zeros(shape)

    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))

    def backward(self, upstream_grad):
        self.dZ = upstream_grad * self.A * (1 - self.A)


def compute_cost(Y, Y_hat):
    """Cost = (1/2m) sum (Y - Y_hat)^2 and its derivative dY_hat = -(1/m)(Y - Y_hat)."""
    m = Y.shape[1]
    cost = (1 / (2 * m)) * np.sum(np.square(Y - Y_hat))
    cost = np.squeeze(cost)
    dY_hat = -1 / m * (Y - Y_hat)
    return cost, dY_hat


RECORDED_STEPS = {0}  # the first iteration, shown in Fig 71-73


def new_network(init, X_train):
    Z1 = LinearLayer(X_train.shape, 1, init["W"], init["b"])
    A1 = SigmoidLayer(Z1.Z.shape)
    return Z1, A1


def cost_at(example, step, params):
    """The cost the loop minimises, at the given parameters (numerical-gradient column)."""
    X_train, Y_train = example.array("X_train"), example.array("Y_train")
    Z1, A1 = new_network(params, X_train)
    Z1.forward(X_train)
    A1.forward(Z1.Z)
    return float(compute_cost(Y_train, A1.A)[0])


def reproduce(ctx):
    trace = ctx.trace
    X_train, Y_train = ctx.data("X_train"), ctx.data("Y_train")
    learning_rate = ctx.hyper["learning_rate"]
    Z1, A1 = new_network(ctx.init, X_train)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        show = trace.value if epoch in RECORDED_STEPS else unchanged

        # ----- forward-prop (Fig 71) -----
        Z1.forward(X_train)
        Z1.Z = show("Z", Z1.Z)
        A1.forward(Z1.Z)
        A1.A = show("A", A1.A)

        # ----- cost -----
        cost, dA = compute_cost(Y_train, A1.A)
        trace.cost(cost)
        dA = show("dA", dA)

        # ----- back-prop (Fig 72) -----
        A1.backward(dA)
        A1.dZ = show("dZ", A1.dZ)
        Z1.backward(A1.dZ)
        Z1.dW = trace.grad("W", Z1.dW)
        Z1.db = trace.grad("b", Z1.db)

        # ----- update weights and bias (Fig 73) -----
        Z1.update_params(learning_rate=learning_rate)
        Z1.params["W"] = trace.param("W", Z1.params["W"])
        Z1.params["b"] = trace.param("b", Z1.params["b"])

    if ctx.steps:
        Z1.forward(X_train)
        A1.forward(Z1.Z)
        trace.value("cost_after_training", compute_cost(Y_train, A1.A)[0])
        trace.value("Y_hat_after_training", A1.A)
