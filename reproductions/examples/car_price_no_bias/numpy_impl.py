"""Car prices without biases (chapter 3) in NumPy, in the chapter's own notation.

Row-major, one row per car: Z^(2) = X . W^1, a^(2) = tanh(Z^(2)), Z^(3) = a^(2) . W^2,
a^(3) = tanh(Z^(3)), Z^(4) = a^(3) . W^3, a^(4) = tanh(Z^(4)). Weights are
(inputs, neurons), as the chapter writes W^1 (3x3), W^2 (3x2) and W^3 (2x1).
The chapter first works one car (the first row) through layer 2, then all five.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
def new_layer(ctx, name):
    """The layer's weights W^l at their start values, (in, out)."""
    return ctx.tensor(ctx.init[name])


# %% forward
class NeuralNetwork:
    def __init__(self, W1, W2, W3):
        self.W1, self.W2, self.W3 = W1, W2, W3

    def forward(self, X, record=no_record):
        """a^(l) = tanh(a^(l-1) . W^(l-1)), recording each printed matrix."""
        self.Z2 = record("Z2", np.dot(X, self.W1))
        self.a2 = record("a2", np.tanh(self.Z2))
        self.Z3 = record("Z3", np.dot(self.a2, self.W2))
        self.a3 = record("a3", np.tanh(self.Z3))
        self.Z4 = record("Z4", np.dot(self.a3, self.W3))
        self.a4 = record("a4", np.tanh(self.Z4))
        return self.a4


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X = ctx.data("X")
    net = NeuralNetwork(*(new_layer(ctx, name) for name in ("W1", "W2", "W3")))

    trace.step(0)
    # One car, X = [1.4 -1 0.4]: the first hidden layer only.
    Z2_car1 = trace.value("Z2_car1", np.dot(X[:1], net.W1))
    trace.value("a2_car1", np.tanh(Z2_car1))
    # All five cars through the whole network.
    net.forward(X, trace.value)
