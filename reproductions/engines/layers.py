"""Convolution, pooling and flatten layers: the entries a definition's network can list,
the shapes they make, the layouts they are held in, and which max-pool windows tie.

Framework-free: the schema and the checks run before any framework is imported, and
the layer functions of ``numpy/layers.py`` (the reference, by hand), ``torch/``,
``tensorflow/`` and ``jax/layers.py`` (each framework's ops and autodiff) read the
entries made here. LAYERS.md is the user's documentation of every key.

Layouts, as the source holds its arrays (the functions take and give them so):

| key                                | values                                        |
| ---------------------------------- | --------------------------------------------- |
| ``layout`` (activations)           | ``channels_last`` (N, H, W, C), ``channels_first`` (N, C, H, W) |
| ``kernel_layout`` (a conv's W)     | ``hwio`` (fh, fw, C_in, C_out), ``oihw`` (C_out, C_in, fh, fw) |
| ``order`` (a flatten's features)   | ``channels_last`` (h, w, c: c fastest), ``channels_first`` (c, h, w: w fastest) |

A conv's bias holds ``filters`` numbers in any shape with ones elsewhere: (filters,)
as CS231n, (1, 1, 1, filters) as deeplearning.ai; its gradient comes back in that shape.

Output size, per spatial axis, with padding p on each side, kernel (or window) f and
stride s: ``floor((n + 2p - f) / s) + 1``, the sources' formula and every framework's.
Where the stride does not fit, the last ``(n + 2p - f) mod s`` rows (or columns) of the
padded input are read by no window (``Shapes.unread``), as in the frameworks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from reproductions.schema import Strict

LAYOUTS = ("channels_last", "channels_first")
ACTIVATION_AXES = {"channels_last": "NHWC", "channels_first": "NCHW"}
KERNEL_AXES = {"hwio": "HWIO", "oihw": "OIHW"}


def permutation(source: str, target: str) -> tuple[int, ...]:
    """The axes of an array held as ``source`` (a string of axis letters, "NCHW") in the
    order ``target`` lists them: ``X.transpose(permutation("NCHW", "NHWC"))`` is X held
    channels-last. Every framework translates its layouts with these."""
    return tuple(source.index(axis) for axis in target)


def per_axis(value, minimum: int) -> tuple[int, int] | None:
    """(height, width) from ``n`` (both axes) or ``[height, width]``, integers of at least
    ``minimum``; None when it is neither."""
    integer = lambda n: isinstance(n, int) and not isinstance(n, bool)
    numbers = [value, value] if integer(value) else value
    if (isinstance(numbers, (list, tuple)) and len(numbers) == 2
            and all(integer(n) and n >= minimum for n in numbers)):
        return tuple(numbers)
    return None


def pair_of(minimum: int, what: str):
    """A validator of a number per spatial axis, kept as a (height, width) tuple."""
    def check(value):
        numbers = per_axis(value, minimum)
        if numbers is None:
            raise ValueError(f"expected {what} of {minimum} or more, or [height, width] of them, "
                             f"found {value!r}")
        return numbers
    return BeforeValidator(check)


def padding_of(value):
    """A padding: ``n`` zeros on every side, ``[rows, columns]`` on each side of those
    axes, ``"valid"`` (none) or ``"same"`` (resolved by the layer, see ``pads``)."""
    if value == "valid":
        return (0, 0)
    numbers = "same" if value == "same" else per_axis(value, 0)
    if numbers is None:
        raise ValueError(f"expected a number of 0 or more per side, [rows, columns] of them, "
                         f"'valid' or 'same', found {value!r}")
    return numbers


Kernel = Annotated[tuple[int, int], pair_of(1, "a size")]
Stride = Annotated[tuple[int, int], pair_of(1, "a stride")]
Padding = Annotated[tuple[int, int] | Literal["same"], BeforeValidator(padding_of)]
PoolPadding = Annotated[tuple[int, int], pair_of(0, "a number per side")]
Layout = Literal["channels_last", "channels_first"]


class Conv2d(Strict):
    """A 2-D convolution as the sources compute it: a cross-correlation (the kernel is
    not flipped), ``Z[n, i, j, o] = sum over p, q, c of Xpad[n, i*sh + p, j*sw + q, c] *
    W[p, q, c, o] + b[o]`` (channels-last names)."""

    type: Literal["conv2d"]
    filters: int = Field(ge=1, description="output channels, C_out")
    kernel: Kernel = Field(description="fh = fw, or [fh, fw]")
    stride: Stride = (1, 1)
    padding: Padding = Field((0, 0), description="zeros on each side: n, [rows, columns], "
                                                 "'valid' (0) or 'same' (stride 1, odd kernel)")
    bias: Literal["trained", "none"] = "trained"
    bias_counted: Literal["once", "per_product"] = Field(
        "once", description="once: b added to each window's sum; per_product: b added to each "
                            "of the window's fh * fw * C_in products before they are summed "
                            "(deeplearning.ai's Step by Step v1), which adds fh * fw * C_in * b")
    bias_gradient: Literal["exact", "as_if_once"] = Field(
        "exact", description="exact: db is the derivative of the forward as computed; "
                             "as_if_once: db = sum of dZ, the derivative of a bias added once, "
                             "which the v1 notebook's conv_backward returns under per_product")
    activation: Literal["identity", "relu", "sigmoid", "tanh"] = Field(
        "identity", description="applied to Z by the engine (not by the conv2d functions)")
    layout: Layout = "channels_last"
    kernel_layout: Literal["hwio", "oihw"] = Field(
        None, description="default: hwio under channels_last, oihw under channels_first")

    @model_validator(mode="before")
    @classmethod
    def kernel_layout_follows_the_layout(cls, raw):
        if isinstance(raw, dict) and raw.get("kernel_layout") is None:
            layout = raw.get("layout", "channels_last")
            raw = dict(raw, kernel_layout="oihw" if layout == "channels_first" else "hwio")
        return raw

    @model_validator(mode="after")
    def bias_keys_agree(self):
        for key, default in (("bias_counted", "once"), ("bias_gradient", "exact")):
            if self.bias == "none" and getattr(self, key) != default:
                raise ValueError(f"{key}: describes a bias, and bias is 'none'")
        if self.bias_gradient == "as_if_once" and self.bias_counted == "once":
            raise ValueError("bias_gradient: 'as_if_once' is 'exact' when bias_counted is 'once' "
                             "(it differs only for bias_counted = 'per_product')")
        if self.padding == "same" and (self.stride != (1, 1) or any(f % 2 == 0 for f in self.kernel)):
            raise ValueError(f"padding: 'same' is (f - 1) / 2 on each side, for stride 1 and an odd "
                             f"kernel; with kernel {list(self.kernel)} and stride "
                             f"{list(self.stride)} it is uneven and frameworks place it "
                             "differently: give the padding as a number per side")
        return self


class Pool2d(Strict):
    """What max and average pooling share: a window moved by a stride over each channel."""

    window: Kernel = Field(description="fh = fw, or [fh, fw]")
    stride: Stride = Field(None, description="default: the window (windows that do not overlap)")
    padding: PoolPadding = Field((0, 0), description="on each side, at most half the window")
    layout: Layout = "channels_last"

    @model_validator(mode="before")
    @classmethod
    def stride_defaults_to_the_window(cls, raw):
        if isinstance(raw, dict) and raw.get("stride") is None and "window" in raw:
            raw = dict(raw, stride=raw["window"])
        return raw

    @model_validator(mode="after")
    def padding_at_most_half_the_window(self):
        for p, f in zip(self.padding, self.window):
            if p > f // 2:
                raise ValueError(f"padding: at most half the window on each side ({f // 2} for a "
                                 f"window of {f}: a window of padding alone pools no input), "
                                 f"found {p}")
        return self


class MaxPool2d(Pool2d):
    """Each window's largest value; padding is -inf (never the largest)."""

    type: Literal["max_pool2d"]
    ties: Literal["first", "every"] = Field(
        "first", description="where the NumPy reference routes a window's gradient when its "
                             "largest value occurs more than once: to the first, in row-major "
                             "order within the window, or to every one of them in full "
                             "(deeplearning.ai's mask x == max(x))")


