"""Expression graphs: a published computational graph, written as data.

A source's scalar (or array) graph is written as assignments in ordinary arithmetic,
one statement a line, in the order the source writes them::

    c = a + b
    d = a * b + b**3
    c += c + 1            # c again: the lines below see the new c
    f = relu(e) ** 2
    z = W @ x + b

The text is read with Python's ``ast`` and checked against a whitelist; it is never
run as code. Allowed: numbers, names, binary ``+ - * / ** @``, unary ``-`` and ``+``,
and calls, by name, of ``exp log sqrt abs tanh sigmoid relu`` (elementwise), ``max``
and ``min`` (of two arguments elementwise, of one the extreme over all its elements),
``sum`` and ``mean`` (of one argument, over all its elements). Anything else is a
:class:`GraphError` of one line, ``line N: what is wrong``.

What the parser gives (:func:`parse`) is a small IR, :class:`Graph`: the nodes in the
order they are computed (the leaves first: the inputs and parameters, then every
operation of every statement, innermost first), each with a unique id (its position),
an op, the ids of its arguments, for a number its value, and for a statement's result
the source name it binds and its record name; the statements, each with its result's
node and the named nodes it reads; and the node each source name holds last.

Names a record or a claim can use (``Graph.named``):

- every input and parameter, by its name;
- every statement's result: a name assigned once is that name; a name assigned n
  times is ``c#1``, ``c#2``, ... for its first n - 1 versions and ``c`` for the last
  (``c = a + b`` then ``c += 1``: ``c#1`` is a + b, ``c`` is c#1 + 1);
- the subexpressions inside a statement (``a * b`` in ``d = a * b + b**3``) and its
  numbers are anonymous: computed, differentiated and compared, never recorded.

A statement may not assign to an input or parameter (``x = x + 1`` would leave ``x``
meaning two things, the given value and a node): name the result otherwise. A name
must be given before it is read, as an input, a parameter or a statement above; a
graph runs top to bottom, so a cycle shows as a name read before it is computed.

The ``[graph]`` table of a definition file is :class:`GraphTable`; the engines that
evaluate a graph and its gradients are ``reproductions/engines/<framework>/graph.py``
(NumPy's written out by hand, the reference); :class:`Recorder` writes what they
compute into a trace, by the names above (GRAPHS.md).
"""

from __future__ import annotations

import ast
import functools
import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from reproductions.schema import Strict, shape_text  # not spec, which reads [graph] with this module
from reproductions.engines import optimizers

ELEMENTWISE = ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu")
# a function's op for each number of arguments it takes
FUNCTIONS: dict[str, dict[int, str]] = {
    **{name: {1: name} for name in ELEMENTWISE},
    "max": {1: "max", 2: "maximum"},  # max(x): the largest element; max(a, b): elementwise
    "min": {1: "min", 2: "minimum"},
    "sum": {1: "sum"},
    "mean": {1: "mean"},
}
OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
             ast.Pow: "pow", ast.MatMult: "matmul"}
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}
BROADCASTING = ("add", "sub", "mul", "div", "pow_general", "maximum", "minimum")
REDUCTIONS = ("max", "min", "sum", "mean")
ALLOWED = ("a graph is made of numbers, names, + - * / ** @, unary - and +, and calls of "
           + ", ".join(FUNCTIONS))
MAX_LOCAL_ELEMENTS = 1_000_000  # local Jacobians, all together: beyond, a graph too big for them


class GraphError(ValueError):
    """A graph that cannot be read, in one line: ``line N: what is wrong``."""


@dataclass(frozen=True)
class Node:
    """One value of the graph. ``op`` is ``input`` (an input or parameter), ``const``
    (a number, ``constant``), ``identity`` (a statement that copies a name), ``neg``,
    ``add``, ``sub``, ``mul``, ``div``, ``matmul``, ``pow`` (x ** a number: the number
    is ``constant``), ``pow_general`` (x ** y, y computed), one of ELEMENTWISE,
    ``maximum``/``minimum`` (elementwise, two arguments) or ``max``, ``min``, ``sum``,
    ``mean`` (over all elements)."""

    id: int
    op: str
    args: tuple[int, ...]
    name: str | None  # the name records and claims use; None for an anonymous subexpression
    line: int  # the source line of its statement; 0 for an input or parameter
    text: str  # the expression as written, for messages
    constant: float | None = None  # a number's value, or pow's exponent
    statement: int | None = None  # the index of the statement that computes it
    binds: str | None = None  # the source name it holds: a leaf's, a statement's target


@dataclass(frozen=True)
class Statement:
    line: int
    target: str  # the source name it assigns
    name: str  # its result's name: target, or target#k for an earlier version
    node: int  # the node of its result
    nodes: tuple[int, ...]  # every node it computes, in order (its result last)
    reads: tuple[int, ...]  # the named nodes it reads, each once, in order of first use
    text: str  # the statement as written


