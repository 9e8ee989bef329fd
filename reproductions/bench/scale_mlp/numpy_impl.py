"""The scale case in NumPy: a 784-W-10 tanh network, softmax cross-entropy, a
hand-written backward pass and plain gradient descent.

Examples are rows: Z1 = X @ W1 + b1, A1 = tanh(Z1), Z2 = A1 @ W2 + b2, P = softmax(Z2),
cost = -(1/m) sum Y * log P over the m = 128 examples. Going back,
dZ2 = (P - Y) / m, dW2 = A1^T dZ2, db2 = the column sums of dZ2,
dZ1 = (dZ2 W2^T) * (1 - A1^2), dW1 = X^T dZ1, db1 = the column sums of dZ1.
"""

import numpy as np

NAMES = ("W1", "b1", "W2", "b2")


def log_softmax(Z):
    """log softmax of each row, shifted by the row's maximum so exp cannot overflow."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def reproduce(ctx):
    trace, learning_rate = ctx.trace, ctx.hyper.learning_rate
    X, Y = ctx.data("X"), ctx.data("Y")
    m = X.shape[0]
    W1, b1, W2, b2 = (ctx.tensor(ctx.init[name]) for name in NAMES)

    for step in range(ctx.steps):
        trace.step(step)
        # forward
        A1 = np.tanh(X @ W1 + b1)
        log_P = log_softmax(A1 @ W2 + b2)
        trace.cost(-(Y * log_P).sum() / m)

        # backward
        dZ2 = (np.exp(log_P) - Y) / m
        dW2 = trace.grad("W2", A1.T @ dZ2)
        db2 = trace.grad("b2", dZ2.sum(axis=0, keepdims=True))
        dZ1 = (dZ2 @ W2.T) * (1 - A1 * A1)
        dW1 = trace.grad("W1", X.T @ dZ1)
        db1 = trace.grad("b1", dZ1.sum(axis=0, keepdims=True))

        # gradient descent
        W1 = trace.param("W1", W1 - learning_rate * dW1)
        b1 = trace.param("b1", b1 - learning_rate * db1)
        W2 = trace.param("W2", W2 - learning_rate * dW2)
        b2 = trace.param("b2", b2 - learning_rate * db2)
