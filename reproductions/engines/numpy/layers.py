"""Convolution, pooling and flatten in NumPy: the reference, forward and backward written
out by hand, one loop over the output positions with every example and channel of a
position at once.

Each function takes and gives arrays in the source's layouts (``layer.layout`` for the
activations, ``layer.kernel_layout`` for a conv's kernel) and computes in one layout,
channels-last: X (N, H, W, C), the kernel W (fh, fw, C_in, C_out), Z (N, Ho, Wo, C_out).
The transposes in and out move numbers without changing them.

The window of output (i, j) is the padded input's rows i*sh .. i*sh + fh - 1 and columns
j*sw .. j*sw + fw - 1 (``window_at``). Every backward below follows from one rule: an
input that reaches an output through a weight w receives, from that output's gradient
g, the share w * g, summed over every output it reaches (windows overlap when the
stride is smaller than the window).

Backward functions take the forward's inputs and the gradient of the cost with respect
to the forward's output (``dZ``, ``dA``), and return the gradients with respect to the
inputs, each in the shape and layout its input has.
"""

from __future__ import annotations

import numpy as np

from reproductions.engines.layers import (ACTIVATION_AXES, KERNEL_AXES, bias_count,
                                          input_channels, pads, permutation, window_count)


# --- layouts: the source's in, channels-last inside, the source's out --------------------

def to_channels_last(X, layout):
    return X if layout == "channels_last" else X.transpose(permutation("NCHW", "NHWC"))


def from_channels_last(X, layout):
    return X if layout == "channels_last" else X.transpose(permutation("NHWC", "NCHW"))


def to_hwio(W, kernel_layout):
    return W.transpose(permutation(KERNEL_AXES[kernel_layout], "HWIO"))


def from_hwio(W, kernel_layout):
    return W.transpose(permutation("HWIO", KERNEL_AXES[kernel_layout]))


def pad_input(X, padding, value=0.0):
    """X (N, H, W, C) with ``padding`` = (rows, columns) of ``value`` on each side of H and W
    (deeplearning.ai's zero_pad)."""
    (ph, pw) = padding
    return np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)


def unpad(Xp, padding):
    """The inverse of ``pad_input``: the rows and columns of the input itself."""
    (ph, pw), (_, Hp, Wp, _) = padding, Xp.shape
    return Xp[:, ph:Hp - ph, pw:Wp - pw, :]


def output_size(Xp, layer):
    """(Ho, Wo) of a padded input: floor((n + 2p - f) / s) + 1 along each axis (the
    padding is already in Xp)."""
    (fh, fw), (sh, sw) = kernel_or_window(layer), layer.stride
    return window_count(Xp.shape[1], 0, fh, sh)[0], window_count(Xp.shape[2], 0, fw, sw)[0]


def kernel_or_window(layer):
    return layer.kernel if layer.type == "conv2d" else layer.window


def window_at(i, j, layer):
    """The rows and columns of the padded input that output (i, j) reads."""
    (fh, fw), (sh, sw) = kernel_or_window(layer), layer.stride
    return slice(i * sh, i * sh + fh), slice(j * sw, j * sw + fw)


def positions(Xp, layer):
    """Every output position (i, j) with the rows and columns of its window."""
    Ho, Wo = output_size(Xp, layer)
    for i in range(Ho):
        for j in range(Wo):
            yield (i, j), window_at(i, j, layer)


def every_window(Xp, layer):
    """The window of every output position at once, (N, Ho, Wo, fh, fw, C): element
    [n, i, j] is Xp[n, rows, columns, :] for ``window_at(i, j)``."""
    Ho, Wo = output_size(Xp, layer)
    rows = [window_at(i, 0, layer)[0].start for i in range(Ho)]  # where each window starts
    columns = [window_at(0, j, layer)[1].start for j in range(Wo)]
    views = np.lib.stride_tricks.sliding_window_view(Xp, kernel_or_window(layer), axis=(1, 2))
    return views[:, rows][:, :, columns].transpose(0, 1, 2, 4, 5, 3)


