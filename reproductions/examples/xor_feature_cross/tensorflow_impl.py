"""XOR with the feature cross in TensorFlow: one ``keras.layers.Dense(1)`` with the
Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``, ``tf.GradientTape``
and ``keras.optimizers.SGD``.

Layout: Keras holds the examples as rows, the blog as columns; a Dense kernel is
(in, out), the transpose of the blog's W (out, in), and its bias is (out,) where the
blog's b is (out, 1). ``to_keras`` and ``to_blog`` translate the start values and the
printed intermediates; the harness translates the watched parameters and their
gradients back (``[layout]`` in example.toml).
"""

import keras
import tensorflow as tf


# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:to_keras
def to_keras(tensor, kind):
    """The blog's layout to Keras's: data and W are transposed, b (out, 1) -> (out,)."""
    return tf.reshape(tensor, [-1]) if kind == "bias" else tf.transpose(tensor)


# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:to_blog
def to_blog(tensor):
    """Keras's examples as rows back to the blog's columns: (examples, units) -> (units, examples)."""
    return tf.transpose(tensor)


class FeatureCrossNet:
    def __init__(self, ctx):
        self.dense = keras.layers.Dense(1, dtype=ctx.dtype)  # inputs x1, x2, x3 = x1 * x2
        self.dense.build((None, 3))
        self.dense.kernel.assign(to_keras(ctx.tensor(ctx.init["W"]), "kernel"))
        self.dense.bias.assign(to_keras(ctx.tensor(ctx.init["b"]), "bias"))
        self.variables = {"W": self.dense.kernel, "b": self.dense.bias}

    def forward(self, X):
        self.Z = self.dense(X)
        self.A = keras.activations.sigmoid(self.Z)
        return self.A


# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:make_cost
def make_cost(dtype):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    mean_squared_error = keras.losses.MeanSquaredError(dtype=dtype)

    def compute_cost(Y, Y_hat):
        return 0.5 * mean_squared_error(Y, Y_hat)

    return compute_cost


def first_iteration(trace, net, compute_cost, X, Y):
    """Fig 71-72: the forward pass, dCost/dA and dCost/dZ, by the tape."""
    with tf.GradientTape() as tape:
        cost = compute_cost(Y, net.forward(X))
    dA, dZ = tape.gradient(cost, [net.A, net.Z])
    trace.value("Z", to_blog(net.Z))
    trace.value("A", to_blog(net.A))
    trace.value("dA", to_blog(dA))
    trace.value("dZ", to_blog(dZ))


def reproduce(ctx):
    trace = ctx.trace
    X = to_keras(ctx.data("X_train"), "data")
    Y = to_keras(ctx.data("Y_train"), "data")
    net = FeatureCrossNet(ctx)
    compute_cost = make_cost(ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    variables = list(net.variables.values())
    trace.watch(**net.variables)  # see [layout]
    optimizer.build(variables)  # its variables exist before the step is traced

    @tf.function
    def training_step():
        """One epoch, compiled once: the cost, the gradients and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net.forward(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        updated = [tf.identity(v) for v in variables]  # read after the update
        return cost, grads, updated

    for epoch in range(ctx.steps):
        trace.step(epoch)
        if epoch == 0:
            first_iteration(trace, net, compute_cost, X, Y)
        cost, grads, updated = training_step()
        trace.gradients(cost, grads)
        trace.parameters(updated)

    if ctx.steps:  # the trained network: its cost and outputs
        trace.step(ctx.steps)
        cost = compute_cost(Y, net.forward(X))
        trace.value("A", to_blog(net.A))
        trace.cost(cost)
