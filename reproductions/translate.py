"""The translation page of an example: its implementations side by side, one row per
declared section, and the translation notes.

**Sections** are declared in the code, with the cell markers of jupytext's percent
format (``# %% forward``), as d2l does: ``data``, ``forward``, ``cost``, ``backward``
(NumPy's written-out pass) or ``autodiff`` (a framework's), ``check``, ``update``,
``record``. Every mirror of an example declares the same sequence
(``tests/test_translate.py``), so the page zips them: row k holds each file's k-th
section. What comes before a file's first marker (its docstring and imports) is the
first row. Files whose sequences differ (a mirror beside a generic engine) are merged
by section name, in the order they declare them.

**Notes** (:func:`notes`) come from declarations only: the weight layout and transposes
from ``[layout]`` (or, for a generic engine, from ``[network]``), the cost, the update
and the biases from ``[network]`` and the tables of ``generic/tables.py``; for a graph
engine, the output and the update from ``[graph]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import frameworks

from .execute import implementations, runs_generic, runs_graph
from .generic import tables
from .publish import link, write_atomic
from .schema import shape_text
from .spec import Example

SECTIONS = {
    "module": "docstring and imports",
    "data": "data and start values",
    "forward": "forward",
    "cost": "cost",
    "backward": "backward pass or autodiff",
    "check": "checks",
    "update": "update",
    "record": "the run, recorded",
}
SAME_ROW = {"autodiff": "backward"}  # a framework's autodiff where NumPy writes the backward pass
TOPICS = {
    "layout": "Weight layout and transposes",
    "cost": "Cost and its reduction",
    "update": "Update rule and optimiser",
    "biases": "Biases",
}
MARKER = re.compile(r"^# %%\s*(\w*)")
TEMPLATES = Path(__file__).with_name("templates")


# --- sections ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    name: str  # as declared: "forward", "autodiff", ...; "module" for the file's head
    first: int  # line numbers, from 1
    last: int

    @property
    def section(self) -> str:
        return SAME_ROW.get(self.name, self.name)


def cells(path: Path) -> list[Cell]:
    """The file cut at its ``# %%`` markers: its head, then each declared section (a
    marker without a name is ``other``); blank lines at a cell's end left out."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [(n, MARKER.match(line).group(1) or "other") for n, line in enumerate(lines, 1)
              if MARKER.match(line)]
    bounds = [(1, "module")] + starts
    found = []
    for (first, name), (after, _) in zip(bounds, bounds[1:] + [(len(lines) + 1, "")]):
        last = after - 1
        while last >= first and not lines[last - 1].strip():
            last -= 1
        if last >= first:
            found.append(Cell(name, first, last))
    return found


def sequence(found: list[Cell]) -> list[str]:
    """A file's declared sections, in order (its head aside)."""
    return [cell.section for cell in found if cell.name != "module"]


@dataclass(frozen=True)
class Row:
    section: str
    cells: dict[str, Cell | None]  # by framework


def rows(files: dict[str, Path]) -> list[Row]:
    """One row per section: each file's k-th ``forward`` beside the others' k-th, in the
    order the files declare them."""
    keyed = {}
    for framework, path in files.items():
        seen: dict[str, int] = {}
        keyed[framework] = {}
        for cell in cells(path):
            seen[cell.section] = seen.get(cell.section, 0) + 1
            keyed[framework][(cell.section, seen[cell.section])] = cell
    order: list = []
    for found in keyed.values():
        at = 0
        for key in found:
            if key in order:
                at = order.index(key) + 1
            else:
                order.insert(at, key)
                at += 1
    return [Row(key[0], {framework: found.get(key) for framework, found in keyed.items()})
            for key in order]


def implementation_files(example: Example) -> dict[str, Path]:
    """The file of each framework the page shows, NumPy first."""
    return implementations(example)


# --- the page ---------------------------------------------------------------------------

