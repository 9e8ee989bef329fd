"""Car prices with biases (chapters 4-7) in NumPy, in the chapters' own notation.

The bias trick: a column of ones is appended to X and to every hidden activation, and
each weight matrix carries its biases as its last row (W^1 4x3, W^2 4x2, W^3 3x1).
Row-major, one row per car, tanh everywhere. The cost is the plain sum
J = sum 1/2 (y - yhat)^2 over the cars, and the update divides by n:
W <- W - alpha (1/n) dJ/dW. The backward pass is the chapter's, written by hand:

    delta4 = (y - yhat) * -(1 - tanh(Z4)^2)                   (5x1)
    dJ/dW3 = [a3, 1]^T . delta4                                (3x1)
    delta3 = (delta4 . W3^T) * (1 - tanh([Z3, 1])^2)           (5x3: the bias column too)
    dJ/dW2 = [a2, 1]^T . delta3 without its bias column        (4x2)
    delta2 = (delta3[:, :2] . W2^T) * (1 - tanh([Z2, 1])^2)    (5x4)
    dJ/dW1 = X^T . delta2 without its bias column              (4x3)

Chapter 7 checks the gradients with centred differences, one weight at a time.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
NAMES = ("W1", "W2", "W3")


def illustrations(ctx):
    """Chapter 4's numbers outside the network."""
    trace = ctx.trace
    # Z^(2) with the bias row minus Z^(2) without it (chapter 3's weights are W^1's first rows)
    X, W1 = ctx.data("X"), ctx.tensor(ctx.init["W1"])
    trace.value("Z2_bias_shift", np.dot(X, W1) - np.dot(X[:, :-1], W1[:-1]))
    # 30k km -> 0.5 and 170k km -> 2.5 fix the mean and sigma of x' = (x - mean) / sigma
    km1, z1, km2, z2, km = (np.asarray(ctx.hyper[k], dtype=ctx.dtype) for k in
                            ("km_low", "normalised_low", "km_high", "normalised_high", "km_threshold"))
    sigma = (km2 - km1) / (z2 - z1)
    mean = km1 - z1 * sigma
    trace.value("normalised_50k", (km - mean) / sigma)


# %% forward
def add_ones(a):
    """The bias unit: a column of ones after the last neuron."""
    return np.concatenate((a, np.ones((a.shape[0], 1), dtype=a.dtype)), axis=1)


