"""The translation page of an example: its NumPy, PyTorch and TensorFlow code side by
side, aligned by section, and the translation notes derived from it.

Everything here reads the implementation files with the ``ast`` module (nothing is
imported or run) and the example's definition; nothing knows any example.

**Units.** Each file is cut into units: its docstring and imports; each top-level
function; each method of a class (the class line, docstring and class attributes go
with its first method); each top-level statement. The entry point ``reproduce(ctx)``
is cut further into bands: its statements in order (a compound statement's body
statement by statement, its header with the first of them, a ``with`` whose context is a
section of its own, a tape, apart; a statement that calls nothing with the one before
it), neighbours of one section joined, never across the edge of a block.

**Sections.** Each unit and band is classified by what it calls (``features``):

- *backward or autodiff*: ``.backward()``, ``torch.autograd``, ``tf.GradientTape``,
  ``tape.gradient``, ``jax.grad``, ``zero_grad``, a hand-written ``backward`` or ``*_prime``;
- *update*: an optimiser (``torch.optim.*``, ``keras.optimizers.*``, ``optimizer.step``,
  ``apply_gradients``, ``assign_sub``), or a product with a learning rate
  (``param - rate * grad``);
- *cost*: a loss class or function (``*Loss``, ``keras.losses.*``), a call of a name
  holding one, or of anything named cost, loss or NLL;
- *forward*: ``forward``/``predict``/``__call__``, an activation, ``@``, a call of a
  layer or a network (a name assigned from a layer or a class of the file);
- *data and start values*: ``ctx.data``, ``ctx.load``, ``ctx.tensor``, ``ctx.init``, a
  layer or parameter constructor, a class of the file constructed;
- *recording*: ``trace.*`` (and a ``record`` the reference passes around).

A definition's name decides first (``forward``, ``backward``, ``update``, ``__init__``,
anything named cost or loss, or every method of a class so named); otherwise the first
section of that list that its calls show, calls of the file's own functions counting
as those functions' sections. What calls nothing of these is *other*.

**Alignment.** Definitions are matched across the files by name (``Class.method``;
``__call__`` and ``call`` are the framework's spellings of ``forward``): one row per
name, in its section, with empty cells where a file has no such definition; a row's
section is the first of its cells' sections in the list above. The bands of
``reproduce`` are aligned as sequences of sections (a longest common subsequence,
weighted by the identifiers two bands share), the two mirrors first, then NumPy
against them: a row never holds two sections.

**Notes** (:func:`notes`): the weight layout and transposes of each framework (from
``[layout]``, ``Example.framework_layout`` and the ``ctx.load`` calls), the cost and its
reduction (from what ``reproduce`` passes to ``trace.gradients`` or ``trace.cost``,
followed through the file), the update (the optimiser constructed, or the hand-written
update) and the biases (separate, folded into W by a column of ones, or none). For a
definition file they come from its ``[network]``: the generic engines' cost branch for
its cost, the layout table of ``generic/definition.py`` and the cost table of the
generic README.
"""

from __future__ import annotations

import ast
import html
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

import frameworks

from .spec import Example

