"""The logistic neuron in TensorFlow: ``keras.layers.Dense(1, activation="sigmoid")``,
``keras.losses.BinaryCrossentropy``, ``tf.GradientTape`` and ``keras.optimizers.SGD``,
one data point per step.

On a sigmoid Dense layer's output Keras 3 finds the cached logits (``_keras_logits``)
and computes the loss with ``tf.nn.sigmoid_cross_entropy_with_logits``, so its
probability clip at [1e-7, 1 - 1e-7] is not applied here; it would not change any value
of this run either (a stays in [0.00773, 0.97624], see the notes in example.toml).

The steps run inside one graph (``graph_loop``). Grappler's arithmetic optimizer
would sort the inputs of the ``AddN`` that sums the four terms of dL/dz by node name,
where eager TensorFlow adds them in the tape's order, and change the gradient's last
bit; the adapter turns it off, so the graph adds them as eager TensorFlow does.

Layout: a Dense kernel is (in, out) = (d, 1), the notes' column w; its bias is (1,)
where the notes' w_0 is (1, 1), and it takes points as rows where the notes' X holds
them as columns. ``[layout]`` in example.toml declares the data: ``ctx.data`` gives the
points as rows, ``ctx.load`` sets the start values, and the harness gives the watched
parameters and their gradients the notes' shapes.
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% forward
def logistic_neuron(n_inputs, dtype):
    """z = x w + w_0, then a = sigma(z), in one sigmoid Dense layer, built for points of
    n_inputs features."""
    neuron = keras.layers.Dense(1, activation="sigmoid", dtype=dtype)
    neuron.build((None, n_inputs))
    return neuron


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points = ctx.data("X")            # (n, d): one data point per row
    labels = ctx.data("y")            # (n, 1)
    order = ctx.example.data["order"]

    neuron = logistic_neuron(points.shape[1], ctx.dtype)
    ctx.load(w=neuron.kernel, w0=neuron.bias)
    nll = keras.losses.BinaryCrossentropy(dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    variables = [neuron.kernel, neuron.bias]
    trace.watch(w=neuron.kernel, w0=neuron.bias)  # see [layout]
    optimizer.build(variables)  # its variables exist before tracing

    def training_step(i):
        """One step on point i: the cost, the gradients and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = nll(labels[i:i + 1], neuron(points[i:i + 1]))
        gradients = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return cost, gradients, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # every step inside one graph
    points_of_steps = tf.constant([int(order[step % len(order)]) for step in range(ctx.steps)])
    costs, gradients, updated = training(ctx.steps, points_of_steps)  # stacked
    trace.training(costs, gradients, updated)