@dataclass(frozen=True, eq=False)  # one parse, one object: compared (and cached) by identity
class Graph:
    text: str
    leaves: tuple[str, ...]  # the inputs and parameters, in the order given (nodes 0, 1, ...)
    nodes: tuple[Node, ...]
    statements: tuple[Statement, ...]
    latest: Mapping[str, int]  # source name -> the node it holds after the last statement
    named: Mapping[str, int]  # record name -> node, leaves first, then in order computed

    def node(self, name: str) -> Node:
        return self.nodes[self.named[name]]

    def describe(self, node_id: int) -> str:
        """Where a node is, for messages: "input 'x'", "d (line 2)", or "`a * b` in d
        (line 2)" for an anonymous one."""
        node = self.nodes[node_id]
        if node.op == "input":
            return f"input '{node.name}'"
        if node.name is not None:
            return f"{node.name} (line {node.line})"
        owner = self.statements[node.statement]
        return f"`{node.text}` in {owner.name} (line {node.line})"


# --- reading the text --------------------------------------------------------------

STATEMENT_KINDS = {ast.Import: "an import", ast.ImportFrom: "an import",
                   ast.FunctionDef: "a function definition", ast.AsyncFunctionDef:
                   "a function definition", ast.ClassDef: "a class definition",
                   ast.If: "an if statement", ast.For: "a loop", ast.While: "a loop",
                   ast.With: "a with statement", ast.Return: "a return", ast.Delete: "a del",
                   ast.Pass: "a pass", ast.Global: "a global declaration",
                   ast.Nonlocal: "a nonlocal declaration", ast.Try: "a try statement",
                   ast.Raise: "a raise", ast.Assert: "an assert",
                   ast.AnnAssign: "an annotated assignment"}
EXPRESSION_KINDS = {ast.Attribute: "an attribute access", ast.Subscript: "a subscript",
                    ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
                    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
                    ast.GeneratorExp: "a comprehension", ast.Compare: "a comparison",
                    ast.BoolOp: "'and' or 'or'", ast.IfExp: "a conditional expression",
                    ast.NamedExpr: "an assignment expression", ast.List: "a list",
                    ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
                    ast.JoinedStr: "an f-string", ast.Starred: "a starred expression",
                    ast.Await: "an await", ast.Yield: "a yield", ast.YieldFrom: "a yield",
                    ast.Slice: "a slice"}