SECTIONS = {
    "module": "module: docstring and imports",
    "data": "data and start values",
    "forward": "forward",
    "cost": "cost",
    "backward": "backward or autodiff",
    "update": "update",
    "recording": "recording",
    "other": "other definitions",
}
PRIORITY = ("backward", "update", "cost", "forward", "data", "recording")  # the first found wins
TITLES = {"numpy": "NumPy", "torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}
TOPICS = {
    "layout": "Weight layout and transposes",
    "cost": "Cost and its reduction",
    "update": "Update rule and optimiser",
    "biases": "Biases",
}
ENTRY = "reproduce"
UNREADABLE: dict[Path, str] = {}  # files Source.read could not parse, and why

RATE = re.compile(r"(?:^|_)(?:rate|lr|alpha|eta|step_size|learning_rate)(?:$|_)", re.IGNORECASE)
COSTLY = re.compile(r"cost|loss|nll|entropy", re.IGNORECASE)
BACKWARD_CALLS = {"backward", "gradient", "grad", "retain_grad", "zero_grad", "requires_grad_",
                  "jacobian", "GradientTape", "value_and_grad"}
FORWARD_CALLS = {"forward", "predict", "sigmoid", "tanh", "softmax", "relu", "exp", "dot",
                 "matmul", "linear", "activate", "affine", "log_softmax"}
LAYERS = {"Linear", "Dense", "ModuleList", "ParameterDict", "Parameter", "Variable",
          "Sequential", "Conv1d", "Conv2d"}
DATA_CALLS = {"ctx.data", "ctx.load", "ctx.tensor", "ctx.start_from_reference", "example.array"}
REDUCTIONS = {"sum", "mean", "reduce_sum", "reduce_mean", "nansum", "nanmean"}
BIAS_NAME = re.compile(r"^(?:b|bias|biases|w0|W0)(?:_?\d+)?$")
ONES = {"ones", "ones_like"}
JOINS = {"concatenate", "hstack", "vstack", "column_stack", "c_", "r_", "append", "cat", "concat"}


# --- reading a file ---------------------------------------------------------------------

def dotted(node) -> str:
    """A call's target or an attribute as written: ``torch.nn.MSELoss``, ``self.layer1``,
    ``layers[]`` for a subscript, ``?`` for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Subscript):
        parts.append(dotted(node.value) + "[]")
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    else:
        parts.append("?")
    return ".".join(reversed(parts))


def last_name(node) -> str:
    return dotted(node).rsplit(".", 1)[-1].removesuffix("[]").removesuffix("()")


def is_loss(name: str) -> bool:
    """A loss class or function of a framework, by its dotted name (not the call of one
    constructed in place, ``MSELoss()(A, Y)``, whose inner call is the loss)."""
    parts = name.split(".")
    last = parts[-1]
    if last.endswith("()"):
        return False
    return (last.endswith("Loss") or "losses" in parts[:-1]
            or (("functional" in parts or parts[0] == "optax")
                and bool(re.search(r"loss|entropy", last))))


def is_optimiser(name: str) -> bool:
    parts = name.split(".")
    return ("optim" in parts or "optimizers" in parts or parts[0] == "optax") and not is_loss(name) \
        and "losses" not in parts


def targets_of(node) -> list:
    """The names and attributes an assignment binds (``a``, ``self.b``, ``a, b``)."""
    found = []
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        found += target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
    return found


@dataclass
class Source:
    """One implementation file, parsed."""

    framework: str
    path: Path
    text: str
    lines: list[str]
    tree: ast.Module
    parents: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)  # name -> FunctionDef (module level, nested)
    classes: dict = field(default_factory=dict)  # name -> ClassDef
    methods: dict = field(default_factory=dict)  # name -> [(class name, FunctionDef)]
    loss_names: set = field(default_factory=set)  # names assigned a loss
    model_names: set = field(default_factory=set)  # names assigned a layer or a network
    sections: dict = field(default_factory=dict)  # function name -> section
    method_sections: dict = field(default_factory=dict)  # method (FunctionDef) -> section
    assigned: dict | None = None  # assignments(): built once

    @classmethod
    def read(cls, framework: str, path: Path) -> "Source | None":
        """The file parsed, or None when there is none or it is not Python that parses
        (``unreadable`` says why)."""
        if not path.is_file():
            return None
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError) as error:
            UNREADABLE[path] = f"{type(error).__name__}: {error}"
            return None
        source = cls(framework, path, text, text.splitlines(), tree)
        source.index()
        return source

    def index(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
                for member in node.body:
                    if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.methods.setdefault(member.name, []).append((node.name, member))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not isinstance(self.parents.get(node), ast.ClassDef):
                    self.functions.setdefault(node.name, node)
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                calls = [last_name(c.func) for c in ast.walk(node.value) if isinstance(c, ast.Call)]
                names = [last_name(t) for t in targets_of(node)]
                if any(is_loss(dotted(c.func)) for c in ast.walk(node.value)
                       if isinstance(c, ast.Call)):
                    self.loss_names.update(names)
                elif any(c in LAYERS or c in self.classes for c in calls):
                    self.model_names.update(names)
        for _ in range(2):  # a function's section may come from the functions it calls
            self.sections = {name: self.definition_section(node, name, None)
                             for name, node in self.functions.items()}
            self.method_sections = {method: self.definition_section(method, method.name, owner)
                                    for owners in self.methods.values()
                                    for owner, method in owners}

    def segment(self, node) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def where(self, node) -> str:
        function = self.enclosing(node)
        name = self.qualified(function) if function is not None else "module level"
        return f"{self.path.name}:{node.lineno} ({name})"

    def enclosing(self, node):
        node = self.parents.get(node)
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node = self.parents.get(node)
        return node

    def qualified(self, function) -> str:
        owner = self.parents.get(function)
        return f"{owner.name}.{function.name}" if isinstance(owner, ast.ClassDef) else function.name

    # --- sections ---

    def call_features(self, call: ast.Call) -> set[str]:
        name = dotted(call.func)
        parts = name.split(".")
        root, last = parts[0], last_name(call.func)
        if root == "trace" or name.startswith("ctx.trace.") or last == "record" or root == "record":
            return {"recording"}
        if isinstance(call.func, ast.Attribute) and last in self.methods:
            method = callee(self, call, self.enclosing(call))
            if method is not None and method in self.method_sections:  # the file's own method
                return {self.method_sections[method]} - {"other"}
        found = set()
        if (root == "tape" or last in BACKWARD_CALLS or "autograd" in parts
                or last.endswith(("_backward", "_prime")) or last.startswith("backward")):
            found.add("backward")
        if is_optimiser(name) or "optim" in root.lower() or last in ("apply_gradients",
                                                                       "assign_sub", "sub_"):
            found.add("update")
        if is_loss(name) or last in self.loss_names or COSTLY.search(last):
            found.add("cost")
        if last in FORWARD_CALLS or last.startswith("forward") or last in self.model_names:
            found.add("forward")
        if (name in DATA_CALLS or (root == "ctx" and last in ("data", "load", "tensor"))
                or last in LAYERS or last == "build" or (last in self.classes
                                                        and not COSTLY.search(last))):
            found.add("data")
        if isinstance(call.func, ast.Name) and last in self.sections:
            found.add(self.sections[last])
        found.discard("other")
        return found

    def features(self, nodes) -> set[str]:
        found = set()
        for top in nodes:
            for node in ast.walk(top):
                if isinstance(node, ast.Call):
                    found |= self.call_features(node)
                elif isinstance(node, ast.Attribute):
                    name = dotted(node)
                    if name.startswith("trace.") or name == "ctx.trace":
                        found.add("recording")
                    elif name.startswith(("ctx.init", "ctx.example")):
                        found.add("data")
                    elif RATE.search(node.attr) and name.count(".") >= 1 and "hyper" in name:
                        found.add("update")
                elif isinstance(node, ast.BinOp):
                    if isinstance(node.op, ast.MatMult):
                        found.add("forward")
                    elif isinstance(node.op, ast.Mult) and any(
                            self.is_rate(side) for side in (node.left, node.right)):
                        found.add("update")
        return found

    @staticmethod
    def is_rate(node) -> bool:
        while isinstance(node, ast.UnaryOp):
            node = node.operand
        if isinstance(node, ast.Name):
            return bool(RATE.search(node.id))
        if isinstance(node, ast.Attribute):
            return bool(RATE.search(node.attr))
        return False

    def definition_section(self, node, name: str, owner: str | None) -> str:
        by_name = name_section(name, owner)
        if by_name:
            return by_name
        return best(self.features(node.body))


def name_section(name: str, owner: str | None) -> str | None:
    """What a definition's name says it is, before what it calls."""
    if owner is not None and COSTLY.search(owner):
        return "backward" if "backward" in name else "cost"
    if name in ("forward", "__call__", "call", "predict") or name.startswith("forward"):
        return "forward"
    if name == "backward" or name.endswith(("_backward", "_prime")) or "gradient" in name \
            or "derivative" in name:
        return "backward"
    if name in ("update", "update_params") or name.startswith("update"):
        return "update"
    if name == "__init__":
        return "data"
    if COSTLY.search(name):
        return "cost"
    return None


def best(found: set[str]) -> str:
    return next((section for section in PRIORITY if section in found), "other")


# --- units and bands --------------------------------------------------------------------

@dataclass
class Unit:
    key: str  # what the rows are matched by
    label: str
    section: str
    first: int  # 1-based, inclusive
    last: int
    tokens: frozenset = frozenset()


def start_line(node, lines: list[str], floor: int) -> int:
    """Where a statement's text starts: its decorators and the comments right above it
    (no blank line between), never above ``floor``."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while start - 1 > floor and lines[start - 2].strip().startswith("#"):
        start -= 1
    return start


def identifiers(lines: list[str]) -> frozenset:
    return frozenset(re.findall(r"[A-Za-z_]\w*", "\n".join(lines)))


def method_key(name: str) -> str:
    return "forward" if name in ("__call__", "call") else name


def units(source: Source) -> tuple[Unit | None, list[Unit], list[Unit]]:
    """(the module's head, its definitions, the bands of its entry point)."""
    body, lines = source.tree.body, source.lines
    head_end = 0
    for node in body:
        docstring = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str))
        if not (docstring or isinstance(node, (ast.Import, ast.ImportFrom))):
            break
        head_end = node.end_lineno
    head = Unit("<module>", "docstring and imports", "module", 1, head_end) if head_end else None
    definitions, bands, floor = [], [], head_end
    for node in body:
        if node.end_lineno <= head_end:
            continue
        start = start_line(node, lines, floor)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == ENTRY:
            bands = entry_bands(source, node, start)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            definitions.append(Unit(node.name, f"def {node.name}", source.sections[node.name],
                                    start, node.end_lineno))
        elif isinstance(node, ast.ClassDef):
            definitions += class_units(source, node, start)
        else:
            names = [last_name(t) for t in targets_of(node)] if isinstance(
                node, (ast.Assign, ast.AnnAssign)) else []
            key = ", ".join(names) or f"<statement {len(definitions)}>"
            definitions.append(Unit(key, key + " =" if names else "statement",
                                    best(source.features([node])), start, node.end_lineno))
        floor = node.end_lineno
    for unit in definitions + bands + ([head] if head else []):
        unit.tokens = identifiers(lines[unit.first - 1:unit.last])
    return head, definitions, bands


def class_units(source: Source, node: ast.ClassDef, start: int) -> list[Unit]:
    members = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not members:
        return [Unit(node.name, f"class {node.name}", best(source.features(node.body)), start,
                     node.end_lineno)]
    found, floor = [], None
    for i, member in enumerate(members):
        first = start if i == 0 else start_line(member, source.lines, floor)
        section = source.definition_section(member, member.name, node.name)
        found.append(Unit(f"{node.name}.{method_key(member.name)}",
                          f"{node.name}.{member.name}", section, first, member.end_lineno))
        floor = member.end_lineno
    return found


HEADER, PLAIN = "<header>", "<plain>"  # a header goes with what follows, a plain line with what precedes


@dataclass
class Piece:
    first: int
    last: int
    section: str  # a section, HEADER or PLAIN
    block: int  # the block of statements it is in: bands never join across blocks
    barrier: bool = False  # it opens a compound statement: no band joins it from above


