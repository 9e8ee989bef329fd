"""The ``[network]`` of a definition file: a fully connected feed-forward network.

The schema, the names it gives what it builds, and the checks of the network against
the definition's data and start values. Names follow one rule, in the source's layout:

- parameters ``W1, b1, W2, b2, ...``, layer 1 next to the input (``[init]`` gives
  each start value, claims name them and their gradients ``grad.W1``, ...);
- intermediates ``Z1, A1, Z2, A2, ...``: layer k's pre-activation and activation,
  and ``dZ1, dZ2, ...``: dCost/dZ of each layer (the deltas of the backward pass);
- data ``X`` (inputs) and ``Y`` (targets).

An image network (``layout`` ``channels_last`` or ``channels_first``, ``input`` one
example's shape) lists ``conv2d``, ``max_pool2d``, ``avg_pool2d`` and ``flatten`` entries
(engines/LAYERS.md) before its dense layers, which compute as in ``rows``. Layer k is
the k-th entry whatever its type: a conv gives ``W<k>`` (its kernel) and ``b<k>``, and
``Z<k>, A<k>, dZ<k>``; a pool or a flatten, which has no parameter and no activation,
gives ``A<k>`` alone.

The layouts, biases, costs and optimizers are declared once, with what each computes and
how each framework spells it, in ``tables.py`` (the choices below are its keys).
"""

import dataclasses
import functools
import math
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails

from reproductions import derived
from reproductions.engines import layers as image
from reproductions.engines import optimizers
from reproductions.generic.tables import BIASES, COSTS, LAYERS, LAYOUTS, OPTIMIZERS
from reproductions.schema import Strict, shape_text

if TYPE_CHECKING:
    from reproductions.spec import Example
    from reproductions.trace import Recording
NLL_OUTPUT = {"binary_nll": "sigmoid", "multiclass_nll_sum": "softmax",
              "multiclass_nll_mean": "softmax",
              "binary_nll_probabilities": "sigmoid"}  # the output each NLL is computed on


class Layer(Strict):
    units: int = Field(ge=1)
    activation: Literal["identity", "sigmoid", "tanh", "relu", "softmax"]
    bias: Literal[tuple(BIASES)] = Field(
        "trained", description="trained b<k>; fixed: kept at its start value; shared: one "
                               "trained number for the layer; folded: W<k>'s last input, on a one "
                               "appended to the input; none")

    @property
    def type(self) -> str:
        """What an image network's entries name their kind by (``type = "dense"`` is allowed)."""
        return "dense"

    @model_validator(mode="after")
    def a_shared_bias_moves_the_output(self):
        if self.bias == "shared" and self.activation == "softmax":
            raise ValueError("a shared bias before a softmax changes nothing (softmax ignores a "
                             "shift common to its units): its gradient would be rounding alone")
        return self


class Shuffle(Strict):
    """``network.shuffle``: the examples drawn into a new order every epoch, before its
    mini-batches are taken, as the source draws the order (reproductions/engines/draws.py)."""

    generator: Literal["numpy_legacy", "numpy_generator", "torch"] = Field(
        description="numpy_legacy: np.random.seed(seed), then np.random.permutation(m) every "
                    "epoch; numpy_generator: rng = np.random.default_rng(seed), then "
                    "rng.permutation(m); torch: torch.manual_seed(seed), then a pass over a "
                    "DataLoader(..., shuffle=True) every epoch")
    seed: int = Field(ge=0, lt=2 ** 32, description="the seed given before the first epoch")
    seed_each_epoch: bool = Field(
        False, description="the source seeds again before each epoch's draw, with seed + the "
                           "epoch's index (0 first): a helper that calls np.random.seed(seed) "
                           "as the caller counts seed up")


IMAGE_LAYOUTS = image.LAYOUTS  # channels_last, channels_first
assert set(LAYERS) == set(image.ENTRIES) - {"dense"}  # tables.py declares each entry
ImageLayer = image.Conv2d | image.MaxPool2d | image.AvgPool2d | image.Flatten


def is_image_entry(entry) -> bool:
    """A raw entry of network.layers that is no dense layer (it names another type)."""
    return isinstance(entry, dict) and entry.get("type", "dense") != "dense"


