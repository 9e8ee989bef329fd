"""Bare training loops in NumPy: each mirror's loop without the trace.

The arithmetic is the reference's, operation for operation, including work the
reference does that the gradient does not need (the cost of every step, and
test_scores' second forward pass in costFunctionPrime), so that the time a loop
takes is the time the reference's loop takes without its records.
"""

import numpy as np

from frameworks.numpy_adapter import to_numpy


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hours_studied(ctx):
    """Dense_Layer, MSE_Cost and gradient descent (examples/hours_studied)."""
    X, y = ctx.data("X"), ctx.data("y")
    rate = ctx.hyper.learning_rate
    weights, biases = ctx.tensor(ctx.init["weights"]), ctx.tensor(ctx.init["biases"])
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        yhat = X @ weights + biases
        error = yhat - y
        cost = np.mean(error * error)  # the reference computes it; the gradient does not need it
        dyhat = 2 * (yhat - y) / y.size
        dweights = X.T @ dyhat
        dbiases = dyhat.sum(axis=0, keepdims=True)
        weights = weights - rate * dweights
        biases = biases - rate * dbiases
    return {"weights": to_numpy(weights), "biases": to_numpy(biases)}


def xor_hidden_layer(ctx):
    """The 2-3-1 sigmoid network, one example per column (examples/xor_hidden_layer)."""
    X, Y = ctx.data("X_train"), ctx.data("Y_train")
    rate, m = ctx.hyper.learning_rate, Y.shape[1]
    W1, b1, W2, b2 = (ctx.tensor(ctx.init[name]) for name in ("W1", "b1", "W2", "b2"))
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        A1 = sigmoid(W1 @ X + b1)
        A2 = sigmoid(W2 @ A1 + b2)
        error = Y - A2
        cost = np.squeeze(np.sum(error ** 2) / (2 * m))
        dA2 = -error / m
        dZ2 = dA2 * (A2 * (1.0 - A2))
        dW2 = dZ2 @ A1.T
        db2 = np.sum(dZ2, axis=1, keepdims=True)
        dA1 = W2.T @ dZ2
        dZ1 = dA1 * (A1 * (1.0 - A1))
        dW1 = dZ1 @ X.T
        db1 = np.sum(dZ1, axis=1, keepdims=True)
        W2, b2 = W2 - rate * dW2, b2 - rate * db2
        W1, b1 = W1 - rate * dW1, b1 - rate * db1
    return {name: to_numpy(value) for name, value in
            (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}


def test_scores(ctx):
    """Neural_Network's costFunction, costFunctionPrime and descent (examples/test_scores)."""
    X, y = ctx.data("X"), ctx.data("y")
    X, y = X / np.amax(X, axis=0), y / 100  # scale_data: columns over their maxima, scores over 100
    rate = ctx.hyper.learning_rate
    W1, W2 = ctx.tensor(ctx.init["W1"]), ctx.tensor(ctx.init["W2"])

    def sigmoidPrime(z):
        return np.exp(-z) / ((1 + np.exp(-z)) ** 2)

    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        yHat = sigmoid(np.dot(sigmoid(np.dot(X, W1)), W2))  # costFunction's forward
        cost = 0.5 * np.sum((y - yHat) ** 2)
        z2 = np.dot(X, W1)  # costFunctionPrime's forward, again
        a2 = sigmoid(z2)
        z3 = np.dot(a2, W2)
        yHat = sigmoid(z3)
        delta3 = np.multiply(-(y - yHat), sigmoidPrime(z3))
        dJdW2 = np.dot(a2.T, delta3)
        delta2 = np.dot(delta3, W2.T) * sigmoidPrime(z2)
        dJdW1 = np.dot(X.T, delta2)
        W1 = W1 - rate * dJdW1
        W2 = W2 - rate * dJdW2
    return {"W1": to_numpy(W1), "W2": to_numpy(W2)}


def scale_mlp(ctx):
    """784-W-10 tanh network, softmax cross-entropy (bench/scale_mlp)."""
    X, Y = ctx.data("X"), ctx.data("Y")
    rate, m = ctx.hyper.learning_rate, X.shape[0]
    W1, b1, W2, b2 = (ctx.tensor(ctx.init[name]) for name in ("W1", "b1", "W2", "b2"))
    for step in range(ctx.steps):
        ctx.trace.step(step)  # a time stamp for the benchmark; nothing is recorded
        A1 = np.tanh(X @ W1 + b1)
        Z2 = A1 @ W2 + b2
        shifted = Z2 - Z2.max(axis=1, keepdims=True)
        log_P = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        cost = -(Y * log_P).sum() / m
        dZ2 = (np.exp(log_P) - Y) / m
        dW2 = A1.T @ dZ2
        db2 = dZ2.sum(axis=0, keepdims=True)
        dZ1 = (dZ2 @ W2.T) * (1 - A1 * A1)
        dW1 = X.T @ dZ1
        db1 = dZ1.sum(axis=0, keepdims=True)
        W1, b1 = W1 - rate * dW1, b1 - rate * db1
        W2, b2 = W2 - rate * dW2, b2 - rate * db2
    return {name: to_numpy(value) for name, value in
            (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
