"""The scale case in TensorFlow: two ``keras.layers.Dense`` layers with the Keras
tanh, ``keras.losses.CategoricalCrossentropy(from_logits=True)``,
``tf.GradientTape`` and ``keras.optimizers.SGD``, the training step one
``tf.function``.

Layout: a Dense kernel is (in, out), as the example's W is; its bias is (out,)
where the example's b is (1, out). ``to_keras`` sets the start values; the harness
translates the watched parameters and their gradients back (``[layout]``).
"""

import keras
import tensorflow as tf

NAMES = ("W1", "b1", "W2", "b2")


def to_keras(tensor, name):
    return tensor if name.startswith("W") else tf.reshape(tensor, [-1])


class MLP:
    def __init__(self, ctx):
        n_in, width = ctx.init["W1"].shape
        n_out = ctx.init["W2"].shape[1]
        self.hidden = keras.layers.Dense(width, dtype=ctx.dtype)  # W1, b1
        self.output = keras.layers.Dense(n_out, dtype=ctx.dtype)  # W2, b2
        self.hidden.build((None, n_in))
        self.output.build((None, width))
        self.variables = [self.hidden.kernel, self.hidden.bias,
                          self.output.kernel, self.output.bias]  # in the order of NAMES
        for name, variable in zip(NAMES, self.variables):
            variable.assign(to_keras(ctx.tensor(ctx.init[name]), name))

    def __call__(self, X):
        return self.output(keras.activations.tanh(self.hidden(X)))


def reproduce(ctx):
    trace = ctx.trace
    X, Y = ctx.data("X"), ctx.data("Y")
    net = MLP(ctx)
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    trace.watch(**dict(zip(NAMES, net.variables)))  # see [layout]
    optimizer.build(net.variables)  # its variables exist before the step is traced

    @tf.function
    def training_step():
        """One step, compiled once: the cost, the gradients and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = cross_entropy(Y, net(X))  # mean over the batch
        grads = tape.gradient(cost, net.variables)
        optimizer.apply_gradients(zip(grads, net.variables))
        return cost, grads, [tf.identity(v) for v in net.variables]  # read after the update

    for step in range(ctx.steps):
        trace.step(step)
        cost, grads, updated = training_step()
        trace.gradients(cost, grads)
        trace.parameters(updated)
