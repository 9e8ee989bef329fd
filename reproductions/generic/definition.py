"""The ``[network]`` of a definition file: a fully connected feed-forward network.

The schema, the names it gives what it builds, and the checks of the network against
the definition's data and start values. Names follow one rule, in the source's layout:

- parameters ``W1, b1, W2, b2, ...``, layer 1 next to the input (``[init]`` gives
  each start value, claims name them and their gradients ``grad.W1``, ...);
- intermediates ``Z1, A1, Z2, A2, ...``: layer k's pre-activation and activation,
  and ``dZ1, dZ2, ...``: dCost/dZ of each layer (the deltas of the backward pass);
- data ``X`` (inputs) and ``Y`` (targets).

Layouts, where m is the number of examples:

| layout               | forward          | W          | X, Y, Z, A           |
| -------------------- | ---------------- | ---------- | -------------------- |
| `rows`               | Z = A @ W + b    | (in, out)  | (m, features)        |
| `columns`            | Z = W @ A + b    | (out, in)  | (features, m)        |
| `columns_transposed` | Z = W^T @ A + b  | (in, out)  | (features, m)        |

A bias is (out,) or (1, out) in `rows`, (out, 1) in the others; a shared bias is one
number, (1, 1). A folded bias is a last row (``rows``, ``columns_transposed``) or
column (``columns``) of W, applied to a one appended to each example's input.
"""

from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from reproductions.spec import Example, Strict

ENGINE = "reproductions.generic"
NLL_OUTPUT = {"binary_nll": "sigmoid", "multiclass_nll_sum": "softmax",
              "multiclass_nll_mean": "softmax"}  # the output each NLL is computed on


class Layer(Strict):
    units: int = Field(ge=1)
    activation: Literal["identity", "sigmoid", "tanh", "relu", "softmax"]
    bias: Literal["trained", "fixed", "shared", "folded", "none"] = Field(
        "trained", description="trained b<k>; fixed: kept at its start value; shared: one "
                               "trained number for the layer; folded: W<k>'s last input, on a one "
                               "appended to the input; none")

    @model_validator(mode="after")
    def a_shared_bias_moves_the_output(self):
        if self.bias == "shared" and self.activation == "softmax":
            raise ValueError("a shared bias before a softmax changes nothing (softmax ignores a "
                             "shift common to its units): its gradient would be rounding alone")
        return self


class Network(Strict):
    """What the engines build. The costs, with E = Y - A, m examples and N = m * outputs:
    half_sum_squares sum E^2 / 2, sum_squares sum E^2, mse sum E^2 / N,
    half_mean_squares sum E^2 / (2m), mae sum |E| / N, binary_nll
    -sum(Y log A + (1 - Y) log(1 - A)) / N on a sigmoid output, multiclass_nll_sum
    -sum Y log A and multiclass_nll_mean -sum Y log A / m on a softmax output."""

    layout: Literal["rows", "columns", "columns_transposed"]
    inputs: int = Field(ge=1, description="features of one example")
    layers: list[Layer] = Field(min_length=1)
    cost: Literal["half_sum_squares", "sum_squares", "mse", "half_mean_squares", "mae",
                  "binary_nll", "multiclass_nll_sum", "multiclass_nll_mean"]
    l2: float = Field(0.0, ge=0, allow_inf_nan=False,
                      description="adds l2 / 2 * sum of every W squared (biases not) to the cost")
    optimizer: Literal["gradient_descent"] = Field(
        "gradient_descent", description="at hyper.learning_rate, on the step's examples")
    batch_size: int | None = Field(None, ge=1, description="mini-batches of this many "
                                   "consecutive examples, in order, from the first again after "
                                   "the last (default: the whole data set every step)")
    order: list[int | list[int]] | None = Field(
        None, min_length=1, description="the examples of each step, from the first again after "
                                        "the last: an index (one example a step) or a list of "
                                        "indices (a mini-batch)")

    @field_validator("order")
    @classmethod
    def indices_are_not_negative(cls, order):
        for entry in order or []:
            for index in entry if isinstance(entry, list) else [entry]:
                if index < 0:
                    raise ValueError(f"example indices are 0 or more, found {index}")
        lengths = sorted({len(entry) if isinstance(entry, list) else 1 for entry in order or []})
        if len(lengths) > 1:  # a recorded Z, A or dZ keeps one shape over the steps
            raise ValueError(f"every step takes as many examples: found {lengths[0]} and "
                             f"{lengths[-1]}")
        if lengths == [0]:
            raise ValueError("an empty mini-batch")
        return order

    @field_validator("cost")
    @classmethod
    def nll_has_its_output(cls, cost: str, info: ValidationInfo) -> str:
        layers = info.data.get("layers")  # absent when they were invalid
        needed, found = NLL_OUTPUT.get(cost), layers[-1].activation if layers else None
        if needed is not None and found is not None and found != needed:
            raise ValueError(f"'{cost}' needs a {needed} output layer, found '{found}'")
        return cost

    @model_validator(mode="after")
    def one_way_to_batch(self):
        if self.batch_size is not None and self.order is not None:
            raise ValueError("batch_size and order both say which examples a step uses: give one")
        return self


