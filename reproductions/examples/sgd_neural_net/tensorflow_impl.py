"""SGD-NEURAL-NET in TensorFlow: ``keras.layers.Dense`` layers (tanh hidden, linear
output), ``keras.losses.CategoricalCrossentropy(from_logits=True)`` (softmax and the
multiclass NLL in one), ``tf.GradientTape`` and ``keras.optimizers.SGD``, one stored
data point per step.

All gradients come from one tape at the step's start and the optimizer then updates
every layer: the reading of the pseudocode explained in example.toml. That step is one
compiled ``tf.function``. Where the step's values are printed (step 0), the other
reading (layer 1's gradient with layer 2 already updated) is computed eagerly, before
the step, by a tape on that partially updated network, for the record.

Layout: a Dense kernel is (in, out) = (m^l, n^l), the notes' W^l; its bias is (n^l,)
where the notes' W_0^l is (n^l, 1), and it takes points as rows where the notes' X and
Y hold them as columns. ``[layout]`` in example.toml declares the data: ``ctx.data``
gives the points as rows, ``ctx.load`` sets the start values, and the harness gives
what is recorded the notes' shapes.
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% forward
def network_layers(dtype):
    """Layer 1 (2 inputs, 4 tanh units) and layer 2 (4 inputs, the 3 logits), by the
    notes' numbering, built."""
    layers = {
        1: keras.layers.Dense(4, activation="tanh", dtype=dtype),
        2: keras.layers.Dense(3, dtype=dtype),
    }
    layers[1].build((None, 2))
    layers[2].build((None, 4))
    return layers


# %% autodiff
def reading_with_updated_W2(layers, nllm, x, y, lr):
    """Layer 2 updated, layer 1 not: layer 1's gradient, back-propagating the step's
    output error dL/dZ^2 through the updated W^2 (the other reading, for the record)."""
    with tf.GradientTape() as tape:
        logits = layers[2](layers[1](x))
        cost = nllm(y, logits)
    dW2, dL_dZ2 = tape.gradient(cost, [layers[2].kernel, logits])
    W2_updated = layers[2].kernel - lr * dW2
    with tf.GradientTape() as partial:
        logits_partial = tf.matmul(layers[1](x), W2_updated)
    return partial.gradient(logits_partial, layers[1].kernel, output_gradients=dL_dZ2)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points, targets = ctx.data("X"), ctx.data("Y")   # one point per row
    order = ctx.example.data["order"]
    lr = ctx.hyper.learning_rate

    layers = network_layers(ctx.dtype)
    nllm = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=ctx.dtype)
    params = {"W2": layers[2].kernel, "W0_2": layers[2].bias,  # the notes' names
              "W1": layers[1].kernel, "W0_1": layers[1].bias}
    ctx.load(**params)
    trace.watch(**params)  # see [layout]
    variables = list(params.values())
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    optimizer.build(variables)  # its variables exist before the step is traced

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])  # traced once, for any i
    def training_step(i):
        """One step on stored point i, compiled once: the cost, the gradients and the
        updated parameters."""
        x, y = points[i:i + 1], targets[i:i + 1]
        with tf.GradientTape() as tape:
            cost = nllm(y, layers[2](layers[1](x)))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(variable) for variable in variables]  # updated

    training = graph_loop(training_step)  # the steps between printed ones inside one graph
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        readings = {}
        if trace.printed:  # before the update: the other reading of the pseudocode
            i = int(order[first])
            x, y = points[i:i + 1], targets[i:i + 1]
            readings["dL_dW1_with_updated_W2"] = reading_with_updated_W2(layers, nllm, x, y, lr)[None]
        points_of_steps = tf.constant([int(i) for i in order[first:first + count]])
        costs, grads, updated = training(count, points_of_steps)  # stacked
        trace.training(costs, grads, updated, values=readings)
