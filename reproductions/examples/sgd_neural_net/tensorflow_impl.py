"""SGD-NEURAL-NET in TensorFlow: ``keras.layers.Dense`` layers (tanh hidden, linear
output), ``keras.losses.CategoricalCrossentropy(from_logits=True)`` (softmax and the
multiclass NLL in one), ``tf.GradientTape`` and ``keras.optimizers.SGD``, one stored
data point per step.

All gradients come from one tape at the step's start and the optimizer then updates
every layer: the reading of the pseudocode explained in example.toml. At step 0 the
other reading (layer 1's gradient with layer 2 already updated) is computed by a tape on
that partially updated network, for the record.

Layout: a Dense kernel is (in, out) = (m^l, n^l), the notes' W^l; its bias is (n^l,)
where the notes' W_0^l is (n^l, 1), and it takes points as rows where the notes' X and
Y hold them as columns. ``to_keras`` and ``to_notes`` are the only places that translate
parameters, and the transposes of X and Y the only place that translates data.
"""

import keras
import tensorflow as tf


def to_keras(dense, W, W0):
    dense.kernel.assign(W)
    dense.bias.assign(tf.reshape(W0, [-1]))


def to_notes(tensor, like):
    """A kernel is already W (m, n); a bias (n,) goes back to W_0 (n, 1)."""
    return tensor if like == "W" else tf.reshape(tensor, [-1, 1])


def reproduce(ctx):
    trace = ctx.trace
    points, targets = tf.transpose(ctx.data("X")), tf.transpose(ctx.data("Y"))
    order = ctx.example.data["order"]
    lr = ctx.hyper["learning_rate"]

    layers = {
        1: keras.layers.Dense(4, activation="tanh", dtype=ctx.dtype),
        2: keras.layers.Dense(3, dtype=ctx.dtype),
    }
    layers[1].build((None, 2))
    layers[2].build((None, 4))
    for l, dense in layers.items():
        to_keras(dense, ctx.tensor(ctx.init[f"W{l}"]), ctx.tensor(ctx.init[f"W0_{l}"]))
    nllm = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    variables = [layers[2].kernel, layers[2].bias, layers[1].kernel, layers[1].bias]

    for t in range(ctx.steps):
        trace.step(t)
        i = int(order[t])
        x, y = points[i:i + 1], targets[i:i + 1]
        with tf.GradientTape(persistent=(t == 0)) as tape:
            logits = layers[2](layers[1](x))
            cost = nllm(y, logits)
        grads = tape.gradient(cost, variables)
        trace.cost(cost)
        dW2, dW0_2, dW1, dW0_1 = grads
        trace.grad("W2", to_notes(dW2, "W"))
        trace.grad("W0_2", to_notes(dW0_2, "W0"))
        trace.grad("W1", to_notes(dW1, "W"))
        trace.grad("W0_1", to_notes(dW0_1, "W0"))
        if t == 0:
            dL_dZ2 = tape.gradient(cost, logits)
            del tape
            # Layer 2 updated, layer 1 not; back-propagate the step's output error dL/dZ^2.
            W2_updated = layers[2].kernel - lr * dW2
            with tf.GradientTape() as partial:
                logits_partial = tf.matmul(layers[1](x), W2_updated)
            dW1_literal = partial.gradient(logits_partial, layers[1].kernel,
                                           output_gradients=dL_dZ2)
            trace.value("dL_dW1_with_updated_W2", to_notes(dW1_literal, "W"))
        optimizer.apply_gradients(zip(grads, variables))
        trace.param("W2", to_notes(layers[2].kernel, "W"))
        trace.param("W0_2", to_notes(layers[2].bias, "W0"))
        trace.param("W1", to_notes(layers[1].kernel, "W"))
        trace.param("W0_1", to_notes(layers[1].bias, "W0"))
