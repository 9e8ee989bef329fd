"""The declared tables of the generic engines: each layout, bias, cost and optimizer a
``[network]`` may name, what it computes, and how each framework's engine spells it.

``OPTIMIZER_KINDS`` are the kinds of a definition's ``[optimizer]`` table (its schema:
``reproductions/engines/optimizers.py``). One declaration serves three readers: the schema (``definition.Network``'s choices),
the translation notes (``translate.py``) and the tables of ``generic/README.md``, which
``python -m reproductions.generic.tables`` writes from these (``tests/test_translate.py``
holds the README to them).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    forward: str  # the forward pass of one layer
    W: str  # W's shape
    b: str  # a bias's shape
    examples: str  # the shape of X, Y, Z and A


@dataclass(frozen=True)
class Bias:
    meaning: str
    start: str  # the shape of its start value
    torch: str
    tensorflow: str
    jax: str


@dataclass(frozen=True)
class Spelled:
    """A cost or an optimizer: its value or rule, and each framework's spelling."""
    value: str
    torch: str
    tensorflow: str
    jax: str


LAYOUTS = {
    "rows": Layout("Z = A @ W + b", "(in, out)", "(out,) or (1, out)",
                   "(m, features): one example per row"),
    "columns": Layout("Z = W @ A + b", "(out, in)", "(out, 1)",
                      "(features, m): one example per column"),
    "columns_transposed": Layout("Z = W^T @ A + b", "(in, out)", "(out, 1)", "(features, m)"),
    "channels_last": Layout("images through conv2d / pool / flatten entries, then dense "
                            "layers as in `rows`", "a conv's (fh, fw, C_in, C_out) (`hwio`); "
                            "a dense layer's (in, out)", "a conv's (filters,) or (1, 1, 1, "
                            "filters); a dense layer's as in `rows`",
                            "X (m, H, W, C); a conv's or pool's Z, A (m, H', W', C'); after "
                            "the flatten (m, features)"),
    "channels_first": Layout("the same, images held (C, H, W)", "a conv's (C_out, C_in, fh, "
                             "fw) (`oihw`); a dense layer's (in, out)", "a conv's (filters,) "
                             "or (1, filters, 1, 1); a dense layer's as in `rows`",
                             "X (m, C, H, W); Z, A (m, C', H', W'); after the flatten "
                             "(m, features)"),
}

BIASES = {
    "trained": Bias("a bias per unit, `b<k>`, updated",
                    "(out,) or (1, out) in `rows`, (out, 1) otherwise",
                    "`nn.Linear` bias (out,)", "`Dense` bias (out,)", "an array (out,)"),
    "fixed": Bias("the same, held at its start value (no gradient, never updated)", "the same",
                  "`nn.Linear` bias (out,), `requires_grad = False`",
                  "`Dense` bias (out,), kept out of the tape and the optimizer",
                  "an array (out,) outside the differentiated parameters"),
    "shared": Bias("one number added to every unit of the layer, updated (not before a "
                   "softmax, which ignores it)", "(1, 1), (1,) or ()",
                   "an `nn.Parameter` of shape ()", "a `tf.Variable` of shape ()",
                   "an array of shape ()"),
    "folded": Bias("the bias trick: a one is appended to each example's input and W<k> has "
                   "one more input, its last row (`rows`, `columns_transposed`) or column "
                   "(`columns`)", "none: it is part of W<k>",
                   "the last input column of the `nn.Linear` weight, on `torch.cat`'s ones",
                   "the last row of the `Dense` kernel, on `tf.concat`'s ones",
                   "the last row of W (in + 1, out), on `jnp.concatenate`'s ones"),
    "none": Bias("no bias", "none", "none (`bias=False`)", "none (`use_bias=False`)", "none"),
}

