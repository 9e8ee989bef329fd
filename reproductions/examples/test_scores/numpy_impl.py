"""Test scores in NumPy, in the style of "Neural Networks Demystified".

The series keeps examples as rows and has no biases: z2 = X W1, a2 = f(z2),
z3 = a2 W2, yHat = f(z3), with f the sigmoid, W1 of shape (2, 3) and W2 of
shape (3, 1). Part 4 (the seed) writes the backward pass by hand in
``costFunctionPrime``; the gradient check (``computeNumericalGradient``, the
parameter vector helpers and the relative-norm measure) is the series' next part,
written here in the same style.
"""

import numpy as np


# %% forward
class Neural_Network(object):
    def __init__(self, W1, W2):
        # Sizes of the three layers: hours of sleep and of study in, one score out.
        self.inputLayerSize = 2
        self.hiddenLayerSize = 3
        self.outputLayerSize = 1
        # The series fills these with an unseeded np.random.randn of the same shapes;
        # the suite draws them after np.random.seed(0) (see [init]) and hands them in.
        self.W1 = np.array(W1).reshape(self.inputLayerSize, self.hiddenLayerSize)
        self.W2 = np.array(W2).reshape(self.hiddenLayerSize, self.outputLayerSize)

    def forward(self, X):
        self.z2 = np.dot(X, self.W1)
        self.a2 = self.sigmoid(self.z2)
        self.z3 = np.dot(self.a2, self.W2)
        yHat = self.sigmoid(self.z3)
        return yHat

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def sigmoidPrime(self, z):
        # d/dz of 1 / (1 + e^-z), by the quotient rule
        return np.exp(-z) / ((1 + np.exp(-z)) ** 2)

    def costFunction(self, X, y):
        # J = 1/2 sum over the examples of (y - yHat)^2
        self.yHat = self.forward(X)
        return 0.5 * np.sum((y - self.yHat) ** 2)

    def costFunctionPrime(self, X, y):
        self.yHat = self.forward(X)
        # backpropagating error of layer 3: -(y - yHat) times f'(z3), element by element (3x1)
        self.delta3 = np.multiply(-(y - self.yHat), self.sigmoidPrime(self.z3))
        # a2 transposed times delta3 adds up every example's contribution
        dJdW2 = np.dot(self.a2.T, self.delta3)
        # across the synapses (W2 transposed), then through the layer-2 sigmoids
        self.delta2 = np.dot(self.delta3, self.W2.T) * self.sigmoidPrime(self.z2)
        dJdW1 = np.dot(X.T, self.delta2)
        return dJdW1, dJdW2

    # --- the parameter vector, for the gradient check -------------------------------
    def getParams(self):
        # W1 unrolled row by row, then W2
        return np.concatenate((self.W1.ravel(), self.W2.ravel()))

    def setParams(self, params):
        n1 = self.inputLayerSize * self.hiddenLayerSize
        self.W1 = np.reshape(params[:n1], (self.inputLayerSize, self.hiddenLayerSize))
        self.W2 = np.reshape(params[n1:], (self.hiddenLayerSize, self.outputLayerSize))

    def computeGradients(self, X, y):
        dJdW1, dJdW2 = self.costFunctionPrime(X, y)
        return np.concatenate((dJdW1.ravel(), dJdW2.ravel()))


# %% data
def scale_data(X, y):
    """Part 1 of the series: each input column over its maximum, scores over 100."""
    return X / np.amax(X, axis=0), y / 100


def new_network(ctx):
    return Neural_Network(ctx.tensor(ctx.init["W1"]), ctx.tensor(ctx.init["W2"]))


# %% cost
def cost_at(example, step, params):
    """The cost the series minimises (the same at every step), at the given weights."""
    X, y = scale_data(example.array("X"), example.array("y"))
    return Neural_Network(params["W1"], params["W2"]).costFunction(X, y)