def entry_bands(source: Source, function, start: int) -> list[Unit]:
    """The entry point in bands of one section each, in order."""
    pieces: list[Piece] = []
    blocks = iter(range(1, 10 ** 6))

    def visit(statements, floor, block):
        for statement in statements:
            first = start_line(statement, source.lines, floor)
            parts = compound_blocks(statement)
            if parts is None:
                features = source.features([statement])
                pieces.append(Piece(first, statement.end_lineno,
                                    best(features) if features else PLAIN, block))
            else:
                header_nodes, inner = parts
                for k, statements_of in enumerate(inner):
                    inner_start = start_line(statements_of[0], source.lines, first)
                    # a context (a tape) is a section of its own; a loop's or a test's header
                    # goes with what it runs
                    features = source.features(header_nodes) if k == 0 and isinstance(
                        statement, (ast.With, ast.AsyncWith)) else set()
                    pieces.append(Piece(first, inner_start - 1,
                                        best(features) if features else HEADER, block, True))
                    visit(statements_of, inner_start - 1, next(blocks))
                    first = statements_of[-1].end_lineno + 1
            floor = statement.end_lineno

    body = function.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring goes with the def line
    opening = start_line(body[0], source.lines, function.lineno)
    pieces.append(Piece(start, opening - 1, HEADER, 0, True))
    visit(body, opening - 1, 0)
    return merge(pieces, source)


def compound_blocks(statement):
    """A compound statement's header expressions and its blocks of statements (the body,
    then else, handlers, finally), or None for a simple statement."""
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        header = [statement.target, statement.iter]
    elif isinstance(statement, ast.While):
        header = [statement.test]
    elif isinstance(statement, ast.If):
        header = [statement.test]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        header = [item.context_expr for item in statement.items]
    elif isinstance(statement, ast.Try):
        header = []
    elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        header = list(statement.decorator_list)
    else:
        return None
    blocks = [statement.body]
    blocks += [h.body for h in getattr(statement, "handlers", [])]
    blocks += [b for b in (getattr(statement, "orelse", []), getattr(statement, "finalbody", [])) if b]
    return header, [b for b in blocks if b]


def merge(pieces: list[Piece], source: Source) -> list[Unit]:
    """Plain statements joined to what precedes them in their block, headers to what
    follows them, then neighbours of one section and one block into one band."""
    for i, piece in enumerate(pieces):
        if piece.section == PLAIN:
            before = next((p.section for p in reversed(pieces[:i])
                           if p.block == piece.block and p.section not in (HEADER, PLAIN)), None)
            piece.section = before or HEADER
    joined: list[Piece] = []
    waiting: list[Piece] = []
    for piece in pieces:
        if piece.section == HEADER:
            waiting.append(piece)
            continue
        if waiting:
            piece = Piece(waiting[0].first, piece.last, piece.section, piece.block, True)
            waiting = []
        joined.append(piece)
    if waiting and joined:  # headers with nothing after them: with the last band
        joined[-1].last = max(joined[-1].last, waiting[-1].last)
    bands: list[Unit] = []
    previous = None
    for piece in joined:
        if piece.last < piece.first:
            continue
        if previous is not None and bands[-1].section == piece.section \
                and previous.block == piece.block and not piece.barrier:
            bands[-1].last = max(bands[-1].last, piece.last)
        else:
            bands.append(Unit(f"{ENTRY}#{len(bands)}", f"{ENTRY}(ctx)", piece.section,
                              piece.first, piece.last))
        previous = piece
    for band in bands:  # no trailing blank lines
        while band.last > band.first and not source.lines[band.last - 1].strip():
            band.last -= 1
    return bands


# --- alignment --------------------------------------------------------------------------

def similarity(a: Unit, b: Unit) -> float:
    """What matching two bands is worth: a little for the section, the rest for the
    identifiers they share (so one close match outweighs two loose ones)."""
    union = a.tokens | b.tokens
    return 0.25 + (len(a.tokens & b.tokens) / len(union) if union else 0.0)


def row_similarity(row: list, unit: Unit) -> float:
    return max(similarity(u, unit) for u in row if u is not None)


def align_pair(rows: list[list], units: list[Unit], column: int) -> list[list]:
    """Rows (lists with one unit or None per column) merged with a new column's units:
    matched where a row's section is the unit's, the total similarity largest."""
    def row_unit(row):
        return next(u for u in row if u is not None)

    n, m = len(rows), len(units)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score[i][j] = max(score[i + 1][j], score[i][j + 1])
            if row_unit(rows[i]).section == units[j].section:
                score[i][j] = max(score[i][j], row_similarity(rows[i], units[j])
                                  + score[i + 1][j + 1])
    merged, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m and row_unit(rows[i]).section == units[j].section and \
                score[i][j] == row_similarity(rows[i], units[j]) + score[i + 1][j + 1]:
            merged.append(rows[i][:column] + [units[j]] + rows[i][column + 1:])
            i, j = i + 1, j + 1
        elif i < n and (j == m or score[i][j] == score[i + 1][j]):
            merged.append(rows[i])
            i += 1
        else:
            row = [None] * len(rows[0]) if rows else [None] * (column + 1)
            row[column] = units[j]
            merged.append(row)
            j += 1
    return merged


def align_bands(columns: list[list[Unit]], order: list[int]) -> list[list]:
    """The entry point's bands of every column in rows of one section each."""
    width = len(columns)
    rows: list[list] = []
    for column in order:
        if not rows:
            rows = [[None] * width for _ in columns[column]]
            for row, unit in zip(rows, columns[column]):
                row[column] = unit
        else:
            rows = align_pair(rows, columns[column], column)
    return rows


def align_definitions(columns: list[list[Unit]], order: list[int]) -> list[tuple[str, list]]:
    """(section, cells) per definition name, by section, then first appearance."""
    seen, cells = [], {}
    for column in order:
        for unit in columns[column]:
            if unit.key not in cells:
                seen.append(unit.key)
                cells[unit.key] = [[] for _ in columns]
            cells[unit.key][column].append(unit)
    rows = []
    for key in seen:
        present = {u.section for column in cells[key] for u in column}
        section = next((s for s in PRIORITY if s in present), "other")
        rows.append((section, key, cells[key]))
    rank = {section: i for i, section in enumerate(SECTIONS)}
    rows.sort(key=lambda row: rank[row[0]])  # stable: first appearance within a section
    return rows


# --- the page ---------------------------------------------------------------------------

SHOWN = ("numpy", "torch", "tensorflow")  # always a column; another framework where it has a file


def implementation_files(example: Example) -> dict[str, Path]:
    """The file of each framework the page shows, NumPy first."""
    from .harness import implementations

    return implementations(example)


@dataclass
class Translation:
    example: Example
    sources: dict[str, Source | None]
    head: list  # one cell (Unit or None) per framework
    definitions: list  # (section, key, [[Unit, ...] per framework])
    bands: list  # [Unit or None per framework]


def translation(example: Example) -> Translation:
    files = implementation_files(example)
    sources = {name: Source.read(name, path) for name, path in files.items()}
    names = list(files)
    parsed = {name: units(source) if source else (None, [], []) for name, source in sources.items()}
    order = [names.index(n) for n in names if n != "numpy"] + [names.index("numpy")]
    definitions = align_definitions([parsed[n][1] for n in names], order)
    bands = align_bands([parsed[n][2] for n in names], order)
    return Translation(example, sources, [parsed[n][0] for n in names], definitions, bands)