class _Reader:
    """One pass over the statements, top to bottom, building the nodes."""

    def __init__(self, text: str, leaves: tuple[str, ...]):
        self.text, self.leaves = text, leaves
        self.nodes: list[Node] = []
        self.latest: dict[str, int] = {}
        self.statements: list[Statement] = []
        self.assigned: dict[str, list[int]] = {}  # target -> the lines assigning it
        self.line = 0
        self.reads: list[int] = []
        for name in leaves:
            self.latest[name] = self._add("input", (), name=name, text=name, line=0)
            self.nodes[-1] = replace(self.nodes[-1], binds=name)

    def fail(self, message: str):
        raise GraphError(f"line {self.line}: {message}")

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    def _add(self, op, args, name=None, text="", line=None, constant=None) -> int:
        node_id = len(self.nodes)
        self.nodes.append(Node(node_id, op, tuple(args), name, self.line if line is None else line,
                               text, constant, None if line == 0 else len(self.statements)))
        return node_id

    # statements

    def read(self, tree: ast.Module) -> Graph:
        body = tree.body
        if not body:
            raise GraphError("the expression has no statement: write one assignment a line, "
                             "such as f = (x + y) * z")
        for statement in body:  # which names are assigned where (for versions and cycles)
            target = self.target_of(statement)
            if isinstance(target, ast.Name):
                self.assigned.setdefault(target.id, []).append(statement.lineno)
        lines = set()
        for statement in body:
            self.line = statement.lineno
            if self.line in lines:
                self.fail("two statements on one line: write one a line")
            lines.add(self.line)
            self.statement(statement)
        named = {name: self.latest[name] for name in self.leaves}
        named.update({s.name: s.node for s in self.statements})
        return Graph(self.text, self.leaves, tuple(self.nodes), tuple(self.statements),
                     dict(self.latest), named)

    @staticmethod
    def target_of(statement: ast.stmt):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            return statement.targets[0]
        if isinstance(statement, ast.AugAssign):
            return statement.target
        return None

    def statement(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Expr):
            self.fail(f"`{self.segment(statement)}` computes a value without a name: assign it "
                      "(y = ...)")
        if not isinstance(statement, (ast.Assign, ast.AugAssign)):
            kind = STATEMENT_KINDS.get(type(statement), f"a {type(statement).__name__} statement")
            self.fail(f"{kind} is not allowed: a graph is assignments only, one a line")
        if isinstance(statement, ast.Assign) and len(statement.targets) != 1:
            self.fail("a chained assignment (a = b = ...): one name per statement")
        target = self.target_of(statement)
        name = self.check_target(target)
        self.reads, first = [], len(self.nodes)
        if isinstance(statement, ast.AugAssign):  # c += e is c = c + (e), as Python computes it
            op = OPERATORS.get(type(statement.op))
            if op is None:
                self.fail(f"the operator of `{self.segment(statement)}` is not allowed ({ALLOWED})")
            left = self.name_node(name, target)
            right = self.expression(statement.value)
            text = f"{name} {SYMBOLS[op]} ({self.segment(statement.value)})"
            result = self.binary(op, left, right, text)
        else:
            result = self.expression(statement.value)
        if result < first:  # a copy of a name (c = a, c = +a): a node of its own
            result = self._add("identity", (result,), text=self.segment(statement.value))
        version = len([line for line in self.assigned[name] if line <= self.line])
        versions = len(self.assigned[name])
        node_name = name if version == versions else f"{name}#{version}"
        self.nodes[result] = replace(self.nodes[result], name=node_name, binds=name)
        self.statements.append(Statement(self.line, name, node_name, result,
                                         tuple(range(first, len(self.nodes))),
                                         tuple(dict.fromkeys(self.reads)), self.segment(statement)))
        self.latest[name] = result

    def check_target(self, target) -> str:
        if isinstance(target, (ast.Tuple, ast.List)):
            self.fail("tuple unpacking: one name per statement")
        if not isinstance(target, ast.Name):
            kind = EXPRESSION_KINDS.get(type(target), "an expression")
            self.fail(f"the target `{self.segment(target)}` is {kind}: assign to a plain name")
        name = target.id
        if name in self.leaves:
            self.fail(f"'{name}' is an input or parameter: a statement cannot assign to it "
                      "(name the result otherwise)")
        if name in FUNCTIONS:
            self.fail(f"'{name}' is a function's name: name the result otherwise")
        return name

    # expressions

    def expression(self, expr: ast.expr) -> int:
        if isinstance(expr, ast.Constant):
            return self._add("const", (), text=self.segment(expr), constant=self.number(expr))
        if isinstance(expr, ast.Name):
            return self.name_node(expr.id, expr)
        if isinstance(expr, ast.UnaryOp):
            return self.unary(expr)
        if isinstance(expr, ast.BinOp):
            op = OPERATORS.get(type(expr.op))
            if op is None:
                self.fail(f"the operator of `{self.segment(expr)}` is not allowed ({ALLOWED})")
            exponent = self.literal(expr.right) if op == "pow" else None
            left = self.expression(expr.left)
            if exponent is not None:  # x ** 3: the exponent a number, not a node
                return self._add("pow", (left,), text=self.segment(expr), constant=exponent)
            right = self.expression(expr.right)
            return self.binary(op, left, right, self.segment(expr))
        if isinstance(expr, ast.Call):
            return self.call(expr)
        kind = EXPRESSION_KINDS.get(type(expr), f"a {type(expr).__name__}")
        self.fail(f"{kind} `{self.segment(expr)}` is not allowed ({ALLOWED})")

    def binary(self, op, left, right, text) -> int:
        return self._add("pow_general" if op == "pow" else op, (left, right), text=text)

    def literal(self, expr) -> float | None:
        """A number as written (``3``, ``-1``, ``0.5``), or None for anything else."""
        sign = 1.0
        while isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(expr.op, ast.USub) else sign
            expr = expr.operand
        return sign * self.number(expr) if isinstance(expr, ast.Constant) else None

    def number(self, expr: ast.Constant) -> float:
        value = expr.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            what = "a string" if isinstance(value, str) else f"`{self.segment(expr)}`"
            self.fail(f"{what} is not a number")
        try:
            number = float(value)
        except OverflowError:
            number = float("inf")
        if not np.isfinite(number):
            self.fail(f"`{self.segment(expr)}` is not a finite number")
        return number

    def unary(self, expr: ast.UnaryOp) -> int:
        if isinstance(expr.op, ast.UAdd):  # +x is x
            return self.expression(expr.operand)
        if not isinstance(expr.op, ast.USub):
            self.fail(f"the operator of `{self.segment(expr)}` is not allowed ({ALLOWED})")
        number = self.literal(expr)
        if number is not None:  # -3 is the number -3
            return self._add("const", (), text=self.segment(expr), constant=number)
        return self._add("neg", (self.expression(expr.operand),), text=self.segment(expr))

    def call(self, expr: ast.Call) -> int:
        text, func = self.segment(expr), expr.func
        if isinstance(func, ast.Attribute):
            hint = f": write {func.attr}(...)" if func.attr in FUNCTIONS else ""
            self.fail(f"`{text}` calls an attribute ('{self.segment(func)}'){hint}; only "
                      f"{', '.join(FUNCTIONS)} are called, by name")
        if not isinstance(func, ast.Name):
            self.fail(f"`{text}` calls something that is not a function's name; only "
                      f"{', '.join(FUNCTIONS)} are called, by name")
        name = func.id
        if name not in FUNCTIONS:
            if name in self.latest:
                self.fail(f"`{text}`: '{name}' is a value, not a function")
            self.fail(f"`{text}`: unknown function '{name}' (the functions are "
                      f"{', '.join(FUNCTIONS)})")
        if expr.keywords:
            keyword_name = expr.keywords[0].arg or "**"
            self.fail(f"`{text}`: a keyword argument ('{keyword_name}') is not allowed")
        arities = FUNCTIONS[name]
        if any(isinstance(arg, ast.Starred) for arg in expr.args):
            self.fail(f"`{text}`: a starred argument is not allowed")
        if len(expr.args) not in arities:
            self.fail(f"`{text}`: {name} takes {arity_text(name)}, found {len(expr.args)}")
        args = [self.expression(arg) for arg in expr.args]
        return self._add(arities[len(args)], args, text=text)

    def name_node(self, name: str, expr: ast.AST) -> int:
        if name in self.latest:
            node = self.latest[name]
            self.reads.append(node)
            return node
        if name in FUNCTIONS:
            self.fail(f"'{name}' is a function: call it, {name}(...)")
        later = [line for line in self.assigned.get(name, []) if line >= self.line]
        if later:
            where = "this line" if later[0] == self.line else f"line {later[0]}"
            self.fail(f"'{name}' is used before it is computed (first assigned on {where}): a "
                      "graph runs top to bottom, a name read before it is given is a cycle")
        known = ", ".join(self.latest) or "none"
        self.fail(f"'{name}' is not given: neither an input or parameter nor computed above "
                  f"(the names so far: {known})")


