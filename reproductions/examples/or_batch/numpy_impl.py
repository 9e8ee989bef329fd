"""OR gate, vectorised batch gradient descent, in NumPy in the blog's own style.

Column-major as in the blog: the examples are the columns of ``X_train`` (2 x 4),
``Z = W . X_train + b``, and the layers are the blog's ``LinearLayer`` and
``SigmoidLayer`` with its ``compute_cost`` helper (written here afresh). The hand
arithmetic of Figs 42-47 (3 decimals, "just for brevity") goes through the trace at
the two iterations the text works by hand, and the code keeps computing with what the
trace returns, so the rounded replay redoes the author's arithmetic.
"""

import numpy as np


def keep(name, value):
    """At the iterations the text does not work by hand: record nothing."""
    return value


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

    def update_params(self, learning_rate, show=keep):
        # Fig 45 writes W - alpha dW as W + (0.048, 0.038): the step is shown on its own.
        self.params["W"] = self.params["W"] + show("delta_W", -learning_rate * self.dW)
        self.params["b"] = self.params["b"] + show("delta_b", -learning_rate * self.db)


class SigmoidLayer:
    def __init__(self, shape):
        self.A = np.zeros(shape)

    def forward(self, Z, show=keep):
        self.A = show("Y_hat", 1 / (1 + np.exp(show("minus_Z", -Z))))

    def backward(self, upstream_grad, show=keep):
        # local gradient A(1 - A), Fig 44.b, then the upstream gradient times it
        local = show("dY_hat_dZ", self.A * show("one_minus_Y_hat", 1 - self.A))
        self.dZ = show("dZ", upstream_grad * local)


def compute_cost(Y, Y_hat, show=keep):
    """Squared-error cost (1/2m) sum (Y - Y_hat)^2 and its derivative in Y_hat."""
    m = Y.shape[1]
    residual = show("residual", Y - Y_hat)
    total = show("sum_squares", np.sum(show("squared_residual", np.square(residual))))
    cost = np.squeeze((1 / (2 * m)) * total)
    dY_hat = -1 / m * residual
    return cost, dY_hat


def reproduce(ctx):
    X_train, Y_train = ctx.data("X_train"), ctx.data("Y_train")
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    Z1 = LinearLayer(X_train.shape, 1, ctx.init["W"], ctx.init["b"])
    A1 = SigmoidLayer(Z1.Z.shape)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        show = trace.value if epoch < ctx.hyper.hand_worked_steps else keep

        Z1.forward(show("X_train", X_train))
        Z1.Z = show("Z", Z1.Z)
        A1.forward(Z1.Z, show)
        cost, dA1 = compute_cost(Y_train, A1.A, show)
        trace.cost(cost)

        A1.backward(show("dY_hat", dA1), show)
        Z1.backward(A1.dZ)
        Z1.dW = trace.grad("W", Z1.dW)
        Z1.db = trace.grad("b", Z1.db)
        Z1.update_params(learning_rate, show)
        Z1.params["W"] = trace.param("W", Z1.params["W"])
        Z1.params["b"] = trace.param("b", Z1.params["b"])


def cost_at(example, step, params):
    """The cost of Fig 43 at any W, b (for the numerical-gradient column)."""
    X_train, Y_train = example.array("X_train"), example.array("Y_train")
    Z = np.dot(params["W"], X_train) + params["b"]
    Y_hat = 1 / (1 + np.exp(-Z))
    return compute_cost(Y_train, Y_hat)[0]