def highlighted(source: Source) -> list[str]:
    """Each line of the file as highlighted HTML (Pygments' classes, one span per token)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    text = highlight(source.text, PythonLexer(stripnl=False, ensurenl=True),
                     HtmlFormatter(nowrap=True))
    return text.split("\n")


def indent_of(line: str) -> int:
    return min(len(line) - len(line.lstrip(" ")), INDENTS)


INDENTS = 40  # a wrapped line hangs below its own indentation, up to this many spaces
LEADING = re.compile(r'^(?:<span class="w">)?( +)(?:</span>)?')  # drawn as a margin, kept for copying


def unbroken_indent(line: str) -> str:
    return LEADING.sub(r'<span class="ws">\1</span>', line, count=1)


def code_cell(units: list[Unit], lines: list[str], framework: str, raw: list[str]) -> str:
    """A cell: the units' lines, numbered, each a block whose wrapped rest hangs below
    the line's own indentation."""
    if not units:
        return f'<td class="empty" data-framework="{framework}"></td>'
    blocks = []
    for unit in units:
        numbered = "".join(f'<span class="l i{indent_of(raw[n - 1])}"><span class="ln">{n}</span>'
                           f"{unbroken_indent(lines[n - 1])}</span>"
                           for n in range(unit.first, unit.last + 1))
        blocks.append(f'<pre class="hl">{numbered}</pre>')
    section = units[0].section
    return (f'<td data-framework="{framework}" data-section="{section}">'
            + "".join(blocks) + "</td>")


CSS = """
:root { --label: 8.5rem; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 1rem 2rem;
       color: #1d2125; }
h1 { font-size: 1.3rem; margin: 1rem 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
p { margin: .3rem 0; max-width: 60rem; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
table.translation { width: 100%; table-layout: fixed; border-collapse: collapse; }
table.translation col.label { width: var(--label); }
table.translation th, table.translation td { border: 1px solid #d6d9dc; vertical-align: top;
       padding: 0; overflow: hidden; }
table.translation thead th { position: sticky; top: 0; background: #fff; text-align: left;
       padding: .35rem .5rem; z-index: 1; }
table.translation thead th a { font-weight: normal; font-size: 12px; }
th.label { font-weight: normal; text-align: left; padding: .3rem .4rem; font-size: 12px;
       word-break: break-word; border-left: 5px solid var(--colour); }
tr.heading th { text-align: left; padding: .45rem .5rem; background: var(--tint);
       border-left: 5px solid var(--colour); font-size: 13px; }
td.empty { background: repeating-linear-gradient(45deg, #fafafa, #fafafa 6px, #f2f2f2 6px,
       #f2f2f2 12px); }
pre.hl { margin: 0; padding: .3rem .4rem; font: 11.5px/1.4 ui-monospace, SFMono-Regular,
       Menlo, Consolas, monospace; background: #fff; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.hl + pre.hl { border-top: 1px dashed #d6d9dc; }
pre.hl .l { display: block; position: relative; text-indent: -4ch; min-height: 1.4em; }
pre.hl .ws { font-size: 0; white-space: pre; }
.ln { position: absolute; left: 0; width: 3ch; text-indent: 0; color: #9aa0a6;
       text-align: right; user-select: none; }
.chip { display: inline-block; padding: 0 .4em; border-radius: 3px; background: var(--tint);
       border-left: 4px solid var(--colour); font-size: 12px; margin: 0 .3em .2em 0; }
.notes li { margin: .2rem 0; max-width: 70rem; }
.from { color: #6b7280; font-size: 12px; }
.s-module { --colour: #9aa0a6; --tint: #f3f4f6; }
.s-data { --colour: #2563eb; --tint: #eef3fd; }
.s-forward { --colour: #059669; --tint: #ecf8f3; }
.s-cost { --colour: #d97706; --tint: #fdf5e9; }
.s-backward { --colour: #dc2626; --tint: #fdeeee; }
.s-update { --colour: #7c3aed; --tint: #f3effd; }
.s-recording { --colour: #0891b2; --tint: #ebf7fa; }
.s-other { --colour: #6b7280; --tint: #f5f5f5; }
"""


def hanging_indents() -> str:
    """One class per indentation: the indentation as a margin (at most 30% of the cell, so
    a deep line keeps room in a narrow column), the wrapped rest of a line 4 characters
    further in; the line's number in the 4 characters before it."""
    return "".join(f"pre.hl .i{n} {{ padding-left: calc(8ch + min({n}ch, 30%)); }}"
                   for n in range(INDENTS + 1))


