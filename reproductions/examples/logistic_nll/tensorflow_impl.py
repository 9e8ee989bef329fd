"""The logistic neuron in TensorFlow: ``keras.layers.Dense(1, activation="sigmoid")``,
``keras.losses.BinaryCrossentropy``, ``tf.GradientTape`` and ``keras.optimizers.SGD``,
one data point per step.

On a sigmoid Dense layer's output Keras 3 finds the cached logits (``_keras_logits``)
and computes the loss with ``tf.nn.sigmoid_cross_entropy_with_logits``, so its
probability clip at [1e-7, 1 - 1e-7] is not applied here; it would not change any value
of this run either (a stays in [0.00773, 0.97624], see the notes in example.toml).

The forward pass and the tape run eagerly; only the SGD update is a compiled
``tf.function``. Compiled, the gradient
changes in its last bit: grappler's arithmetic optimizer and common-subgraph elimination
sort the inputs of the ``AddN`` that sums the four terms of dL/dz by node name, where
eager TensorFlow adds them in the tape's order.

Layout: a Dense kernel is (in, out) = (d, 1), the notes' column w; its bias is (1,)
where the notes' w_0 is (1, 1), and it takes points as rows where the notes' X holds
them as columns. ``[layout]`` in example.toml declares the data: ``ctx.data`` gives the
points as rows, ``ctx.load`` sets the start values, and the harness gives the watched
parameters and their gradients the notes' shapes.
"""

import keras
import tensorflow as tf


def reproduce(ctx):
    trace = ctx.trace
    points = ctx.data("X")            # (n, d): one data point per row
    labels = ctx.data("y")            # (n, 1)
    order = ctx.example.data["order"]

    neuron = keras.layers.Dense(1, activation="sigmoid", dtype=ctx.dtype)
    neuron.build((None, points.shape[1]))
    ctx.load(w=neuron.kernel, w0=neuron.bias)
    nll = keras.losses.BinaryCrossentropy(dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    variables = [neuron.kernel, neuron.bias]
    trace.watch(w=neuron.kernel, w0=neuron.bias)  # see [layout]
    optimizer.build(variables)  # its variables exist before tracing

    @tf.function
    def update(gradients):
        """The SGD step, compiled once: the parameters, read after the update."""
        optimizer.apply_gradients(zip(gradients, variables))
        return [tf.identity(v) for v in variables]

    for step in range(ctx.steps):
        trace.step(step)
        i = int(order[step % len(order)])
        with tf.GradientTape() as tape:  # eager, not compiled (see the module docstring)
            cost = nll(labels[i:i + 1], neuron(points[i:i + 1]))
        gradients = tape.gradient(cost, variables)
        trace.gradients(cost, gradients)
        updated = update(gradients)
        trace.parameters(updated)
