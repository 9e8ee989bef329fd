"""Bare training loops in TensorFlow: each mirror's loop without the trace.

The mirrors' Keras layers, losses and ``keras.optimizers.SGD``, with the training
step one ``tf.function`` (forward, cost, ``tf.GradientTape``, ``apply_gradients``)
run every step inside one graph, as the mirrors run it (``in_graph``). The start values are assigned to the layers once before the
loop and the final parameters read once after it.
"""

import sys

if "tensorflow" not in sys.modules:  # the adapter's setup must import it (oneDNN off, ...)
    raise ImportError("set TensorFlow up before importing its bare loops: "
                      "reproductions.bench.context(example, 'tensorflow', dtype) does")

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import to_numpy


def in_graph(step, steps: int) -> None:
    """``step()`` run ``steps`` times inside one graph, as the mirrors' ``graph_loop`` runs
    it, keeping nothing of what it computes."""
    @tf.function
    def loop(count):
        for _ in tf.range(count):
            step()

    loop(tf.constant(steps))


def dense(ctx, n_in, n_out, kernel, bias=None):
    """A built keras Dense holding a start kernel (in, out) and a bias (out,)."""
    layer = keras.layers.Dense(n_out, use_bias=bias is not None, dtype=ctx.dtype)
    layer.build((None, n_in))
    layer.kernel.assign(kernel)
    if bias is not None:
        layer.bias.assign(bias)
    return layer


def hours_studied(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    layer = dense(ctx, 1, 1, init["weights"], tf.reshape(init["biases"], [-1]))
    mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)
    variables = [layer.kernel, layer.bias]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)

    @tf.function
    def training_step():
        with tf.GradientTape() as tape:
            cost = mse(y, layer(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))

    in_graph(training_step, ctx.steps)
    return {"weights": to_numpy(layer.kernel), "biases": to_numpy(tf.reshape(layer.bias, [1, -1]))}


def xor_hidden_layer(ctx):
    X, Y = tf.transpose(ctx.data("X_train")), tf.transpose(ctx.data("Y_train"))  # examples as rows
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    layer1 = dense(ctx, 2, 3, tf.transpose(init["W1"]), tf.reshape(init["b1"], [-1]))
    layer2 = dense(ctx, 3, 1, tf.transpose(init["W2"]), tf.reshape(init["b2"], [-1]))
    mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)
    sigmoid = keras.activations.sigmoid
    # in the mirror's order: the output layer's variables, then the hidden layer's
    variables = [layer2.kernel, layer2.bias, layer1.kernel, layer1.bias]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)

    @tf.function
    def training_step():
        with tf.GradientTape() as tape:
            cost = 0.5 * mse(Y, sigmoid(layer2(sigmoid(layer1(X)))))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))

    in_graph(training_step, ctx.steps)
    return {"W1": to_numpy(tf.transpose(layer1.kernel)), "b1": to_numpy(tf.reshape(layer1.bias, [-1, 1])),
            "W2": to_numpy(tf.transpose(layer2.kernel)), "b2": to_numpy(tf.reshape(layer2.bias, [-1, 1]))}


def test_scores(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    X, y = X / tf.reduce_max(X, axis=0), y / 100  # columns over their maxima, scores over 100
    hidden = dense(ctx, 2, 3, ctx.tensor(ctx.init["W1"]))
    output = dense(ctx, 3, 1, ctx.tensor(ctx.init["W2"]))
    sse = keras.losses.MeanSquaredError(reduction="sum", dtype=ctx.dtype)
    sigmoid = keras.activations.sigmoid
    variables = [hidden.kernel, output.kernel]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)

    @tf.function
    def training_step():
        with tf.GradientTape() as tape:
            cost = 0.5 * sse(y, sigmoid(output(sigmoid(hidden(X)))))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))

    in_graph(training_step, ctx.steps)
    return {"W1": to_numpy(hidden.kernel), "W2": to_numpy(output.kernel)}


def scale_mlp(ctx):
    X, Y = ctx.data("X"), ctx.data("Y")
    init = {name: ctx.tensor(value) for name, value in ctx.init.items()}
    n_in, width = init["W1"].shape
    hidden = dense(ctx, n_in, width, init["W1"], tf.reshape(init["b1"], [-1]))
    output = dense(ctx, width, init["W2"].shape[1], init["W2"], tf.reshape(init["b2"], [-1]))
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=ctx.dtype)
    variables = [hidden.kernel, hidden.bias, output.kernel, output.bias]
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)

    @tf.function
    def training_step():
        with tf.GradientTape() as tape:
            cost = cross_entropy(Y, output(keras.activations.tanh(hidden(X))))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))

    in_graph(training_step, ctx.steps)
    return {"W1": to_numpy(hidden.kernel), "b1": to_numpy(tf.reshape(hidden.bias, [1, -1])),
            "W2": to_numpy(output.kernel), "b2": to_numpy(tf.reshape(output.bias, [1, -1]))}
