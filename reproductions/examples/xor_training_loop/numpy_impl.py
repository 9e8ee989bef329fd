"""The blog's XOR training loop (Fig 91-93), in NumPy, in the blog's style.

Part II of the blog builds the network from a ``LinearLayer`` class, a ``SigmoidLayer``
class (each with forward, backward and update methods) and a ``compute_cost`` helper;
this file follows that design with code of its own. One example per column:
Z = W @ A_in + b; backwards dW = dZ @ A_in^T, db = the row sums of dZ,
dA_in = W^T @ dZ; the sigmoid's local gradient is A(1 - A); the cost is
(1/2m) sum (Y - Y_hat)^2 with gradient -(1/m)(Y - Y_hat). Each epoch, as in Fig 92:
forward through both layers, the cost (every 100th kept), backward, then the
update of the output layer and of the hidden layer. After the last update, step
``steps`` records the final cost, outputs, thresholded predictions and accuracy.

The start values are drawn by the harness from [init]: np.random.seed(48), the hidden
layer's weights, then the output layer's, zero biases. The text does not show the
initialiser; the one in example.toml is inferred (see its notes).
"""

import numpy as np


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
    """Element-wise logistic function; its local gradient is A(1 - A)."""

    def forward(self, Z):
        self.A = 1.0 / (1.0 + np.exp(-Z))
        return self.A

    def backward(self, dA):
        return dA * (self.A * (1.0 - self.A))


class Network:
    """Fig 91's 2-3-1 network: a hidden layer of 3 sigmoids, an output sigmoid."""

    def __init__(self, W1, b1, W2, b2):
        self.hidden, self.hidden_act = LinearLayer(W1, b1), SigmoidLayer()
        self.output, self.output_act = LinearLayer(W2, b2), SigmoidLayer()

    def forward(self, X):
        A1 = self.hidden_act.forward(self.hidden.forward(X))
        return self.output_act.forward(self.output.forward(A1))

    def backward(self, dY_hat):
        dA1 = self.output.backward(self.output_act.backward(dY_hat))
        self.hidden.backward(self.hidden_act.backward(dA1))


# Copied from reproductions/examples/xor_hidden_layer/numpy_impl.py:predict
def predict(example, params, X):
    """The network's output for inputs X, one example per column, at params (the decision
    boundary of report.boundary_plot)."""
    net = Network(params["W1"], params["b1"], params["W2"], params["b2"])
    return net.forward(X)


# %% cost
# Copied from reproductions/examples/xor_feature_cross/numpy_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    """Half the mean squared error over the m columns, and its gradient in Y_hat."""
    m = Y.shape[1]
    error = Y - Y_hat
    return np.squeeze(np.sum(error ** 2) / (2 * m)), -error / m


# Copied from reproductions/examples/xor_hidden_layer/numpy_impl.py:cost_at
def cost_at(example, step, params):
    """The cost the loop minimises, in float64 (for the numerical-gradient column)."""
    X, Y = example.array("X_train"), example.array("Y_train")
    net = Network(params["W1"], params["b1"], params["W2"], params["b2"])
    return float(compute_cost(Y, net.forward(X))[0])


# %% check
def classify(Y_hat, Y, threshold=0.5):
    """Outputs above the threshold are class 1, the rest class 0, and the share of
    examples classified right, in percent. The text prints the result (Fig 93), not
    the helper: this threshold and this accuracy are the suite's reading."""
    predicted = (Y_hat > threshold).astype(Y_hat.dtype)
    return predicted, 100 * np.mean(predicted == Y, dtype=Y_hat.dtype)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = Network(*(ctx.tensor(ctx.init[name]) for name in ("W1", "b1", "W2", "b2")))
    rate = ctx.hyper.learning_rate

    costs = []  # Fig 92 prints and keeps the cost of every 100th epoch
    for epoch in range(ctx.steps):
        trace.step(epoch)
        cost, dY_hat = compute_cost(Y, net.forward(X))
        costs.append(trace.cost(cost))

        net.backward(dY_hat)
        for layer, k in ((net.output, "2"), (net.hidden, "1")):
            layer.dW = trace.grad("W" + k, layer.dW, terms=layer.dW_terms)
            layer.db = trace.grad("b" + k, layer.db, terms=layer.db_terms)

        for layer, k in ((net.output, "2"), (net.hidden, "1")):  # output layer first
            layer.update(rate)
            layer.W = trace.param("W" + k, layer.W)
            layer.b = trace.param("b" + k, layer.b)

    trace.step(ctx.steps)  # after the last update
    Y_hat = trace.value("A2", net.forward(X))
    trace.cost(compute_cost(Y, Y_hat)[0])
    trace.value("costs", np.array(costs[::100], dtype=Y_hat.dtype))
    predicted, accuracy = classify(Y_hat, Y)
    trace.value("predicted_outputs", predicted)
    trace.value("accuracy", accuracy)