# E = Y - A, m examples, N = m x outputs elements, n outputs
COSTS = {
    "half_sum_squares": Spelled("sum E^2 / 2", '`0.5 * MSELoss(reduction="sum")`',
                                '`0.5 * n * MeanSquaredError(reduction="sum")`',
                                "`jnp.sum(l2_loss(A, Y))`"),
    "sum_squares": Spelled("sum E^2", '`MSELoss(reduction="sum")`',
                           '`n * MeanSquaredError(reduction="sum")`',
                           "`jnp.sum(squared_error(A, Y))`"),
    "mse": Spelled("sum E^2 / N", "`MSELoss()`", "`MeanSquaredError()`",
                   "`jnp.mean(squared_error(A, Y))`"),
    "half_mean_squares": Spelled("sum E^2 / (2m)", "`0.5 * n * MSELoss()`",
                                 "`0.5 * n * MeanSquaredError()`", "`jnp.sum(l2_loss(A, Y)) / m`"),
    "mae": Spelled("sum \\|E\\| / N", "`L1Loss()`", "`MeanAbsoluteError()`",
                   "`jnp.mean(jnp.abs(A - Y))` (optax has none)"),
    "binary_nll": Spelled("-sum(Y log A + (1 - Y) log(1 - A)) / N, sigmoid output",
                          "`BCEWithLogitsLoss()`", "`BinaryCrossentropy(from_logits=True)`",
                          "`jnp.mean(sigmoid_binary_cross_entropy(Z, Y))`"),
    "multiclass_nll_sum": Spelled("-sum Y log A, softmax output, one-hot Y",
                                  '`CrossEntropyLoss(reduction="sum")`',
                                  '`CategoricalCrossentropy(from_logits=True, reduction="sum")`',
                                  "`jnp.sum(softmax_cross_entropy(Z, Y))`"),
    "multiclass_nll_mean": Spelled("-sum Y log A / m, softmax output, one-hot Y",
                                   "`CrossEntropyLoss()`",
                                   "`CategoricalCrossentropy(from_logits=True)`",
                                   "`jnp.mean(softmax_cross_entropy(Z, Y))`"),
    "binary_nll_probabilities": Spelled(
        "-sum(Y log A + (1 - Y) log(1 - A)) / N on the sigmoid output A itself, as sources "
        "write it (inf where A rounds to 0 or 1)",
        "`-torch.mean(Y * log(A) + (1 - Y) * log(1 - A))` (`BCELoss` clamps each log at -100)",
        "the same in `keras.ops` (`BinaryCrossentropy()` clips A to [1e-7, 1 - 1e-7])",
        "the same in `jax.numpy` (optax has none on probabilities)"),
    "hinge": Spelled("sum max(0, 1 - Y A) / N, labels Y -1 or 1: the mean over the examples "
                     "of one output", "`torch.mean(torch.clamp(1 - Y * A, min=0))` (torch has "
                     "no such loss class)", "`Hinge()`", "`jnp.mean(hinge_loss(A, Y))`"),
}

# the entries of network.layers before the dense layers (reproductions/engines/LAYERS.md
# gives every key); each framework's engine runs engines/<framework>/layers.py
LAYERS = {
    "conv2d": Spelled("Z = the kernel slid over the zero-padded input (a cross-correlation) "
                      "+ b, then the entry's activation", "`F.conv2d` on NCHW / OIHW",
                      "`tf.nn.conv2d` on NHWC / HWIO, explicit padding",
                      "`jax.lax.conv_general_dilated` in the source's layout"),
    "max_pool2d": Spelled("each window's largest value, channel by channel (padding -inf)",
                          "`F.max_pool2d`", "`tf.nn.max_pool2d` after `tf.pad` with -inf",
                          "`jax.lax.reduce_window` with `max`"),
    "avg_pool2d": Spelled("each window's mean over fh * fw (padding zeros counted)",
                          "`F.avg_pool2d(count_include_pad=True)`",
                          "`tf.nn.avg_pool2d` after `tf.pad`",
                          "`jax.lax.reduce_window` with `add`, / (fh * fw)"),
    "flatten": Spelled("each example's image as one row of features, in `order`",
                       "`torch.flatten(start_dim=1)` after a permute",
                       "`tf.reshape` after a transpose", "`reshape` after a transpose"),
}

OPTIMIZERS = {
    "gradient_descent": Spelled("W <- W - learning_rate * dCost/dW on the step's examples",
                                "`torch.optim.SGD(parameters, lr=learning_rate)`",
                                "`keras.optimizers.SGD(learning_rate)`",
                                "`optax.sgd(learning_rate)`"),
}

