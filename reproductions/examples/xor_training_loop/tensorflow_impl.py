"""The blog's XOR training loop (Fig 91-93) in TensorFlow: two ``keras.layers.Dense``
layers with the Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``,
``tf.GradientTape`` and ``keras.optimizers.SGD``.

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




class TwoLayerNet:
    def __init__(self, ctx):
        self.layer1 = keras.layers.Dense(3, activation="sigmoid", dtype=ctx.dtype)  # W1, b1
        self.layer2 = keras.layers.Dense(1, activation="sigmoid", dtype=ctx.dtype)  # W2, b2
        self.layer1.build((None, 2))
        self.layer2.build((None, 3))
        for layer, k in ((self.layer1, "1"), (self.layer2, "2")):
            layer.kernel.assign(to_keras(ctx.tensor(ctx.init[f"W{k}"]), "kernel"))
            layer.bias.assign(to_keras(ctx.tensor(ctx.init[f"b{k}"]), "bias"))
        # the blog's names, in the order the blog updates them (layer 2, then layer 1)
        self.variables = {"W2": self.layer2.kernel, "b2": self.layer2.bias,
                          "W1": self.layer1.kernel, "b1": self.layer1.bias}

    def __call__(self, X):
        return self.layer2(self.layer1(X))


# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:make_cost
def make_cost(dtype):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    mean_squared_error = keras.losses.MeanSquaredError(dtype=dtype)

    def compute_cost(Y, Y_hat):
        return 0.5 * mean_squared_error(Y, Y_hat)

    return compute_cost


def predict(net, X, Y, thresh=0.5):
    """Output above ``thresh`` -> 1, else 0 (this suite's reading), and the accuracy in %."""
    predictions = tf.cast(net(X) > thresh, X.dtype)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, Y), X.dtype)) * 100
    return predictions, accuracy


def reproduce(ctx):
    trace = ctx.trace
    X = to_keras(ctx.data("X_train"), "data")
    Y = to_keras(ctx.data("Y_train"), "data")
    net = TwoLayerNet(ctx)
    compute_cost = make_cost(ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    variables = list(net.variables.values())
    trace.watch(**net.variables)  # the blog's names and order; see [layout]
    optimizer.build(variables)  # its variables exist before the step is traced

    @tf.function
    def training_step():
        """One epoch, compiled once: the cost, the gradients and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        updated = [tf.identity(v) for v in variables]  # read after the update
        return cost, grads, updated

    costs = []  # the costs the loop prints and keeps, every 100 epochs
    for epoch in range(ctx.steps):
        trace.step(epoch)
        cost, grads, updated = training_step()
        trace.gradients(cost, grads)
        if epoch % 100 == 0:
            costs.append(cost)
        trace.parameters(updated)

    if ctx.steps:  # after the last update
        trace.step(ctx.steps)
        Y_hat = net(X)
        trace.value("A2", to_blog(Y_hat))
        trace.cost(compute_cost(Y, Y_hat))
        trace.value("costs", tf.stack(costs))
        predictions, accuracy = predict(net, X, Y)
        trace.value("predicted_outputs", to_blog(predictions))
        trace.value("accuracy", accuracy)