def arity_text(name: str) -> str:
    if name in ("max", "min"):
        return ("1 argument (the extreme over all its elements) or 2 (elementwise)")
    if name in ("sum", "mean"):
        return "1 argument (over all its elements)"
    return "1 argument"


@functools.lru_cache(maxsize=256)
def parse(text: str, leaves: tuple[str, ...]) -> Graph:
    """The graph ``text`` writes, over the inputs and parameters ``leaves``: a
    GraphError of one line for anything outside the whitelist (module docstring)."""
    for name in leaves:
        check_name(name)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as error:
        raise GraphError(f"line {error.lineno}: syntax error: {error.msg}") from None
    except ValueError as error:  # a null byte
        raise GraphError(f"line 1: {error}") from None
    return _Reader(text, tuple(leaves)).read(tree)


def check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise GraphError(f"'{name}' is not a name an expression can use (letters, digits and _, "
                         "not starting with a digit, not a Python keyword)")
    if name in FUNCTIONS:
        raise GraphError(f"'{name}' is a function's name: name the value otherwise")


# --- shapes --------------------------------------------------------------------------

def infer_shapes(graph: Graph, leaf_shapes: Mapping[str, tuple]) -> list[tuple]:
    """Every node's shape, from the leaves' (NumPy's broadcasting; ``@`` of vectors and
    matrices): a GraphError of one line, naming the line and the subexpression, for
    shapes that do not fit, found before anything runs."""
    shapes: list[tuple] = []
    for node in graph.nodes:
        args = [shapes[a] for a in node.args]
        if node.op == "input":
            shapes.append(tuple(leaf_shapes[node.name]))
        elif node.op == "const" or node.op in REDUCTIONS:
            shapes.append(())
        elif node.op in BROADCASTING:
            try:
                shapes.append(tuple(np.broadcast_shapes(*args)))
            except ValueError:
                raise GraphError(f"line {node.line}: `{node.text}`: shapes "
                                 f"{shape_text(args[0])} and {shape_text(args[1])} do not "
                                 "broadcast") from None
        elif node.op == "matmul":
            shapes.append(matmul_shape(node, *args))
        else:  # elementwise of one argument, and pow of a number
            shapes.append(args[0])
    return shapes


def matmul_shape(node: Node, a: tuple, b: tuple) -> tuple:
    where = f"line {node.line}: `{node.text}`"
    for shape in (a, b):
        if len(shape) not in (1, 2):
            hint = "" if shape else " (use * for a number)"
            raise GraphError(f"{where}: @ multiplies vectors and matrices, found shape "
                             f"{shape_text(shape)}{hint}")
    inner_a, inner_b = a[-1], b[0]
    if inner_a != inner_b:
        raise GraphError(f"{where}: shapes {shape_text(a)} and {shape_text(b)} do not fit a "
                         f"matrix product ({inner_a} columns against {inner_b} rows)")
    return a[:-1] + b[1:]


# --- kinks ---------------------------------------------------------------------------

def kink_at(node: Node, args: list[np.ndarray], upstream: np.ndarray | None) -> str | None:
    """Why ``node``'s local derivative is a convention here, or None: a relu or abs at
    0, a max or min of two arguments at a tie, a max or min over elements with a tied
    extreme, a sqrt at 0 (its slope is infinite), a power with a computed exponent at
    a negative base (the exponent's slope needs log(base)). Only where the
    upstream gradient is not 0 (there every convention gives 0); ``upstream`` None
    asks about the node alone (a local derivative)."""
    op = node.op
    if op in ("relu", "abs", "sqrt"):
        at = args[0] == 0
    elif op in ("maximum", "minimum"):
        at = np.equal(*np.broadcast_arrays(*args))
    elif op in ("max", "min"):
        x = args[0]
        extreme = x.max() if op == "max" else x.min()
        at = np.array(np.count_nonzero(x == extreme) >= 2)
    elif op == "pow_general":
        at = np.broadcast_to(args[0] < 0, np.broadcast_shapes(args[0].shape, args[1].shape))
    else:
        return None
    if upstream is not None:
        at = at & (np.asarray(upstream) != 0)
    count = int(np.count_nonzero(at))
    if not count:
        return None
    where = "" if not np.ndim(at) else f" at {count} of {np.size(at)} elements"
    return {"relu": "relu at 0", "abs": "abs at 0", "sqrt": "sqrt at 0 (an infinite slope)",
            "maximum": "max of two at a tie", "minimum": "min of two at a tie",
            "max": "max over tied largest elements", "min": "min over tied smallest elements",
            "pow_general": "a computed exponent at a negative base (no real log)"}[op] + where