class Network(Strict):
    """What the engines build (each choice's meaning: tables.py). No cost (None): a
    forward pass only, at step 0 (steps = 0), which needs no targets Y and no rate."""

    layout: Literal[tuple(LAYOUTS)]
    inputs: int = Field(ge=1, description="features of one example (an image network: "
                                          "H * W * C, set from input)")
    input: tuple[int, int, int] | None = Field(
        None, description="an image network's one example: (H, W, C) in channels_last, "
                          "(C, H, W) in channels_first")
    layers: list[Layer | ImageLayer] = Field(min_length=1)
    cost: Literal[tuple(COSTS)] | None = Field(
        None, description="what gradient descent minimises; none: a forward pass only "
                          "(steps = 0), Z and A at step 0 and no targets Y")
    l2: float = Field(0.0, ge=0, allow_inf_nan=False,
                      description="adds l2 / 2 * the sum of squares of the parameters l2_on "
                                  "names (every W, biases not, by default) to the cost")
    l2_on: Literal["weights", "all"] | list[str] = Field(
        "weights", description="what the l2 term penalises: 'weights' (every W), 'all' (every "
                               "trained parameter, biases too) or a list of trained parameters "
                               "by their names")
    optimizer: Literal[tuple(OPTIMIZERS)] = Field(
        "gradient_descent", description="at hyper.learning_rate, on the step's examples")
    batch_size: int | None = Field(None, ge=1, description="mini-batches of this many "
                                   "consecutive examples, in order (shuffled with shuffle), an "
                                   "epoch after another; the last of an epoch is smaller where "
                                   "they do not divide the examples (default: the whole data "
                                   "set every step)")
    shuffle: Shuffle | None = Field(None, description="the examples in a new order every epoch, "
                                                      "drawn as the source draws it")
    order: list[int | list[int]] | str | None = Field(
        None, description="the examples of each step, from the first again after the last: an "
                          "index (one example a step) or a list of indices (a mini-batch); or "
                          "the name of a [data] entry that lists them")
    data: dict[Literal["X", "Y", "X_test", "Y_test"], str] = Field(
        {}, description="the [data] entries that are the inputs X and the targets Y, and a "
                        "held-out test set X_test and Y_test, where the source names them "
                        "otherwise (default: X, Y, X_test, Y_test)")
    scale: dict[Literal["X", "Y"], str | float] = Field(
        {}, description="how the source scales X or Y before training: divided by a number, or "
                        "'max', each feature divided by its largest value")
    learning_rate: float | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="the rate gradient descent takes (default: hyper.learning_rate), where the "
                    "source's printed rate is not the factor of the gradient (alpha / n)")
    names: dict[str, str] = Field(
        {}, description="the source's name of a parameter or an intermediate the engines name "
                        "otherwise: W1 = 'weights' (and grad.W1 is grad.weights), Z1 = 'z2'")

    @model_validator(mode="before")
    @classmethod
    def image_inputs_are_its_features(cls, raw):
        """An image network's dense layers take H * W * C features after the flatten."""
        if isinstance(raw, dict) and raw.get("layout") in IMAGE_LAYOUTS and "inputs" not in raw \
                and isinstance(raw.get("input"), (list, tuple)):
            raw = dict(raw, inputs=math.prod(raw["input"]))
        return raw

    @field_validator("layers", mode="before")
    @classmethod
    def entries_are_read(cls, layers, info: ValidationInfo):
        """Each entry as its schema reads it: an image entry (engines/layers.py) in the
        network's layout, a dense layer (``type = "dense"`` or no type) as ``Layer``."""
        if not isinstance(layers, list):
            return layers
        layout = info.data.get("layout")
        read = []
        for entry in layers:
            if is_image_entry(entry) and entry.get("type") in image.ENTRIES:
                fields = image.ENTRIES[entry["type"]].model_fields
                given = dict(entry, layout=entry.get("layout", layout)) if "layout" in fields \
                    and layout in IMAGE_LAYOUTS else entry
                read.append(image.ENTRIES[entry["type"]].model_validate(given))
            elif isinstance(entry, dict):
                read.append({k: v for k, v in entry.items() if (k, v) != ("type", "dense")})
            else:
                read.append(entry)
        return read

    @field_validator("scale")
    @classmethod
    def scales_divide(cls, scale: dict) -> dict:
        for target, by in scale.items():
            if by != "max" and (isinstance(by, str) or not np.isfinite(by) or by <= 0):
                raise ValueError(f"network.scale.{target}: expected 'max' or a number above 0, "
                                 f"found {by!r}")
        return scale

    @field_validator("order")
    @classmethod
    def indices_are_not_negative(cls, order):
        if order is None or isinstance(order, str):
            return order
        if not order:
            raise ValueError("an empty order: list the examples of each step")
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
    def nll_has_its_output(cls, cost: str | None, info: ValidationInfo) -> str | None:
        layers = info.data.get("layers")  # absent when they were invalid
        needed = NLL_OUTPUT.get(cost)
        found = getattr(layers[-1], "activation", None) if layers else None  # a pool has none
        if needed is not None and found is not None and found != needed:
            raise ValueError(f"'{cost}' needs a {needed} output layer, found '{found}'")
        return cost

    @model_validator(mode="after")
    def one_way_to_batch(self):
        if self.batch_size is not None and self.order is not None:
            raise ValueError("batch_size and order both say which examples a step uses: give one")
        if self.shuffle is not None and self.batch_size is None:
            raise ValueError("shuffle: needs a batch_size (the mini-batches each epoch's order "
                             "is cut into)")
        return self

    @model_validator(mode="after")
    def l2_on_penalised(self):
        if self.l2_on != "weights" and not self.l2:
            raise ValueError(f"l2_on: {self.l2_on!r} given without an l2 above 0")
        return self


_read: list[tuple[object, Network]] = []  # the last few tables read, and what they read as


def network_of(example: "Example") -> Network:
    """The example's [network], read once for each table: the numerical column and a
    gradient check evaluate the cost (``cost_at``) thousands of times."""
    table = example.network
    for known, network in _read:
        if known is table:  # the same table (an example's tables never change once read)
            return network
    _read.insert(0, (table, Network.model_validate(table)))
    del _read[8:]
    return _read[0][1]


def located(error: ValidationError, where: tuple) -> ValidationError:
    """The same errors, each one ``where`` deeper (an entry checked on its own)."""
    return ValidationError.from_exception_data(error.title, [
        InitErrorDetails(type=e["type"], loc=(*where, *e["loc"]), input=e["input"],
                         **({"ctx": e["ctx"]} if "ctx" in e else {}))
        for e in error.errors()])


