"""The blog's training loop for XOR (Fig 91-93), in NumPy, in the blog's style.

The classes are the blog's Part II code, written out here: ``LinearLayer``
(Z = W . A_prev + b; backwards dW = dZ . A_prev^T, db = sum(dZ, axis=1),
dA_prev = W^T . dZ; update W -= lr dW, b -= lr db), ``SigmoidLayer``
(A = 1 / (1 + exp(-Z)); dZ = upstream * A * (1 - A)) and ``compute_cost``
((1/2m) sum (Y - Y_hat)^2 and -(1/m)(Y - Y_hat)). Column-major: features are rows,
the four examples columns. The loop is Fig 92's: forward, cost (printed and kept
every 100 epochs), backward, update layer 2 then layer 1.

The start values: np.random.seed(48), then the hidden layer's weights, then the
output layer's (Fig 91 creates them in that order), randn(n_out, n_in) / sqrt(n_in)
with zero biases. The text does not show ``initialize_parameters``: this
initialiser is inferred (see example.toml); the harness draws it.
"""

import numpy as np


class LinearLayer:
    """Z = W . A_prev + b, with W of shape (n_out, n_in) and b of shape (n_out, 1)."""

    def __init__(self, input_shape, n_out, W, b):
        self.m = input_shape[1]  # number of examples
        self.params = {"W": W.copy(), "b": b.copy()}  # drawn by the harness, see above
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
    """A = sigmoid(Z); backwards dZ = upstream * A * (1 - A)."""

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


def predict(X, Y, layers, thresh=0.5):
    """Forward through the layers, output above ``thresh`` -> 1, else 0; the accuracy in %.

    The blog prints the result (Fig 93) but not this helper: thresholding the
    sigmoid output at 0.5 is this suite's reading."""
    A = X
    for linear, sigmoid in layers:
        linear.forward(A)
        sigmoid.forward(linear.Z)
        A = sigmoid.A
    predictions = (A > thresh).astype(np.float64)
    accuracy = np.mean(predictions == Y) * 100
    return predictions, accuracy


def new_network(init, X_train):
    Z1 = LinearLayer(input_shape=X_train.shape, n_out=3, W=init["W1"], b=init["b1"])
    A1 = SigmoidLayer(Z1.Z.shape)
    Z2 = LinearLayer(input_shape=A1.A.shape, n_out=1, W=init["W2"], b=init["b2"])
    A2 = SigmoidLayer(Z2.Z.shape)
    return Z1, A1, Z2, A2


def cost_at(example, step, params):
    """The cost the loop minimises, at the given parameters (numerical-gradient column)."""
    X_train, Y_train = example.array("X_train"), example.array("Y_train")
    Z1, A1, Z2, A2 = new_network(params, X_train)
    Z1.forward(X_train)
    A1.forward(Z1.Z)
    Z2.forward(A1.A)
    A2.forward(Z2.Z)
    return float(compute_cost(Y_train, A2.A)[0])


def reproduce(ctx):
    trace = ctx.trace
    X_train, Y_train = ctx.data("X_train"), ctx.data("Y_train")
    learning_rate = ctx.hyper["learning_rate"]
    Z1, A1, Z2, A2 = new_network(ctx.init, X_train)

    costs = []  # the costs the loop prints and keeps, every 100 epochs
    for epoch in range(ctx.steps):
        trace.step(epoch)

        # ----- forward-prop -----
        Z1.forward(X_train)
        A1.forward(Z1.Z)
        Z2.forward(A1.A)
        A2.forward(Z2.Z)

        # ----- compute cost -----
        cost, dA2 = compute_cost(Y=Y_train, Y_hat=A2.A)
        trace.cost(cost)
        if epoch % 100 == 0:
            costs.append(cost)

        # ----- back-prop -----
        A2.backward(dA2)
        Z2.backward(A2.dZ)
        Z2.dW = trace.grad("W2", Z2.dW)
        Z2.db = trace.grad("b2", Z2.db)
        A1.backward(Z2.dA_prev)
        Z1.backward(A1.dZ)
        Z1.dW = trace.grad("W1", Z1.dW)
        Z1.db = trace.grad("b1", Z1.db)

        # ----- update weights and bias -----
        Z2.update_params(learning_rate=learning_rate)
        Z2.params["W"] = trace.param("W2", Z2.params["W"])
        Z2.params["b"] = trace.param("b2", Z2.params["b"])
        Z1.update_params(learning_rate=learning_rate)
        Z1.params["W"] = trace.param("W1", Z1.params["W"])
        Z1.params["b"] = trace.param("b1", Z1.params["b"])

    if ctx.steps:
        trace.value("costs", np.array(costs))
        predictions, accuracy = predict(X_train, Y_train, [(Z1, A1), (Z2, A2)])
        trace.value("Y_hat_after_training", A2.A)
        trace.value("cost_after_training", compute_cost(Y_train, A2.A)[0])
        trace.value("predicted_outputs", predictions)
        trace.value("accuracy", accuracy)