def find_kinks(graph: Graph, values: list[np.ndarray], grads: list[np.ndarray],
               ) -> tuple[dict[int, str], frozenset[int]]:
    """From one evaluation (NumPy arrays): the nodes whose local derivative sits on a
    kink (id -> why), and the nodes whose gradient depends on a kink's convention: the
    arguments of such a node, and everything whose gradient flows through them."""
    kinks, affected = {}, set()
    for node in reversed(graph.nodes):
        why = kink_at(node, [np.asarray(values[a]) for a in node.args], grads[node.id])
        if why is not None:
            kinks[node.id] = why
        if why is not None or node.id in affected:
            affected.update(node.args)
    return kinks, frozenset(affected)


def local_kinks(graph: Graph, values: list[np.ndarray]) -> frozenset[str]:
    """The local derivatives and shares (``local_names``) that depend on a kink's
    convention: every one of a statement that computes a node at a kink (conservative:
    whether or not the kink is on the path from that read)."""
    names = set()
    for statement in graph.statements:
        if any(kink_at(graph.nodes[n], [np.asarray(values[a]) for a in graph.nodes[n].args],
                       None) for n in statement.nodes):
            for read in statement.reads:
                names.update(local_names(graph, statement, read))
    return frozenset(names)


# --- local derivatives ---------------------------------------------------------------

def local_names(graph: Graph, statement: Statement, read: int) -> tuple[str, str]:
    """The record names of the local derivative of a statement's result with respect
    to a name it reads (``dd/db``) and of the share of that name's gradient that flows
    through the statement (``grad.b.via.d``)."""
    result, name = statement.name, graph.nodes[read].name
    return f"d{result}/d{name}", f"grad.{name}.via.{result}"


def local_pairs(graph: Graph) -> list[tuple[Statement, int]]:
    """Every (statement, node it reads), in the order of the statements."""
    return [(statement, read) for statement in graph.statements for read in statement.reads]


def local_order(graph: Graph) -> list[str]:
    """Every local derivative's and share's name, in the order the engines compute them."""
    return [name for statement, read in local_pairs(graph)
            for name in local_names(graph, statement, read)]


def jacobian_matrix(jacobian: np.ndarray | Any, out_shape: tuple, in_shape: tuple, layout: str,
                    reshape, transpose):
    """A Jacobian of shape out_shape + in_shape as a matrix: () where both are numbers,
    else (out elements, in elements) in numerator layout, its transpose in denominator
    layout. ``reshape`` and ``transpose`` are the framework's."""
    if not out_shape and not in_shape:
        return reshape(jacobian, ())
    matrix = reshape(jacobian, (int(np.prod(out_shape)), int(np.prod(in_shape))))
    return transpose(matrix) if layout == "denominator" else matrix


# --- what an engine returns ------------------------------------------------------------

@dataclass
class Evaluation:
    """One evaluation of a graph in one framework, its arrays in that framework."""

    values: list  # by node id
    grads: list  # by node id: d output / d node (the upstream at the output)
    kinks: dict[int, str] = field(default_factory=dict)  # node id -> why it sits on a kink
    on_kink: frozenset[int] = frozenset()  # nodes whose gradient is a kink's convention
    local: dict[str, Any] = field(default_factory=dict)  # local_names -> arrays
    local_on_kink: frozenset[str] = frozenset()

    def value(self, graph: Graph, name: str):
        return self.values[graph.named[name]]

    def grad(self, graph: Graph, name: str):
        return self.grads[graph.named[name]]

    def as_numpy(self, to_numpy) -> "Evaluation":
        """The same, every array through ``to_numpy`` (an adapter's)."""
        return Evaluation([to_numpy(v) for v in self.values], [to_numpy(g) for g in self.grads],
                          dict(self.kinks), self.on_kink,
                          {name: to_numpy(v) for name, v in self.local.items()},
                          self.local_on_kink)


@dataclass
class Step:
    """A step of a run: the evaluation at its start, and the moved inputs and
    parameters after its update (None at the evaluation after the last update, or in
    a run without updates)."""

    step: int
    evaluation: Evaluation
    updated: dict[str, Any] | None = None


def with_kinks(graph: Graph, evaluation: Evaluation, to_numpy, local: bool) -> Evaluation:
    """``evaluation`` with its kinks found on its values and gradients (as NumPy arrays)."""
    values = [to_numpy(v) for v in evaluation.values]
    evaluation.kinks, evaluation.on_kink = find_kinks(graph, values,
                                                      [to_numpy(g) for g in evaluation.grads])
    if local:
        evaluation.local_on_kink = local_kinks(graph, values)
    return evaluation


