"""XOR with one hidden layer of three sigmoids, in NumPy, in the blog's style.

One example per column. ``LinearLayer`` maps its input to Z = W @ A_in + b and,
backwards, gives dW = dZ @ A_in^T, db = the row sums of dZ and dA_in = W^T @ dZ;
``SigmoidLayer`` maps Z to A = 1 / (1 + exp(-Z)) and, backwards, gives dZ as the
upstream gradient times the local gradient A(1 - A); ``compute_cost`` is
(1/2m) sum (Y - Y_hat)^2 with gradient -(1/m)(Y - Y_hat) in Y_hat. The design (the two
classes, forward/backward/update, the helper) is the blog's; the code is this suite's.
Each epoch: forward through both layers, the cost, backward, then the output layer's
update and the hidden layer's.

At step 0 every value Fig 79-82 prints goes through the trace (``record``) in the order
the text works it out, and the work goes on with what the trace returns: Z2 from A1,
Y - Y_hat from A2, the cost and dA2 from Y - Y_hat, 1 - A from A, the local gradient
from A and 1 - A, dZ from the upstream and local gradients, dW2 from dZ2 and A1,
dA1 from dZ2, dW1 from dZ1. The rounded replay so redoes the hand arithmetic on the
printed values. Step ``steps`` is the state after the last update: its cost and outputs.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
def xor_data(ctx):
    """X_train and Y_train, one example per column."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
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
    """Element-wise logistic function of layer ``k``; the text names its output A<k>."""

    def __init__(self, k):
        self.k = k

    def forward(self, Z, record=no_record):
        self.A = record(f"A{self.k}", 1.0 / (1.0 + np.exp(-Z)))
        return self.A

    def backward(self, dA, record=no_record):
        # Fig 81.b and 81.d: 1 - A first, then the local gradient A(1 - A), then dZ
        complement = record(f"one_minus_A{self.k}", 1.0 - self.A)
        local = record(f"dA{self.k}_dZ{self.k}", self.A * complement)
        return record(f"dZ{self.k}", dA * local)


class Network:
    """The 2-3-1 network of Fig 77: hidden layer 1, output layer 2."""

    def __init__(self, W1, b1, W2, b2):
        self.hidden, self.hidden_act = LinearLayer(W1, b1), SigmoidLayer(1)
        self.output, self.output_act = LinearLayer(W2, b2), SigmoidLayer(2)

    def forward(self, X, record=no_record):
        A1 = self.hidden_act.forward(record("Z1", self.hidden.forward(X)), record)
        return self.output_act.forward(record("Z2", self.output.forward(A1)), record)


def predict(example, params, X):
    """The network's output for inputs X, one example per column, at params (the decision
    boundary of report.boundary_plot)."""
    net = Network(params["W1"], params["b1"], params["W2"], params["b2"])
    return net.forward(X)


# %% cost
def compute_cost(Y, Y_hat, record=no_record):
    """Half the mean squared error over the m columns, and its gradient in Y_hat."""
    m = Y.shape[1]
    error = record("Y_minus_Y_hat", Y - Y_hat)  # printed in Fig 80 and 81.a
    return np.squeeze(np.sum(error ** 2) / (2 * m)), -error / m


def cost_at(example, step, params):
    """The cost the loop minimises, in float64 (for the numerical-gradient column)."""
    X, Y = example.array("X_train"), example.array("Y_train")
    net = Network(params["W1"], params["b1"], params["W2"], params["b2"])
    return float(compute_cost(Y, net.forward(X))[0])


# %% backward
def backward(trace, net, dA2, record):
    """The backward pass from dA2 = dCost/dA2, layer by layer; each layer's gradients go
    through the trace, and the work goes on with what it returns."""
    # backward through the output layer (Fig 81.b, 81.c)
    dA1 = net.output.backward(net.output_act.backward(dA2, record))
    net.output.dW = trace.grad("W2", net.output.dW, terms=net.output.dW_terms)
    net.output.db = trace.grad("b2", net.output.db, terms=net.output.db_terms)
    dA1 = record("dA1", dA1)

    # backward through the hidden layer (Fig 81.d, 81.e)
    net.hidden.backward(net.hidden_act.backward(dA1, record))
    net.hidden.dW = trace.grad("W1", net.hidden.dW, terms=net.hidden.dW_terms)
    net.hidden.db = trace.grad("b1", net.hidden.db, terms=net.hidden.db_terms)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = Network(*(ctx.tensor(ctx.init[name]) for name in ("W1", "b1", "W2", "b2")))
    rate = ctx.hyper.learning_rate
    record = trace.value  # it records where the text prints (printed_steps): Fig 79-82

    for epoch in range(ctx.steps):
        trace.step(epoch)

        # forward (Fig 79.a, 79.b), cost (Fig 80) and its gradient (Fig 81.a)
        cost, dA2 = compute_cost(Y, net.forward(X, record), record)
        trace.cost(cost)
        dA2 = record("dA2", dA2)

        # backward through the output layer, then the hidden layer (Fig 81.b-81.e)
        backward(trace, net, dA2, record)

        # gradient descent, output layer first (Fig 82)
        for layer, k in ((net.output, "2"), (net.hidden, "1")):
            layer.update(rate)
            layer.W = trace.param("W" + k, layer.W)
            layer.b = trace.param("b" + k, layer.b)

    trace.step(ctx.steps)  # after the last update: the cost and the outputs
    Y_hat = net.forward(X)
    trace.value("A2", Y_hat)
    trace.cost(compute_cost(Y, Y_hat)[0])
