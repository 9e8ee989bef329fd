"""Gradient descent with a learning rate too high, in TensorFlow: hours_studied's
neuron (``keras.layers.Dense``, the Keras MSE, ``keras.optimizers.SGD``) with alpha =
50, the step compiled once as a ``tf.function``; see numpy_impl.py.

Layout: a Dense kernel is (in, out), as the chapter's weights are; its bias is (out,)
where the chapter's biases are (1, out).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
# Copied from reproductions/examples/hours_studied/tensorflow_impl.py:new_model
def new_model(ctx):
    dense = keras.layers.Dense(1, dtype=ctx.dtype)
    dense.build((None, 1))
    ctx.load(weights=dense.kernel, biases=dense.bias)
    return dense


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace
    dense = new_model(ctx)
    variables = [dense.kernel, dense.bias]
    trace.watch(weights=dense.kernel, biases=dense.bias)  # [layout] says how they map
    mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    optimizer.build(variables)  # its variables exist before tracing

    @tf.function  # TensorFlow's idiom: the step compiled once, returning what it computed
    def training_step():
        with tf.GradientTape() as tape:
            cost = mse(y, dense(X))
        slopes = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(slopes, variables))
        return cost, slopes, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # every step inside one graph
    costs, slopes, updated = training(ctx.steps)  # each step's values, stacked
    trace.training(costs, slopes, updated)