def disagreements(graph: Graph, reference: Evaluation, other: Evaluation, dtype: str,
                  ) -> list[str]:
    """Where ``other`` differs from ``reference`` (both as NumPy arrays) beyond the
    parity bound 128 eps * size (size: the largest |reference| of the quantity), one
    line each: every node's value in the order computed, then every node's gradient
    in the order the backward pass computes them (the first names where a wrong local
    derivative entered), then the local derivatives. Gradients and local derivatives
    at a kink are findings, not compared."""
    from reproductions.parity import POLICY

    rtol, lines = POLICY[dtype].rtol, []

    def check(what, a, b):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            lines.append(f"{what}: shape {shape_text(b.shape)}, numpy {shape_text(a.shape)}")
            return
        size = float(np.max(np.abs(a), initial=0.0))
        diff = np.abs(b - a)
        bad = ~(diff <= rtol * size) & ~((a == b) | (np.isnan(a) & np.isnan(b)))
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), a.shape) if a.shape else ()
            lines.append(f"{what}{list(map(int, i)) if i else ''}: {float(b[i])!r}, numpy "
                         f"{float(a[i])!r} (size {size:.3g})")

    for node in graph.nodes:
        check(f"value of {graph.describe(node.id)}", reference.values[node.id],
              other.values[node.id])
    for node in reversed(graph.nodes):
        if node.id not in reference.on_kink | other.on_kink:
            check(f"gradient of {graph.describe(node.id)}", reference.grads[node.id],
                  other.grads[node.id])
    for name, value in reference.local.items():
        if name not in reference.local_on_kink | other.local_on_kink:
            check(name, value, other.local.get(name, np.full(np.shape(value), np.nan)))
    return lines


# --- the [graph] table ------------------------------------------------------------------

def as_array(value, what: str) -> np.ndarray:
    """A number or a nested list as a float64 array, or one line saying why not."""
    def has_bool(v):
        return isinstance(v, bool) or (isinstance(v, list) and any(has_bool(x) for x in v))
    if has_bool(value):
        raise ValueError(f"{what}: expected numbers, found true or false")
    try:
        array = np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: expected a number or a rectangular array of numbers") from None
    if array.size == 0:
        raise ValueError(f"{what}: expected numbers, found an empty array")
    if not np.isfinite(array).all():
        raise ValueError(f"{what}: expected finite numbers")
    return array


class Update(Strict):
    """Gradient ascent or descent on some inputs or parameters."""

    on: list[str] | None = Field(None, min_length=1, description="the inputs and parameters "
                                 "to move (default: every parameter)")
    learning_rate: float | None = Field(None, gt=0, allow_inf_nan=False,
                                        description="the rate of gradient descent or ascent; "
                                                    "none where a definition's [optimizer] "
                                                    "updates (descent)")
    steps: int = Field(1, ge=1, description="how many updates (in a definition file, the "
                                            "top-level steps must be the same)")

    @field_validator("on")
    @classmethod
    def each_name_once(cls, on):
        for name in on or []:
            if on.count(name) > 1:
                raise ValueError(f"'{name}' is named twice")
        return on


@dataclass(frozen=True)
class Moves:
    """An update, whichever way: ``sign`` +1 for ascent (x + rate * grad), -1 for descent."""

    sign: int
    names: tuple[str, ...]
    learning_rate: float | None  # None: an [optimizer] updates
    steps: int


def _graph_of(data: dict) -> tuple[Graph, list[tuple]] | None:
    """The parsed graph and its shapes, from the fields validated so far (None when the
    expression or the values were invalid: their own error is reported)."""
    if "expression" not in data or "inputs" not in data or "parameters" not in data:
        return None
    leaves = {**data["inputs"], **data["parameters"]}
    graph = parse(data["expression"], tuple(leaves))
    return graph, infer_shapes(graph, {n: np.shape(v) for n, v in leaves.items()})


