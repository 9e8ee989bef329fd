"""Convolution, pooling and flatten in PyTorch: ``torch.nn.functional.conv2d``,
``max_pool2d``, ``avg_pool2d`` and ``flatten``; each backward is autograd's vector-Jacobian
product of the forward (``torch.autograd.grad`` with the upstream gradient).

PyTorch computes channels-first: activations (N, C, H, W), kernels (C_out, C_in, fh, fw).
The source's layouts are translated in and out here only (``to_torch``, ``from_torch``,
``kernel_to_torch``): permutations, which autograd carries back exactly, so every value
and gradient comes back in the source's layout. The same function names and arguments
as ``numpy/layers.py``; tensors in and out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reproductions.engines.layers import (ACTIVATION_AXES, KERNEL_AXES, bias_count,
                                          input_channels, pads, permutation)


def to_torch(X, layout):
    return X.permute(permutation(ACTIVATION_AXES[layout], "NCHW"))


def from_torch(X, layout):
    return X.permute(permutation("NCHW", ACTIVATION_AXES[layout]))


def kernel_to_torch(W, kernel_layout):
    return W.permute(permutation(KERNEL_AXES[kernel_layout], "OIHW"))


def counted_bias(b, W, layer):
    """The bias as the forward adds it to each output: b, or fh * fw * C_in * b when the
    source adds it to each product of the window (bias_counted = 'per_product')."""
    count = bias_count(layer, input_channels(W, layer))
    return b if count == 1 else count * b


def convolve(X, W, added_bias, layer):
    """F.conv2d on the source's layouts, ``added_bias`` (any shape of C_out numbers) added
    once to each output."""
    bias = None if added_bias is None else added_bias.reshape(-1)
    Z = F.conv2d(to_torch(X, layer.layout), kernel_to_torch(W, layer.kernel_layout), bias,
                 stride=layer.stride, padding=pads(layer))
    return from_torch(Z, layer.layout)


def conv2d_forward(X, W, b, layer):
    return convolve(X, W, None if b is None else counted_bias(b, W, layer), layer)


def conv2d_backward(X, W, b, dZ, layer):
    """(dX, dW, db); db is autograd's through the counted bias (bias_gradient 'exact'), or
    the gradient of the counted bias itself, the sum of dZ ('as_if_once')."""
    X, W = leaf(X), leaf(W)
    if b is None:
        dX, dW = torch.autograd.grad(convolve(X, W, None, layer), [X, W], dZ)
        return dX, dW, None
    b = leaf(b)
    added = counted_bias(b, W, layer)
    by = b if layer.bias_gradient == "exact" else added
    dX, dW, db = torch.autograd.grad(convolve(X, W, added, layer), [X, W, by], dZ)
    return dX, dW, db


def max_pool2d_forward(X, layer):
    """Padding is -inf, as F.max_pool2d pads (at most half the window, as the schema allows)."""
    A = F.max_pool2d(to_torch(X, layer.layout), layer.window, layer.stride, layer.padding)
    return from_torch(A, layer.layout)


def max_pool2d_backward(X, dA, layer):
    X = leaf(X)
    return torch.autograd.grad(max_pool2d_forward(X, layer), X, dA)[0]


def avg_pool2d_forward(X, layer):
    """Padding zeros count in the mean (count_include_pad, F.avg_pool2d's default)."""
    A = F.avg_pool2d(to_torch(X, layer.layout), layer.window, layer.stride, layer.padding,
                     count_include_pad=True)
    return from_torch(A, layer.layout)


def avg_pool2d_backward(X, dA, layer):
    X = leaf(X)
    return torch.autograd.grad(avg_pool2d_forward(X, layer), X, dA)[0]


def flatten_forward(X, layer):
    ordered = X.permute(permutation(ACTIVATION_AXES[layer.layout], ACTIVATION_AXES[layer.order]))
    return torch.flatten(ordered, start_dim=1)


def flatten_backward(X, dA, layer):
    X = leaf(X)
    return torch.autograd.grad(flatten_forward(X, layer), X, dA)[0]


def leaf(tensor):
    """A tensor autograd differentiates with respect to: the same numbers, detached from
    whatever computed them."""
    return tensor.detach().requires_grad_(True)
