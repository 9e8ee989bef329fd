"""Car prices with L2 regularisation (chapter 8) in NumPy, in the chapters' notation.

The network, data, start weights and update are those of chapters 4-6 (bias trick,
tanh everywhere, W <- W - alpha (1/n) dJ/dW). Chapter 8 adds a penalty on the squares
of all the weights, the bias rows included:

    as it should be:  J = sum 1/2 (y - yhat)^2 + 1/2 lambda sum_l sum W_l^2
                      dJ/dW_l = a^(l)T . delta^(l+1) + lambda W_l
    as printed:       J = sum 1/2 (y - yhat)^2 - 1/2 lambda sum_l sum W_l^2     (L1030)
                      dJ/dW_l = a^(l)T . delta^(l+1) - lambda W_l               (L1056)

The reference trains with the first and, from the same start, with the second; the
printed version is recorded as values (*_as_printed) for the reader to compare.
"""

import numpy as np


# %% data
NAMES = ("W1", "W2", "W3")


# %% forward
# Copied from reproductions/examples/car_price/numpy_impl.py:tanh_prime
def tanh_prime(z):
    return 1.0 - np.square(np.tanh(z))


# Copied from reproductions/examples/car_price/numpy_impl.py:add_ones
def add_ones(a):
    """The bias unit: a column of ones after the last neuron."""
    return np.concatenate((a, np.ones((a.shape[0], 1), dtype=a.dtype)), axis=1)


class NeuralNetwork:
    def __init__(self, X, y, W, Lambda, sign=+1):
        self.X, self.y = X, y
        self.W1, self.W2, self.W3 = W["W1"], W["W2"], W["W3"]
        self.Lambda, self.sign = Lambda, sign  # sign -1: the chapter's printed formulas

    def forward(self):
        self.Z2 = np.dot(self.X, self.W1)
        self.a2 = add_ones(np.tanh(self.Z2))
        self.Z3 = np.dot(self.a2, self.W2)
        self.a3 = add_ones(np.tanh(self.Z3))
        self.Z4 = np.dot(self.a3, self.W3)
        self.a4 = np.tanh(self.Z4)

    def sum_of_squares(self):
        """sum_1^3 W_(n)^2: every weight, the bias rows included."""
        return np.sum(np.square(self.W1)) + np.sum(np.square(self.W2)) + np.sum(np.square(self.W3))

    def data_cost(self):
        return np.sum(0.5 * np.square(self.y - self.a4))

    def cost(self):
        return self.data_cost() + self.sign * 0.5 * self.Lambda * self.sum_of_squares()

    def backward(self):
        """The chapter-6 backward pass, then + lambda W (or - lambda W as printed)."""
        delta4 = np.multiply(self.y - self.a4, -tanh_prime(self.Z4))
        dJdW3 = np.dot(self.a3.T, delta4)
        delta3 = np.multiply(np.dot(delta4, self.W3.T), tanh_prime(add_ones(self.Z3)))
        dJdW2 = np.dot(self.a2.T, delta3[:, :-1])
        delta2 = np.multiply(np.dot(delta3[:, :-1], self.W2.T), tanh_prime(add_ones(self.Z2)))
        dJdW1 = np.dot(self.X.T, delta2[:, :-1])
        return {"W1": dJdW1 + self.sign * self.Lambda * self.W1,
                "W2": dJdW2 + self.sign * self.Lambda * self.W2,
                "W3": dJdW3 + self.sign * self.Lambda * self.W3}


# %% cost
def cost_at(example, step, params):
    """The regularised cost as it should be, at any weights."""
    net = NeuralNetwork(example.array("X"), example.array("y"), params, example.hyper["Lambda"])
    net.forward()
    return net.cost()


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, y = ctx.data("X"), ctx.data("y")
    alpha, n, Lambda = ctx.hyper.learning_rate, y.shape[0], ctx.hyper.Lambda
    net = NeuralNetwork(X, y, {k: ctx.tensor(ctx.init[k]) for k in NAMES}, Lambda)
    printed = NeuralNetwork(X, y, {k: ctx.tensor(ctx.init[k]) for k in NAMES}, Lambda, sign=-1)

    trace.step(0)  # L1026: 'Our network has 23 parameters so we need at least 230 cars'
    n_parameters = trace.value("n_parameters", np.asarray(net.W1.size + net.W2.size + net.W3.size,
                                                          dtype=ctx.dtype))
    trace.value("cars_needed", 10 * n_parameters)
    for step in range(ctx.steps):
        trace.step(step)
        net.forward()
        trace.value("data_cost", net.data_cost())
        trace.value("sum_of_squares", net.sum_of_squares())
        trace.cost(net.cost())
        grads = net.backward()
        for name in NAMES:
            grads[name] = trace.grad(name, grads[name])
        net.W1 = trace.param("W1", net.W1 - alpha * (1 / n) * grads["W1"])
        net.W2 = trace.param("W2", net.W2 - alpha * (1 / n) * grads["W2"])
        net.W3 = trace.param("W3", net.W3 - alpha * (1 / n) * grads["W3"])

        printed.forward()
        trace.value("sum_of_squares_as_printed", printed.sum_of_squares())
        trace.value("cost_as_printed", printed.cost())
        grads = printed.backward()
        printed.W1 = trace.value("W1_as_printed", printed.W1 - alpha * (1 / n) * grads["W1"])
        printed.W2 = trace.value("W2_as_printed", printed.W2 - alpha * (1 / n) * grads["W2"])
        printed.W3 = trace.value("W3_as_printed", printed.W3 - alpha * (1 / n) * grads["W3"])
