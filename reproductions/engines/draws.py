"""Start values, and any array a definition draws, as the source draws them.

A definition's ``[init]`` names one generator (NumPy's legacy global functions,
a NumPy ``Generator``, Python's ``random`` or PyTorch's global generator) and its
seed, then lists its entries in the order the source draws them. Each entry fills
one named array (a start value, or data such as a test case's random input) from
the next numbers of that one stream, or several arrays slice by slice (a neuron's
weights, then its bias, then the next neuron's), or advances the stream without
keeping anything, or seeds it again where the source does. Every array comes back
as float64 NumPy in the source's layout. DRAWS.md documents the keys.

``read_init`` validates an ``[init]`` table; ``draw_values`` draws it. Torch is
imported only to draw a torch stream, never to validate one, and a process draws a
table once: a run in a worker is handed the draws its parent made (``runs.py``).
"""

import ast
import math
import random
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
from pydantic import ValidationError, model_validator

from reproductions.schema import Strict, rectangular, shape_text

GENERATOR_CALLS = {  # generator -> what seeding it stands for
    "numpy_legacy": "np.random.seed(seed)",
    "numpy_generator": "np.random.default_rng(seed)",
    "python_random": "random.seed(seed)",
    "torch": "torch.manual_seed(seed)",
}
GENERATORS = tuple(GENERATOR_CALLS)

SHAPED = ("zeros", "randn", "rand", "random", "standard_normal", "xavier_normal",
          "xavier_uniform")  # the argument is the shape
RANGED = ("linspace", "normal", "uniform", "gauss", "randint", "integers")  # [a, b] + shape
RANGED_ARGUMENTS = {"linspace": "[start, stop]", "normal": "[mean, standard deviation]",
                    "uniform": "[low, high]", "gauss": "[mu, sigma]", "randint": "[low, high]",
                    "integers": "[low, high]"}
COUNTED = ("permutation", "randperm")  # the argument is n; fills (n,)
LAYERS = {"linear": "nn.Linear", "conv2d": "nn.Conv2d"}  # sizes + part
SHUFFLES = ("dataloader_shuffle",)  # [epochs, examples]
METHODS = SHAPED + RANGED + COUNTED + tuple(LAYERS) + SHUFFLES
CONSTRUCTED = ("zeros", "linspace")  # any generator; they draw nothing

GENERATOR_METHODS = {
    "numpy_legacy": ("randn", "rand", "random", "normal", "uniform", "randint", "permutation"),
    "numpy_generator": ("standard_normal", "random", "normal", "uniform", "integers",
                        "permutation"),
    "python_random": ("random", "uniform", "gauss"),
    "torch": ("randn", "rand", "normal", "uniform", "randint", "randperm", "linear", "conv2d",
              "xavier_normal", "xavier_uniform", "dataloader_shuffle"),
}
SLICED = ("normal", "uniform", "gauss", "randint", "integers")  # methods of names/each entries

SEED_LIMITS = {"numpy_legacy": 2 ** 32, "torch": 2 ** 64}  # seeds are below these
TORCH_DTYPES = ("float32", "float64")
ORDERS = ("rows", "columns")
USES = ("start", "data", "none")
KEYS = ("name", "names", "shapes", "each", "seed", "value", *METHODS, "part", "bias", "shape",
        "order", "scale", "use")


def listed(words) -> str:
    return ", ".join(words)


def is_whole(number) -> bool:
    return isinstance(number, int) and not isinstance(number, bool)


def is_number(number) -> bool:
    return isinstance(number, (int, float)) and not isinstance(number, bool)


# --- scale: a number, or the source's own expression -----------------------------------

DRAW = "draw"  # the name the draw takes in an expression applied to it ("* 0.01")
SQRT_NAMES = ("sqrt", "np.sqrt", "numpy.sqrt", "math.sqrt")
OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
             ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
             ast.Pow: lambda a, b: a ** b}
SCALE_FORMS = ("a number, an expression of numbers with + - * / ** and sqrt() such as 1/sqrt(2) "
               "or sqrt(2/3), or one applied to the draw such as '* 0.01' or '/ sqrt(2)'")


def called_name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return "?"


