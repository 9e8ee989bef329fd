"""XOR with the feature cross in TensorFlow: one ``keras.layers.Dense(1)`` with the
Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``, ``tf.GradientTape``
and ``keras.optimizers.SGD``.

Layout: Keras holds the examples as rows, the blog as columns, so the data and the
printed intermediates are transposed, and so is a Dense kernel (in, out) against the
blog's W (out, in) (``[layout]`` in example.toml: the harness translates them both
ways). A Dense bias is (out,) where the blog's b is (out, 1).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class FeatureCrossNet:
    def __init__(self, ctx):
        self.dense = keras.layers.Dense(1, dtype=ctx.dtype)  # inputs x1, x2, x3 = x1 * x2
        self.dense.build((None, 3))
        ctx.load(W=self.dense.kernel, b=self.dense.bias)

    def __call__(self, X):
        self.Z = self.dense(X)
        self.A = keras.activations.sigmoid(self.Z)
        return self.A


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * keras.losses.MeanSquaredError()(Y, Y_hat)


# %% autodiff
def first_iteration(trace, net, X, Y):
    """Fig 71-72: the forward pass, dCost/dA and dCost/dZ, by the tape."""
    with tf.GradientTape() as tape:
        cost = compute_cost(Y, net(X))
    dA, dZ = tape.gradient(cost, [net.A, net.Z])
    trace.values(Z=net.Z, A=net.A, dA=dA, dZ=dZ)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = FeatureCrossNet(ctx)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    trace.watch(W=net.dense.kernel, b=net.dense.bias)  # see [layout]
    variables = [net.dense.kernel, net.dense.bias]
    optimizer.build(variables)  # its variables exist before the step is compiled

    @tf.function  # TensorFlow's idiom: the step compiled once, returning what it computed
    def training_step():
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # the epochs between printed ones inside one graph
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        if trace.printed:  # a pass of its own for the intermediates the text prints
            first_iteration(trace, net, X, Y)
        costs, grads, updated = training(count)  # each epoch's values, stacked
        trace.training(costs, grads, updated)

    trace.step(ctx.steps)  # the trained network: its cost and outputs
    cost = compute_cost(Y, net(X))
    trace.value("A", net.A)
    trace.cost(cost)