# The kinds of an [optimizer] table (reproductions/engines/optimizers.py, whose formulas
# and findings reproductions/engines/OPTIMIZERS.md gives): each framework's class, used
# where it computes the source's formula; "written out": the update in the framework's
# ops (reproductions/engines/<framework>/optimizers.py) where it does not.
OPTIMIZER_KINDS = {
    "sgd": Spelled("p = p - lr_t g", "`torch.optim.SGD`", "`keras.optimizers.SGD`",
                   "`optax.sgd`"),
    "momentum": Spelled("`mu_v_plus_g`: v = mu v + g, p = p - lr_t v; `mu_v_minus_lr_g`: "
                        "v = mu v - lr_t g, p = p + v",
                        "`SGD(momentum, dampening=0)`; written out for `mu_v_minus_lr_g` "
                        "under a schedule", "`SGD(momentum)`; written out for `mu_v_plus_g` "
                        "under a schedule", "`optax.sgd(momentum)`; written out for "
                        "`mu_v_minus_lr_g` under a schedule"),
    "nesterov": Spelled("as momentum, the step taking mu v once more",
                        "as momentum, `nesterov=True`", "as momentum, `nesterov=True`",
                        "as momentum, `nesterov=True`"),
    "adagrad": Spelled("G = G + g^2, p = p - lr_t g / (sqrt(G) + eps) (or eps inside)",
                       "`Adagrad` for eps outside, else written out",
                       "`Adagrad` for eps inside, else written out",
                       "`optax.adagrad` for eps inside, else written out"),
    "rmsprop": Spelled("S = rho S + (1 - rho) g^2, p = p - lr_t g / (sqrt(S) + eps) (or eps "
                       "inside)", "`RMSprop` for eps outside, else written out",
                       "`RMSprop` for eps inside, else written out",
                       "`optax.rmsprop(eps_in_sqrt)`"),
    "adam": Spelled("m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p = p - lr_t mh / "
                    "(sqrt(vh) + eps) with the bias corrections (variants: OPTIMIZERS.md)",
                    "`Adam` for eps outside sqrt(vh), else written out",
                    "`Adam` for eps outside sqrt(v) (`outside_sqrt_uncorrected`) in float64, "
                    "else written out", "`optax.adam` for eps outside or inside sqrt(vh) in "
                    "float64, else written out"),
}


def markdown(name: str) -> str:
    """One of the README's tables, as Markdown."""
    if name == "layouts":
        head = ["layout", "forward", "W", "b", "X, Y, Z, A"]
        rows = [[f"`{k}`", v.forward, v.W, v.b, v.examples] for k, v in LAYOUTS.items()]
    elif name == "biases":
        head = ["`bias`", "what it is", "start value", "torch", "Keras", "JAX"]
        rows = [[f'`"{k}"`' + (" (default)" if k == "trained" else ""), v.meaning, v.start,
                 v.torch, v.tensorflow, v.jax] for k, v in BIASES.items()]
    else:
        table = {"costs": COSTS, "optimizers": OPTIMIZERS, "optimizer_kinds": OPTIMIZER_KINDS,
                 "layers": LAYERS}[name]
        head = [{"costs": "cost", "optimizers": "optimizer", "optimizer_kinds": "kind",
                 "layers": "layer"}[name],
                {"costs": "value", "layers": "what it computes"}.get(name, "rule"), "torch",
                "Keras" if name != "layers" else "TensorFlow",
                "JAX (`optax`)" if name != "layers" else "JAX"]
        rows = [[f"`{k}`", v.value, v.torch, v.tensorflow, v.jax] for k, v in table.items()]
    lines = [head, ["---"] * len(head), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


TABLES = ("layouts", "biases", "costs", "optimizers", "optimizer_kinds", "layers")
README = Path(__file__).with_name("README.md")
BLOCK = re.compile(r"(<!-- table: (\w+) -->\n).*?(\n<!-- end of table -->)", re.S)


def written(text: str) -> str:
    """The README's text with each declared table block rewritten from this module."""
    return BLOCK.sub(lambda m: m.group(1) + markdown(m.group(2)) + m.group(3), text)


if __name__ == "__main__":  # python -m reproductions.generic.tables: rewrite the README's tables
    README.write_text(written(README.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