def inline_code(text: str) -> str:
    """A note's text as HTML: escaped, its `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def page(example: Example, folder: Path | None = None) -> bytes:
    """The translation page, to be read in ``folder`` (its links to the files are
    relative to it; by default ``results/<id>``)."""
    from pygments.formatters import HtmlFormatter

    from .report import link

    folder = Path("results") / example.id if folder is None else folder
    done = translation(example)
    names = list(done.sources)
    lines = {n: highlighted(s) if s else [] for n, s in done.sources.items()}
    raw = {n: s.lines if s else [] for n, s in done.sources.items()}
    files = implementation_files(example)
    head = "".join(
        f'<th data-framework="{n}">{TITLES.get(n, n)}<br>'
        + (f'<a href="{link(files[n], folder)}">{html.escape(files[n].name)}</a>'
           if done.sources[n] else html.escape(f"{files[n].name}: {UNREADABLE[files[n]]}")
           if files[n] in UNREADABLE else "no file") + "</th>" for n in names)
    rows = []
    if any(done.head):
        rows.append('<tr class="s-module" data-section="module"><th class="label">'
                    'docstring and imports</th>' + "".join(
                        code_cell([u] if u else [], lines[n], n, raw[n])
                        for n, u in zip(names, done.head))
                    + "</tr>")
    current = None
    for section, key, cells in done.definitions:
        if section != current:
            rows.append(f'<tr class="heading s-{section}"><th colspan="{len(names) + 1}" '
                        f'id="{section}">{html.escape(SECTIONS[section])}</th></tr>')
            current = section
        rows.append(f'<tr class="s-{section}" data-section="{section}" data-key="{html.escape(key)}">'
                    f'<th class="label">{html.escape(key)}</th>'
                    + "".join(code_cell(c, lines[n], n, raw[n]) for n, c in zip(names, cells)) + "</tr>")
    if done.bands:
        rows.append(f'<tr class="heading s-other"><th colspan="{len(names) + 1}" id="run">'
                    f"{ENTRY}(ctx): the run, in order, in bands of one section</th></tr>")
        for cells in done.bands:
            section = next(u for u in cells if u is not None).section
            rows.append(f'<tr class="s-{section}" data-section="{section}" data-key="{ENTRY}">'
                        f'<th class="label"><span class="chip">{html.escape(SECTIONS[section])}'
                        "</span></th>" + "".join(code_cell([u] if u else [], lines[n], n, raw[n])
                                                 for n, u in zip(names, cells)) + "</tr>")
    legend = "".join(f'<span class="chip s-{s}">{html.escape(t)}</span>'
                     for s, t in SECTIONS.items() if s != "module")
    try:
        found = notes(example, done)
    except Exception as error:  # a file the notes' reading does not follow: the page stands
        found = [Note("layout", None, f"no notes: {type(error).__name__}: {error}",
                      "reproductions/translate.py")]
    notes_html = notes_section(found)
    style = CSS + hanging_indents() + HtmlFormatter(style="default").get_style_defs("pre.hl")
    text = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(example.id)}: translation</title><style>{style}</style></head><body>"
        f"<h1>{html.escape(example.id)}: {html.escape(example.title)}</h1>"
        f"<p>Source: {html.escape(example.source.seed)}, {html.escape(example.source.section)}.</p>"
        "<p>The implementations side by side, aligned by section: the definitions each file "
        "shares by name in one row, in the section their calls put them in (a row with an "
        f"empty cell is a definition one file has alone), then <code>{ENTRY}(ctx)</code> in "
        "order, cut into bands of one section, aligned across the files. The translation "
        'notes are <a href="#notes">below the code</a>. Generated from the code by '
        "<code>reproductions/translate.py</code>.</p>"
        f"<p>{legend}</p>"
        f'<table class="translation"><colgroup><col class="label">'
        + "".join('<col class="code">' for _ in names) + "</colgroup>"
        f'<thead><tr><th class="label">section</th>{head}</tr></thead><tbody>'
        + "".join(rows) + "</tbody></table>" + notes_html + "</body></html>\n")
    return text.encode()


def notes_section(found: list[Note]) -> str:
    parts = ['<section class="notes" id="notes"><h2>Translation notes</h2>'
             "<p>Each note says where it comes from.</p>"]
    for topic, title in TOPICS.items():
        items = [n for n in found if n.topic == topic]
        if not items:
            continue
        parts.append(f"<h3>{html.escape(title)}</h3><ul>")
        for note in items:
            who = f"<b>{TITLES.get(note.framework, note.framework)}</b>: " if note.framework else ""
            parts.append(f"<li>{who}{inline_code(note.text)} "
                         f'<span class="from">(from {inline_code(note.source)})</span></li>')
        parts.append("</ul>")
    return "".join(parts) + "</section>"


def write(example: Example, out: Path, folder: Path | None = None) -> Path:
    """The page into ``out/<id>/translation.html``, atomically; returns its path."""
    from .report import write_atomic

    path = out / example.id / "translation.html"
    write_atomic(path, page(example, folder or path.parent))
    return path


# --- notes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    topic: str  # a key of TOPICS
    framework: str | None
    text: str  # `code` in backticks
    source: str  # where it comes from
    missing: bool = False  # nothing of the kind found in that file


def shape_text(shape) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def names_text(names) -> str:
    return ", ".join(names) if names else "none"


def notes(example: Example, done: Translation | None = None) -> list[Note]:
    """The translation notes of an example (see the module's docstring)."""
    done = done or translation(example)
    found = layout_notes(example, done)
    if generic_only(example):
        general = definition_notes(example, done)
        return [n for n in general if n.topic == "layout"] + found + [
            n for n in general if n.topic != "layout"]
    for topic, notes_of in (("cost", cost_notes), ("update", update_notes)):
        each = [note for source in done.sources.values() if source is not None
                for note in notes_of(example, source)]
        if each and all(note.missing for note in each):  # one line for every file
            each = [Note(topic, None, each[0].text, "the entry point of every file, "
                         + ", ".join(s.path.name for s in done.sources.values() if s), True)]
        found += each
    found += bias_notes(example, done)
    return found


def shape_literal(node) -> tuple | None:
    """The shape a placeholder is made with, when the code writes it out:
    ``jax.ShapeDtypeStruct((3,), dtype)``."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Tuple) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, int) for e in node.args[0].elts):
        return tuple(e.value for e in node.args[0].elts)
    return None


def load_targets(source: Source) -> dict[str, tuple]:
    """What each start value is loaded into, by the ``ctx.load`` calls: name -> (the
    expression as written, line, the shape it writes out or None)."""
    held = {}
    for call in ast.walk(source.tree):
        if not (isinstance(call, ast.Call) and dotted(call.func) == "ctx.load"):
            continue
        for keyword in call.keywords:
            if keyword.arg is not None:
                held[keyword.arg] = (source.segment(keyword.value), call.lineno,
                                     shape_literal(keyword.value))
                continue
            value = keyword.value
            if isinstance(value, ast.Name):
                value = assignment(source, source.enclosing(call), value.id, call.lineno)[0]
            if isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        held[key.value] = (source.segment(item), call.lineno, shape_literal(item))
    return held


def layout_notes(example: Example, done: Translation) -> list[Note]:
    found, starts = [], {p.name: tuple(p.shape) for p in example.init.params}
    network = definition_network(example)
    for name in done.sources:
        transposed, shapes = example.framework_layout(name)
        table = example.layout.get(name, {})
        declared = [n for n, held in table.items() if held == "transposed"]
        aliases = {n: held for n, held in table.items() if held != "transposed"}
        source = "example.toml [layout]" if not generic_only(example) else \
            "[layout], written from network.layout by generic.definition.framework_layouts"
        if not table:
            found.append(Note("layout", name, "holds every array in the source's layout: "
                              "nothing transposed", source))
        else:
            kinds = {"parameters": [n for n in declared if n in starts],
                     "data": [n for n in declared if n in example.data],
                     "recorded values": [n for n in declared
                                         if n not in starts and n not in example.data]}
            text = "holds transposed: " + "; ".join(f"{kind} {names_text(names)}"
                                                   for kind, names in kinds.items() if names)
            if aliases:
                text += "; held as a start value is: " + ", ".join(
                    f"{n} as {held}" for n, held in aliases.items())
            found.append(Note("layout", name, text, source))
        held = load_targets(done.sources[name]) if done.sources[name] else {}
        if network is not None:
            held = engine_targets(network, name)
        described = []
        for param, shape in starts.items():
            framework_shape = shape[::-1] if param in transposed else shape
            target, _, literal = held.get(param) or (None, None, None)
            if target is not None and target.endswith("bias"):
                framework_shape = (_size(shape),)  # a bias vector (out,)
            if literal is not None:
                framework_shape = literal
            described.append(f"{param} {shape_text(shape)} as "
                             + (f"`{target}` " if target else "") + shape_text(framework_shape)
                             + (" (transposed)" if param in transposed else ""))
        if described and (name != "numpy" or table) and (network is None or held):
            origin = ("[init] and the engine's layers (its docstring)" if network is not None else
                      f"[init] and the ctx.load calls of {done.sources[name].path.name}"
                      if done.sources[name] else "[init]")
            found.append(Note("layout", name, "start values, the source's shape as held: "
                              + "; ".join(described), origin))
    return found


def _size(shape) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


# --- following the cost through a file --------------------------------------------------

def assignments(source: Source) -> dict:
    """Every assignment of the file, once: scope (a function, None for the module) ->
    name -> [(line, value, position in the tuple it is unpacked from or None)]."""
    if source.assigned is not None:
        return source.assigned
    found: dict = {}
    for node in ast.walk(source.tree):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        names = found.setdefault(source.enclosing(node), {})
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
            elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            for i, element in enumerate(elements):
                if not isinstance(element, ast.Name):
                    continue
                index = i if isinstance(target, (ast.Tuple, ast.List)) else None
                value = node.value
                if index is not None and isinstance(value, (ast.Tuple, ast.List)) \
                        and len(value.elts) == len(elements):
                    value, index = value.elts[index], None
                names.setdefault(element.id, []).append((node.lineno, value, index))
    for names in found.values():
        for entries in names.values():
            entries.sort(key=lambda entry: entry[0])
    source.assigned = found
    return found


def assignment(source: Source, function, name: str, line: int):
    """The value last assigned to ``name`` before ``line`` in ``function``, else in the
    functions around it, else at module level (None for a parameter), and the position
    of ``name`` in a tuple it is unpacked from: (value, index)."""
    scope = function
    while True:
        found = assignments(source).get(scope, {}).get(name)
        if found:
            before = [f for f in found if f[0] < line] or found
            plain = [f for f in before if name not in {n.id for n in ast.walk(f[1])
                                                        if isinstance(n, ast.Name)}]
            chosen = (plain or before)[-1]
            return chosen[1], chosen[2]
        if scope is None:
            return None, None
        if name in {a.arg for a in ast.walk(scope.args) if isinstance(a, ast.arg)}:
            return None, None  # a parameter: whatever the caller passes
        scope = source.enclosing(scope)


def callee(source: Source, call: ast.Call, function):
    """The file's own function or method a call runs, or None."""
    if isinstance(call.func, ast.Name):
        return source.functions.get(call.func.id)
    if not isinstance(call.func, ast.Attribute):
        return None
    owners = source.methods.get(call.func.attr, [])
    receiver = call.func.value
    if isinstance(receiver, ast.Name) and receiver.id == "self" and function is not None:
        owner = source.parents.get(function)
        owners_named = [m for c, m in owners if isinstance(owner, ast.ClassDef) and c == owner.name]
        if owners_named:
            return owners_named[0]
    if isinstance(receiver, ast.Name):
        value, _ = assignment(source, function, receiver.id, call.lineno)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            for owner, method in owners:
                if owner == value.func.id:
                    return method
    return owners[0][1] if len(owners) == 1 else None


def returned(function, index):
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            return node.value
    return None


def is_reduction(call: ast.Call) -> bool:
    """np.sum, x.mean(), tf.reduce_sum, ... (not the builtin sum of a few terms)."""
    return isinstance(call.func, ast.Attribute) and call.func.attr in REDUCTIONS


def holds_cost(node) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and (is_loss(dotted(call.func)) or is_reduction(call)):
            return True
    return False


@dataclass
class Found:
    node: ast.AST
    function: object  # the FunctionDef it is in, or None
    holder: ast.AST | None = None  # the loss a called name holds (nllm = CrossEntropyLoss())
    context: str | None = None  # the expression it was found inside, when it is a part of one


def within(found, source: Source, node):
    if found is not None and found.context is None and found.node is not node:
        found.context = source.segment(node) or None
    return found


def resolve(source: Source, node, function, index=None, depth=0):
    """Follow an expression back to where the cost is computed: a loss, a sum or mean
    written out, or what a function named as a cost returns."""
    if depth > 12 or node is None:
        return None
    if index is None and holds_cost(node):
        return Found(node, function)
    if isinstance(node, (ast.Tuple, ast.List)) and index is not None and index < len(node.elts):
        return resolve(source, node.elts[index], function, None, depth + 1)
    if isinstance(node, ast.Subscript):
        whole = isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)
        return resolve(source, node.value, function, node.slice.value if whole else None,
                       depth + 1)
    if isinstance(node, ast.Name):
        value, unpacked = assignment(source, function, node.id, getattr(node, "lineno", 10 ** 9))
        return resolve(source, value, function, unpacked if unpacked is not None else index,
                       depth + 1)
    if isinstance(node, ast.Call):
        target = callee(source, node, function)
        if target is not None:
            value = returned(target, index)
            found = resolve(source, value, target, index, depth + 1)
            if found:
                return found
            if COSTLY.search(target.name) and value is not None:  # a cost of one example
                if isinstance(value, ast.Tuple) and index is not None and index < len(value.elts):
                    value = value.elts[index]
                return Found(value, target)
        if isinstance(node.func, ast.Name) and node.func.id not in source.functions:
            held = resolve(source, node.func, function, None, depth + 1)
            if held and any(isinstance(c, ast.Call) and is_loss(dotted(c.func))
                            for c in ast.walk(held.node)):
                return Found(node, function, held.node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "item":
            return resolve(source, node.func.value, function, index, depth + 1)
        if isinstance(node.func, ast.Call) and node.func.args:  # jax.value_and_grad(f)(p)
            inner = node.func.args[0]
            value = inner.body if isinstance(inner, ast.Lambda) else (
                returned(source.functions[inner.id], None) if isinstance(inner, ast.Name)
                and inner.id in source.functions else None)
            owner = source.functions.get(inner.id) if isinstance(inner, ast.Name) else function
            found = resolve(source, value, owner, None, depth + 1)
            if found:
                return found
        for argument in node.args:  # np.squeeze(total / (2 * m)), record("cost", ...)
            found = resolve(source, argument, function, None, depth + 1)
            if found:
                return within(found, source, node)
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        for part in ([node.left, node.right] if isinstance(node, ast.BinOp) else [node.operand]):
            found = resolve(source, part, function, None, depth + 1)
            if found:
                return within(found, source, node)
    return None


def recorded_cost(source: Source):
    """What the entry point records as the cost: the first argument of its first
    ``trace.gradients`` call inside the training loop (else anywhere), else of
    ``trace.cost``."""
    entry = source.functions.get(ENTRY)
    if entry is None:
        return None
    for wanted in ("trace.gradients", "trace.cost"):
        calls = [c for c in ast.walk(entry) if isinstance(c, ast.Call)
                 and dotted(c.func) in (wanted, "ctx." + wanted) and c.args]
        in_loop = [c for c in calls if any(isinstance(a, (ast.For, ast.While))
                                           for a in ancestors(source, c))]
        chosen = (in_loop or calls)
        if chosen:
            return min(chosen, key=lambda c: c.lineno)
    return None


def ancestors(source: Source, node):
    node = source.parents.get(node)
    while node is not None:
        yield node
        node = source.parents.get(node)


TORCH_LOSSES = {
    "MSELoss": "the squared errors", "L1Loss": "the absolute errors",
    "BCELoss": "the binary NLL of probabilities", "BCEWithLogitsLoss":
    "the binary NLL of logits (the sigmoid fused in)", "CrossEntropyLoss":
    "the softmax and multiclass NLL of logits, one value per example", "NLLLoss":
    "the NLL of log-probabilities, one value per example", "HuberLoss": "the Huber losses",
    "SmoothL1Loss": "the smooth L1 losses",
}
TORCH_REDUCTIONS = {"mean": "averaged over every element", "sum": "summed over every element",
                    "none": "kept per element"}
KERAS_LOSSES = {
    "MeanSquaredError": "the mean of the squared errors over the last axis, per example",
    "MeanAbsoluteError": "the mean of the absolute errors over the last axis, per example",
    "BinaryCrossentropy": "the binary NLL averaged over the last axis, per example",
    "CategoricalCrossentropy": "-sum y log p over the classes, per example",
    "SparseCategoricalCrossentropy": "-log p of the labelled class, per example",
}
KERAS_REDUCTIONS = {"sum_over_batch_size": "averaged over the examples",
                    "sum": "summed over the examples", "none": "kept per example",
                    "None": "kept per example"}


def describe_loss(call: ast.Call, source: Source) -> str:
    name = dotted(call.func)
    cls = name.rsplit(".", 1)[-1]
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    extra = ", ".join(f"{k}={source.segment(v)}" for k, v in keywords.items()
                      if k not in ("reduction", "dtype"))
    if "reduction" in keywords and isinstance(keywords["reduction"], ast.Constant):
        reduction, default = str(keywords["reduction"].value), False
    elif "reduction" in keywords:
        reduction, default = source.segment(keywords["reduction"]), False
    else:
        reduction, default = ("sum_over_batch_size" if cls in KERAS_LOSSES or "losses" in name
                              else "mean"), True
    if name.startswith("optax"):
        reduced = [c for c in ast.walk(source.parents.get(call, call)) if isinstance(c, ast.Call)
                   and is_reduction(c)]
        return (f"`{cls}`: one value per element (optax's losses do not reduce)"
                + (f", then `{dotted(reduced[0].func)}`" if reduced else ""))
    keras = cls in KERAS_LOSSES or "keras" in name
    what = (KERAS_LOSSES if keras else TORCH_LOSSES).get(cls, "")
    meaning = (KERAS_REDUCTIONS if keras else TORCH_REDUCTIONS).get(reduction, "")
    if cls in ("CrossEntropyLoss", "NLLLoss") and meaning:
        meaning = meaning.replace("every element", "the examples")
    text = f"`{cls}`" + (f" ({extra})" if extra else "") + (f": {what}" if what else "")
    text += f", reduction `{reduction}`" + (" (the default)" if default else "")
    return text + (f", {meaning}" if meaning else "")


def factors(node, target) -> list[str]:
    """The factors and divisors around ``target`` inside ``node``: ``times 0.5``, ..."""
    found = []

    def walk(current):
        if current is target:
            return True
        if isinstance(current, ast.BinOp) and isinstance(current.op, (ast.Mult, ast.Div)):
            for side, other in ((current.left, current.right), (current.right, current.left)):
                if walk(side):
                    if isinstance(current.op, ast.Mult):
                        found.append(f"times `{ast.unparse(other)}`")
                    elif side is current.left:
                        found.append(f"divided by `{ast.unparse(other)}`")
                    return True
            return False
        return any(walk(child) for child in ast.iter_child_nodes(current))

    walk(node)
    return found


def describe_cost(found: Found, source: Source) -> str:
    expression = source.segment(found.node) or ast.unparse(found.node)
    outer = f"`{found.context}`, from " if found.context else ""
    losses = [c for c in ast.walk(found.holder or found.node)
              if isinstance(c, ast.Call) and is_loss(dotted(c.func))]
    if losses:
        loss = losses[0]
        inner = [c for c in ast.walk(found.node) if isinstance(c, ast.Call)
                 and (c.func is loss or c.func is found.node or c is found.node)]
        scale = factors(found.node, inner[0] if inner else loss)
        held = f" with `{source.segment(found.holder)}`" if found.holder is not None else ""
        return (f"{outer}`{expression}`{held}: " + describe_loss(loss, source)
                + ("; " + ", ".join(scale) if scale else ""))
    reductions = []
    for call in ast.walk(found.node):
        if isinstance(call, ast.Call) and is_reduction(call):
            kind = "a mean" if "mean" in last_name(call.func) else "a sum"
            reductions.append(kind)
            reductions += factors(found.node, call)
    return (f"written out: {outer}`{expression}`"
            + (f" ({', '.join(dict.fromkeys(reductions))})" if reductions
               else " (no reduction: the cost of one example)"))


def cost_notes(example: Example, source: Source) -> list[Note]:
    call = recorded_cost(source)
    if call is None:
        return [Note("cost", source.framework, "no cost recorded: the example does not train",
                     f"the entry point's trace.gradients and trace.cost calls ({source.path.name})",
                     missing=True)]
    found = resolve(source, call.args[0], source.enclosing(call))
    recorded = f"what `{dotted(call.func)}` records ({source.path.name}:{call.lineno})"
    if found is None:
        return [Note("cost", source.framework, f"`{source.segment(call.args[0])}`, not followed "
                     "to a loss or a written-out sum or mean", recorded)]
    return [Note("cost", source.framework, describe_cost(found, source),
                 f"{recorded}, followed to {source.where(found.node)}")]


# --- the update -------------------------------------------------------------------------

def hyper_reads(example: Example, node) -> list[tuple[str, object]]:
    """The hyperparameters an expression reads directly: ctx.hyper.x, hyper["x"]."""
    found = []
    for part in ast.walk(node):
        name = None
        if isinstance(part, ast.Attribute) and "hyper" in dotted(part).split(".")[:-1]:
            name = part.attr
        elif isinstance(part, ast.Subscript) and dotted(part.value).endswith("hyper") \
                and isinstance(part.slice, ast.Constant):
            name = part.slice.value
        if name is not None and name in example.hyper:
            found.append((name, example.hyper[name]))
    return found


def hyper_values(example: Example, source: Source, nodes, function) -> list[str]:
    """The hyperparameters expressions read, directly or through a name assigned from
    one (``rate = ctx.hyper.learning_rate``): ``rate = learning_rate = 1.0``."""
    found = []
    for node in nodes:
        found += [f"{name} = {value}" for name, value in hyper_reads(example, node)]
        for part in ast.walk(node):
            if isinstance(part, ast.Name) and part.id not in ("ctx", "hyper"):
                value, _ = assignment(source, function, part.id, getattr(part, "lineno", 10 ** 9))
                if value is not None:
                    found += [f"{part.id} = {name} = {v}" if part.id != name else f"{name} = {v}"
                              for name, v in hyper_reads(example, value)]
    return list(dict.fromkeys(found))


def rate_operands(node) -> list:
    """The learning rates of the products in an expression (``rate`` of ``W - rate * dW``)."""
    found = []
    for part in ast.walk(node):
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.Mult):
            found += [side for side in (part.left, part.right) if Source.is_rate(side)]
    return found


