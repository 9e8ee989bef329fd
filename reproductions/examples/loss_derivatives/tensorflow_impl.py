"""Loss derivatives in TensorFlow: Keras losses (``dtype=ctx.dtype``, ``reduction=None``),
differentiated by ``tf.GradientTape``.

Keras losses average over the last axis, so each grid is passed as a column of
one-element rows (``as_rows``); the per-row loss is then the loss of one pair. The tape's
gradient of the vector of losses is the gradient of their sum, that is, each pair's
derivative.

Keras crossentropy on probabilities is not the notes' formula everywhere:
- ``BinaryCrossentropy`` clips a to [1e-7, 1 - 1e-7] (``keras.backend.epsilon()``). On the
  grid this changes nothing; at a = 1e-9 it changes the loss and zeroes the gradient
  (findings ``loss_nll_edge``, ``d_nll_edge``).
- ``CategoricalCrossentropy`` on probabilities first divides a by its sum. The loss is unchanged on
  the simplex, but the gradient with respect to a gains 1/sum(a) in every component
  (finding ``d_nllm_da_library``). So the compared d/da is explicit TensorFlow code.

Multiclass: Keras wants one case per row; the notes write one case per column.
``to_rows`` and ``to_notes`` are the only places that translate.
"""

import keras
import tensorflow as tf


def to_rows(M):
    return tf.transpose(M)


def to_notes(M):
    return tf.transpose(M)


def as_rows(v):
    return tf.reshape(v, [-1, 1])


def loss_and_derivative(loss, a, y):
    a, y = as_rows(a), as_rows(y)
    with tf.GradientTape() as tape:
        tape.watch(a)
        values = loss(y, a)
    return values, tf.reshape(tape.gradient(values, a), [-1])


def gradient(f, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = f(x)
    return value, tape.gradient(value, x)


def reproduce(ctx):
    trace, dtype = ctx.trace, ctx.dtype
    h = tf.constant(ctx.hyper.h, dtype)
    mse = keras.losses.MeanSquaredError(reduction=None, dtype=dtype)
    mae = keras.losses.MeanAbsoluteError(reduction=None, dtype=dtype)
    bce = keras.losses.BinaryCrossentropy(reduction=None, dtype=dtype)
    trace.step(0)

    a, y = ctx.data("a_reg"), ctx.data("y_reg")
    smooth, kink = a != y, a == y
    values, d = loss_and_derivative(mse, a, y)
    trace.value("loss_sq", values)
    trace.value("d_sq", d)
    L_sq = lambda a, y: mse(as_rows(y), as_rows(a))  # noqa: E731
    trace.value("fd_sq", (L_sq(a + h, y) - L_sq(a - h, y)) / (2 * h), scale=L_sq(a + h, y) / (2 * h))
    values, d = loss_and_derivative(mae, a, y)
    trace.value("loss_abs", values)
    trace.value("d_abs", tf.boolean_mask(d, smooth))
    trace.finding("d_abs_at_kink", tf.boolean_mask(d, kink))
    L_lin = lambda a, y: mae(as_rows(y), as_rows(a))  # noqa: E731
    a_s, y_s = tf.boolean_mask(a, smooth), tf.boolean_mask(y, smooth)
    trace.value("fd_abs", (L_lin(a_s + h, y_s) - L_lin(a_s - h, y_s)) / (2 * h),
                scale=L_lin(a_s + h, y_s) / (2 * h))
    a_k, y_k = tf.boolean_mask(a, kink), tf.boolean_mask(y, kink)
    trace.value("abs_slope_right_of_kink", (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h,
                scale=L_lin(a_k + h, y_k) / h)
    trace.value("abs_slope_left_of_kink", (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h,
                scale=L_lin(a_k - h, y_k) / h)

    a, y = ctx.data("a_nll"), ctx.data("y_nll")
    values, d = loss_and_derivative(bce, a, y)
    trace.value("loss_nll", values)
    trace.value("d_nll", d)
    L_NLL = lambda a, y: bce(as_rows(y), as_rows(a))  # noqa: E731
    trace.value("fd_nll", (L_NLL(a + h, y) - L_NLL(a - h, y)) / (2 * h), scale=L_NLL(a + h, y) / (2 * h))

    a, y = ctx.data("a_nll_edge"), ctx.data("y_nll_edge")
    values, d = loss_and_derivative(bce, a, y)
    trace.finding("loss_nll_edge", values)
    trace.finding("d_nll_edge", d)

    Z, Y = ctx.data("Z"), ctx.data("Y")
    Z_rows, Y_rows = to_rows(Z), to_rows(Y)
    A_rows = keras.activations.softmax(Z_rows, axis=-1)
    trace.value("A", to_notes(A_rows))

    # d/da: -sum_j y_j log(a_j), written out (Keras's loss renormalises a, see above)
    def nllm(A_rows):
        return -tf.reduce_sum(Y_rows * tf.math.log(A_rows), axis=-1)

    values, dL_dA = gradient(nllm, A_rows)
    trace.value("loss_nllm", values)
    trace.value("d_nllm_da", to_notes(dL_dA))
    # keras.activations.softmax tags its output with its logits, and Keras crossentropy
    # then works on those logits and never sees a (the gradient wrt a is None). A copy
    # without the tag makes Keras take a as probabilities, as the notes' L_NLLM does.
    cce = keras.losses.CategoricalCrossentropy(reduction=None, dtype=dtype)
    _, dL_dA_keras = gradient(lambda A_rows: cce(Y_rows, A_rows), tf.identity(A_rows))
    trace.finding("d_nllm_da_library", to_notes(dL_dA_keras))

    # d/dz: Keras crossentropy on the logits (the fused softmax + NLL) ...
    cce_logits = keras.losses.CategoricalCrossentropy(from_logits=True, reduction=None, dtype=dtype)
    _, dL_dZ = gradient(lambda Z_rows: cce_logits(Y_rows, Z_rows), Z_rows)
    trace.value("d_nllm_dz", to_notes(dL_dZ))
    # ... and the same loss taken apart, so the tape carries -y/a back through softmax
    _, dL_dZ = gradient(lambda Z_rows: nllm(keras.activations.softmax(Z_rows, axis=-1)), Z_rows)
    trace.value("d_nllm_dz_chain", to_notes(dL_dZ))