@cache  # by text: copies of one file are highlighted once
def highlighted(text: str) -> list[str]:
    """Each line of a file as highlighted HTML (Pygments' classes, one span per token)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return highlight(text, PythonLexer(stripnl=False, ensurenl=True),
                     HtmlFormatter(nowrap=True)).split("\n")


@dataclass(frozen=True)
class Line:
    number: int
    indent: int  # the leading spaces, drawn as a margin the wrapped rest hangs from
    html: str


def lines_of(path: Path, cell: Cell) -> list[Line]:
    text = path.read_text(encoding="utf-8")
    raw, shown = text.splitlines(), highlighted(text)
    return [Line(n, min(len(raw[n - 1]) - len(raw[n - 1].lstrip(" ")), INDENTS),
                 LEADING.sub(r'<span class="ws">\1</span>', shown[n - 1], count=1))
            for n in range(cell.first, cell.last + 1)]


INDENTS = 40  # a wrapped line hangs below its own indentation, up to this many spaces
LEADING = re.compile(r'^(?:<span class="w">)?( +)(?:</span>)?')  # drawn as a margin, kept for copying


def page(example: Example, folder: Path | None = None) -> bytes:
    """The translation page, to be read in ``folder`` (its links to the files are
    relative to it; by default ``results/<id>``)."""
    from pygments.formatters import HtmlFormatter

    folder = Path("results") / example.id if folder is None else folder
    files = implementation_files(example)
    table = [(row.section, {framework: lines_of(files[framework], cell) if cell else None
                            for framework, cell in row.cells.items()}) for row in rows(files)]
    return environment().get_template("translation.html").render(
        example=example, files=files, links={n: link(p, folder) for n, p in files.items()},
        titles=frameworks.TITLES, sections=SECTIONS, rows=table, indents=INDENTS,
        topics=TOPICS, notes=notes(example),
        pygments=HtmlFormatter(style="default").get_style_defs("pre.hl")).encode()


@cache  # one per process: the template is compiled once
def environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["code"] = inline_code
    return env


def inline_code(text: str):
    """A note's text as HTML: escaped, its `code` spans as <code>."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def write(example: Example, out: Path, folder: Path | None = None) -> Path:
    """The page into ``out/<id>/translation.html``, atomically; returns its path."""
    path = out / example.id / "translation.html"
    write_atomic(path, page(example, folder or path.parent))
    return path


# --- notes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    topic: str  # a key of TOPICS
    framework: str | None  # None: the example's, every framework's
    text: str  # `code` in backticks
    source: str  # where it comes from


def notes(example: Example) -> list[Note]:
    """The translation notes of an example, by topic (see the module's docstring)."""
    files = implementation_files(example)
    generic = {framework: runs_generic(example, framework) for framework in files}
    graph = [framework for framework in files if runs_graph(example, framework)]
    found = layout_notes(example, generic, graph)
    if graph:
        return found + graph_notes(example)
    if example.network is None:
        found += [Note(topic, None, "none: the example does not train" if not example.steps
                       or not any(section in sequence(cells(p)) for p in files.values()) else
                       f"no `[network]` declares it: the `# %% {section}` sections above "
                       "show it", "example.toml") for topic, section in (("cost", "cost"),
                                                                           ("update", "record"))]
        return found
    return found + network_notes(example, generic)


def layout_notes(example: Example, generic: dict[str, bool], graph: list[str] = ()) -> list[Note]:
    from .generic.definition import EngineView

    view = EngineView(example) if example.network is not None else None
    found = []
    if view is not None:
        layout = tables.LAYOUTS[view.network.layout]
        found.append(Note("layout", None, f"network.layout `{view.network.layout}`: "
                          f"{layout.forward}, W {layout.W}, b {layout.b}, X, Y, Z, A "
                          f"{layout.examples}", "[network]; the layouts of generic/tables.py"))
    starts = example.init.shapes()
    for framework, by_engine in generic.items():
        if framework in graph:
            found.append(Note("layout", framework, "the graph engine computes in the source's "
                              "layout: nothing transposed", "[graph]; engines/GRAPHS.md"))
            continue
        if by_engine:
            held = view.example.layout.get(framework, {})
            table = {view.to_source(name): how for name, how in held.items()}
            source = "[network] layout: how the generic engine holds the arrays"
        else:
            table, source = example.layout.get(framework, {}), "example.toml [layout]"
        transposed = {name for name, how in table.items() if how == "transposed"}
        transposed |= {name for name, how in table.items() if how in transposed}
        if not table:
            found.append(Note("layout", framework, "holds every array in the source's layout: "
                              "nothing transposed", source))
            continue
        kinds = {"parameters": [n for n in table if n in transposed and n in starts],
                 "data": [n for n in table if n in transposed and n in example.data],
                 "recorded values": [n for n in table if n in transposed
                                     and n not in starts and n not in example.data]}
        text = "holds transposed: " + "; ".join(f"{kind} {', '.join(names)}"
                                               for kind, names in kinds.items() if names)
        aliases = {n: how for n, how in table.items() if how != "transposed"}
        if aliases:
            text += "; held as a start value is: " + ", ".join(
                f"{n} as {how}" for n, how in aliases.items())
        found.append(Note("layout", framework, text, source))
        shapes = [f"{name} {shape_text(shape)} as "
                  + shape_text(shape[::-1] if name in transposed else shape)
                  + (" (transposed)" if name in transposed else "")
                  for name, shape in starts.items()]
        if shapes:
            found.append(Note("layout", framework, "start values, the source's shape as held: "
                              + "; ".join(shapes), f"[init] and {source}"))
    return found