def update_notes(example: Example, source: Source) -> list[Note]:
    found = []
    calls = [c for c in ast.walk(source.tree) if isinstance(c, ast.Call)]
    for call in calls:
        if not is_optimiser(dotted(call.func)):
            continue
        if isinstance(source.parents.get(call), ast.Call) and source.parents[call].func is not call:
            continue  # an argument of another optimiser call (optax.chain(...))
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        rate = keywords.get("lr", keywords.get("learning_rate"))
        if rate is None and call.args:
            rate = call.args[1] if len(call.args) > 1 and "torch" in dotted(call.func) else \
                call.args[0] if dotted(call.func).startswith("optax") else None
        cls = dotted(call.func).rsplit(".", 1)[-1]
        rule = ""
        if cls in ("SGD", "sgd"):
            decay = keywords.get("weight_decay")
            momentum = keywords.get("momentum")
            rule = ("p <- p - lr * (grad + weight_decay * p)" if decay is not None else
                    "p <- p - lr * grad") + (", with momentum" if momentum is not None else "")
        values = hyper_values(example, source, [rate], source.enclosing(call)) if rate else []
        owner = source.parents.get(call)
        names = [source.segment(t) for t in targets_of(owner)] if isinstance(owner, ast.Assign) else []
        if not names:
            continue  # used in place (optax.apply_updates(...)): the constructed one is noted
        text = (f"`{', '.join(names)} = {source.segment(call)}`" + (f": {rule}" if rule else "")
                + (f", at {'; '.join(values)}" if values else ""))
        steps = [c for c in calls if last_name(c.func) in ("step", "apply_gradients", "update")
                 and dotted(c.func).split(".")[0] in names]
        if steps:
            text += "; applied by " + ", ".join(dict.fromkeys(
                f"`{source.segment(s)}` (line {s.lineno})" for s in steps))
        found.append(Note("update", source.framework, text, source.where(call)))
    if found:
        return found
    hand = []
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)) and rate_operands(node.value):
            if source.enclosing(node) is not None and name_section(
                    source.enclosing(node).name, None) == "cost":
                continue
            hand.append(node)
        elif isinstance(node, ast.Call) and last_name(node.func) in ("assign_sub", "sub_"):
            hand.append(node)
    if not hand:
        return [Note("update", source.framework, "no optimiser and no update written out: the "
                     "example does not train", f"the calls and assignments of {source.path.name}",
                     missing=True)]
    shown = list(dict.fromkeys(source.segment(n) for n in hand))
    rates = hyper_values(example, source, rate_operands(hand[0]), source.enclosing(hand[0]))
    text = ("a hand-written update: " + "; ".join(f"`{s}`" for s in shown[:3])
            + (f" (and {len(shown) - 3} more)" if len(shown) > 3 else "")
            + (f", at {'; '.join(rates)}" if rates else ""))
    return [Note("update", source.framework, text, source.where(hand[0]))]