class GraphTable(Strict):
    """The ``[graph]`` table of a definition file (GRAPHS.md)."""

    inputs: dict[str, float | list] = Field({}, description="name = value: the graph's "
                                            "given values (data, a circuit's inputs)")
    parameters: dict[str, float | list] = Field({}, description="name = value: given values "
                                                "an update moves by default")
    expression: str = Field(description="assignments, one a line, in the source's order")
    output: str | None = Field(None, description="the node whose gradients are taken "
                               "(default: the last statement's)")
    upstream: float | list | None = Field(None, description="d L / d output for an array "
                                          "output: the gradients are then a vector-Jacobian "
                                          "product (default 1 for a number)")
    local_derivatives: bool = Field(False, description="record each statement's local "
                                    "derivatives with respect to the names it reads, and each "
                                    "name's share of the gradient through it")
    jacobian_layout: Literal["numerator", "denominator"] = Field(
        "numerator", description="a local Jacobian's rows: the result's elements "
                                 "(numerator) or the argument's (denominator)")
    ascent: Update | None = None
    descent: Update | None = None

    @field_validator("inputs", "parameters", mode="before")
    @classmethod
    def values_are_named_numbers(cls, values):
        if not isinstance(values, dict):
            return values
        for name, value in values.items():
            try:
                check_name(name)
            except GraphError as error:
                raise ValueError(str(error)) from None
            as_array(value, f"'{name}'")
        return values

    @field_validator("parameters")
    @classmethod
    def one_name_one_value(cls, parameters, info: ValidationInfo):
        both = set(parameters) & set(info.data.get("inputs", {}))
        if both:
            raise ValueError(f"'{sorted(both)[0]}' is both an input and a parameter")
        return parameters

    @field_validator("expression")
    @classmethod
    def expression_is_a_graph(cls, expression, info: ValidationInfo):
        if not info.data.get("inputs", True) and not info.data.get("parameters", True):
            raise ValueError("the graph has no input and no parameter: give the values it "
                             "starts from ([graph.inputs], [graph.parameters])")
        try:
            _graph_of(dict(info.data, expression=expression))
        except GraphError as error:
            raise ValueError(str(error)) from None
        return expression

    @field_validator("output")
    @classmethod
    def output_is_computed(cls, output, info: ValidationInfo):
        parsed = _graph_of(info.data)
        if parsed is None or output is None:
            return output
        graph, _ = parsed
        if output not in graph.named or graph.node(output).op == "input":
            computed = ", ".join(s.name for s in graph.statements)
            raise ValueError(f"'{output}' is not computed by the expression (its results: "
                             f"{computed})")
        return output

    @field_validator("upstream")
    @classmethod
    def upstream_fits_the_output(cls, upstream, info: ValidationInfo):
        parsed = _graph_of(info.data)
        if parsed is None or upstream is None or "output" not in info.data:
            return upstream
        graph, shapes = parsed
        output = output_node(graph, info.data["output"])
        given = np.shape(as_array(upstream, "upstream"))
        if given != shapes[output]:
            raise ValueError(f"expected the output {graph.nodes[output].name}'s shape "
                             f"{shape_text(shapes[output])}, found {shape_text(given)}")
        return upstream

    @model_validator(mode="after")
    def gradients_are_defined(self):
        graph, shapes = self.graph, self.shapes
        output = output_node(graph, self.output)
        if shapes[output] and self.upstream is None:
            raise ValueError(f"upstream: the output {graph.nodes[output].name} has shape "
                             f"{shape_text(shapes[output])}: give d L / d "
                             f"{graph.nodes[output].name} of that shape (ones for its sum)")
        if self.ascent is not None and self.descent is not None:
            raise ValueError("ascent and descent: give one")
        update = self.ascent or self.descent
        which = "ascent" if self.ascent is not None else "descent"
        if update is not None:
            names = update.on if update.on is not None else list(self.parameters)
            if not names:
                raise ValueError(f"{which}.on: the graph has no parameter: name the inputs to move")
            for name in names:
                if name not in graph.leaves:
                    raise ValueError(f"{which}.on: '{name}' is not an input or parameter "
                                     f"(they are {', '.join(graph.leaves)})")
            if "cost" in graph.named and graph.named["cost"] != output:
                raise ValueError("expression: 'cost' names the output's value in a graph with "
                                 f"{which} (recorded as the run's cost): name this node otherwise")
        if self.local_derivatives:
            total = sum(int(np.prod(shapes[s.node])) * int(np.prod(shapes[r]))
                        for s, r in local_pairs(graph))
            if total > MAX_LOCAL_ELEMENTS:
                raise ValueError(f"local_derivatives: the local Jacobians would hold {total} "
                                 f"numbers (at most {MAX_LOCAL_ELEMENTS})")
        return self

    # what the engines read

    @property
    def leaves(self) -> dict[str, np.ndarray]:
        """The start values of the inputs and parameters, as float64 arrays."""
        return {name: np.array(value, dtype=np.float64)
                for name, value in {**self.inputs, **self.parameters}.items()}

    @property
    def graph(self) -> Graph:
        return parse(self.expression, tuple({**self.inputs, **self.parameters}))

    @property
    def shapes(self) -> list[tuple]:
        return infer_shapes(self.graph, {n: v.shape for n, v in self.leaves.items()})

    @property
    def output_node(self) -> int:
        return output_node(self.graph, self.output)

    @property
    def upstream_array(self) -> np.ndarray | None:
        return None if self.upstream is None else np.array(self.upstream, dtype=np.float64)

    @property
    def moves(self) -> Moves | None:
        update = self.ascent or self.descent
        if update is None:
            return None
        names = update.on if update.on is not None else list(self.parameters)
        return Moves(1 if self.ascent is not None else -1, tuple(names), update.learning_rate,
                     update.steps)


def output_node(graph: Graph, output: str | None) -> int:
    """The output's node: the named one, or the last statement's result."""
    return graph.named[output] if output is not None else graph.statements[-1].node