def graph_notes(example: Example) -> list[Note]:
    """The output whose gradients are taken and the update, from ``[graph]``."""
    from .engines import expressions

    table = expressions.GraphTable.model_validate(example.graph)
    output = table.graph.nodes[table.output_node].name
    seeded = f", seeded with the given d L / d {output}" if table.upstream is not None else ""
    found = [Note("cost", None, f"the graph's output `{output}`{seeded}; gradients by each "
                  "framework's autodiff, NumPy's written out", "[graph]; engines/GRAPHS.md")]
    moves = table.moves
    if moves is None:
        text = "none: the graph is evaluated once"
    else:
        way, sign = ("ascent", "+") if moves.sign > 0 else ("descent", "-")
        text = (f"gradient {way} on {', '.join(moves.names)} at learning_rate = "
                f"{moves.learning_rate}: `v {sign} learning_rate * grad.v`, written out in NumPy; "
                "`torch.optim.SGD`, `keras.optimizers.SGD`, `optax.sgd`")
    return found + [Note("update", None, text, "[graph]; engines/GRAPHS.md")]


def network_notes(example: Example, generic: dict[str, bool]) -> list[Note]:
    """The cost, the update and the biases, from ``[network]`` and generic/tables.py."""
    from .engines.optimizers import formula, schedule_formula
    from .generic.definition import EngineView, optimizer_of

    view = EngineView(example)
    network, rate = view.network, view.example.hyper.get("learning_rate")
    cost = tables.COSTS.get(network.cost) if network.cost else None
    spec = optimizer_of(view.example)  # an [optimizer] table, or None: gradient descent
    optimizer = tables.OPTIMIZER_KINDS[spec.kind] if spec else tables.OPTIMIZERS[network.optimizer]
    found = [Note("cost", None, f"network.cost `{network.cost}`: {cost.value}"
                  + (f", plus `l2 / 2 * sum W^2` with l2 = {network.l2}" if network.l2 else "")
                  if cost else "none: a forward pass only", "[network]; the costs of "
                  "generic/tables.py")]
    steps = ("every step on the whole data set" if network.batch_size is None
             and network.order is None else f"mini-batches of {network.batch_size}"
             if network.batch_size else "the examples of network.order, one entry a step")
    if network.shuffle is not None:
        steps += f", reshuffled every epoch ({network.shuffle.generator}, seed {network.shuffle.seed})"
    rule = (f"[optimizer] `{spec.kind}`: {formula(spec)}; {schedule_formula(spec.schedule)}"
            if spec else f"network.optimizer `{network.optimizer}` at learning_rate = {rate}")
    found.append(Note("update", None, f"{rule}, {steps}" + ("" if spec else f": {optimizer.value}")
                      if cost else
                      "none: a forward pass only", "[network], [optimizer] and [hyper]"))
    for framework, by_engine in generic.items():
        for topic, spelled in (("cost", cost), ("update", optimizer if cost else None)):
            if spelled is None:
                continue
            engine = getattr(spelled, framework) if framework != "numpy" else \
                "written out" if topic == "cost" else "`W - learning_rate * dW`, written out" \
                if spec is None else "the rule written out (engines/numpy/optimizers.py)"
            if by_engine:
                text, source = f"the generic engine: {engine}", f"generic/{framework}.py"
            else:
                declared = sequence(cells(example.folder / f"{framework}_impl.py"))
                shown = next((s for s in (topic, "record") if s in declared), None)
                text = (f"`{framework}_impl.py`: its " + (f"`# %% {shown}` section" if shown
                        else "code") + f" above; the generic engine: {engine}")
                source = "the code's sections; the tables of generic/tables.py"
            found.append(Note(topic, framework, text, source))
    for k, layer in enumerate(network.layers, 1):
        if getattr(layer, "units", None) is None:  # a conv, a pool, a flatten: tables.LAYERS
            continue
        bias = tables.BIASES[layer.bias]
        for framework in generic:
            text = bias.meaning if framework == "numpy" else getattr(bias, framework)
            text = text.replace("<k>", str(k)).replace("(out,)", f"({layer.units},)")
            found.append(Note("biases", framework, f"layer {k} (bias `{layer.bias}`): {text}",
                              f"[network] layers[{k - 1}].bias; how the generic engines hold it "
                              "(generic/tables.py)"))
    return found
