"""Derived claims: numbers a source prints that are computed from what a run records.

A claim names a recorded ``quantity`` (``cost``, ``W1``, ``grad.W1``, ``A2``) or gives an
``expression`` over such names instead, read by the whitelist below and evaluated in
float64 NumPy on the exact run (and on the rounded replay), never run as code:

- a slice: ``Z1[0, :3]``, ``A2[..., 0]``, ``W1[:, 1]`` (integers, slices and ``...``);
- a reduction: ``sum(x)``, ``mean(x)``, ``max(x)``, ``min(x)``, each over every element
  or along an axis (``sum(x, 0)``), and ``norm(x)``, the square root of the sum of squares;
- elementwise: ``abs``, ``sqrt``, ``exp``, ``log``, ``tanh``, ``sigmoid``, ``round(x)``
  (to even, as NumPy rounds; ``round(x, 2)``), ``+ - * / **``, ``@``, a comparison
  (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``: 1 where it holds, 0 where not),
  ``transpose(x)``, ``argmax(x, axis)``, and ``maximum(a, b)``, ``minimum(a, b)``, the
  larger and the smaller of two, element by element (cs231n's relative error divides by
  ``maximum(1e-8, abs(x) + abs(y))``);
- ``accuracy(A, Y)``: the fraction of examples a network classifies right, from its
  output A and the targets Y: A above 0.5 against Y with one output unit, the unit of
  A's largest value against Y's (one-hot) otherwise;
- ``relative_difference(a, b)``: ``norm(a - b) / (norm(a) + norm(b))``, the number a
  gradient check prints, and ``concat(a, b, ...)``, every element of each in C order (a
  check over all parameters at once); ``size(x)``, how many numbers x holds.

Names: whatever the run records (the claims' names), ``init.<p>`` (a start value),
``before.<p>`` (a parameter as the step's forward pass used it: its start value at
step 0, its value after the step before otherwise), the ``[data]`` entries, and for a
network with a test set ``test.Z1``, ``test.A1``, ...: the network's forward pass on
the test set at the start of the step (with the ``before.`` parameters); with a
``[gradient_check]`` table, ``numerical.<p>``: the gradient of the cost by finite
differences at the start of the step, as the source takes them (its ``epsilon``, added
to one element at a time; ``two_sided``, ``(J(p + e) - J(p - e)) / (2 e)``, or
``one_sided``, ``(J(p + e) - J(p)) / e``), on the NumPy reference's cost.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engines.expressions import EXPRESSION_KINDS

NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
COMPUTED = ("init.", "before.", "test.", "numerical.")  # names a claim reads that no run records


class DerivedError(ValueError):
    """An expression outside the whitelist, or one its values cannot be put in."""


def is_derived(quantity: str) -> bool:
    """Whether a quantity can only be an expression (it is no name a run could record in
    the engines' style; a mirror's own name such as ``dd/db`` is looked up first)."""
    return not NAME.fullmatch(quantity)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _norm(x):
    return np.sqrt(np.sum(np.asarray(x) ** 2))


def _relative_difference(a, b):
    return _norm(a - b) / (_norm(a) + _norm(b))


def _argmax(x, axis):
    return np.argmax(x, axis=axis).astype(np.float64)


def _round(x, decimals=0):
    return np.round(x, decimals)


def _reduction(function):
    return lambda x, axis=None: function(x, axis=axis)


# name -> (the function, how many arguments, which of them are integer constants)
FUNCTIONS: dict[str, tuple[Callable, tuple[int, ...], tuple[int, ...]]] = {
    "sum": (_reduction(np.sum), (1, 2), (1,)),
    "mean": (_reduction(np.mean), (1, 2), (1,)),
    "max": (_reduction(np.max), (1, 2), (1,)),
    "min": (_reduction(np.min), (1, 2), (1,)),
    "norm": (_norm, (1,), ()),
    "abs": (np.abs, (1,), ()),
    "maximum": (np.maximum, (2,), ()),
    "minimum": (np.minimum, (2,), ()),
    "sqrt": (np.sqrt, (1,), ()),
    "exp": (np.exp, (1,), ()),
    "log": (np.log, (1,), ()),
    "tanh": (np.tanh, (1,), ()),
    "sigmoid": (_sigmoid, (1,), ()),
    "round": (_round, (1, 2), (1,)),
    "transpose": (np.transpose, (1,), ()),
    "argmax": (_argmax, (2,), (1,)),
    "accuracy": (None, (2,), ()),  # needs the network's units axis: Setting
    "relative_difference": (_relative_difference, (2,), ()),
    "concat": (lambda *xs: np.concatenate([np.ravel(x) for x in xs]), tuple(range(1, 33)), ()),
    "size": (lambda x: np.float64(np.size(x)), (1,), ()),
}
OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
             ast.Div: np.divide, ast.Pow: np.power, ast.MatMult: np.matmul}
COMPARISONS = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less,
               ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal}
ALLOWED = ("numbers, names, + - * / ** @, a comparison, a subscript of integers, slices and "
           "..., and calls of " + ", ".join(FUNCTIONS))


@dataclass(frozen=True)
class Setting:
    """What accuracy needs to know of a network: the axis of its units in A and Y, and
    its output layer's activation (None: no network)."""

    units_axis: int | None = None
    output: str | None = None


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.expr
    names: tuple[str, ...]  # every name it reads, in order


