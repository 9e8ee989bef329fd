"""Convolution, pooling and flatten in TensorFlow: ``tf.nn.conv2d``, ``tf.nn.max_pool2d``,
``tf.nn.avg_pool2d`` (with ``tf.pad`` for a pool's padding) and ``tf.reshape``; each
backward is ``tf.GradientTape``'s gradient of the forward with the upstream gradient
(``output_gradients``).

TensorFlow's CPU kernels compute channels-last: activations (N, H, W, C), kernels
(fh, fw, C_in, C_out) (``tf.nn.conv2d`` and the pools refuse NCHW on the CPU). The
source's layouts are translated in and out here only (``to_tf``, ``from_tf``,
``kernel_to_tf``): transposes, which the tape carries back exactly, so every value and
gradient comes back in the source's layout. ``keras.layers.Conv2D`` pads only 'valid' or
'same', so the conv is ``tf.nn.conv2d`` with explicit padding, as the sources pad.
The same function names and arguments as ``numpy/layers.py``; tensors in and out.
"""

from __future__ import annotations

import tensorflow as tf

from reproductions.engines.layers import (ACTIVATION_AXES, KERNEL_AXES, bias_count,
                                          input_channels, pads, permutation)


def to_tf(X, layout):
    return tf.transpose(X, permutation(ACTIVATION_AXES[layout], "NHWC"))


def from_tf(X, layout):
    return tf.transpose(X, permutation("NHWC", ACTIVATION_AXES[layout]))


def kernel_to_tf(W, kernel_layout):
    return tf.transpose(W, permutation(KERNEL_AXES[kernel_layout], "HWIO"))


def spatial_padding(padding):
    """``tf.pad``'s and ``tf.nn.conv2d``'s explicit padding of an NHWC tensor."""
    (ph, pw) = padding
    return [[0, 0], [ph, ph], [pw, pw], [0, 0]]


def counted_bias(b, W, layer):
    """The bias as the forward adds it to each output: b, or fh * fw * C_in * b when the
    source adds it to each product of the window (bias_counted = 'per_product')."""
    count = bias_count(layer, input_channels(W, layer))
    return b if count == 1 else count * b


def convolve(X, W, added_bias, layer):
    """tf.nn.conv2d on the source's layouts, ``added_bias`` (any shape of C_out numbers)
    added once to each output."""
    Z = tf.nn.conv2d(to_tf(X, layer.layout), kernel_to_tf(W, layer.kernel_layout),
                     strides=layer.stride, padding=spatial_padding(pads(layer)))
    if added_bias is not None:
        Z = tf.nn.bias_add(Z, tf.reshape(added_bias, [-1]))
    return from_tf(Z, layer.layout)


def conv2d_forward(X, W, b, layer):
    return convolve(X, W, None if b is None else counted_bias(b, W, layer), layer)


def conv2d_backward(X, W, b, dZ, layer):
    """(dX, dW, db); db is the tape's through the counted bias (bias_gradient 'exact'), or
    the gradient of the counted bias itself, the sum of dZ ('as_if_once')."""
    with tf.GradientTape() as tape:
        tape.watch([X, W] + ([] if b is None else [b]))
        added = None if b is None else counted_bias(b, W, layer)
        Z = convolve(X, W, added, layer)
    if b is None:
        return (*tape.gradient(Z, [X, W], output_gradients=dZ), None)
    by = b if layer.bias_gradient == "exact" else added
    return tuple(tape.gradient(Z, [X, W, by], output_gradients=dZ))


def max_pool2d_forward(X, layer):
    """Padding is -inf (``tf.pad``), never a window's largest."""
    padded = tf.pad(to_tf(X, layer.layout), spatial_padding(layer.padding),
                    constant_values=float("-inf"))
    return from_tf(tf.nn.max_pool2d(padded, layer.window, layer.stride, "VALID"), layer.layout)


def max_pool2d_backward(X, dA, layer):
    return gradient(max_pool2d_forward, X, dA, layer)


def avg_pool2d_forward(X, layer):
    """Padding zeros count in the mean: padded first, so that every window is 'VALID'
    and divided by fh * fw."""
    padded = tf.pad(to_tf(X, layer.layout), spatial_padding(layer.padding))
    return from_tf(tf.nn.avg_pool2d(padded, layer.window, layer.stride, "VALID"), layer.layout)


def avg_pool2d_backward(X, dA, layer):
    return gradient(avg_pool2d_forward, X, dA, layer)


def flatten_forward(X, layer):
    ordered = tf.transpose(X, permutation(ACTIVATION_AXES[layer.layout], ACTIVATION_AXES[layer.order]))
    return tf.reshape(ordered, [tf.shape(X)[0], -1])  # a batch of any size, in a graph too


def flatten_backward(X, dA, layer):
    return gradient(flatten_forward, X, dA, layer)


def gradient(forward, X, dA, layer):
    """dX of ``forward(X, layer)`` given dA, by the tape."""
    with tf.GradientTape() as tape:
        tape.watch(X)
        A = forward(X, layer)
    return tape.gradient(A, X, output_gradients=dA)