def read_network(raw) -> Network:
    """A definition's ``[network]``, validated; each entry first by its own schema, so
    that a wrong one is one line naming it (``network.layers.1.activation: ...``,
    ``network.layers.0.kernel: ...``): a ValidationError, or a ValueError of that line."""
    if isinstance(raw, dict) and isinstance(raw.get("layers"), list):
        for k, entry in enumerate(raw["layers"]):
            if isinstance(entry, dict) and not is_image_entry(entry):
                try:
                    Layer.model_validate({key: value for key, value in entry.items()
                                          if (key, value) != ("type", "dense")})
                except ValidationError as error:
                    raise located(error, ("layers", k)) from None
        if raw.get("layout") in IMAGE_LAYOUTS or "input" in raw or \
                any(is_image_entry(entry) for entry in raw["layers"]):
            check_image_network(raw)
    return Network.model_validate(raw)


def check_image_network(raw: dict) -> None:
    """The image entries by engines/layers.py's schema and shapes, each error one line:
    an unknown type or key, a stride of 0, a kernel larger than its padded input, a
    flatten before a conv, a dense layer on images, ..."""
    layout, where, entries = raw.get("layout"), "network.layers", raw["layers"]
    stubs = [{"type": "dense", "units": entry["units"]}  # its keys are Layer's, checked already
             if isinstance(entry, dict) and not is_image_entry(entry) else entry
             for entry in entries]
    parsed = image.parse_layers(stubs, layout if layout in IMAGE_LAYOUTS else "channels_last",
                                where)
    if layout not in IMAGE_LAYOUTS:
        first = next((k for k, entry in enumerate(parsed) if entry.type != "dense"), None)
        what = (f"network.layers.{first}: a {parsed[first].type} takes images" if first is not None
                else "network.input: one example's image shape belongs to an image network")
        raise ValueError(f"{what}, and network.layout {layout!r} holds rows of features: give "
                         "layout 'channels_last' or 'channels_first' and input = one example's "
                         "shape")
    names = "[H, W, C]" if layout == "channels_last" else "[C, H, W]"
    if "input" not in raw:
        raise ValueError(f"network.input: missing (one example's shape, {names} in layout "
                         f"'{layout}')")
    if "inputs" in raw:
        raise ValueError(f"network.inputs: an image network gives input = {names}, found inputs "
                         f"= {raw['inputs']!r}")
    if raw.get("l2"):
        raise ValueError("network.l2: not for an image network (the engines add it to dense "
                         "networks only)")
    try:
        image.infer_shapes(raw["input"], parsed, where)
    except image.LayerError as error:
        text = str(error)
        raise ValueError(f"network.{text}" if text.startswith("input:") else text) from None
    if parsed[-1].type != "dense" and raw.get("cost") is not None:
        raise ValueError(f"{where}.{len(parsed) - 1}: an image network with a cost ends with a "
                         f"dense layer, its output; found a {parsed[-1].type} (a forward pass "
                         "alone, without a cost, may end with any entry)")
    for k, entry in enumerate(parsed):
        if entry.type == "conv2d" and entry.bias_gradient == "as_if_once":
            raise ValueError(f"{where}.{k}.bias_gradient: 'as_if_once' is no derivative of the "
                             "forward, and a network trains by the frameworks' autodiff: "
                             "'exact' only")


def is_image(network: Network) -> bool:
    """A network of images (conv, pool and flatten entries before its dense layers)."""
    return network.layout in IMAGE_LAYOUTS


def dense_layout(network: Network) -> str:
    """The layout the dense layers compute in: an image network's take rows of features."""
    return "rows" if is_image(network) else network.layout


PARAMETERLESS = (image.MaxPool2d, image.AvgPool2d, image.Flatten)


def has_z(layer) -> bool:
    """A layer with parameters and an activation (dense, conv2d): it gives Z, A and dZ; a
    pool or a flatten gives A alone."""
    return not isinstance(layer, PARAMETERLESS)


def examples_axis(layout: str) -> int:
    """The axis of X, Y, Z and A that runs over the examples (the other one: the units)."""
    return 1 if layout in ("columns", "columns_transposed") else 0


def intermediates(Zs: list, As: list, dZs: list | None = None) -> dict:
    """Each layer's Z, A (and dZ) by name, in the order Z1, A1, dZ1, Z2, ...; a layer
    without a Z (a pool, a flatten: None) gives its A alone."""
    named = {}
    for k, (Z, A) in enumerate(zip(Zs, As), 1):
        if Z is not None:
            named[f"Z{k}"] = Z
        named[f"A{k}"] = A
        if dZs is not None and Z is not None:
            named[f"dZ{k}"] = dZs[k - 1]
    return named


HAS_B = ("trained", "fixed", "shared")  # the bias kinds with a b<k> of their own


def start_names(network: Network) -> list[str]:
    """Every parameter that has a start value: W1, b1, W2, ... (no b where the bias is
    'none' or folded into W)."""
    return [name for k, layer in enumerate(network.layers, 1) if has_z(layer)
            for name in [f"W{k}"] + ([f"b{k}"] if layer.bias in HAS_B else [])]


def trained_names(network: Network) -> list[str]:
    """The parameters gradient descent updates (a 'fixed' bias keeps its start value)."""
    return [name for k, layer in enumerate(network.layers, 1) if has_z(layer)
            for name in [f"W{k}"] + ([f"b{k}"] if layer.bias in ("trained", "shared") else [])]


def value_names(network: Network) -> list[str]:
    """The intermediates, layer by layer: Z1, A1, dZ1, Z2, ... (A<k> alone for a pool or
    a flatten)."""
    return [f"{q}{k}" for k, layer in enumerate(network.layers, 1)
            for q in (("Z", "A", "dZ") if has_z(layer) else ("A",))]