def record_shapes(table: GraphTable, optimizer=None) -> dict[str, tuple]:
    """Every name a run of ``table`` records (GRAPHS.md's names table), with its shape:
    what a claim on the graph may name; with an ``optimizer`` (engines/optimizers.py's
    spec), its state after each update (``velocity.x``, ``m.x``, ..., ``learning_rate``).
    Findings at a kink, ``kink.<name>``, are recorded only where they occur, so they are
    left out."""
    graph, shapes = table.graph, table.shapes
    names = {}
    if optimizer is not None and table.moves is not None:
        for quantity in optimizers.STATE[optimizer.kind]:
            for name in table.moves.names:
                names[f"{quantity}.{name}"] = shapes[graph.named[name]]
        names["learning_rate"] = ()
    for name, node in graph.named.items():
        names[name] = shapes[node]
    for name, node in graph.named.items():
        names[f"grad.{name}"] = shapes[node]
    if table.moves is not None:
        names["cost"] = shapes[table.output_node]
    if table.local_derivatives:
        for statement, read in local_pairs(graph):
            out, arg = shapes[statement.node], shapes[read]
            matrix = (int(np.prod(out)), int(np.prod(arg))) if out or arg else ()
            if table.jacobian_layout == "denominator":
                matrix = matrix[::-1]
            derivative, share = local_names(graph, statement, read)
            names[derivative], names[share] = matrix, arg
    return names


def steps_of(table: GraphTable, steps: int | None) -> int:
    """How many updates a run takes: ``steps`` where given (a run shortened or set by
    its definition file), else the update's own, 0 without one."""
    moves = table.moves
    if moves is None:
        return 0
    return moves.steps if steps is None else steps


# --- recording -----------------------------------------------------------------------------

class Recorder:
    """Writes a graph's run into a trace by the record names (GRAPHS.md):

    - ``x``: each named node's value (``trace.value``, at the printed steps), and each
      input or parameter's that no update moves;
    - ``grad.x``: d output / d x for every named node and leaf, at every step;
    - ``x`` after each update for the moved ones (``trace.param``), and ``cost``, the
      output at the start of every step and after the last (a run with updates);
    - ``dd/db`` and ``grad.b.via.d`` (local_derivatives = true), at the printed steps.

    At a kink: in a run without updates, a gradient or local derivative whose value is a
    convention is recorded as a finding under its own name (claimable, never compared);
    in a run with updates it stays compared, since the update after it depends on it, and
    a finding ``kink.<name>`` repeats it at each step where it sits on a kink.

    The NumPy engine records as it computes (``value``, ``grad``, ``cost``, ``param``
    return what to go on with: the rounded replay rounds them); the others record a
    step's evaluation at once (``evaluation``).
    """

    def __init__(self, trace, table: GraphTable):
        self.trace, self.graph = trace, table.graph
        self.output = table.output_node
        moves = table.moves
        self.training = moves is not None
        self.moved = set(moves.names) if moves else set()

    def start(self, step: int) -> None:
        self.trace.step(step)

    def value(self, name: str, value):
        if name in self.moved or (self.training and name == "cost"):
            return value  # a parameter's record is its update; cost is recorded as such
        return self.trace.value(name, value)

    def grad(self, name: str, grad, on_kink: bool):
        if on_kink and not self.training:
            return self.trace.finding(f"grad.{name}", grad)
        if on_kink:
            self.trace.finding(f"kink.grad.{name}", grad)
        return self.trace.grad(name, grad)

    def cost(self, value):
        return self.trace.cost(value) if self.training else value

    def param(self, name: str, value):
        return self.trace.param(name, value)

    def evaluation(self, evaluation: Evaluation) -> None:
        """A step's values and gradients, in the order NumPy records them as it goes:
        values forward, the cost, gradients backward."""
        graph = self.graph
        for name, node in graph.named.items():
            self.value(name, evaluation.values[node])
        self.cost(evaluation.values[self.output])
        for node in reversed(graph.nodes):
            if node.name is not None:
                self.grad(node.name, evaluation.grads[node.id], node.id in evaluation.on_kink)
        self.local(evaluation)

    def local(self, evaluation: Evaluation) -> None:
        for name, value in evaluation.local.items():
            on_kink = name in evaluation.local_on_kink
            if on_kink and not self.training:
                self.trace.finding(name, value)
                continue
            if on_kink:
                self.trace.finding(f"kink.{name}", value)
            self.trace.value(name, value)

    def updated(self, updated: dict) -> None:
        for name, value in updated.items():
            self.param(name, value)

    def state(self, named: dict) -> None:
        """An [optimizer]'s state after an update, by the source's names, as the
        parameters are recorded."""
        for name, value in named.items():
            self.trace.param(name, value)


def run_into(trace, table: GraphTable, engine, dtype, steps: int | None = None,
             optimizer=None) -> None:
    """Run ``table`` with a framework's graph module ``engine`` (its ``run``) and record
    every step into ``trace``: what a generic engine's ``reproduce(ctx)`` does with
    ``ctx.trace``, ``ctx.dtype`` and ``ctx.steps``; ``optimizer``, the definition's
    [optimizer] (its checked spec), updates instead of plain descent."""
    recorder = Recorder(trace, table)
    for _ in engine.run(table, dtype, steps, recorder, spec=optimizer):
        pass


def optimizer_of(example):
    """A definition's [optimizer] spec for its graph (None without one)."""
    table = getattr(example, "optimizer", None)
    return None if table is None else optimizers.optimizer_of(table)
