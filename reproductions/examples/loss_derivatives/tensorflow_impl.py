"""Loss derivatives in TensorFlow: Keras losses (``dtype=ctx.dtype``, ``reduction=None``),
differentiated by ``tf.GradientTape``.

Keras losses average over the last axis, so each grid goes in as a column of
one-element rows (``per_pair``); the per-row loss is then the loss of one pair. The
tape's gradient of the vector of losses is the gradient of their sum, that is, each
pair's derivative.

Keras crossentropy on probabilities is not the notes' formula everywhere:
- ``BinaryCrossentropy`` clips a to [1e-7, 1 - 1e-7] (``keras.backend.epsilon()``). On the
  grid this changes nothing; at a = 1e-9 it changes the loss and zeroes the gradient
  (findings ``loss_nll_edge``, ``d_nll_edge``).
- ``CategoricalCrossentropy`` on probabilities first divides a by its sum. The loss is unchanged on
  the simplex, but the gradient with respect to a gains 1/sum(a) in every component
  (finding ``d_nllm_da_library``). So the compared d/da is explicit TensorFlow code.

Multiclass: Keras wants one case per row; the notes write one case per column, so Z, Y
and every multiclass value are transposed (``[layout]`` in example.toml: the harness
translates them both ways).
"""

import keras
import tensorflow as tf


# %% cost
def per_pair(loss):
    """The loss of each pair (a[i], y[i]), as a function of a and y: Keras averages over
    the last axis, so each pair goes in as a row of one element."""
    return lambda a, y: loss(tf.reshape(y, [-1, 1]), tf.reshape(a, [-1, 1]))


# %% autodiff
def loss_and_derivative(loss, a, y):
    """Each pair's loss and its derivative in a."""
    with tf.GradientTape() as tape:
        tape.watch(a)
        values = per_pair(loss)(a, y)
    return values, tape.gradient(values, a)


def gradient(f, x):
    """The gradient of f(x), a loss of each case, with respect to x (of their sum)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = f(x)
    return tape.gradient(value, x)


# %% check
# Copied from reproductions/examples/loss_derivatives/numpy_impl.py:central_difference
def central_difference(L, a, y, h):
    return (L(a + h, y) - L(a - h, y)) / (2 * h)


# %% record
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
    trace.values(loss_sq=values, d_sq=d)
    L_sq = per_pair(mse)
    trace.value("fd_sq", central_difference(L_sq, a, y, h), scale=L_sq(a + h, y) / (2 * h))
    values, d = loss_and_derivative(mae, a, y)
    trace.values(loss_abs=values, d_abs=tf.boolean_mask(d, smooth))
    trace.finding("d_abs_at_kink", tf.boolean_mask(d, kink))
    L_lin = per_pair(mae)
    a_s, y_s = tf.boolean_mask(a, smooth), tf.boolean_mask(y, smooth)
    trace.value("fd_abs", central_difference(L_lin, a_s, y_s, h),
                scale=L_lin(a_s + h, y_s) / (2 * h))
    a_k, y_k = tf.boolean_mask(a, kink), tf.boolean_mask(y, kink)
    trace.value("abs_slope_right_of_kink", (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h,
                scale=L_lin(a_k + h, y_k) / h)
    trace.value("abs_slope_left_of_kink", (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h,
                scale=L_lin(a_k - h, y_k) / h)

    a, y = ctx.data("a_nll"), ctx.data("y_nll")
    values, d = loss_and_derivative(bce, a, y)
    trace.values(loss_nll=values, d_nll=d)
    L_NLL = per_pair(bce)
    trace.value("fd_nll", central_difference(L_NLL, a, y, h), scale=L_NLL(a + h, y) / (2 * h))

    a, y = ctx.data("a_nll_edge"), ctx.data("y_nll_edge")
    values, d = loss_and_derivative(bce, a, y)
    trace.finding("loss_nll_edge", values)
    trace.finding("d_nll_edge", d)

    Z, Y = ctx.data("Z"), ctx.data("Y")  # one case per row
    A = keras.activations.softmax(Z, axis=-1)
    trace.value("A", A)

    # d/da: -sum_j y_j log(a_j), written out (Keras's loss renormalises a, see above)
    def nllm(A):
        return -tf.reduce_sum(Y * tf.math.log(A), axis=-1)

    dL_dA = gradient(nllm, A)
    trace.values(loss_nllm=nllm(A), d_nllm_da=dL_dA)
    # keras.activations.softmax tags its output with its logits, and Keras crossentropy
    # then works on those logits and never sees a (the gradient wrt a is None). A copy
    # without the tag makes Keras take a as probabilities, as the notes' L_NLLM does.
    cce = keras.losses.CategoricalCrossentropy(reduction=None, dtype=dtype)
    trace.finding("d_nllm_da_library", gradient(lambda A: cce(Y, A), tf.identity(A)))

    # d/dz: Keras crossentropy on the logits (the fused softmax + NLL) ...
    cce_logits = keras.losses.CategoricalCrossentropy(from_logits=True, reduction=None, dtype=dtype)
    trace.value("d_nllm_dz", gradient(lambda Z: cce_logits(Y, Z), Z))
    # ... and the same loss taken apart, so the tape carries -y/a back through softmax
    trace.value("d_nllm_dz_chain", gradient(lambda Z: nllm(keras.activations.softmax(Z, axis=-1)), Z))