def check_scale_node(node, draw_allowed: bool) -> None:
    """Numbers, + - * / **, unary signs and sqrt(); the draw only as the leftmost
    operand of the operators above it, so it is never inside sqrt nor on the right."""
    if isinstance(node, ast.Constant):
        if not is_number(node.value):
            raise ValueError(f"{node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id != DRAW or not draw_allowed:
            raise ValueError(f"'{node.id}' is not a number")
    elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        check_scale_node(node.left, draw_allowed)
        check_scale_node(node.right, False)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        check_scale_node(node.operand, False)
    elif isinstance(node, ast.Call):
        if called_name(node.func) not in SQRT_NAMES or len(node.args) != 1 or node.keywords:
            raise ValueError("the only function is sqrt of one number")
        check_scale_node(node.args[0], False)
    else:
        raise ValueError(f"'{ast.unparse(node)}' is not arithmetic")


def evaluated(node, draw):
    """The expression as Python computes it: each operation rounded once, in the
    order written; numbers stay Python numbers, sqrt is the correctly rounded one, and
    a power of numbers is the C library's pow of two floats (as spec computes n**p)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return draw
    if isinstance(node, ast.BinOp):
        left, right = evaluated(node.left, draw), evaluated(node.right, draw)
        if isinstance(node.op, ast.Pow) and is_number(left):  # n**p as spec computes it
            return float(left) ** float(right)
        return OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        value = evaluated(node.operand, draw)
        return -value if isinstance(node.op, ast.USub) else +value
    return math.sqrt(evaluated(node.args[0], draw))


def scale_expression(text: str):
    """The parsed scale: an expression with the draw in it. ``"* E"`` and ``"/ E"``
    apply to the draw as written (draw * E, left to right); ``"1/E"`` is draw / E;
    any other expression E is draw * (E). A ValueError says why a text is not one."""
    text = text.strip()
    applied = text[:1] in ("*", "/")
    try:
        tree = ast.parse(f"{DRAW} {text}" if applied else text, mode="eval").body
    except SyntaxError:
        raise ValueError("not an expression") from None
    check_scale_node(tree, applied)
    if applied:
        return tree
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div) and \
            isinstance(tree.left, ast.Constant) and tree.left.value == 1:
        return ast.BinOp(ast.Name(DRAW), ast.Div(), tree.right)
    return ast.BinOp(ast.Name(DRAW), ast.Mult(), tree)


def check_scale(scale) -> None:
    """A ValueError (the reason) unless scale is a finite number or an expression
    whose value at a draw of 1.0 is finite."""
    if is_number(scale):
        if not math.isfinite(scale):
            raise ValueError("not a finite number")
        return
    if not isinstance(scale, str):
        raise ValueError(f"{scale!r} is neither a number nor a text")
    try:
        value = evaluated(scale_expression(scale), 1.0)
    except ZeroDivisionError:
        raise ValueError("it divides by zero") from None
    except OverflowError:
        raise ValueError("it overflows") from None
    except ValueError as error:  # sqrt of a negative number
        raise ValueError(str(error)) from None
    if not (is_number(value) and math.isfinite(value)):
        raise ValueError(f"its value {value!r} is not a finite number")


def scaled(draw, scale):
    """The draw times its scale, as the source computes it: a number s is s * draw; an
    expression as scale_expression reads it. Works on NumPy arrays and torch tensors
    alike (a torch draw is scaled in its own dtype, as the source scales it)."""
    if is_number(scale):
        return float(scale) * draw if scale != 1 else draw
    return evaluated(scale_expression(scale), draw)


# --- one entry of [init].params --------------------------------------------------------


class InitialParameter(Strict):
    """One entry, in the source's order: a literal ``value``, a method that draws or
    builds one array (``name``), the same method drawn slice by slice into several
    arrays (``names`` with ``shapes`` and ``each``), or ``seed`` alone (the source
    seeds again here). DRAWS.md describes every key."""

    name: str | None = None
    names: Any = None
    shapes: Any = None
    each: Any = None
    seed: Any = None
    value: float | list | None = None
    zeros: Any = None
    randn: Any = None
    rand: Any = None
    random: Any = None
    standard_normal: Any = None
    xavier_normal: Any = None
    xavier_uniform: Any = None
    linspace: Any = None
    normal: Any = None
    uniform: Any = None
    gauss: Any = None
    randint: Any = None
    integers: Any = None
    permutation: Any = None
    randperm: Any = None
    linear: Any = None
    conv2d: Any = None
    dataloader_shuffle: Any = None
    part: Any = None
    bias: Any = None
    shape: Any = None
    order: Any = "rows"
    scale: Any = 1.0
    use: Any = "start"

    @model_validator(mode="before")
    @classmethod
    def keys_are_known(cls, data):
        if isinstance(data, dict):
            unknown = [key for key in data if key not in KEYS]
            if unknown:
                label = data.get("name") or data.get("names") or "?"
                raise ValueError(f"parameter '{label}': unknown key '{unknown[0]}' (the keys are "
                                 f"{listed(KEYS)})")
        return data

    @model_validator(mode="after")
    def is_one_clear_entry(self):
        if self.seed is not None:
            self.check_seed_entry()
            return self
        self.check_names()
        methods = [key for key in ("value", *METHODS) if getattr(self, key) is not None]
        if len(methods) != 1:
            raise ValueError(f"parameter '{self.label}' needs exactly one of value or a method "
                             f"({listed(METHODS)})"
                             + (f", found {' and '.join(methods)}" if methods else ", found none"))
        if self.names is not None:
            self.check_sliced()
        elif self.value is not None:
            self.check_value()
        else:
            self.check_argument()
            self.check_layer_keys()
            self.check_shape_key()
        self.check_common()
        return self

    # -- the checks, each a one-line ValueError naming the parameter and the key

    @property
    def label(self) -> str:
        if self.names is not None:
            return ", ".join(map(str, self.names)) if isinstance(self.names, list) else "?"
        return self.name if self.name is not None else "?"

    def fail(self, text: str):
        raise ValueError(f"parameter '{self.label}': {text}")

    def check_seed_entry(self) -> None:
        others = [key for key in KEYS if key != "seed" and key in self.model_fields_set]
        if others:
            raise ValueError(f"a seed entry (the source seeding again) holds seed alone, found "
                             f"also {listed(others)}")
        if not is_whole(self.seed) or self.seed < 0:
            raise ValueError(f"seed entry: a seed is a whole number 0 or more, found {self.seed!r}")

    def check_names(self) -> None:
        if (self.name is None) == (self.names is None):
            raise ValueError(f"an entry of [init].params needs name (one array) or names "
                             f"(several, filled slice by slice), found "
                             + ("both" if self.name is not None else "neither"))
        if self.names is not None and (not isinstance(self.names, list) or not self.names
                                       or not all(isinstance(n, str) for n in self.names)):
            raise ValueError(f"names must be a list of one or more names, found {self.names!r}")

    def check_sizes(self, key: str, sizes, minimum: int = 1) -> None:
        if not isinstance(sizes, list) or not all(is_whole(n) for n in sizes):
            self.fail(f"{key} must be a list of sizes (whole numbers 1 or more), found {sizes!r}")
        if any(n < 1 for n in sizes):
            self.fail(f"{key} sizes must be 1 or more, found {sizes}")
        if len(sizes) < minimum:
            self.fail(f"{key} needs at least {minimum} sizes, found {sizes}")

    def check_value(self) -> None:
        rectangular(self.value, f"parameter '{self.name}'")
        for key in ("shape", "part", "bias"):
            if getattr(self, key) is not None:
                self.fail(f"a value is given as it is: drop {key}")
        if self.order != "rows" or self.scale != 1.0:
            self.fail("a value is given as it is: drop order and scale")

    def check_argument(self) -> None:
        key, argument = self.method, self.argument
        if key in SHAPED:
            self.check_sizes(key, argument, 2 if key.startswith("xavier") else 0)
        elif key in RANGED:
            if not (isinstance(argument, list) and len(argument) == 2
                    and all(is_number(a) and math.isfinite(a) for a in argument)):
                self.fail(f"{key} must be two finite numbers {RANGED_ARGUMENTS[key]}, found "
                          f"{argument!r}")
            if key in ("randint", "integers") and not (all(is_whole(a) for a in argument)
                                                       and argument[0] < argument[1]):
                self.fail(f"{key} must be two whole numbers [low, high] with low < high, found "
                          f"{argument!r}")
        elif key in COUNTED:
            if not is_whole(argument) or argument < 1:
                self.fail(f"{key} must be a whole number 1 or more (how many to permute), "
                          f"found {argument!r}")
        elif key == "linear":
            if not isinstance(argument, list) or len(argument) != 2:
                self.fail(f"linear must be [in_features, out_features], found {argument!r}")
            self.check_sizes(key, argument)
        elif key == "conv2d":
            if not isinstance(argument, list) or len(argument) not in (3, 4):
                self.fail("conv2d must be [in_channels, out_channels, kernel] or [in_channels, "
                          f"out_channels, kernel_height, kernel_width], found {argument!r}")
            self.check_sizes(key, argument)
        else:  # dataloader_shuffle
            if not isinstance(argument, list) or len(argument) != 2:
                self.fail(f"dataloader_shuffle must be [epochs, examples], found {argument!r}")
            self.check_sizes(key, argument)

    def check_layer_keys(self) -> None:
        if self.method in LAYERS:
            if self.part not in ("weight", "bias"):
                self.fail(f"{self.method} = {self.argument} needs part = 'weight' or 'bias', "
                          f"found {self.part!r}")
            if self.bias is not None and (self.part != "weight" or not isinstance(self.bias, bool)):
                self.fail("bias = false is said of a layer's weight (a layer built with "
                          f"bias=False), found bias = {self.bias!r} on part '{self.part}'")
            if self.order == "columns" and self.shape is None:
                self.fail(f"order = 'columns' on a layer's {self.part} needs the shape it fills, "
                          f"e.g. {list(reversed(self.layer_shape))} for the "
                          f"{shape_text(self.layer_shape)} {self.part} held transposed")
        else:
            for key in ("part", "bias"):
                if getattr(self, key) is not None:
                    self.fail(f"{key} is a key of a torch layer (linear, conv2d), not of "
                              f"{self.method}")

    def check_shape_key(self) -> None:
        key = self.method
        if key in SHAPED:
            if self.shape is not None:
                self.fail(f"{key} = {self.argument} is its shape already: drop shape")
            return
        if key in RANGED:
            if self.shape is None:
                self.fail(f"{key} = {self.argument} needs shape (the sizes it fills)")
            self.check_sizes("shape", self.shape, 0)
            return
        if self.shape is not None:  # counted, layers, shuffles: a shape of as many numbers
            self.check_sizes("shape", self.shape, 0)
            if math.prod(self.shape) != math.prod(self.natural_shape):
                what = (f"{key} = {self.argument}'s {self.part}" if key in LAYERS
                        else f"{key} = {self.argument}")
                self.fail(f"shape {self.shape} holds {math.prod(self.shape)} numbers, but {what} "
                          f"has {math.prod(self.natural_shape)} (shape "
                          f"{shape_text(self.natural_shape)})")

    def check_sliced(self) -> None:
        if self.method not in SLICED:
            self.fail(f"names are filled slice by slice with one of {listed(SLICED)} (normal = "
                      f"[0, 1] for a standard normal), found {self.method}")
        self.check_argument()
        if self.each not in ("row", "column"):
            self.fail(f"each must be 'row' or 'column' (the slices drawn in turn), found "
                      f"{self.each!r}")
        if not isinstance(self.shapes, list) or len(self.shapes) != len(self.names):
            self.fail(f"shapes must give one shape for each of the {len(self.names)} names, "
                      f"found {self.shapes!r}")
        for shape in self.shapes:
            self.check_sizes("shapes", shape, 1)
        counts = {shape[0] if self.each == "row" else shape[-1] for shape in self.shapes}
        if len(counts) != 1:
            self.fail(f"each {self.each} of every name is drawn in turn, so they need as many "
                      f"{self.each}s: shapes {self.shapes}")
        if len(set(self.names)) != len(self.names):
            self.fail("a name is listed twice")
        for key in ("shape", "part", "bias"):
            if getattr(self, key) is not None:
                self.fail(f"names are filled by their shapes: drop {key}")
        if self.order != "rows":
            self.fail("names are filled slice by slice (each): drop order")

    def check_common(self) -> None:
        if self.names is None and (self.each is not None or self.shapes is not None):
            self.fail("each and shapes go with names (several arrays filled slice by slice)")
        if self.order not in ORDERS:
            self.fail(f"order must be 'rows' or 'columns', found {self.order!r}")
        if self.use not in USES:
            self.fail(f"use must be 'start' (a start value), 'data' or 'none' (drawn to advance "
                      f"the stream), found {self.use!r}")
        try:
            check_scale(self.scale)
        except ValueError as reason:
            self.fail(f"scale {self.scale!r} is not understood ({reason}): it is {SCALE_FORMS}")

    # -- what the entry is

    @property
    def method(self) -> str | None:
        """The key of the method (or 'value'); None for a seed entry."""
        for key in ("value", *METHODS):
            if getattr(self, key) is not None:
                return key
        return None

    @property
    def argument(self):
        return getattr(self, self.method)

    @property
    def draws_numbers(self) -> bool:
        return self.method not in (None, "value", *CONSTRUCTED)

    @property
    def layer_shape(self) -> tuple:
        """A torch layer's weight or bias as the layer holds it."""
        sizes = self.argument
        out = sizes[1]
        if self.part == "bias":
            return (out,)
        if self.method == "linear":
            return (out, sizes[0])
        kernel = sizes[2:] if len(sizes) == 4 else sizes[2:] * 2
        return (out, sizes[0], *kernel)

    @property
    def natural_shape(self) -> tuple:
        """The shape the method itself makes, before the entry's shape and order."""
        key, argument = self.method, self.argument
        if key in SHAPED:
            return tuple(argument)
        if key in RANGED:
            return tuple(self.shape)
        if key in COUNTED:
            return (argument,)
        if key in LAYERS:
            return self.layer_shape
        if key == "value":
            return np.shape(self.value)
        return tuple(argument)  # dataloader_shuffle: (epochs, examples)

    @property
    def drawn(self) -> tuple | None:
        """The shape of a one-name entry that is not a literal value, else None."""
        if self.method in (None, "value") or self.names is not None:
            return None
        return self.filled_shape

    @property
    def filled(self) -> list[tuple[str, tuple]]:
        """(name, shape) of each array the entry fills; none for a seed entry."""
        if self.names is not None:
            return [(name, tuple(shape)) for name, shape in zip(self.names, self.shapes)]
        if self.method is None:
            return []
        return [(self.name, self.filled_shape)]

    @property
    def filled_shape(self) -> tuple:
        if self.method in SHAPED or self.method == "value":
            return self.natural_shape
        return tuple(self.shape) if self.shape is not None else self.natural_shape


# --- the [init] table ------------------------------------------------------------------


class Initialisation(Strict):
    """``[init]``: the generator, its seed, and the entries in the source's order.
    Without ``generator`` it is NumPy's legacy global functions, so the ``[init]`` of
    today (seed, params of value or randn/rand with scale) reads as before."""

    generator: Any = "numpy_legacy"
    seed: Any = None
    torch_dtype: Any = None
    params: list[InitialParameter] = []

    @model_validator(mode="after")
    def draws_are_of_the_generator(self):
        if self.generator not in GENERATORS:
            raise ValueError(f"generator {self.generator!r} is none of {listed(GENERATORS)}")
        if self.torch_dtype is not None:
            if self.generator != "torch":
                raise ValueError(f"torch_dtype is a key of generator 'torch', not of "
                                 f"'{self.generator}'")
            if self.torch_dtype not in TORCH_DTYPES:
                raise ValueError(f"torch_dtype must be 'float32' or 'float64', found "
                                 f"{self.torch_dtype!r}")
        self.check_seeds()
        allowed = GENERATOR_METHODS[self.generator] + CONSTRUCTED
        for param in self.params:
            if param.method not in (None, "value", *allowed):
                raise ValueError(f"parameter '{param.label}': {param.method} is not a method of "
                                 f"generator '{self.generator}' (its methods: "
                                 f"{listed(GENERATOR_METHODS[self.generator])}; any generator: "
                                 f"value, {listed(CONSTRUCTED)})")
        for param in self.params:
            if self.generator == "torch" and param.method == "uniform" and \
                    param.argument[0] > param.argument[1]:
                raise ValueError(f"parameter '{param.label}': torch's uniform_ needs low <= high, "
                                 f"found {param.argument}")
        self.check_unseeded()
        self.check_names_once()
        self.check_layers_draw_weight_then_bias()
        return self

    def check_seeds(self) -> None:
        seeds = [self.seed] if self.seed is not None else []
        seeds += [param.seed for param in self.params if param.seed is not None]
        limit = SEED_LIMITS.get(self.generator)
        for seed in seeds:
            if not is_whole(seed) or seed < 0 or (limit is not None and seed >= limit):
                bound = f" below {limit}" if limit else ""
                raise ValueError(f"seed {seed!r} is not a seed of {self.generator} "
                                 f"({GENERATOR_CALLS[self.generator]}): a whole number 0 or "
                                 f"more{bound}")

    def check_unseeded(self) -> None:
        seeded, unseeded = self.seed is not None, []
        for param in self.params:
            if param.seed is not None:
                seeded = True
            elif param.draws_numbers and not seeded:
                unseeded += [name for name, _ in param.filled]
        if unseeded:
            what = "start values" if all(self.uses()[n] == "start" for n in unseeded) else "values"
            raise ValueError(f"{what} {unseeded} are drawn, so [init] needs a seed: without one "
                             "every framework would start elsewhere")

    def check_names_once(self) -> None:
        seen = set()
        for param in self.params:
            for name, _ in param.filled:
                if name in seen:
                    raise ValueError(f"parameter '{name}' is filled twice: each array is one "
                                     "entry (or one of an entry's names)")
                seen.add(name)

    def check_layers_draw_weight_then_bias(self) -> None:
        """A torch layer draws its weight, then at once its bias (unless built with
        bias=False): the entries must say so, in that order."""
        params = self.params
        for i, param in enumerate(params):
            if param.method not in LAYERS:
                continue
            call = f"{LAYERS[param.method]}({', '.join(map(str, param.argument))})"
            before = params[i - 1] if i > 0 else None
            after = params[i + 1] if i + 1 < len(params) else None
            if param.part == "bias" and not (
                    before is not None and before.method == param.method
                    and before.argument == param.argument and before.part == "weight"
                    and before.bias is not False):
                raise ValueError(f"parameter '{param.name}': {call}'s bias is drawn right after "
                                 "its weight: put this entry just after the weight's")
            if param.part == "weight" and param.bias is not False and not (
                    after is not None and after.method == param.method
                    and after.argument == param.argument and after.part == "bias"):
                raise ValueError(f"parameter '{param.name}': {call} draws its bias right after "
                                 "its weight: give it as the next entry (part = 'bias', use = "
                                 "'none' to keep it nowhere), or bias = false for a layer built "
                                 "with bias=False")

    # -- what the table fills

    def uses(self) -> dict[str, str]:
        return {name: param.use for param in self.params for name, _ in param.filled}

    def shapes(self, use: str | None = "start") -> dict[str, tuple]:
        """Each filled name's shape, in order: the start values by default, the
        data with use='data', every kept array with use=None."""
        return {name: shape for param in self.params for name, shape in param.filled
                if (param.use == use if use is not None else param.use != "none")}


def read_init(table: dict) -> Initialisation:
    """An ``[init]`` table, validated; a ValueError of one line naming where and what
    otherwise (``init.params.2: parameter 'W1': ...``)."""
    try:
        return Initialisation.model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        where = "".join(f".{part}" for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValueError(f"init{where}: {message}") from None


# --- drawing ---------------------------------------------------------------------------


class Drawn(NamedTuple):
    start: dict[str, np.ndarray]  # start values, by name, in order
    data: dict[str, np.ndarray]   # drawn data (use = 'data'), by name, in order


def placed(values: np.ndarray, shape, order: str) -> np.ndarray:
    """A method's numbers, in the order it made them (C order of its own shape), as
    ``shape`` in ``order``: 'rows' fills the last index fastest (row by row), 'columns'
    the first (column by column)."""
    shape = tuple(shape)
    if order == "rows":
        return values.reshape(shape)
    return values.reshape(shape[::-1]).T


def as_float64(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    return np.array(values, dtype=np.float64)


def seeded_state(generator: str, seed: int):
    """The generator, seeded: a state of its own, so the library's global one is left
    alone (torch's is forked around the draws instead)."""
    if generator == "numpy_legacy":
        return np.random.RandomState(seed)
    if generator == "numpy_generator":
        return np.random.default_rng(seed)
    if generator == "python_random":
        return random.Random(seed)
    import torch
    torch.manual_seed(seed)
    return torch


def numpy_legacy_call(state: np.random.RandomState, method: str, argument, shape: tuple):
    size = shape if shape else None  # () is one number, as the source's scalar call draws it
    if method == "randn":
        return state.randn(*shape)
    if method == "rand":
        return state.rand(*shape)
    if method == "random":
        return state.random_sample(size)
    if method == "permutation":
        return state.permutation(argument)
    low, high = argument
    if method == "randint":
        return state.randint(low, high, size)
    return getattr(state, method)(low, high, size)  # normal, uniform


def numpy_generator_call(state: np.random.Generator, method: str, argument, shape: tuple):
    size = shape if shape else None
    if method in ("standard_normal", "random"):
        return getattr(state, method)(size)
    if method == "permutation":
        return state.permutation(argument)
    low, high = argument
    return getattr(state, method)(low, high, size)  # normal, uniform, integers


def python_random_call(state: random.Random, method: str, argument, shape: tuple):
    """One call per number, in order: the stdlib has no array draws."""
    if method == "random":
        numbers = [state.random() for _ in range(math.prod(shape))]
    else:
        a, b = argument
        draw = state.uniform if method == "uniform" else state.gauss
        numbers = [draw(a, b) for _ in range(math.prod(shape))]
    return np.array(numbers, dtype=np.float64).reshape(shape)


def torch_call(torch, method: str, argument, shape: tuple, dtype):
    if method == "randn":
        return torch.randn(shape, dtype=dtype)
    if method == "rand":
        return torch.rand(shape, dtype=dtype)
    if method in ("normal", "uniform"):
        empty = torch.empty(shape, dtype=dtype)
        return empty.normal_(*argument) if method == "normal" else empty.uniform_(*argument)
    if method == "randint":
        return torch.randint(argument[0], argument[1], shape)
    if method == "randperm":
        return torch.randperm(argument)
    if method in ("xavier_normal", "xavier_uniform"):
        values = torch.empty(shape, dtype=dtype)
        getattr(torch.nn.init, method + "_")(values)
        return values
    epochs, examples = argument  # dataloader_shuffle: single-process, any batch size
    loader = torch.utils.data.DataLoader(range(examples), batch_size=examples, shuffle=True)
    return torch.stack([next(iter(loader)) for _ in range(epochs)])


def torch_layer(torch, param: InitialParameter, dtype) -> tuple:
    """(weight, bias) of the layer built as the source builds it; bias None when it
    has none."""
    sizes, has_bias = param.argument, param.bias is not False
    if param.method == "linear":
        layer = torch.nn.Linear(sizes[0], sizes[1], bias=has_bias, dtype=dtype)
    else:
        kernel = tuple(sizes[2:]) if len(sizes) == 4 else sizes[2]
        layer = torch.nn.Conv2d(sizes[0], sizes[1], kernel, bias=has_bias, dtype=dtype)
    return layer.weight.detach(), layer.bias.detach() if has_bias else None


CALLS = {"numpy_legacy": numpy_legacy_call, "numpy_generator": numpy_generator_call,
         "python_random": python_random_call}


@contextmanager
def stream_of(init: Initialisation):
    """The seeded generator for the draws (None when nothing is drawn: torch is then
    not imported). Torch's global generator is forked, so it is as it was once the
    draws are done; the others are generators of their own."""
    if not any(param.draws_numbers for param in init.params):
        yield None
    elif init.generator == "torch":
        import torch
        default = torch.get_default_dtype()  # a run's setup may have made it float64
        with torch.random.fork_rng(devices=[]):
            torch.set_default_dtype(getattr(torch, init.torch_dtype or "float32"))
            try:  # the source's layers are built in its default dtype
                yield seeded_state("torch", init.seed) if init.seed is not None else torch
            finally:
                torch.set_default_dtype(default)
    else:
        yield seeded_state(init.generator, init.seed) if init.seed is not None else None


def drawn_array(init: Initialisation, state, method: str, argument, shape: tuple, scale):
    """One call of the method making ``shape``, scaled as the source scales it, float64."""
    if method == "zeros":
        return np.zeros(shape)
    if method == "linspace":
        return scaled(np.linspace(argument[0], argument[1], math.prod(shape)).reshape(shape),
                      scale)
    if init.generator == "torch":
        dtype = getattr(state, init.torch_dtype or "float32")
        return as_float64(scaled(torch_call(state, method, argument, shape, dtype), scale))
    return as_float64(scaled(CALLS[init.generator](state, method, argument, shape), scale))


def entry_values(init: Initialisation, state, param: InitialParameter) -> np.ndarray:
    """The array of a one-name entry (not a layer), in its shape and order."""
    method = param.method
    if method == "value":
        return np.array(param.value, dtype=np.float64)
    if method in SHAPED or method in RANGED:
        shape = param.filled_shape
        made = shape if param.order == "rows" else shape[::-1]
        return placed(drawn_array(init, state, method, param.argument, made, param.scale),
                      shape, param.order)
    values = drawn_array(init, state, method, param.argument, param.natural_shape, param.scale)
    return placed(values, param.filled_shape, param.order)


def sliced_values(init: Initialisation, state, param: InitialParameter) -> list[np.ndarray]:
    """The arrays of a names entry: slice k of each name in turn, then slice k + 1;
    one call of the method per slice."""
    arrays = [np.zeros(shape) for _, shape in param.filled]
    count = arrays[0].shape[0] if param.each == "row" else arrays[0].shape[-1]
    for k in range(count):
        for array in arrays:
            where = (k,) if param.each == "row" else (..., k)
            slice_shape = array[where].shape
            array[where] = drawn_array(init, state, param.method, param.argument, slice_shape,
                                       param.scale)
    return arrays


def layer_values(param: InitialParameter, tensor) -> np.ndarray:
    """A layer's weight or bias (as the layer holds it) in the entry's shape and order."""
    values = as_float64(scaled(tensor, param.scale))
    return placed(values.reshape(-1), param.filled_shape, param.order)


DRAWN_KEPT = 64  # tables whose draws a process keeps (a table's arrays are its own)
_drawn: dict[str, Drawn] = {}  # by the table's JSON, the last drawn last


def draw_values(init: Initialisation) -> Drawn:
    """Every array the table fills, drawn in order from its one stream: the start
    values and the drawn data, float64, in the source's layout. The library's global
    generators are left as they were. A table is drawn once in a process (the same
    table draws the same numbers): each call has copies of its own."""
    key = init.model_dump_json()
    drawn = _drawn.pop(key, None) or drawn_once(init)
    remember(init, drawn, key)
    return Drawn(*({name: array.copy() for name, array in arrays.items()} for arrays in drawn))


def remember(init: Initialisation, drawn: Drawn, key: str | None = None) -> None:
    """Keep ``drawn`` as the table's draws: handed to a process that would otherwise
    import torch only to draw them again."""
    _drawn[key or init.model_dump_json()] = drawn
    while len(_drawn) > DRAWN_KEPT:
        del _drawn[next(iter(_drawn))]


def drawn_once(init: Initialisation) -> Drawn:
    start, data = {}, {}
    with stream_of(init) as state:
        pending_bias = None  # a torch layer's bias, drawn with its weight
        for param in init.params:
            if param.seed is not None:
                if state is not None or init.generator != "torch":  # torch: only when forked
                    state = seeded_state(init.generator, param.seed)
                continue
            if param.method in LAYERS:
                dtype = getattr(state, init.torch_dtype or "float32")
                if param.part == "weight":
                    weight, pending_bias = torch_layer(state, param, dtype)
                    arrays = [layer_values(param, weight)]
                else:
                    arrays = [layer_values(param, pending_bias)]
                    pending_bias = None
            elif param.names is not None:
                arrays = sliced_values(init, state, param)
            else:
                arrays = [entry_values(init, state, param)]
            kept = start if param.use == "start" else data if param.use == "data" else {}
            for (name, _), array in zip(param.filled, arrays):
                kept[name] = array
    return Drawn(start, data)


# --- which draws may differ on another CPU ---------------------------------------------

LIBM_METHODS = {"numpy_legacy": ("randn", "normal"),
                "numpy_generator": ("standard_normal", "normal"),
                "python_random": ("gauss",)}  # normal draws through the C library's log


def power_of_two(number: float) -> bool:
    mantissa, _ = math.frexp(number)
    return mantissa == 0.5


def torch_uniform_width(param: InitialParameter, dtype: str) -> float:
    """The width (to - from, in the draw's dtype) torch's uniform_ is given for the
    entry, by the bounds torch documents: kaiming_uniform_(a=sqrt(5)) for a layer's
    weight, 1/sqrt(fan_in) for its bias, sqrt(3) * sqrt(2 / (fan_in + fan_out)) for
    xavier_uniform_."""
    rounded = (lambda x: float(np.float32(x))) if dtype == "float32" else float
    if param.method == "uniform":
        low, high = param.argument
        return rounded(rounded(high) - rounded(low))
    if param.method == "xavier_uniform":
        shape = param.argument
        receptive = math.prod(shape[2:])
        bound = math.sqrt(3.0) * math.sqrt(2.0 / float((shape[0] + shape[1]) * receptive))
    else:
        sizes = param.argument
        kernel = 1 if param.method == "linear" else math.prod(sizes[2:]) if len(sizes) == 4 \
            else sizes[2] ** 2
        fan_in = sizes[0] * kernel
        if param.part == "weight":
            bound = math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(fan_in))
        else:
            bound = 1 / math.sqrt(fan_in)
    return rounded(rounded(bound) - rounded(-bound))


def cpu_dependent(init: Initialisation) -> list[str]:
    """The names whose last bits may differ on another x86-64 CPU, with the same
    libraries: normal draws that go through the C library's log (and cos, sin), whose
    glibc picks an FMA or a plain variant by CPU; and torch's float32 and float64
    normal and uniform kernels, which are compiled per CPU capability (FMA or not, SIMD
    Box-Muller or not), unless a uniform's width is a power of two (then every kernel
    rounds alike). Uniform, integer and permutation draws of NumPy and Python's random
    do no such arithmetic and are the same everywhere."""
    names = []
    for param in init.params:
        method = param.method
        if init.generator == "torch":
            dependent = method in ("randn", "normal", "xavier_normal") or (
                method in ("uniform", "xavier_uniform", *LAYERS)
                and not power_of_two(torch_uniform_width(param, init.torch_dtype or "float32")))
        else:
            dependent = method in LIBM_METHODS.get(init.generator, ())
        if dependent:
            names += [name for name, _ in param.filled]
    return names
