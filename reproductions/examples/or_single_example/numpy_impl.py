"""The OR gate's first example, one sigmoid neuron, in NumPy in the blog's style.

The blog keeps one example per column: here the single column x = (0, 0), so
z = W @ x (+ b) is 1 x 1 and y_hat = sigmoid(z). Its building blocks are a
``LinearLayer`` and a ``SigmoidLayer`` with forward, backward and update methods and a
``compute_cost`` helper, (1/2m) sum (y - y_hat)^2, which for m = 1 is Fig 12's loss
L = 1/2 (y - y_hat)^2. They are written for this suite; the linear layer can leave out
its bias, as Figs 10-17 do.

Step 0 holds two passes from W = (0.1, 0.6): one without a bias (Figs 10-17, values
named nobias_*), then one with b = 0 (Figs 21-24), whose gradients give the update of
step size 1. Step 1 is the state after that update (Figs 25-26): its forward pass and
loss, nothing more.
"""

import numpy as np

from reproductions.trace import no_record


# %% data
def start_values(ctx):
    """The blog's start values: W, and b = 0 for the pass with a bias."""
    return ctx.tensor(ctx.init["W"]), ctx.tensor(ctx.init["b"])


# %% forward
class LinearLayer:
    """Weighted sum of the inputs, one column per example: Z = W @ A_in (+ b)."""

    def __init__(self, W, b=None):
        self.W = W.copy()
        self.b = None if b is None else b.copy()

    def forward(self, A_in):
        self.A_in = A_in  # the local gradient of each weight is the input it scales
        weighted = self.W @ A_in
        return weighted if self.b is None else weighted + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.A_in.T
        if self.b is not None:
            self.db = np.sum(dZ, axis=1, keepdims=True)  # dz/db = 1 for every example
        return self.W.T @ dZ

    def update(self, step_size):
        self.W = self.W - step_size * self.dW
        if self.b is not None:
            self.b = self.b - step_size * self.db


class SigmoidLayer:
    """Squashes z into (0, 1); its local gradient is y_hat (1 - y_hat) (Fig 18)."""

    def forward(self, Z, record=no_record):
        self.out = record("y_hat", 1.0 / (1.0 + np.exp(record("minus_z", -Z))))
        return self.out

    def backward(self, d_out, record=no_record):
        slope = record("dy_hat_dz", self.out * (1.0 - self.out))
        return record("dL_dz", d_out * slope)


def forward_pass(unit, squash, X, record):
    z = record("z", unit.forward(X))
    return squash.forward(z, record)


def predict(example, params, X):
    """The neuron's output for inputs X, one example per column, at params (the decision
    boundary of report.boundary_plot)."""
    return SigmoidLayer().forward(LinearLayer(params["W"], params["b"]).forward(X))


# %% cost
def compute_cost(Y, Y_hat, record=no_record):
    """Half the mean of the squared errors over the m columns, and its slope in Y_hat."""
    m = Y.shape[1]
    gap = record("residual", Y - Y_hat)
    cost = np.squeeze(np.sum(gap * gap) / (2 * m))
    return cost, -gap / m


def cost_at(example, step, params):
    """Fig 12's loss at any W, b, in float64 (for the numerical-gradient column)."""
    X, Y = example.array("X"), example.array("Y")
    y_hat = SigmoidLayer().forward(LinearLayer(params["W"], params["b"]).forward(X))
    return compute_cost(Y, y_hat)[0]


# %% backward
def backward_pass(unit, squash, d_y_hat, record):
    unit.backward(squash.backward(record("dL_dy_hat", d_y_hat), record))


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = ctx.data("X"), ctx.data("Y")
    W_start, b_start = start_values(ctx)

    # Figs 10-17, no bias: the weight gradients are zero because dz/dw = x = 0.
    trace.step(0)
    record = lambda name, value: trace.value("nobias_" + name, value)
    unit, squash = LinearLayer(W_start), SigmoidLayer()
    loss, d_y_hat = compute_cost(Y, forward_pass(unit, squash, X, record), record)
    record("loss", loss)
    backward_pass(unit, squash, d_y_hat, record)
    record("dW", unit.dW)

    # Figs 21-24: the same example with b = 0, then a step of size 1.
    unit, squash = LinearLayer(W_start, b_start), SigmoidLayer()
    for step in range(ctx.steps):
        trace.step(step)
        loss, d_y_hat = compute_cost(Y, forward_pass(unit, squash, X, trace.value), trace.value)
        trace.cost(loss)
        backward_pass(unit, squash, d_y_hat, trace.value)
        unit.dW = trace.grad("W", unit.dW)
        unit.db = trace.grad("b", unit.db)
        unit.update(ctx.hyper.learning_rate)
        unit.W = trace.param("W", unit.W)
        unit.b = trace.param("b", unit.b)

    # Figs 25-26: the forward pass and loss after the step.
    trace.step(ctx.steps)
    trace.cost(compute_cost(Y, forward_pass(unit, squash, X, trace.value), trace.value)[0])