class AvgPool2d(Pool2d):
    """Each window's mean over fh * fw; padding is zeros, counted in the mean."""

    type: Literal["avg_pool2d"]


class Flatten(Strict):
    """One example's (H, W, C) or (C, H, W) as one row of features."""

    type: Literal["flatten"]
    layout: Layout = "channels_last"
    order: Layout = Field(None, description="the features' order: channels_last (h, w, c) or "
                                            "channels_first (c, h, w); default: the layout's")

    @model_validator(mode="before")
    @classmethod
    def order_follows_the_layout(cls, raw):
        if isinstance(raw, dict) and raw.get("order") is None:
            raw = dict(raw, order=raw.get("layout", "channels_last"))
        return raw


class Dense(Strict):
    """A fully connected layer on rows of features (after a flatten), as the generic
    engines compute it; listed here so that its input size is checked through a flatten."""

    type: Literal["dense"]
    units: int = Field(ge=1)
    activation: Literal["identity", "sigmoid", "tanh", "relu", "softmax"] = "identity"
    bias: Literal["trained", "none"] = "trained"
    inputs: int | None = Field(None, ge=1, description="the features the source's layer takes, "
                                                       "checked against what flows in")
    weight_layout: Literal["in_out", "out_in"] = "in_out"


ENTRIES = {"conv2d": Conv2d, "max_pool2d": MaxPool2d, "avg_pool2d": AvgPool2d,
           "flatten": Flatten, "dense": Dense}