# --- convolution -----------------------------------------------------------------------

def conv2d_forward(X, W, b, layer):
    """Z[n, i, j, o] = sum over p, q, c of Xpad[n, i*sh + p, j*sw + q, c] * W[p, q, c, o] + b[o]:
    a cross-correlation (the kernel slides unflipped), b added once. Under
    bias_counted = 'per_product' b joins each of the window's fh * fw * C_in products
    before the sum, sum(a * W + b), as deeplearning.ai's v1 conv_single_step computes it:
    that adds fh * fw * C_in * b, not b. ``b`` is None for a layer without a bias."""
    Xp = pad_input(to_channels_last(X, layer.layout), pads(layer))
    W = to_hwio(W, layer.kernel_layout)
    Ho, Wo = output_size(Xp, layer)
    per_product = b is not None and layer.bias_counted == "per_product"
    # each output position's (N, fh, fw, C_in, C_out) block of products, positions first so
    # that every block is summed as one position at a time would sum it (the same bits)
    windows = np.ascontiguousarray(every_window(Xp, layer).transpose(1, 2, 0, 3, 4, 5))
    products = windows[..., None] * W  # (Ho, Wo, N, fh, fw, C_in, C_out)
    if per_product:
        products = products + b.reshape(-1)
    Z = np.sum(products, axis=(3, 4, 5)).transpose(2, 0, 1, 3)  # (N, Ho, Wo, C_out)
    if b is not None and not per_product:
        Z = Z + b.reshape(-1)
    return from_channels_last(Z, layer.layout)


def conv2d_backward(X, W, b, dZ, layer):
    """(dX, dW, db) from dZ = dCost/dZ.

    Z[n, i, j, o] reads Xpad[n, i*sh + p, j*sw + q, c] through W[p, q, c, o], so:
      dW[p, q, c, o] = sum over n, i, j of Xpad[n, i*sh + p, j*sw + q, c] * dZ[n, i, j, o]
        (each output's window of inputs, weighted by its gradient);
      dXpad[n, i*sh + p, j*sw + q, c] += sum over o of W[p, q, c, o] * dZ[n, i, j, o]
        (each output hands its gradient back through the same, unflipped, weights to the
        inputs of its window; the padding's share is dropped);
      db[o] = sum over n, i, j of dZ[n, i, j, o], times fh * fw * C_in when the forward
        adds b per product (bias_gradient = 'exact'); 'as_if_once' keeps the plain sum,
        as deeplearning.ai's v1 conv_backward does after its per-product forward.
    """
    Xp = pad_input(to_channels_last(X, layer.layout), pads(layer))
    W_hwio = to_hwio(W, layer.kernel_layout)
    dZ = to_channels_last(dZ, layer.layout)
    dXp, dW = np.zeros_like(Xp), np.zeros_like(W_hwio)
    for (i, j), (rows, columns) in positions(Xp, layer):
        g = dZ[:, i, j, :]  # (N, C_out): this position's gradient, per example and filter
        window = Xp[:, rows, columns, :]  # (N, fh, fw, C_in)
        dW += np.sum(window[..., None] * g[:, None, None, None, :], axis=0)
        dXp[:, rows, columns, :] += np.sum(W_hwio * g[:, None, None, None, :], axis=-1)
    dX = from_channels_last(unpad(dXp, pads(layer)), layer.layout)
    dW = from_hwio(dW, layer.kernel_layout)
    if b is None:
        return dX, dW, None
    db = np.sum(dZ, axis=(0, 1, 2))
    if layer.bias_gradient == "exact":
        db = bias_count(layer, input_channels(W, layer)) * db
    return dX, dW, db.reshape(b.shape)


# --- pooling ---------------------------------------------------------------------------

def max_pool2d_forward(X, layer):
    """A[n, i, j, c] = the largest Xpad[n, i*sh + p, j*sw + q, c] of the window, channel by
    channel; the padding is -inf, never the largest."""
    Xp = pad_input(to_channels_last(X, layer.layout), layer.padding, -np.inf)
    A = np.max(every_window(Xp, layer), axis=(3, 4))  # (N, Ho, Wo, C)
    return from_channels_last(A, layer.layout)