# --- biases -----------------------------------------------------------------------------

def folding(source: Source):
    """A column of ones joined to an input (the bias trick): the call, or None."""
    for call in ast.walk(source.tree):
        if isinstance(call, ast.Call) and last_name(call.func) in JOINS and any(
                isinstance(c, ast.Call) and last_name(c.func) in ONES for c in ast.walk(call)):
            return call
    return None


def bias_notes(example: Example, done: Translation) -> list[Note]:
    starts = {p.name: tuple(p.shape) for p in example.init.params}
    held = {n: load_targets(s) for n, s in done.sources.items() if s is not None}
    loaded = [name for name in starts
              if any(t.get(name, ("",))[0].endswith(".bias") for t in held.values())]
    weights = any(name[:1] in "Ww" for name in starts)  # names alone say bias beside a weight
    biases = [name for name in starts if name in loaded or (weights and BIAS_NAME.match(name))]
    found = []
    for name, source in done.sources.items():
        if source is None:
            continue
        folded = folding(source)
        off = [c for c in ast.walk(source.tree) if isinstance(c, ast.Call) and any(
            k.arg in ("bias", "use_bias") and isinstance(k.value, ast.Constant)
            and k.value.value is False for k in c.keywords)]
        transposed, _ = example.framework_layout(name)
        if biases:
            parts = []
            for bias in biases:
                target, _, literal = held.get(name, {}).get(bias) or (None, None, None)
                shape = starts[bias]
                as_held = literal or ((_size(shape),) if target and target.endswith(".bias") else
                                      shape[::-1] if bias in transposed else shape)
                parts.append(f"{bias} {shape_text(shape)}"
                             + (f" as `{target}` {shape_text(as_held)}" if target else
                                f" held {shape_text(as_held)}" if as_held != shape else ""))
            found.append(Note("biases", name, "separate: " + "; ".join(parts),
                              "[init] start values named as biases, or loaded into a `.bias`"
                              + (f" ({source.path.name}'s ctx.load)" if held.get(name) else "")))
        if folded is not None:
            found.append(Note("biases", name, "folded into W: a column of ones joined to the "
                              f"input, `{source.segment(folded)}`", source.where(folded)))
        if not biases and folded is None:
            why = (f"; `{source.segment(off[0])}` has none" if off else "")
            found.append(Note("biases", name, "none: no start value of a bias, no column of ones"
                              + why, "[init] and " + source.path.name))
    return found