class NeuralNetwork:
    def __init__(self, X, y, W1, W2, W3):
        self.X, self.y = X, y
        self.W1, self.W2, self.W3 = W1, W2, W3

    def weights(self):
        return {"W1": self.W1, "W2": self.W2, "W3": self.W3}

    def forward(self, record=no_record):
        self.Z2 = record("Z2", np.dot(self.X, self.W1))
        self.a2 = record("a2", np.tanh(self.Z2))
        self.a2b = record("a2_bias", add_ones(self.a2))
        self.Z3 = record("Z3", np.dot(self.a2b, self.W2))
        self.a3 = record("a3", np.tanh(self.Z3))
        self.a3b = record("a3_bias", add_ones(self.a3))
        self.Z4 = record("Z4", np.dot(self.a3b, self.W3))
        self.a4 = record("a4", np.tanh(self.Z4))
        return self.a4

    def cost(self):
        return np.sum(0.5 * np.square(self.y - self.a4))

    def backward(self, record=no_record):
        dtanh4 = record("dtanh_Z4", tanh_prime(self.Z4))
        residual = record("residual", self.y - self.a4)
        self.delta4 = record("delta4", np.multiply(residual, -dtanh4))
        self.dJdW3 = np.dot(self.a3b.T, self.delta4)

        dtanh3 = record("dtanh_Z3_bias", tanh_prime(add_ones(self.Z3)))
        d4W3T = record("delta4_W3T", np.dot(self.delta4, self.W3.T))
        self.delta3 = record("delta3", np.multiply(d4W3T, dtanh3))
        self.dJdW2 = np.dot(self.a2b.T, self.delta3[:, :-1])  # the bias error is not backpropagated

        dtanh2 = record("dtanh_Z2_bias", tanh_prime(add_ones(self.Z2)))
        d3W2T = record("delta3_W2T", np.dot(self.delta3[:, :-1], self.W2.T))
        self.delta2 = record("delta2", np.multiply(d3W2T, dtanh2))
        self.dJdW1 = np.dot(self.X.T, self.delta2[:, :-1])
        return {"W1": self.dJdW1, "W2": self.dJdW2, "W3": self.dJdW3}

    # --- chapter 7: gradient checking -------------------------------------------------
    def unrolled(self):
        return np.concatenate([self.W1.ravel(), self.W2.ravel(), self.W3.ravel()])[:, None]

    def set_unrolled(self, w):
        self.W1 = w[0:12].reshape(4, 3)
        self.W2 = w[12:20].reshape(4, 2)
        self.W3 = w[20:23].reshape(3, 1)

    def cost_at(self, w):
        self.set_unrolled(w)
        self.forward()
        return self.cost()

    def check_gradients(self, trace, h):
        """V1 from the backward pass, V2 by centred differences, weight after weight."""
        self.forward()
        g = self.backward()
        J = self.cost()
        V1 = trace.value("V1", np.concatenate([g["W1"].ravel(), g["W2"].ravel(), g["W3"].ravel()])[:, None])
        trace.value("n_parameters", np.asarray(V1.size, dtype=V1.dtype))
        weights = self.unrolled()
        V2 = np.zeros(weights.shape, dtype=weights.dtype)
        perturbation = np.zeros(weights.shape, dtype=weights.dtype)
        for p in range(len(weights)):
            perturbation[p] = h
            loss2 = self.cost_at(weights + perturbation)
            if p == 0:  # the chapter prints the first weight's passes
                trace.value("a4_plus_h", self.a4)
                loss2 = trace.value("loss2", loss2)
            loss1 = self.cost_at(weights - perturbation)
            if p == 0:
                trace.value("a4_minus_h", self.a4)
                loss1 = trace.value("loss1", loss1)
            V2[p] = (loss2 - loss1) / (2 * h)
            perturbation[p] = 0
        self.set_unrolled(weights)
        # each V2 is a difference of two costs over 2h: its rounding is relative to J / 2h
        V2 = trace.value("numerical_grad", V2, scale=J / (2 * h))
        norm_of_sum = np.linalg.norm(V1 + V2)
        # and the relative difference inherits it, over |V1 + V2|
        trace.value("relative_difference", np.linalg.norm(V1 - V2) / norm_of_sum,
                    scale=J / (2 * h) / norm_of_sum)


# %% cost
def cost_at(example, step, params):
    """The cost the chapters minimise, J = sum 1/2 (y - yhat)^2, at any weights."""
    net = NeuralNetwork(example.array("X"), example.array("y"), params["W1"], params["W2"], params["W3"])
    net.forward()
    return net.cost()


# %% backward
def tanh_prime(z):
    return 1.0 - np.square(np.tanh(z))


# %% check
def check_at_current_weights(net, trace, h):
    """Chapter 7's check on a copy of the network, at the weights it has now."""
    checker = NeuralNetwork(net.X, net.y, net.W1.copy(), net.W2.copy(), net.W3.copy())
    checker.check_gradients(trace, h)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    net = NeuralNetwork(ctx.data("X"), ctx.data("y"), *(ctx.tensor(ctx.init[name]) for name in NAMES))
    alpha, n, h = ctx.hyper.learning_rate, net.y.shape[0], ctx.hyper.h

    trace.step(0)
    illustrations(ctx)  # chapter 4's numbers, before any training
    for step in range(ctx.steps):
        trace.step(step)
        net.forward(trace.value)
        trace.cost(net.cost())
        trace.value("cost_per_car", 0.5 * np.square(net.y - net.a4))
        grads = net.backward(trace.value)
        for name in NAMES:
            grads[name] = trace.grad(name, grads[name])
        if trace.printed:
            # at the weights the gradients above belong to: at step 0 the check the
            # chapter's numbers show, at step 1 the updated weights it displays
            check_at_current_weights(net, trace, h)
        net.W1 = trace.param("W1", net.W1 - alpha * (1 / n) * grads["W1"])
        net.W2 = trace.param("W2", net.W2 - alpha * (1 / n) * grads["W2"])
        net.W3 = trace.param("W3", net.W3 - alpha * (1 / n) * grads["W3"])
    trace.step(ctx.steps)  # after the update: the check at the weights the chapter displays
    if trace.printed:
        check_at_current_weights(net, trace, h)