SPATIAL = ("conv2d", "max_pool2d", "avg_pool2d")  # they take and give images
Entry = Conv2d | MaxPool2d | AvgPool2d | Flatten | Dense


def pads(layer) -> tuple[int, int]:
    """The zeros (-inf for a max pool) on each side of the rows and of the columns."""
    if layer.padding == "same":
        return tuple((f - 1) // 2 for f in layer.kernel)
    return layer.padding


def size(layer) -> tuple[int, int]:
    """The kernel or the window: (fh, fw)."""
    return layer.kernel if isinstance(layer, Conv2d) else layer.window


def bias_count(layer: Conv2d, input_channels: int) -> int:
    """How many times the forward adds b to an output: 1, or fh * fw * C_in when it is
    added to each product of the window (bias_counted = 'per_product')."""
    fh, fw = layer.kernel
    return fh * fw * input_channels if layer.bias_counted == "per_product" else 1


def input_channels(W, layer: Conv2d) -> int:
    """C_in, read from the kernel as the source holds it."""
    return W.shape[KERNEL_AXES[layer.kernel_layout].index("I")]


# --- a network's list of entries, checked ----------------------------------------------

class LayerError(ValueError):
    """A layer entry that cannot be: one line naming the field, what it should be and what
    it is (``layers.2.kernel: ...``)."""


def parse_layers(raw: list, layout: str = "channels_last", where: str = "layers") -> list[Entry]:
    """The entries of a definition's list (TOML tables), validated. An entry that gives no
    ``layout`` takes the network's ``layout``; one that gives another is refused (a
    network holds its activations one way)."""
    if layout not in LAYOUTS:
        raise LayerError(f"layout: expected 'channels_last' or 'channels_first', found {layout!r}")
    if not isinstance(raw, list) or not raw:
        raise LayerError(f"{where}: expected a list of layer tables, found {raw!r}")
    entries = []
    for k, entry in enumerate(raw):
        here = f"{where}.{k}"
        if not isinstance(entry, dict):
            raise LayerError(f"{here}: expected a table, found {entry!r}")
        kind = entry.get("type")
        if kind not in ENTRIES:
            known = ", ".join(f"'{name}'" for name in ENTRIES)
            raise LayerError(f"{here}.type: expected one of {known}, "
                             + (f"found {kind!r}" if "type" in entry else "missing"))
        if "layout" in ENTRIES[kind].model_fields:
            given = entry.get("layout", layout)
            if given != layout and given in LAYOUTS:
                raise LayerError(f"{here}.layout: the network holds its activations {layout!r}, "
                                 f"found {given!r}: one layout for every layer")
            entry = dict(entry, layout=given)
        try:
            entries.append(ENTRIES[kind].model_validate(entry))
        except ValidationError as error:
            raise LayerError(one_line(error, here)) from None
    return entries


def one_line(error: ValidationError, where: str) -> str:
    """The first error (a misspelt key first) as ``where.field: message, found value``; a
    check of several fields names the one it is about first (``padding: ...``)."""
    first = min(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    path = ".".join([where, *(str(part) for part in first["loc"])])
    message = first["msg"].removeprefix("Value error, ")
    named = re.match(r"(\w+): ", message)
    if not first["loc"] and named:
        path, message = f"{path}.{named.group(1)}", message[named.end():]
    found = first.get("input")
    if first["type"] == "extra_forbidden":
        message = "not a key of this layer"
    elif isinstance(found, (str, int, float)) and first["type"] not in ("missing", "value_error"):
        message += f", found {found!r}"
    return f"{path}: {message}"


@dataclass(frozen=True)
class Shapes:
    """One entry's shapes for one example (no batch axis), in the network's layout:
    (H, W, C) or (C, H, W) for images, (features,) for rows; its parameters' shapes as
    the source holds them (a conv's b: (filters,), or any shape of as many elements with
    ones elsewhere); the padded input's rows and columns no window reads."""

    input: tuple
    output: tuple
    parameters: dict = field(default_factory=dict)
    unread: tuple = (0, 0)


def image(shape: tuple, layout: str) -> tuple[int, int, int]:
    """(H, W, C) of one example's image held in ``layout``."""
    return tuple(shape) if layout == "channels_last" else (shape[1], shape[2], shape[0])


def held(H: int, W: int, C: int, layout: str) -> tuple[int, int, int]:
    return (H, W, C) if layout == "channels_last" else (C, H, W)


def window_count(n: int, p: int, f: int, s: int) -> tuple[int, int]:
    """Windows along one axis of n inputs with p zeros on each side, and the rows left over."""
    return (n + 2 * p - f) // s + 1, (n + 2 * p - f) % s


def check_input_shape(shape, layout: str) -> tuple:
    names = "(H, W, C)" if layout == "channels_last" else "(C, H, W)"
    if (not isinstance(shape, (list, tuple)) or len(shape) != 3
            or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in shape)):
        raise LayerError(f"input: expected one example's shape {names} of sizes 1 or more in "
                         f"layout '{layout}', found {shape!r}")
    return tuple(shape)


def infer_shapes(input_shape, layers: list[Entry], where: str = "layers") -> list[Shapes]:
    """Each entry's shapes from one example's ``input_shape`` (in the layers' layout), or a
    LayerError of one line for the first entry that cannot take what flows into it."""
    layout = next((getattr(layer, "layout") for layer in layers if hasattr(layer, "layout")),
                  "channels_last")
    shape, shapes = check_input_shape(input_shape, layout), []
    for k, layer in enumerate(layers):
        here = f"{where}.{k}"
        if layer.type in SPATIAL + ("flatten",) and len(shape) != 3:
            raise LayerError(f"{here}: a {layer.type} takes images, "
                             f"{'(H, W, C)' if layout == 'channels_last' else '(C, H, W)'} each; "
                             f"its input is rows of {shape[0]} features")
        if layer.type == "dense":
            shapes.append(dense_shapes(layer, shape, here))
        elif layer.type == "flatten":
            shapes.append(Shapes(shape, (int(np.prod(shape)),)))
        else:
            shapes.append(spatial_shapes(layer, shape, here))
        shape = shapes[-1].output
    return shapes


def spatial_shapes(layer, shape: tuple, here: str) -> Shapes:
    """A conv's or a pool's output from its input (H, W, C) or (C, H, W)."""
    H, W, C = image(shape, layer.layout)
    (fh, fw), (sh, sw), (ph, pw) = size(layer), layer.stride, pads(layer)
    what = "kernel" if layer.type == "conv2d" else "window"
    if fh > H + 2 * ph or fw > W + 2 * pw:
        raise LayerError(f"{here}.{what}: {fh} x {fw} is larger than its padded input "
                         f"{H + 2 * ph} x {W + 2 * pw} (input {H} x {W}, padding {ph}, {pw})")
    (Ho, rows), (Wo, columns) = window_count(H, ph, fh, sh), window_count(W, pw, fw, sw)
    if layer.type != "conv2d":
        return Shapes(shape, held(Ho, Wo, C, layer.layout), unread=(rows, columns))
    kernel = ((fh, fw, C, layer.filters) if layer.kernel_layout == "hwio"
              else (layer.filters, C, fh, fw))
    parameters = {"W": kernel} | ({"b": (layer.filters,)} if layer.bias == "trained" else {})
    return Shapes(shape, held(Ho, Wo, layer.filters, layer.layout), parameters, (rows, columns))


def dense_shapes(layer: Dense, shape: tuple, here: str) -> Shapes:
    if len(shape) != 1:
        raise LayerError(f"{here}: a dense layer takes rows of features; its input is images of "
                         f"shape {shape}: put a flatten before it")
    n_in = shape[0]
    if layer.inputs is not None and layer.inputs != n_in:
        raise LayerError(f"{here}.inputs: {n_in} features flow into it, found {layer.inputs}")
    W = (n_in, layer.units) if layer.weight_layout == "in_out" else (layer.units, n_in)
    parameters = {"W": W} | ({"b": (layer.units,)} if layer.bias == "trained" else {})
    return Shapes(shape, (layer.units,), parameters)


def check_parameter(here: str, name: str, found: tuple, shapes: Shapes) -> None:
    """A start value's shape against what the entry needs: W exactly, b any shape of as
    many numbers with ones elsewhere ((1, 1, 1, filters) as deeplearning.ai holds it)."""
    expected = shapes.parameters.get(name)
    if expected is None:
        raise LayerError(f"{here}.{name}: the layer has no {name} (its parameters are "
                         f"{', '.join(shapes.parameters) or 'none'})")
    fits = (tuple(found) == expected if name == "W"
            else tuple(n for n in found if n != 1) == tuple(n for n in expected if n != 1))
    if not fits:
        raise LayerError(f"{here}.{name}: expected shape {expected}, found {tuple(found)}")


# --- max-pool ties: a gradient the frameworks may route differently ---------------------

def tied_maxima(X, layer: MaxPool2d) -> np.ndarray:
    """Which elements of a max pool's input (any framework's, as a NumPy array in the
    layer's layout) are one of two or more equal largest values of some window: where a
    window's gradient goes is a convention there (the first, every one, a share each),
    so an engine reports dX at these elements as a finding, not a compared value."""
    X = np.asarray(X)
    if layer.layout == "channels_first":
        X = X.transpose(permutation("NCHW", "NHWC"))
    (fh, fw), (sh, sw), (ph, pw) = layer.window, layer.stride, layer.padding
    Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=-np.inf)
    tied = np.zeros(Xp.shape, dtype=bool)
    Ho, Wo = window_count(X.shape[1], ph, fh, sh)[0], window_count(X.shape[2], pw, fw, sw)[0]
    for i in range(Ho):
        for j in range(Wo):
            rows, columns = slice(i * sh, i * sh + fh), slice(j * sw, j * sw + fw)
            window = Xp[:, rows, columns, :]
            largest = window == window.max(axis=(1, 2), keepdims=True)
            tie = largest.sum(axis=(1, 2), keepdims=True) > 1
            tied[:, rows, columns, :] |= largest & tie
    tied = tied[:, ph:ph + X.shape[1], pw:pw + X.shape[2], :]
    return tied if layer.layout == "channels_last" else tied.transpose(permutation("NHWC", "NCHW"))


def split_at_ties(dX, tied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A max pool's dX as (the compared part: dX with its tied elements set to 0, the
    finding: dX at the tied elements and NaN, no tie, elsewhere). Both keep dX's shape,
    as a quantity the trace records at every step must, however many ties a step has.
    Every framework splits at its own input's ties (``tied_maxima``); the inputs agree
    exactly where ties come from exact data (integers, zeros after a relu)."""
    dX = np.asarray(dX)
    return np.where(tied, np.zeros_like(dX), dX), np.where(tied, dX, np.full_like(dX, np.nan))