def dotted(node: ast.AST) -> str | None:
    """``grad.W1`` (an attribute of a name, as Python reads it) as the name it is."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def integer(node: ast.AST) -> int | None:
    """An integer constant, possibly negated, or None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = integer(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """``text`` read by the whitelist (module docstring): a DerivedError of one line
    naming what is not allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise DerivedError(f"'{text}' is not an expression: {error.msg}") from None
    except ValueError as error:  # a null byte
        raise DerivedError(f"'{text}': {error}") from None
    names: list[str] = []
    _check(tree, text, names)
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _check(node: ast.AST, text: str, names: list[str]) -> None:
    segment = ast.get_source_segment(text.strip(), node) or ast.unparse(node)
    name = dotted(node)
    if name is not None:
        names.append(name)
        return
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise DerivedError(f"`{segment}`: only numbers are constants here")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _check(node.operand, text, names)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        _check(node.left, text, names)
        return _check(node.right, text, names)
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in COMPARISONS:
            raise DerivedError(f"`{segment}`: one comparison at a time, of ==, !=, <, <=, >, >=")
        _check(node.left, text, names)
        return _check(node.comparators[0], text, names)
    if isinstance(node, ast.Call):
        return _check_call(node, segment, text, names)
    if isinstance(node, ast.Subscript):
        _check(node.value, text, names)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part in parts:
            if isinstance(part, ast.Slice):
                bounds = [b for b in (part.lower, part.upper, part.step) if b is not None]
                if any(integer(b) is None for b in bounds):
                    raise DerivedError(f"`{segment}`: a slice's bounds are integers")
                if part.step is not None and integer(part.step) <= 0:
                    raise DerivedError(f"`{segment}`: a slice's step is above 0")
            elif not (integer(part) is not None or
                      (isinstance(part, ast.Constant) and part.value is Ellipsis)):
                raise DerivedError(f"`{segment}`: a subscript takes integers, slices and ...")
        return
    kind = EXPRESSION_KINDS.get(type(node), type(node).__name__)
    raise DerivedError(f"`{segment}`: {kind} is not allowed (an expression is made of "
                       f"{ALLOWED})")


def _check_call(node: ast.Call, segment: str, text: str, names: list[str]) -> None:
    if not isinstance(node.func, ast.Name):
        raise DerivedError(f"`{segment}` calls something that is not a function's name")
    name = node.func.id
    if name not in FUNCTIONS:
        raise DerivedError(f"`{segment}`: unknown function '{name}' (the functions are "
                           f"{', '.join(FUNCTIONS)})")
    if node.keywords:
        raise DerivedError(f"`{segment}`: {name}() takes its arguments by position")
    _, counts, constants = FUNCTIONS[name]
    if len(node.args) not in counts:
        told = f"{counts[0]} to {counts[-1]}" if len(counts) > 2 else " or ".join(map(str, counts))
        raise DerivedError(f"`{segment}`: {name}() takes {told} argument(s), found "
                           f"{len(node.args)}")
    for position, argument in enumerate(node.args):
        if position in constants:
            if integer(argument) is None:
                raise DerivedError(f"`{segment}`: {name}()'s argument {position + 1} is an "
                                   "integer constant")
        else:
            _check(argument, text, names)


def evaluate(expression: Expression, lookup: Callable[[str], np.ndarray],
             setting: Setting = Setting()) -> np.ndarray:
    """The expression's value, each name's array given by ``lookup`` (which raises a
    DerivedError for a name it has no value of)."""
    with np.errstate(all="ignore"):  # a log of 0 is -inf, and a claim on it fails as such
        return np.asarray(_value(expression.tree, lookup, setting, expression.text.strip()),
                          dtype=np.float64)


def _value(node, lookup, setting, text):
    def value(child):
        return _value(child, lookup, setting, text)

    name = dotted(node)
    if name is not None:
        return np.asarray(lookup(name), dtype=np.float64)
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.UnaryOp):
        return -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
    segment = ast.get_source_segment(text, node) or ast.unparse(node)
    try:
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Compare):
            held = COMPARISONS[type(node.ops[0])](value(node.left), value(node.comparators[0]))
            return np.asarray(held, dtype=np.float64)
        if isinstance(node, ast.Subscript):
            array = value(node.value)
            return array[_index(node.slice, array.shape, segment)]
        if isinstance(node, ast.Call):
            name = node.func.id
            function, _, constants = FUNCTIONS[name]
            args = [integer(a) if i in constants else value(a) for i, a in enumerate(node.args)]
            if name == "accuracy":
                return accuracy(*args, setting)
            if 1 in constants and len(args) > 1 and name != "round" and \
                    not -args[0].ndim <= args[1] < args[0].ndim:
                raise DerivedError(f"axis {args[1]} of an array of {args[0].ndim} dimensions")
            return function(*args)
    except DerivedError as error:
        if str(error).startswith("`"):
            raise
        raise DerivedError(f"`{segment}`: {error}") from None
    except ValueError as error:  # shapes that do not fit
        raise DerivedError(f"`{segment}`: {str(error).splitlines()[0]}") from None
    raise DerivedError(f"`{segment}` is not allowed")  # parse() let nothing else through


def _index(node, shape: tuple, segment: str) -> tuple:
    """A subscript's index, each integer within its axis and each slice's bounds within
    it too (NumPy would cut a slice short instead of refusing it)."""
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    ellipsis = [i for i, p in enumerate(parts) if isinstance(p, ast.Constant) and p.value is Ellipsis]
    if len(ellipsis) > 1:
        raise DerivedError("one ... at most")
    given = len(parts) - len(ellipsis)
    if given > len(shape):
        raise DerivedError(f"{given} indices into an array of {len(shape)} dimensions "
                           f"(shape {list(shape)})")
    axes = []
    for i, part in enumerate(parts):
        if ellipsis and i == ellipsis[0]:
            axes.extend([None] * (len(shape) - given))
        else:
            axes.append(part)
    index, axis = [], 0
    for part in axes:
        if part is None:
            index.append(slice(None))
            axis += 1
            continue
        n = shape[axis]
        if isinstance(part, ast.Slice):
            bounds = [None if b is None else integer(b) for b in (part.lower, part.upper, part.step)]
            for bound in bounds[:2]:
                if bound is not None and not -n <= bound <= n:
                    raise DerivedError(f"slice bound {bound} is outside axis {axis} of length "
                                       f"{n}")
            index.append(slice(*bounds))
        else:
            at = integer(part)
            if not -n <= at < n:
                raise DerivedError(f"index {at} is outside axis {axis} of length {n}")
            index.append(at)
        axis += 1
    return tuple(index)


def accuracy(A: np.ndarray, Y: np.ndarray, setting: Setting) -> np.float64:
    """The fraction of examples classified right (module docstring)."""
    if setting.units_axis is None:
        raise DerivedError("accuracy() needs a [network] (it knows which axis holds the "
                           "classes); write the source's own expression, such as "
                           "mean(round(A2) == Y)")
    if setting.output not in ("sigmoid", "softmax"):
        raise DerivedError(f"accuracy() needs a network whose output gives classes (a sigmoid "
                           f"or softmax output layer); its output layer is '{setting.output}'")
    if A.shape != Y.shape:
        raise DerivedError(f"A of shape {list(A.shape)} and Y of shape {list(Y.shape)}: "
                           "accuracy() compares them example by example")
    axis = setting.units_axis
    if A.ndim != 2:
        raise DerivedError(f"accuracy() takes a layer's output, of 2 dimensions, found "
                           f"{A.ndim}")
    if A.shape[axis] == 1:
        right = (A > 0.5) == (Y > 0.5)
    else:
        right = np.argmax(A, axis=axis) == np.argmax(Y, axis=axis)
    return np.float64(np.mean(right))


def renamed(text: str, name: Callable[[str], str]) -> str:
    """The expression with every name it reads renamed (as the generic engine names them)."""
    expression = parse(text)

    class Renamer(ast.NodeTransformer):
        def visit_Attribute(self, node):
            found = dotted(node)
            return ast.Name(name(found)) if found is not None else self.generic_visit(node)

        def visit_Name(self, node):
            return ast.Name(name(node.id))

        def visit_Call(self, node):  # the function's name is no value's
            node.args = [self.visit(a) for a in node.args]
            return node

    return ast.unparse(Renamer().visit(ast.parse(expression.text.strip(), mode="eval")))


def reads(claim) -> tuple[str, ...]:
    """The names a claim reads: its quantity, or the names of its expression."""
    return parse(claim.expression).names if claim.expression is not None else (claim.quantity,)


def shape_of(quantity: str, shapes: dict[str, tuple], setting: Setting = Setting()) -> tuple:
    """The shape of a derived quantity's value, from the shapes of the names it reads
    (each must be in ``shapes``): evaluated on arrays of 0.75, where log, sqrt and a
    division stay finite."""
    expression = parse(quantity)

    def lookup(name):
        if name not in shapes:
            raise DerivedError(f"'{name}' is not recorded")
        return np.full(shapes[name], 0.75)
    return evaluate(expression, lookup, setting).shape
