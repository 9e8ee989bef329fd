"""Convolution, pooling and flatten in JAX: ``jax.lax.conv_general_dilated`` and
``jax.lax.reduce_window`` (max, and a sum over fh * fw for the mean); each backward is
``jax.vjp`` of the forward applied to the upstream gradient. Each function is compiled
(``jax.jit``) once per layer entry and shapes.

``conv_general_dilated`` and ``reduce_window`` take any layout: the source's is handed to
them as it is (``dimension_numbers``, ``window_axes``), so nothing is transposed and every
value and gradient is in the source's layout. The same function names and arguments as
``numpy/layers.py``; arrays in and out.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from reproductions.engines.layers import (ACTIVATION_AXES, KERNEL_AXES, bias_count,
                                          input_channels, pads, permutation)

compiled = partial(jax.jit, static_argnames="layer")  # a layer entry is hashable


def dimension_numbers(layer):
    """The source's layouts as conv_general_dilated reads them: (input, kernel, output)."""
    activations = ACTIVATION_AXES[layer.layout]
    return activations, KERNEL_AXES[layer.kernel_layout], activations


def window_axes(sizes, layout, elsewhere=1):
    """A per-axis tuple for reduce_window: ``sizes`` (height, width) on the spatial axes,
    ``elsewhere`` on N and C, in the source's layout."""
    axes = ACTIVATION_AXES[layout]
    return tuple(sizes[0] if a == "H" else sizes[1] if a == "W" else elsewhere for a in axes)


def window_padding(padding, layout):
    """reduce_window's (low, high) padding of each axis: none on N and C."""
    return tuple((p, p) for p in window_axes(padding, layout, elsewhere=0))


def by_channel(vector, layout):
    """C numbers shaped to add along the channel axis of activations in ``layout``."""
    return vector.reshape(-1) if layout == "channels_last" else vector.reshape(-1, 1, 1)


def counted_bias(b, W, layer):
    """The bias as the forward adds it to each output: b, or fh * fw * C_in * b when the
    source adds it to each product of the window (bias_counted = 'per_product')."""
    count = bias_count(layer, input_channels(W, layer))
    return b if count == 1 else count * b


def convolve(X, W, added_bias, layer):
    """conv_general_dilated in the source's layouts, ``added_bias`` (any shape of C_out
    numbers) added once to each output."""
    (ph, pw) = pads(layer)
    Z = jax.lax.conv_general_dilated(X, W, window_strides=layer.stride,
                                     padding=((ph, ph), (pw, pw)),
                                     dimension_numbers=dimension_numbers(layer),
                                     precision=jax.lax.Precision.HIGHEST)
    return Z if added_bias is None else Z + by_channel(added_bias, layer.layout)


@compiled
def conv2d_forward(X, W, b, layer):
    return convolve(X, W, None if b is None else counted_bias(b, W, layer), layer)


@compiled
def conv2d_backward(X, W, b, dZ, layer):
    """(dX, dW, db); db is vjp's through the counted bias (bias_gradient 'exact'), or the
    gradient of the counted bias itself, the sum of dZ ('as_if_once')."""
    if b is None or layer.bias_gradient == "exact":
        _, pullback = jax.vjp(lambda X, W, b: conv2d_forward(X, W, b, layer), X, W, b)
        return pullback(dZ)
    _, pullback = jax.vjp(lambda X, W, added: convolve(X, W, added, layer),
                          X, W, counted_bias(b, W, layer))
    return pullback(dZ)


@compiled
def max_pool2d_forward(X, layer):
    """Padding is -inf, reduce_window's start value of a max, never a window's largest (a
    Python number: a constant start value makes it JAX's max pool, which has a gradient)."""
    return jax.lax.reduce_window(X, -jnp.inf, jax.lax.max,
                                 window_axes(layer.window, layer.layout),
                                 window_axes(layer.stride, layer.layout),
                                 window_padding(layer.padding, layer.layout))


@compiled
def max_pool2d_backward(X, dA, layer):
    return jax.vjp(lambda X: max_pool2d_forward(X, layer), X)[1](dA)[0]


@compiled
def avg_pool2d_forward(X, layer):
    """Each window's sum (padding zeros included) over fh * fw."""
    fh, fw = layer.window
    total = jax.lax.reduce_window(X, 0.0, jax.lax.add,
                                  window_axes(layer.window, layer.layout),
                                  window_axes(layer.stride, layer.layout),
                                  window_padding(layer.padding, layer.layout))
    return total / (fh * fw)


@compiled
def avg_pool2d_backward(X, dA, layer):
    return jax.vjp(lambda X: avg_pool2d_forward(X, layer), X)[1](dA)[0]


@compiled
def flatten_forward(X, layer):
    ordered = jnp.transpose(X, permutation(ACTIVATION_AXES[layer.layout], ACTIVATION_AXES[layer.order]))
    return ordered.reshape(X.shape[0], -1)


@compiled
def flatten_backward(X, dA, layer):
    return jax.vjp(lambda X: flatten_forward(X, layer), X)[1](dA)[0]