# %% check
def computeNumericalGradient(N, X, y, e):
    """Central differences of the cost, one weight at a time.

    Also returns the largest cost it took a difference of: every slope is such a
    difference over 2e, so that cost over 2e is the size of what cancelled."""
    startParams = N.getParams()
    numgrad = np.zeros(startParams.shape, dtype=startParams.dtype)
    nudge = np.zeros(startParams.shape, dtype=startParams.dtype)
    largestCost = 0.0
    for p in range(len(startParams)):
        nudge[p] = e
        N.setParams(startParams + nudge)
        costUp = N.costFunction(X, y)
        N.setParams(startParams - nudge)
        costDown = N.costFunction(X, y)
        numgrad[p] = (costUp - costDown) / (2 * e)
        largestCost = max(largestCost, abs(costUp), abs(costDown))
        nudge[p] = 0
    N.setParams(startParams)
    return numgrad, largestCost


# %% backward
def step_zero(ctx, X, y):
    """What part 4 says about the start values, and the check of its next part."""
    trace, e = ctx.trace, ctx.hyper.eps
    NN = new_network(ctx)

    yHat = trace.value("yHat", NN.forward(X))
    J = NN.costFunction(X, y)
    residual = trace.value("y_minus_yHat", y - yHat)
    trace.value("shape.y_minus_yHat", np.array(residual.shape, dtype=X.dtype))

    dJdW1, dJdW2 = NN.costFunctionPrime(X, y)
    delta3 = trace.value("delta3", NN.delta3)
    trace.value("shape.delta3", np.array(delta3.shape, dtype=X.dtype))
    trace.value("delta2", NN.delta2)
    # 'our 9-dimensional optimization space': one gradient value per weight
    trace.value("n_weights", np.array(len(NN.computeGradients(X, y)), dtype=X.dtype))

    # 'Our derivative should be largest ... at the value z=0': sigmoidPrime on a grid
    # of step 0.01 from -5 to 5 (0 is on it exactly).
    z = np.arange(-500, 501).astype(X.dtype) / 100
    slopes = NN.sigmoidPrime(z)
    steepest = np.argmax(slopes)
    trace.value("sigmoidPrime_argmax", z[steepest])
    trace.value("sigmoidPrime_max", slopes[steepest])

    # Numerical gradient check (the series' next part).
    grad = NN.computeGradients(X, y)
    numgrad, largestCost = computeNumericalGradient(NN, X, y, e)
    # the scales of both values are worked out in reproductions/parity.py ("Choosing a scale")
    numgrad = trace.value("numgrad", numgrad, scale=largestCost / (2 * e))
    norm_of_sum = np.linalg.norm(grad + numgrad)
    check = np.linalg.norm(grad - numgrad) / norm_of_sum
    trace.value("gradient_check", check, scale=largestCost / (2 * e) / norm_of_sum)

    # 'adding a scalar times our derivative ... our cost will increase'; subtracting lowers it.
    scalar = ctx.hyper.probe_step
    uphill = Neural_Network(NN.W1 + scalar * dJdW1, NN.W2 + scalar * dJdW2)
    trace.value("cost_plus_gradient", uphill.costFunction(X, y))
    downhill = Neural_Network(NN.W1 - scalar * dJdW1, NN.W2 - scalar * dJdW2)
    trace.value("cost_minus_gradient", downhill.costFunction(X, y))


# %% record
def reproduce(ctx):
    trace, learning_rate = ctx.trace, ctx.hyper.learning_rate

    trace.step(0)
    X, y = scale_data(ctx.data("X"), ctx.data("y"))
    X = trace.value("X_scaled", X)
    y = trace.value("y_scaled", y)
    step_zero(ctx, X, y)

    # Batch gradient descent: every example's vote added up, then a step downhill.
    NN = new_network(ctx)
    for step in range(ctx.steps):
        trace.step(step)
        trace.cost(NN.costFunction(X, y))
        dJdW1, dJdW2 = NN.costFunctionPrime(X, y)
        dJdW1 = trace.grad("W1", dJdW1)
        dJdW2 = trace.grad("W2", dJdW2)
        NN.W1 = trace.param("W1", NN.W1 - learning_rate * dJdW1)
        NN.W2 = trace.param("W2", NN.W2 - learning_rate * dJdW2)