def max_mask(window, ties):
    """Which elements of each window (N, fh, fw, C) receive its gradient: its largest. The
    derivative of a max is 1 at the element that is the max and 0 elsewhere; where the
    largest value occurs more than once it is a choice: 'first' (row-major within the
    window; the choice the frameworks measured here make) or 'every' one in full
    (deeplearning.ai's mask x == max(x), which hands out the gradient more than once)."""
    largest = window == np.max(window, axis=(1, 2), keepdims=True)
    if ties == "every":
        return largest
    N, fh, fw, C = window.shape
    first = np.argmax(largest.reshape(N, fh * fw, C), axis=1)  # argmax: the first True
    return (np.arange(fh * fw)[None, :, None] == first[:, None, :]).reshape(window.shape)


def max_pool2d_backward(X, dA, layer):
    """dX: each window's gradient dA[n, i, j, c] goes to the element that was its maximum
    (``max_mask``), summed where windows overlap."""
    Xp = pad_input(to_channels_last(X, layer.layout), layer.padding, -np.inf)
    dA = to_channels_last(dA, layer.layout)
    dXp = np.zeros_like(Xp)
    for (i, j), (rows, columns) in positions(Xp, layer):
        mask = max_mask(Xp[:, rows, columns, :], layer.ties)
        dXp[:, rows, columns, :] += mask * dA[:, i, j, :][:, None, None, :]
    return from_channels_last(unpad(dXp, layer.padding), layer.layout)


def avg_pool2d_forward(X, layer):
    """A[n, i, j, c] = the mean of the window's fh * fw elements, padding zeros included."""
    Xp = pad_input(to_channels_last(X, layer.layout), layer.padding)
    Ho, Wo = output_size(Xp, layer)
    A = np.zeros((Xp.shape[0], Ho, Wo, Xp.shape[3]), dtype=Xp.dtype)
    for (i, j), (rows, columns) in positions(Xp, layer):
        A[:, i, j, :] = np.mean(Xp[:, rows, columns, :], axis=(1, 2))
    return from_channels_last(A, layer.layout)


def avg_pool2d_backward(X, dA, layer):
    """dX: a mean's derivative by each of its fh * fw elements is 1 / (fh * fw), so each
    window spreads dA[n, i, j, c] / (fh * fw) evenly over its elements, summed where
    windows overlap (what reaches the padding is dropped)."""
    Xp = pad_input(to_channels_last(X, layer.layout), layer.padding)
    dA = to_channels_last(dA, layer.layout)
    fh, fw = layer.window
    dXp = np.zeros_like(Xp)
    for (i, j), (rows, columns) in positions(Xp, layer):
        share = dA[:, i, j, :] / (fh * fw)  # (N, C)
        dXp[:, rows, columns, :] += share[:, None, None, :]
    return from_channels_last(unpad(dXp, layer.padding), layer.layout)


# --- flatten ---------------------------------------------------------------------------

def flatten_forward(X, layer):
    """(N, H * W * C): each example's numbers in the layer's ``order``, channels_last
    (h, w, c; c varies fastest) or channels_first (c, h, w; w fastest)."""
    ordered = X.transpose(permutation(ACTIVATION_AXES[layer.layout], ACTIVATION_AXES[layer.order]))
    return ordered.reshape(X.shape[0], -1)


def flatten_backward(X, dA, layer):
    """dX: flattening only moves numbers, so its gradient moves dA's back: each feature's
    gradient to the element it came from."""
    ordered_shape = tuple(X.shape[axis] for axis in
                          permutation(ACTIVATION_AXES[layer.layout], ACTIVATION_AXES[layer.order]))
    dA = dA.reshape(ordered_shape)
    return dA.transpose(permutation(ACTIVATION_AXES[layer.order], ACTIVATION_AXES[layer.layout]))