def forward_only(network: Network) -> bool:
    """A network without a cost: the engines record its forward pass at step 0 (Z and A),
    and no cost, gradient, dZ or update."""
    return network.cost is None


def batch(network: Network, m: int, step: int) -> list[int] | None:
    """The examples of a step, by index; None for the whole data set. With a batch_size,
    an epoch is ceil(m / batch_size) steps, each the next batch_size examples of the
    epoch's order (the last fewer where they do not divide m): the examples in order, or
    as ``shuffle`` draws them for the epoch."""
    if network.order is not None:
        entry = network.order[step % len(network.order)]
        return entry if isinstance(entry, list) else [entry]
    if network.batch_size is not None:
        size = network.batch_size
        epoch, k = divmod(step, -(-m // size))
        if network.shuffle is None:
            return list(range(k * size, min((k + 1) * size, m)))
        drawn = 1 << epoch.bit_length()  # more than epoch: the orders are drawn in doublings
        return epoch_orders(network.shuffle, m, drawn)[epoch][k * size:(k + 1) * size]
    return None


@functools.lru_cache(maxsize=32)
def epoch_orders(shuffle: Shuffle, m: int, epochs: int) -> tuple[list[int], ...]:
    """The example orders of the first ``epochs`` epochs, drawn as the source draws them
    (draws.py: one np.random.permutation(m), rng.permutation(m) or DataLoader pass an
    epoch, from one stream seeded once, or seeded with seed + e before epoch e)."""
    from reproductions.engines.draws import draw_values, read_init

    method = ("dataloader_shuffle", lambda count: [count, m]) if shuffle.generator == "torch" \
        else ("permutation", lambda count: m)
    if shuffle.seed_each_epoch:
        params = [entry for e in range(epochs) for entry in (
            {"seed": shuffle.seed + e},
            {"name": f"epoch{e}", method[0]: method[1](1), "use": "data"})]
    elif shuffle.generator == "torch":
        params = [{"name": "epochs", method[0]: method[1](epochs), "use": "data"}]
    else:
        params = [{"name": f"epoch{e}", method[0]: m, "use": "data"} for e in range(epochs)]
    drawn = draw_values(read_init({"generator": shuffle.generator, "seed": shuffle.seed,
                                   "params": params})).data
    rows = [row for array in drawn.values() for row in np.reshape(array, (-1, m))]
    return tuple(row.astype(np.int64).tolist() for row in rows)


def smaller_batch(network: Network, m: int, step: int) -> bool:
    """Whether the step takes fewer examples than the others (the last of an epoch, where
    batch_size does not divide m): its Z, A and dZ are not recorded, as a recorded
    quantity keeps one shape."""
    return network.batch_size is not None and len(batch(network, m, step)) < network.batch_size


def even_spans(network: Network, m: int, spans) -> list[tuple[int, int]]:
    """``spans`` ((first, count) runs of steps) cut where the number of examples a step
    takes changes, so that a compiled loop stacks one batch shape a run."""
    cut = []
    for first, count in spans:
        start = first
        for step in range(first + 1, first + count):
            if smaller_batch(network, m, step) != smaller_batch(network, m, step - 1):
                cut.append((start, step - start))
                start = step
        cut.append((start, first + count - start))
    return cut


def batch_size(network: Network, m: int, step: int) -> int:
    indices = batch(network, m, step)
    return m if indices is None else len(indices)


def recorded_names(network: Network, optimizer: "optimizers.Optimizer | None" = None
                   ) -> list[str]:
    """What the engines record: the cost, each trained parameter and its gradient, Z, A
    and dZ, and the state of an [optimizer] (``state_names``); Z and A alone for a forward
    pass only."""
    if forward_only(network):
        return [name for name in value_names(network) if not name.startswith("dZ")]
    trained = trained_names(network)
    return ["cost", *trained, *(f"grad.{name}" for name in trained), *value_names(network),
            *state_names(network, optimizer)]


def state_names(network: Network, optimizer: "optimizers.Optimizer | None") -> list[str]:
    """The optimizer state an [optimizer] table's engines record every step, after the
    update: ``velocity.W1``, ``cache.W1``, ``m.W1``, ``v.W1`` (by kind), then
    ``learning_rate``, the rate of the update; none for network.optimizer's gradient
    descent."""
    if optimizer is None:
        return []
    return optimizers.state_names(optimizer, trained_names(network))


def optimizer_of(example: "Example") -> "optimizers.Optimizer | None":
    """The example's [optimizer] table, checked; None where there is none."""
    table = getattr(example, "optimizer", None)
    return None if table is None else optimizers.optimizer_of(table)


def update_of(example: "Example") -> "optimizers.Optimizer":
    """The update the engines make: the [optimizer] table, or network.optimizer's gradient
    descent, which is sgd at the rate the engines' view gives (hyper.learning_rate)."""
    spec = optimizer_of(example)
    if spec is None:
        spec = optimizers.Optimizer(kind="sgd", learning_rate=example.hyper["learning_rate"])
    return spec


def penalised(network: Network) -> list[str]:
    """The parameters the l2 term penalises, in the order they are summed: every W
    ('weights'), every trained parameter ('all'), or those l2_on lists."""
    if not network.l2:
        return []
    if network.l2_on == "weights":
        return [f"W{k}" for k in range(1, len(network.layers) + 1)]
    return trained_names(network) if network.l2_on == "all" else list(network.l2_on)


def framework_layouts(network: Network) -> dict[str, list[str]]:
    """The example's [layout]: the torch, TensorFlow and JAX engines hold examples as
    rows, an nn.Linear weight as (out, in), a Dense kernel and JAX's W as (in, out);
    each lists the names it holds transposed from the source. NumPy computes in the
    source's layout. An image network's images are held in the source's layout by every
    engine (engines/<framework>/layers.py translate inside), its dense layers as in
    ``rows``: torch alone transposes their W."""
    if is_image(network):
        dense = [f"W{k}" for k, layer in enumerate(network.layers, 1) if isinstance(layer, Layer)]
        return {"torch": dense, "tensorflow": [], "jax": []}
    weights = [f"W{k}" for k in range(1, len(network.layers) + 1)]
    examples = [] if network.layout == "rows" else ["X", "Y", *value_names(network)]
    out_in = network.layout == "columns"
    in_out = examples + (weights if out_in else [])  # Keras's layout, and JAX's
    return {"torch": examples + ([] if out_in else weights), "tensorflow": in_out, "jax": in_out}


def expected_shapes(network: Network, m) -> dict[str, list[tuple]]:
    """The shapes the source's layout allows for the data, the start values and the
    recorded intermediates, with m examples."""
    if is_image(network):
        return image_shapes(network, m)
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


def image_shapes(network: Network, m) -> dict[str, list[tuple]]:
    """``expected_shapes`` of an image network: images (m, ...) in its layout through the
    conv, pool and flatten entries (engines/layers.py's shapes), then rows (m, units)."""
    shape, shapes = tuple(network.input), {"X": [(m, *network.input)]}
    for k, layer in enumerate(network.layers, 1):
        if isinstance(layer, Layer):
            n_in = shape[0] + (layer.bias == "folded")
            shapes[f"W{k}"] = [(n_in, layer.units)]
            shapes[f"b{k}"] = [(1, 1), (1,), ()] if layer.bias == "shared" else \
                [(layer.units,), (1, layer.units)]
            shape = (layer.units,)
        else:
            found = image.infer_shapes(shape, [layer])[0]
            if layer.type == "conv2d":
                F = layer.filters
                shapes[f"W{k}"] = [found.parameters["W"]]
                shapes[f"b{k}"] = [(F,), (1, 1, 1, F) if layer.layout == "channels_last"
                                   else (1, F, 1, 1)]
            shape = found.output
        for q in ("Z", "A", "dZ") if has_z(layer) else ("A",):
            shapes[f"{q}{k}"] = [(m, *shape)]
    shapes["Y"] = [(m, *shape)]
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


DATA = {"X": "the inputs", "Y": "the targets"}


def data_names(network: Network) -> tuple[str, ...]:
    """The data the engines read: X, and the targets Y where there is a cost."""
    return ("X",) if forward_only(network) else ("X", "Y")


def check_data(network: Network, example: "Example") -> int:
    """X and Y as the layout holds them (the [data] entries ``network.data`` names, scaled
    as ``network.scale`` says; no Y for a forward pass only); returns the number of
    examples."""
    per = "column" if examples_axis(network.layout) else "row"
    for target in data_names(network):
        name, what = network.data.get(target, target), DATA[target]
        if name not in example.data:
            named = f" (network.data.{target})" if target in network.data else ""
            raise ValueError(f"data.{name}: missing ({what}{named}, one example per {per})")
        check_finite(f"data.{name}", example.data[name])
    X, axis = scaled(example, network, "X"), examples_axis(network.layout)
    x_name, y_name = network.data.get("X", "X"), network.data.get("Y", "Y")
    if is_image(network) and X.shape[1:] != tuple(network.input):
        raise ValueError(f"data.{x_name}: expected shape "
                         f"{shape_text(expected_shapes(network, 'm')['X'][0])} in layout "
                         f"'{network.layout}' (one example per row, network.input = "
                         f"{list(network.input)}), found {shape_text(X.shape)}")
    if not is_image(network) and (X.ndim != 2 or X.shape[1 - axis] != network.inputs):
        raise ValueError(f"data.{x_name}: expected shape "
                         f"{shape_text(expected_shapes(network, 'm')['X'][0])} in layout "
                         f"'{network.layout}' (one example per {per}, network.inputs = "
                         f"{network.inputs}), found {shape_text(X.shape)}")
    m = X.shape[axis]
    arrays = {"X": X}
    if not forward_only(network):
        arrays["Y"] = scaled(example, network, "Y")
        check_shape(f"data.{y_name}", arrays["Y"].shape, expected_shapes(network, m)["Y"],
                    network.layout)
        if network.cost == "hinge" and not np.isin(arrays["Y"], (-1.0, 1.0)).all():
            where = [int(i) for i in np.argwhere(~np.isin(arrays["Y"], (-1.0, 1.0)))[0]]
            raise ValueError(f"data.{y_name}: the hinge cost needs labels -1 or 1, found "
                             f"{arrays['Y'][tuple(where)]} at {where}")
    for target, array in arrays.items():
        if target in network.scale:
            check_finite(f"network.scale.{target} (data.{network.data.get(target, target)} "
                         "scaled)", array)
    check_batches(network, order_of(example, network), m)
    return m


def order_of(example: "Example", network: Network) -> list | None:
    """The examples of each step: ``network.order``, or the [data] entry it names."""
    if not isinstance(network.order, str):
        return network.order
    if network.order not in example.data:
        raise ValueError(f"network.order: '{network.order}' is not a [data] entry")
    order = np.asarray(example.data[network.order], dtype=np.float64)
    if order.ndim not in (1, 2) or order.size == 0 or not np.all(order == np.round(order)):
        raise ValueError(f"network.order: data.{network.order} is not a list of example indices")
    return Network.indices_are_not_negative(order.astype(np.int64).tolist())


def check_batches(network: Network, order: list | None, m: int) -> None:
    if network.batch_size is not None and network.batch_size > m:
        raise ValueError(f"network.batch_size: {network.batch_size} is more than the {m} "
                         "examples")
    for entry in order or []:
        for index in entry if isinstance(entry, list) else [entry]:
            if index >= m:
                raise ValueError(f"network.order: example {index} does not exist (there are "
                                 f"{m}, 0 to {m - 1})")


def check_start_values(network: Network, example: "Example", allowed: dict) -> None:
    """One start value a parameter of the network, of its shape: by the source's names."""
    shown = source_names(network)
    given = example.init.shapes()  # the start values, by name, in [init]'s order
    names = [shown.get(name, name) for name in start_names(network)]
    for name in given:
        if name not in names:
            raise ValueError(f"init.params.{name}: not a parameter of the network (its start "
                             f"values are {', '.join(names)})")
    for engine, name in zip(start_names(network), names):
        if name not in given:
            raise ValueError(f"init.params.{name}: missing (the network's start values are "
                             f"{', '.join(names)})")
        check_shape(f"init.params.{name}", given[name], allowed[engine], network.layout)
    for param in example.init.params:  # a drawn value is finite: draws checks its scale
        if param.value is not None and param.name in given:
            check_finite(f"init.params.{param.name}", param.value)


def check_learning_rate(network: Network, example: "Example") -> None:
    if optimizer_of(example) is not None:  # its learning_rate is the rate
        if network.learning_rate is not None:
            raise ValueError("network.learning_rate: not with an [optimizer] table (its "
                             "learning_rate is the rate the update takes)")
        if "optimizer" in network.model_fields_set:
            raise ValueError(f"network.optimizer: '{network.optimizer}' and an [optimizer] "
                             "table both say how to update: give one")
        return
    if network.learning_rate is not None:
        return  # its schema has checked it
    rate = example.hyper.get("learning_rate")
    if rate is None:
        raise ValueError("hyper.learning_rate: missing (gradient descent needs it)")
    if isinstance(rate, (str, bool)) or not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"hyper.learning_rate: expected a finite number above 0, found {rate!r}")


def check_cost(network: Network, example: "Example") -> None:
    """Training needs a cost; a forward pass alone (steps = 0) may go without."""
    if forward_only(network) and example.steps > 0:
        raise ValueError("network.cost: missing (training needs a cost; a forward pass alone, "
                         "steps = 0, may go without)")


def check_l2_on(network: Network) -> None:
    """l2_on names trained parameters, by the source's names."""
    if isinstance(network.l2_on, str):
        return
    shown = source_names(network)
    trained = [shown.get(name, name) for name in trained_names(network)]
    for name in network.l2_on:
        if name not in trained:
            raise ValueError(f"network.l2_on: '{name}' is not a trained parameter of the "
                             f"network (they are {', '.join(trained)})")


def check_network(network: Network, example: "Example") -> None:
    """The network against the example's cost, rate, optimizer, data and start values: a
    ValueError naming the field, what it should be and what it is."""
    check_names(network)
    check_cost(network, example)
    check_l2_on(network)
    optimizer_of(example)  # optimizers.optimizer_of's one line
    if getattr(example, "optimizer", None) is not None and forward_only(network):
        raise ValueError("optimizer: a forward pass alone (no network.cost) updates nothing")
    if not forward_only(network):  # a forward pass takes no step: no rate
        check_learning_rate(network, example)
    for name, value in example.hyper.items():
        if isinstance(value, float):
            check_finite(f"hyper.{name}", value)
    m = check_data(network, example)
    check_held_out_set(network, example)
    check_start_values(network, example, expected_shapes(network, m))


def has_held_out_set(network: Network, example: "Example") -> bool:
    """Whether the example holds out a test set: the X_test entry of [data] (or the entry
    network.data.X_test names)."""
    return network.data.get("X_test", "X_test") in example.data


def held_out_set(example: "Example", network: Network) -> dict[str, np.ndarray]:
    """X_test (and Y_test) as the network reads them: scaled as network.scale scales X
    and Y ('max': by the training set's largest values, as the source scales it)."""
    found = {}
    for target, like in (("X_test", "X"), ("Y_test", "Y")):
        name = network.data.get(target, target)
        if name not in example.data:
            continue
        array, scale = example.array(name), network.scale.get(like)
        if scale == "max":
            train = example.array(network.data.get(like, like))
            scale = np.amax(train, axis=examples_axis(network.layout), keepdims=True)
        found[target] = array if scale is None else array / scale
    return found


def check_held_out_set(network: Network, example: "Example") -> None:
    """A test set holds examples the network takes: X_test as X holds them, and Y_test
    (where given) as Y holds them, for as many examples."""
    if not has_held_out_set(network, example):
        if network.data.get("Y_test", "Y_test") in example.data:
            raise ValueError(f"data.{network.data.get('Y_test', 'Y_test')}: a test set's "
                             f"targets without its inputs data.{network.data.get('X_test', 'X_test')}")
        return
    arrays = held_out_set(example, network)
    axis = examples_axis(network.layout)
    for target, array in arrays.items():
        name = network.data.get(target, target)
        check_finite(f"data.{name}", example.data[name])
        train = scaled(example, network, target.removesuffix("_test")) \
            if target == "X_test" or not forward_only(network) else None
        if train is not None and (array.ndim != train.ndim or any(
                n != t for i, (n, t) in enumerate(zip(array.shape, train.shape)) if i != axis)):
            raise ValueError(f"data.{name}: examples of shape {shape_text(array.shape)} beside "
                             f"the training set's {shape_text(train.shape)}: a test set holds "
                             "its examples as the training set does")
    if "Y_test" in arrays and arrays["Y_test"].shape[axis] != arrays["X_test"].shape[axis]:
        raise ValueError(f"data.{network.data.get('Y_test', 'Y_test')}: "
                         f"{arrays['Y_test'].shape[axis]} examples, and "
                         f"{arrays['X_test'].shape[axis]} in the test set's inputs")


def setting(example: "Example") -> "derived.Setting":
    """What a derived claim's accuracy() needs of the network: the axis of its units,
    and its output layer's activation."""
    network = network_of(example)
    return derived.Setting(1 - examples_axis(dense_layout(network)),
                           getattr(network.layers[-1], "activation", None))  # a pool has none


def derived_shapes(network: Network, example: "Example", m: int) -> dict[str, tuple]:
    """The shape of every name a derived claim may read (derived.py), by the source's
    names, the values' at a step of ``m`` examples."""
    shown = source_names(network)
    starts = example.init.shapes()
    full = expected_shapes(network, m)
    shapes = {"cost": (), "learning_rate": ()}
    for name in recorded_names(network, optimizer_of(example)):
        parameter = name.partition(".")[2] or name  # W1 of W1, grad.W1, m.W1, ...
        if parameter in start_names(network):  # held as its start value is
            shapes[shown.get(name, name)] = starts[shown.get(parameter, parameter)]
        elif name in full:
            shapes[shown.get(name, name)] = full[name][0]
    shapes.update({f"{prefix}.{name}": shape for name, shape in starts.items()
                   for prefix in ("init", "before")})
    if getattr(example, "gradient_check", None) is not None and not forward_only(network):
        shapes.update({f"numerical.{shown.get(name, name)}": starts[shown.get(name, name)]
                       for name in trained_names(network)})
    shapes.update({name: np.shape(value) for name, value in example.data.items()
                   if name not in shapes})
    if has_held_out_set(network, example):
        m_test = held_out_set(example, network)["X_test"].shape[examples_axis(network.layout)]
        tested = expected_shapes(network, m_test)
        shapes.update({f"test.{shown.get(name, name)}": tested[name][0]
                       for name in value_names(network) if not name.startswith("dZ")})
    return shapes


def check_derived(claim, shapes: dict[str, tuple], setting_: "derived.Setting",
                  recorded: str) -> None:
    """A derived claim reads names it may (``shapes``), its values fit its expression,
    and its index names an element of the value."""
    for name in derived.parse(claim.quantity).names:
        if name.startswith("numerical.") and name not in shapes and \
                not any(n.startswith("numerical.") for n in shapes):
            raise ValueError(f"claims.expression: '{claim.quantity}' ({claim.where}) reads "
                             f"'{name}': a gradient check's estimate needs a [gradient_check] "
                             "table (its epsilon and difference) and a cost")
        if name not in shapes:
            raise ValueError(f"claims.expression: '{claim.quantity}' ({claim.where}) reads "
                             f"'{name}', which is not recorded; {recorded}")
    try:
        shape = derived.shape_of(claim.quantity, shapes, setting_)
    except derived.DerivedError as error:
        raise ValueError(f"claims.expression: '{claim.quantity}' ({claim.where}): {error}") from None
    if len(claim.index) != len(shape) or any(not 0 <= i < n for i, n in zip(claim.index, shape)):
        raise ValueError(f"claims.index: {claim.quantity}{claim.index} ({claim.where}) is "
                         f"outside its shape {shape_text(shape)}")


def check_claims(network: Network, example: "Example") -> None:
    """A claim names what the engines record, and an element of it (spec has checked
    the claims on start values, parameters, gradients and the cost): for an example the
    generic NumPy engine is the reference of."""
    shown = source_names(network)
    recorded = {shown.get(name, name): name
                for name in recorded_names(network, optimizer_of(example))}
    values = value_names(network)
    m = scaled(example, network, "X").shape[examples_axis(network.layout)]
    order = order_of(example, network)
    network = network.model_copy(update={"order": order})
    for claim in example.claims:
        if claim.expression is not None:
            shapes = derived_shapes(network, example, batch_size(network, m, claim.step))
            check_derived(claim, shapes, setting(example),
                          f"the engines record {', '.join(recorded)}")
            continue
        if claim.quantity.startswith("init."):
            continue
        if claim.quantity not in recorded:
            raise ValueError(f"claims.quantity: '{claim.quantity}' ({claim.where}) is not "
                             f"recorded; the engines record {', '.join(recorded)}")
        engine = recorded[claim.quantity]
        if engine in values and smaller_batch(network, m, claim.step):
            raise ValueError(f"claims.step: {claim.quantity} ({claim.where}) at step "
                             f"{claim.step}, whose mini-batch is smaller than the others: "
                             "its Z, A and dZ are not recorded")
        if engine in values:
            shape = expected_shapes(network, batch_size(network, m, claim.step))[engine][0]
            if len(claim.index) != len(shape) or \
                    any(not 0 <= i < n for i, n in zip(claim.index, shape)):
                raise ValueError(f"claims.index: {claim.quantity}{claim.index} ({claim.where}) "
                                 f"is outside its shape {shape_text(shape)}")


# --- the engines' view of an example ------------------------------------------------------
#
# An example names its data, parameters and intermediates as its source does; the engines
# name them X, Y, W1, b1, Z1, A1, dZ1, ... ``[network]`` says which is which (``data``,
# ``names``), how the source scales its data (``scale``) and the rate the update takes
# (``learning_rate``). The engines run on a view of the example in their own names, and
# what they record is renamed back, so claims, parity and reports see the source's names.


def source_names(network: Network) -> dict[str, str]:
    """Engine name -> the source's, for every name the source gives otherwise (a renamed
    parameter's gradient and start value follow it)."""
    names = dict(network.names)
    for engine, source in network.names.items():
        if engine in start_names(network):
            names[f"grad.{engine}"] = f"grad.{source}"
            for quantity in STATE_QUANTITIES:
                names[f"{quantity}.{engine}"] = f"{quantity}.{source}"
    return names


STATE_QUANTITIES = sorted({q for held in optimizers.STATE.values() for q in held})


def check_names(network: Network) -> None:
    """``names`` renames the network's own names, each to a name no other quantity has."""
    known = start_names(network) + value_names(network)
    for engine in network.names:
        if engine not in known:
            raise ValueError(f"network.names.{engine}: not a name of the network's (they are "
                             f"{', '.join(known)})")
    renamed = source_names(network)
    seen: dict[str, str] = {}
    for name in ["cost", *known, *(f"grad.{n}" for n in start_names(network))]:
        shown = renamed.get(name, name)
        if shown in seen:
            raise ValueError(f"network.names: '{shown}' would name both {seen[shown]} and {name}")
        seen[shown] = name


class EngineView:
    """An example as the engines see it: ``example`` in their names, with the data scaled
    and the rate the update takes; ``to_source`` and ``to_engine`` rename a name, a
    recording, a rounding or a keep between the two."""

    def __init__(self, example: "Example"):
        network = network_of(example)
        self.network = network
        self.names = source_names(network)
        self.engine_names = {source: engine for engine, source in self.names.items()}
        data = {target: scaled(example, network, target) for target in data_names(network)}
        order = order_of(example, network)
        rate = network.learning_rate if network.learning_rate is not None else \
            example.hyper.get("learning_rate")
        params = [param.model_copy(update={
            "name": None if param.name is None else self.to_engine(param.name),
            "names": None if param.names is None else [self.to_engine(n) for n in param.names]})
            for param in example.init.params]
        claims = [claim.model_copy(update={"quantity": self.claimed(claim.quantity)} if
                                   claim.expression is None else {
                                   "quantity": derived.renamed(claim.expression, self.claimed),
                                   "expression": derived.renamed(claim.expression, self.claimed)})
                  for claim in example.claims]
        l2_on = network.l2_on if isinstance(network.l2_on, str) else \
            [self.to_engine(name) for name in network.l2_on]
        # an optimizer's state is held as its parameter is: velocity.W1 as W1
        held_as = {name: name.split(".", 1)[1]
                   for name in state_names(network, optimizer_of(example)) if "." in name}
        self.example = example.model_copy(update={
            "network": network.model_copy(update={"order": order, "names": {}, "data": {},
                                                  "scale": {}, "l2_on": l2_on}).model_dump(),
            "data": data, "hyper": {"learning_rate": rate},
            "init": example.init.model_copy(update={"params": params}),
            "claims": claims,
            "layout": {framework: {**dict.fromkeys(names, "transposed"), **held_as}
                       for framework, names in framework_layouts(network).items()}})

    def to_source(self, name: str) -> str:
        return self.names.get(name, name)

    def to_engine(self, name: str) -> str:
        return self.engine_names.get(name, name)

    def claimed(self, quantity: str) -> str:
        prefix, dot, rest = quantity.partition(".")
        if dot and prefix in ("before", "test"):
            return f"{prefix}.{self.to_engine(rest)}"
        if quantity.startswith("init."):
            return "init." + self.to_engine(quantity.removeprefix("init."))
        return self.to_engine(quantity)

    def recording_to_source(self, recording: "Recording") -> "Recording":
        return renamed(recording, self.to_source)

    def recording_to_engine(self, recording: "Recording | None") -> "Recording | None":
        return None if recording is None else renamed(recording, self.to_engine)

    def rounding(self, rounding):
        """A replay's rounding, asked in the engine's names."""
        if rounding is None:
            return None
        return lambda step, quantity: rounding(step, self.to_source(quantity))

    def keep(self, keep):
        if keep.quantities is None:
            return keep
        return dataclasses.replace(keep, quantities=frozenset(map(self.to_engine, keep.quantities)))

    def params(self, params: dict) -> dict:
        return {self.to_engine(name): value for name, value in params.items()}


def renamed(recording: "Recording", name) -> "Recording":
    return dataclasses.replace(recording, series={name(q): s for q, s in recording.series.items()})


def scaled(example: "Example", network: Network, target: str) -> np.ndarray:
    """X or Y as the source trains on it: the [data] entry ``network.data`` names,
    divided as ``network.scale`` says (``max``: each feature by its largest value)."""
    array = example.array(network.data.get(target, target))
    scale = network.scale.get(target)
    if scale == "max":
        return array / np.amax(array, axis=examples_axis(network.layout), keepdims=True)
    return array if scale is None else array / scale
