"""XOR with one hidden layer of three sigmoids, in NumPy, in the blog's style.

Column-major as in the blog: features and units are rows, the four examples are
columns. ``LinearLayer`` computes Z = W . A_prev + b and, backwards,
dW = dZ . A_prev^T, db = sum(dZ, axis=1), dA_prev = W^T . dZ; ``SigmoidLayer``
computes A = 1 / (1 + exp(-Z)) and dZ = upstream * A(1 - A); ``compute_cost`` is
(1/2m) sum (Y - Y_hat)^2 with dY_hat = -(1/m)(Y - Y_hat). The loop is the blog's:
forward Z1, A1, Z2, A2, cost, backward A2, Z2, A1, Z1, then update Z2 and Z1.

At step 0 every value Fig 79-82 prints goes through the trace in the order the
text computes it (``show``), and the next value is computed from what the trace
returns: Z2 from A1, the cost and dA2 from Y - Y_hat, the local gradient
A(1 - A) from A and 1 - A, dZ from dA and the local gradient, dW2 from dZ2 and
A1, dA1 = W2^T dZ2, dW1 from dZ1. The rounded replay thus redoes the author's hand
arithmetic on the printed 3-decimal values.
"""

import numpy as np


def unchanged(name, value):
    """The ``show`` of the steps whose intermediates the text does not print."""
    return value


class LinearLayer:
    """Z = W . A_prev + b, with W of shape (n_out, n_in) and b of shape (n_out, 1)."""

    def __init__(self, input_shape, n_out, W, b):
        self.m = input_shape[1]  # number of examples
        self.params = {"W": W.copy(), "b": b.copy()}  # the Fig 79 start values
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

    def __init__(self, shape, name):
        self.A = np.zeros(shape)
        self.name = name  # "A1" or "A2": the text's name for this layer's output

    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))

    def backward(self, upstream_grad, show=unchanged):
        # As Fig 81.b and 81.d compute it: 1 - A, the local gradient A(1 - A), then
        # upstream * local.
        k = self.name[1:]
        one_minus_A = show(f"one_minus_A{k}", 1 - self.A)
        local_grad = show(f"dA{k}_dZ{k}", self.A * one_minus_A)
        self.dZ = show(f"dZ{k}", upstream_grad * local_grad)


def compute_cost(Y, Y_hat, show=unchanged):
    """Cost = (1/2m) sum (Y - Y_hat)^2 and its derivative dY_hat = -(1/m)(Y - Y_hat)."""
    m = Y.shape[1]
    error = show("Y_minus_Y_hat", Y - Y_hat)  # Fig 80 and 81.a print it
    cost = (1 / (2 * m)) * np.sum(np.square(error))
    cost = np.squeeze(cost)
    dY_hat = -1 / m * error
    return cost, dY_hat


PRINTED_STEPS = {0}  # Fig 79-82 print every intermediate of the first iteration


def new_network(init, X_train):
    Z1 = LinearLayer(X_train.shape, 3, init["W1"], init["b1"])
    A1 = SigmoidLayer(Z1.Z.shape, "A1")
    Z2 = LinearLayer(A1.A.shape, 1, init["W2"], init["b2"])
    A2 = SigmoidLayer(Z2.Z.shape, "A2")
    return Z1, A1, Z2, A2


def forward(network, X_train, show=unchanged):
    Z1, A1, Z2, A2 = network
    Z1.forward(X_train)
    Z1.Z = show("Z1", Z1.Z)
    A1.forward(Z1.Z)
    A1.A = show("A1", A1.A)
    Z2.forward(A1.A)
    Z2.Z = show("Z2", Z2.Z)
    A2.forward(Z2.Z)
    A2.A = show("A2", A2.A)


def cost_at(example, step, params):
    """The cost the loop minimises, at the given parameters (numerical-gradient column)."""
    X_train, Y_train = example.array("X_train"), example.array("Y_train")
    network = new_network(params, X_train)
    forward(network, X_train)
    return float(compute_cost(Y_train, network[3].A)[0])


def reproduce(ctx):
    trace = ctx.trace
    X_train, Y_train = ctx.data("X_train"), ctx.data("Y_train")
    learning_rate = ctx.hyper["learning_rate"]
    Z1, A1, Z2, A2 = network = new_network(ctx.init, X_train)

    for epoch in range(ctx.steps):
        trace.step(epoch)
        show = trace.value if epoch in PRINTED_STEPS else unchanged

        # ----- forward-prop (Fig 79.a, 79.b) -----
        forward(network, X_train, show)

        # ----- cost (Fig 80) and its derivative (Fig 81.a) -----
        cost, dA2 = compute_cost(Y_train, A2.A, show)
        trace.cost(cost)
        dA2 = show("dA2", dA2)

        # ----- back-prop (Fig 81.b-e) -----
        A2.backward(dA2, show)
        Z2.backward(A2.dZ)
        Z2.dW = trace.grad("W2", Z2.dW)
        Z2.db = trace.grad("b2", Z2.db)
        Z2.dA_prev = show("dA1", Z2.dA_prev)

        A1.backward(Z2.dA_prev, show)
        Z1.backward(A1.dZ)
        Z1.dW = trace.grad("W1", Z1.dW)
        Z1.db = trace.grad("b1", Z1.db)

        # ----- update weights and biases (Fig 82) -----
        Z2.update_params(learning_rate=learning_rate)
        Z2.params["W"] = trace.param("W2", Z2.params["W"])
        Z2.params["b"] = trace.param("b2", Z2.params["b"])
        Z1.update_params(learning_rate=learning_rate)
        Z1.params["W"] = trace.param("W1", Z1.params["W"])
        Z1.params["b"] = trace.param("b1", Z1.params["b"])

    if ctx.steps:
        forward(network, X_train)
        trace.value("cost_after_training", compute_cost(Y_train, A2.A)[0])