def network_of(example: Example) -> Network:
    return Network.model_validate(example.network)


def examples_axis(layout: str) -> int:
    """The axis of X, Y, Z and A that runs over the examples (the other one: the units)."""
    return 0 if layout == "rows" else 1


def intermediates(Zs: list, As: list, dZs: list | None = None) -> dict:
    """Each layer's Z, A (and dZ) by name, in the order Z1, A1, dZ1, Z2, ..."""
    named = {}
    for k, (Z, A) in enumerate(zip(Zs, As), 1):
        named.update({f"Z{k}": Z, f"A{k}": A})
        if dZs is not None:
            named[f"dZ{k}"] = dZs[k - 1]
    return named


HAS_B = ("trained", "fixed", "shared")  # the bias kinds with a b<k> of their own


def start_names(network: Network) -> list[str]:
    """Every parameter that has a start value: W1, b1, W2, ... (no b where the bias is
    'none' or folded into W)."""
    return [name for k, layer in enumerate(network.layers, 1)
            for name in [f"W{k}"] + ([f"b{k}"] if layer.bias in HAS_B else [])]


def trained_names(network: Network) -> list[str]:
    """The parameters gradient descent updates (a 'fixed' bias keeps its start value)."""
    return [name for k, layer in enumerate(network.layers, 1)
            for name in [f"W{k}"] + ([f"b{k}"] if layer.bias in ("trained", "shared") else [])]


def value_names(network: Network) -> list[str]:
    """The intermediates, layer by layer: Z1, A1, dZ1, Z2, ..."""
    return [f"{q}{k}" for k in range(1, len(network.layers) + 1) for q in ("Z", "A", "dZ")]


def batch(network: Network, m: int, step: int) -> list[int] | None:
    """The examples of a step, by index; None for the whole data set."""
    if network.order is not None:
        entry = network.order[step % len(network.order)]
        return entry if isinstance(entry, list) else [entry]
    if network.batch_size is not None:
        first = step * network.batch_size % m
        return list(range(first, first + network.batch_size))
    return None


def batch_size(network: Network, m: int, step: int) -> int:
    indices = batch(network, m, step)
    return m if indices is None else len(indices)


def recorded_names(network: Network) -> list[str]:
    """What the engines record: the cost, each trained parameter and its gradient, Z and A."""
    trained = trained_names(network)
    return ["cost", *trained, *(f"grad.{name}" for name in trained), *value_names(network)]


def framework_layouts(network: Network) -> dict[str, list[str]]:
    """The example's [layout]: the torch, TensorFlow and JAX engines hold examples as
    rows, an nn.Linear weight as (out, in), a Dense kernel and JAX's W as (in, out);
    each lists the names it holds transposed from the source. NumPy computes in the
    source's layout."""
    weights = [f"W{k}" for k in range(1, len(network.layers) + 1)]
    examples = [] if network.layout == "rows" else ["X", "Y", *value_names(network)]
    out_in = network.layout == "columns"
    in_out = examples + (weights if out_in else [])  # Keras's layout, and JAX's
    return {"torch": examples + ([] if out_in else weights), "tensorflow": in_out, "jax": in_out}


def shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def expected_shapes(network: Network, m) -> dict[str, list[tuple]]:
    """The shapes the source's layout allows for the data, the start values and the
    recorded intermediates, with m examples."""
    rows, sizes = network.layout == "rows", [network.inputs] + [l.units for l in network.layers]
    held = (lambda n: (m, n)) if rows else (lambda n: (n, m))
    shapes = {"X": [held(network.inputs)], "Y": [held(sizes[-1])]}
    for k, (n_in, n_out, layer) in enumerate(zip(sizes, sizes[1:], network.layers), 1):
        n_in += layer.bias == "folded"
        shapes[f"W{k}"] = [(n_out, n_in) if network.layout == "columns" else (n_in, n_out)]
        shapes[f"b{k}"] = ([(1, 1), (1,), ()] if layer.bias == "shared" else
                           [(n_out,), (1, n_out)] if rows else [(n_out, 1)])
        shapes[f"Z{k}"] = shapes[f"A{k}"] = shapes[f"dZ{k}"] = [held(n_out)]
    return shapes


