"""The OR gate's first example, one sigmoid neuron, in NumPy in the blog's own style.

Column-major as in the blog: the one example is the column x = (0, 0), Z = W . x (+ b),
y_hat = sigmoid(z), and the loss of one example is L = 1/2 (y - y_hat)^2, the blog's
compute_cost with m = 1. The layers are the blog's LinearLayer and SigmoidLayer (written
here afresh; the LinearLayer can be built without its bias for Figs 10-17).

Step 0 holds two passes from W = (0.1, 0.6): first without a bias (Figs 10-17, values
named nobias_*), then with the bias b = 0 (Figs 21-24: cost, gradients and the update
with step size 1). Step 1 starts from the updated parameters: its forward pass and loss
are those of Figs 25-26 (its own update goes beyond the text).
"""

import numpy as np


def keep(name, value):
    return value


class LinearLayer:
    """z = W . A_prev (+ b), examples as columns."""

    def __init__(self, input_shape, n_out, W, b=None):
        self.m = input_shape[1]
        self.params = {"W": W.copy()}
        if b is not None:
            self.params["b"] = b.copy()
        self.Z = np.zeros((n_out, input_shape[1]))

    def forward(self, A_prev):
        self.A_prev = A_prev
        self.Z = np.dot(self.params["W"], self.A_prev)
        if "b" in self.params:
            self.Z = self.Z + self.params["b"]

    def backward(self, upstream_grad):
        self.dW = np.dot(upstream_grad, self.A_prev.T)  # local gradients dz/dw = x
        if "b" in self.params:
            self.db = np.sum(upstream_grad, axis=1, keepdims=True)  # local gradient dz/db = 1
        self.dA_prev = np.dot(self.params["W"].T, upstream_grad)

    def update_params(self, learning_rate):
        self.params["W"] = self.params["W"] - learning_rate * self.dW
        self.params["b"] = self.params["b"] - learning_rate * self.db


class SigmoidLayer:
    def __init__(self, shape):
        self.A = np.zeros(shape)

    def forward(self, Z, show=keep):
        self.A = show("y_hat", 1 / (1 + np.exp(show("minus_z", -Z))))

    def backward(self, upstream_grad, show=keep):
        local = show("dy_hat_dz", self.A * (1 - self.A))  # Fig 18
        self.dZ = show("dL_dz", upstream_grad * local)


def compute_cost(Y, Y_hat, show=keep):
    """(1/2m) sum (Y - Y_hat)^2 and its derivative; with m = 1 the loss of Fig 12."""
    m = Y.shape[1]
    residual = show("residual", Y - Y_hat)
    cost = np.squeeze((1 / (2 * m)) * np.sum(np.square(residual)))
    dY_hat = -1 / m * residual
    return cost, dY_hat


def forward_backward(linear, sigmoid, X, Y, show):
    linear.forward(X)
    linear.Z = show("z", linear.Z)
    sigmoid.forward(linear.Z, show)
    cost, dA = compute_cost(Y, sigmoid.A, show)
    sigmoid.backward(show("dL_dy_hat", dA), show)
    linear.backward(sigmoid.dZ)
    return cost


def reproduce(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    trace = ctx.trace
    learning_rate = ctx.hyper["learning_rate"]

    # Figs 10-17: no bias. The weight gradients come out zero, since dz/dw = x = 0.
    trace.step(0)
    nobias = LinearLayer(X.shape, 1, ctx.init["W"])
    sigmoid = SigmoidLayer(nobias.Z.shape)
    show = lambda name, value: trace.value("nobias_" + name, value)
    show("loss", forward_backward(nobias, sigmoid, X, Y, show))
    show("dW", nobias.dW)

    # Figs 21-26: the same example with the bias b = 0, one step of size 1.
    linear = LinearLayer(X.shape, 1, ctx.init["W"], ctx.init["b"])
    sigmoid = SigmoidLayer(linear.Z.shape)
    for step in range(ctx.steps):
        trace.step(step)
        show = trace.value if step < ctx.hyper["hand_worked_steps"] else keep
        trace.cost(forward_backward(linear, sigmoid, X, Y, show))
        linear.dW = trace.grad("W", linear.dW)
        linear.db = trace.grad("b", linear.db)
        linear.update_params(learning_rate)
        linear.params["W"] = trace.param("W", linear.params["W"])
        linear.params["b"] = trace.param("b", linear.params["b"])


def cost_at(example, step, params):
    """The loss of Fig 12 at any W, b (for the numerical-gradient column)."""
    X, Y = example.array("X"), example.array("Y")
    Z = np.dot(params["W"], X) + params["b"]
    return compute_cost(Y, 1 / (1 + np.exp(-Z)))[0]