# --- definition files -------------------------------------------------------------------

def generic_only(example: Example) -> bool:
    from .harness import runs_generic

    return example.network is not None and runs_generic(example, "numpy")


def definition_network(example: Example):
    if not generic_only(example):
        return None
    from .generic.definition import network_of

    return network_of(example)


def engine_targets(network, framework: str) -> dict[str, tuple]:
    """What the generic engines load each start value into (their docstrings)."""
    held = {}
    for k, layer in enumerate(network.layers, 1):
        if framework == "torch":
            held[f"W{k}"] = ("nn.Linear weight", None, None)
            if layer.bias in ("trained", "fixed"):
                held[f"b{k}"] = ("nn.Linear bias", None, None)
        elif framework == "tensorflow":
            held[f"W{k}"] = ("Dense kernel", None, None)
            if layer.bias in ("trained", "fixed"):
                held[f"b{k}"] = ("Dense bias", None, None)
    return held


def layout_forms() -> dict[str, str]:
    """generic/definition.py's table of layouts: layout -> its forward and shapes."""
    from .generic import definition

    layouts = set(typing.get_args(definition.Network.model_fields["layout"].annotation))
    forms = {}
    for line in (definition.__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].strip("`") in layouts and cells[0].startswith("`"):
            forms[cells[0].strip("`")] = f"{cells[1]}, W {cells[2]}, X, Y, Z, A {cells[-1]}"
    return forms


def cost_table() -> dict[str, list[str]]:
    """The generic README's cost table: cost -> [value, then how each framework writes it]
    (the rows whose first cell is one of network.cost's values)."""
    from .generic import definition

    costs = set(typing.get_args(definition.Network.model_fields["cost"].annotation))
    readme = Path(definition.__file__).with_name("README.md")
    rows = {}
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) >= 2 and cells[0].strip("`") in costs and cells[0].startswith("`"):
            rows.setdefault(cells[0].strip("`"), [c.replace("\\|", "|") for c in cells[1:]])
    return rows


def cost_branch(source: Source, cost: str, names: tuple):
    """The statement of an engine that computes ``cost``: the branch testing for it,
    else the else branch or the final return of the function that tests the others."""
    def tested(test) -> set:
        found = set()
        for node in ast.walk(test):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
        return found

    chooser = None
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.If):
            continue
        values = tested(node.test)
        if cost in values:
            return branch_value(node.body)
        if values & set(names):
            chooser = node
    if chooser is None:
        return None
    while len(chooser.orelse) == 1 and isinstance(chooser.orelse[0], ast.If):
        chooser = chooser.orelse[0]
    if chooser.orelse:
        return branch_value(chooser.orelse)
    function = source.enclosing(chooser)
    if function is not None and isinstance(function.body[-1], ast.Return):
        return branch_value([function.body[-1]])
    return None


def branch_value(statements):
    for statement in statements:
        if isinstance(statement, ast.Return) and statement.value is not None:
            value = statement.value
            return value.elts[0] if isinstance(value, ast.Tuple) else value
    for statement in reversed(statements):
        if isinstance(statement, ast.Assign):
            value = statement.value
            return value.elts[0] if isinstance(value, ast.Tuple) else value
    return None


def definition_notes(example: Example, done: Translation) -> list[Note]:
    from .generic.definition import Network

    network = definition_network(example)
    found = []
    form = layout_forms().get(network.layout)
    if form:
        found.append(Note("layout", None, f"network.layout `{network.layout}`: {form}",
                          "[network]; the layout table of reproductions/generic/definition.py"))
    names = typing.get_args(Network.model_fields["cost"].annotation)
    table = cost_table().get(network.cost)
    if table:
        found.append(Note("cost", None, f"network.cost `{network.cost}`: {table[0]}"
                          + (f", plus `l2 / 2 * sum W^2` with l2 = {network.l2}" if network.l2 else ""),
                          "[network]; the cost table of reproductions/generic/README.md"))
    for name, source in done.sources.items():
        if source is None:
            continue
        node = cost_branch(source, network.cost, names)
        if node is None:
            continue
        text = describe_cost(Found(node, source.enclosing(node)), source)
        found.append(Note("cost", name, text, f"the branch for `{network.cost}` at "
                          + source.where(node)))
    steps = ("every step on the whole data set" if network.batch_size is None and network.order
             is None else f"mini-batches of {network.batch_size}" if network.batch_size else
             "the examples of network.order, one entry a step")
    found.append(Note("update", None, f"network.optimizer `{network.optimizer}` at "
                      f"learning_rate = {example.hyper.get('learning_rate')}, {steps}",
                      "[network] and [hyper]"))
    for source in done.sources.values():
        if source is not None:
            found += update_notes(example, source)
    shapes = {p.name: tuple(p.shape) for p in example.init.params}
    sizes = [network.inputs] + [layer.units for layer in network.layers]
    for k, layer in enumerate(network.layers, 1):
        n_in, n_out = sizes[k - 1], sizes[k]
        held = {
            "trained": (f"b{k} {shape_text(shapes.get(f'b{k}', ()))}", f"nn.Linear bias ({n_out},)",
                        f"Dense bias ({n_out},)"),
            "fixed": (f"b{k} {shape_text(shapes.get(f'b{k}', ()))}, never updated",
                      f"nn.Linear bias ({n_out},), requires_grad False",
                      f"Dense bias ({n_out},), kept out of the tape and the optimizer"),
            "shared": (f"b{k} {shape_text(shapes.get(f'b{k}', ()))}, one number for the layer",
                       "an nn.Parameter of shape ()", "a tf.Variable of shape ()"),
            "folded": (f"the last {'column' if network.layout == 'columns' else 'row'} of W{k} "
                       f"{shape_text(shapes.get(f'W{k}', ()))}, on a one appended to the input",
                       f"the last input column of nn.Linear weight ({n_out}, {n_in + 1}), on "
                       "torch.cat's ones", f"the last row of the Dense kernel ({n_in + 1}, "
                       f"{n_out}), on tf.concat's ones"),
            "none": ("none", "none (bias=False)", "none (use_bias=False)"),
        }[layer.bias]
        for framework, text in zip(("numpy", "torch", "tensorflow"), held):
            found.append(Note("biases", framework, f"layer {k} (bias `{layer.bias}`): {text}",
                              f"[network] layers[{k - 1}].bias; the engine's docstring"))
    return found