def check_shape(field: str, found: tuple, allowed: list[tuple], layout: str) -> None:
    if tuple(found) not in allowed:
        expected = " or ".join(map(shape_text, allowed))
        raise ValueError(f"{field}: expected shape {expected} in layout '{layout}', "
                         f"found {shape_text(found)}")


def check_finite(field: str, value) -> None:
    array = np.asarray(value, dtype=np.float64)
    if not np.isfinite(array).all():
        where = [int(i) for i in np.argwhere(~np.isfinite(array))[0]]
        raise ValueError(f"{field}: expected finite numbers, found {array[tuple(where)]}"
                         + (f" at {where}" if where else ""))


def check_data(network: Network, example: Example) -> int:
    """X and Y as the layout holds them; returns the number of examples."""
    per = "row" if network.layout == "rows" else "column"
    for name, what in (("X", "the inputs"), ("Y", "the targets")):
        if name not in example.data:
            raise ValueError(f"data.{name}: missing ({what}, one example per {per})")
        check_finite(f"data.{name}", example.data[name])
    X, axis = example.array("X"), examples_axis(network.layout)
    if X.ndim != 2 or X.shape[1 - axis] != network.inputs:
        raise ValueError(f"data.X: expected shape {shape_text(expected_shapes(network, 'm')['X'][0])}"
                         f" in layout '{network.layout}' (one example per {per}, network.inputs "
                         f"= {network.inputs}), found {shape_text(X.shape)}")
    m = X.shape[axis]
    check_shape("data.Y", example.array("Y").shape, expected_shapes(network, m)["Y"], network.layout)
    check_batches(network, m)
    return m


def check_batches(network: Network, m: int) -> None:
    if network.batch_size is not None and m % network.batch_size:
        raise ValueError(f"network.batch_size: {m} examples do not split into batches of "
                         f"{network.batch_size}")
    for entry in network.order or []:
        for index in entry if isinstance(entry, list) else [entry]:
            if index >= m:
                raise ValueError(f"network.order: example {index} does not exist (there are "
                                 f"{m}, 0 to {m - 1})")


def check_start_values(network: Network, example: Example, allowed: dict) -> None:
    given, names = {param.name: param for param in example.init.params}, start_names(network)
    for name in given:
        if name not in names:
            raise ValueError(f"init.params.{name}: not a parameter of the network (its start "
                             f"values are {', '.join(names)})")
    for name in names:
        if name not in given:
            raise ValueError(f"init.params.{name}: missing (the network's start values are "
                             f"{', '.join(names)})")
        check_shape(f"init.params.{name}", given[name].shape, allowed[name], network.layout)
        if given[name].value is not None or not isinstance(given[name].scale, str):
            check_finite(f"init.params.{name}", given[name].value if given[name].value is not None
                         else given[name].scale)


def check_learning_rate(example: Example) -> None:
    rate = example.hyper.get("learning_rate")
    if rate is None:
        raise ValueError("hyper.learning_rate: missing (gradient descent needs it)")
    if isinstance(rate, (str, bool)) or not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"hyper.learning_rate: expected a finite number above 0, found {rate!r}")


def check_network(network: Network, example: Example) -> None:
    """The network against the definition's rate, data and start values: a ValueError
    naming the field, what it should be and what it is."""
    check_learning_rate(example)
    for name, value in example.hyper.items():
        if isinstance(value, float):
            check_finite(f"hyper.{name}", value)
    m = check_data(network, example)
    check_start_values(network, example, expected_shapes(network, m))


def check_claims(network: Network, example: Example) -> None:
    """A claim names what the engines record, and an element of it (spec has checked
    the claims on start values, parameters, gradients and the cost)."""
    recorded, values = recorded_names(network), value_names(network)
    m = example.array("X").shape[examples_axis(network.layout)]
    for claim in example.claims:
        if claim.quantity.startswith("init."):
            continue
        if claim.quantity not in recorded:
            raise ValueError(f"claims.quantity: '{claim.quantity}' ({claim.where}) is not "
                             f"recorded; the engines record {', '.join(recorded)}")
        if claim.quantity in values:
            shape = expected_shapes(network, batch_size(network, m, claim.step))[claim.quantity][0]
            if len(claim.index) != 2 or any(not 0 <= i < n for i, n in zip(claim.index, shape)):
                raise ValueError(f"claims.index: {claim.quantity}{claim.index} ({claim.where}) "
                                 f"is outside its shape {shape_text(shape)}")
