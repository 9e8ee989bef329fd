"""Bad expression-graph definitions ([graph], engines/GRAPHS.md), one table: each is an
edit of one good definition, the circuit f = (x + y) * z with a step of gradient ascent,
and ``repro check --spec <file>`` refuses it with exit 2, one line on stderr naming the
field and what is wrong, and writes nothing: the --out folder that existed before is as
it was.
"""

import re
from pathlib import Path

import pytest

from conftest import repro

CIRCUIT = '''id = "circuit"
title = "f = (x + y) * z, one step of gradient ascent"
steps = 1

[source]
seed = "cs231n"
section = "backpropagation, a simple example"

[graph]
expression = """
q = x + y
f = q * z
"""
inputs = { x = -2, y = 5, z = -4 }
ascent = { on = ["x", "y", "z"], learning_rate = 0.01 }

[[claims]]
where = "df/dx = z"
quantity = "grad.x"
printed = "-4"
'''

MATRICES = '''inputs = { W = [[1, 2, 3], [4, 5, 6]], v = [1, 2] }'''


def replaced(old, new):
    def edit(text):
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def expression(new):
    return replaced("q = x + y\nf = q * z\n", new)


def appended(more):
    return lambda text: text + more


def no_update(text):
    return replaced('ascent = { on = ["x", "y", "z"], learning_rate = 0.01 }\n', "")(
        replaced("steps = 1", "steps = 0")(text))


# (name, edit of CIRCUIT, what the line says after "repro: <file>: ")
CASES = [
    ("unknown function", expression("q = x + y\nf = foo(q) * z\n"),
     "graph.expression: line 2: `foo(q)`: unknown function 'foo' (the functions are exp, log, "
     "sqrt, abs, tanh, sigmoid, relu, max, min, sum, mean)"),
    ("a builtin is no graph function", expression('q = x + y\nf = __import__(q)\n'),
     "graph.expression: line 2: `__import__(q)`: unknown function '__import__'"),
    ("attribute access", expression("q = x + y\nf = q.relu() * z\n"),
     "graph.expression: line 2: `q.relu()` calls an attribute ('q.relu')"),
    ("a call of something not a name", expression("q = x + y\nf = (q * z)(x)\n"),
     "graph.expression: line 2: `(q * z)(x)` calls something that is not a function's name"),
    ("a subscript", expression("q = x + y\nf = q * z[0]\n"),
     "graph.expression: line 2: a subscript `z[0]` is not allowed"),
    ("an import", expression("import os\nf = x * z\n"),
     "graph.expression: line 1: an import is not allowed"),
    ("a cycle: a name used before it is assigned", expression("q = x + f\nf = q * z\n"),
     "graph.expression: line 1: 'f' is used before it is computed (first assigned on line 2)"),
    ("assigning to an input", expression("x = x + y\nf = x * z\n"),
     "graph.expression: line 1: 'x' is an input or parameter: a statement cannot assign to it"),
    ("shape mismatch in @", lambda t: replaced("inputs = { x = -2, y = 5, z = -4 }", MATRICES)(
        no_update(expression("f = W @ v\n")(t))).replace('quantity = "grad.x"', 'quantity = "grad.v"'),
     "graph.expression: line 1: `W @ v`: shapes (2, 3) and (2,) do not fit a matrix product "
     "(3 columns against 2 rows)"),
    ("an array output without upstream", lambda t: replaced("inputs = { x = -2, y = 5, z = -4 }",
                                                            MATRICES)(no_update(expression(
                                                                "f = W * 2\n")(t))),
     "graph: upstream: the output f has shape (2, 3): give d L / d f of that shape"),
    ("upstream of the wrong shape", replaced("inputs = ", "upstream = [1.0, 1.0]\ninputs = "),
     "graph.upstream: expected the output f's shape (), found (2,)"),
    ("ascent and descent both",
     replaced("ascent = ", 'descent = { on = ["x"], learning_rate = 0.01 }\nascent = '),
     "graph: ascent and descent: give one"),
    ("ascent on a name the graph does not have", replaced('on = ["x", "y", "z"]', 'on = ["w"]'),
     "graph: ascent.on: 'w' is not an input or parameter (they are x, y, z)"),
    ("a negative learning rate", replaced("learning_rate = 0.01", "learning_rate = -0.01"),
     "graph.ascent.learning_rate: Input should be greater than 0"),
    ("an unknown key in [graph]", replaced("inputs = ", 'jacobian = "numerator"\ninputs = '),
     "graph.jacobian: Extra inputs are not permitted"),
    ("an output the graph does not compute", replaced("inputs = ", 'output = "h"\ninputs = '),
     "graph.output: 'h' is not computed by the expression (its results: q, f)"),
    ("an input that is not a number", replaced("x = -2,", "x = true,"),
     "graph.inputs: 'x': expected numbers, found true or false"),
    ("a graph with no value to start from", replaced("inputs = { x = -2, y = 5, z = -4 }\n", ""),
     "graph.expression: the graph has no input and no parameter"),
    ("[graph] and [network] both", appended('\n[network]\nlayout = "rows"\ninputs = 1\n'
                                            'layers = [{ units = 1, activation = "identity" }]\n'),
     "graph: not given beside a [network] (a definition is a network or an expression graph, "
     "not both)"),
    ("a claim on a node the graph does not record",
     appended('\n[[claims]]\nwhere = "p"\nquantity = "p"\nprinted = "1"\n'),
     "claims.quantity: 'p' (p) is not recorded; the graph records x, y, z, q, f, grad.x, "),
    ("a claim on a local derivative not asked for",
     appended('\n[[claims]]\nwhere = "dq/dx"\nquantity = "dq/dx"\nprinted = "1"\n'),
     "claims.quantity: 'dq/dx' (dq/dx) is not recorded"),
    ("a claim outside a node's shape",
     appended('\n[[claims]]\nwhere = "q[1]"\nquantity = "grad.q"\nindex = [1]\nprinted = "1"\n'),
     "claims.index: grad.q[1] (q[1]) is outside its shape ()"),
    ("steps other than the update's", replaced("steps = 1", "steps = 3"),
     "steps: 3, but graph.ascent.steps is 1: they are one number"),
    ("steps without an update", lambda t: replaced("steps = 0", "steps = 2")(no_update(t)),
     "steps: 2, but a graph without ascent or descent is evaluated once: steps = 0"),
    ("a start value given twice, two values",
     appended('\n[init]\nparams = [{ name = "x", value = 3.0 }]\n'),
     "init.params: 'x' differs from the graph's 'x': a start value given twice is one value"),
    ("an [optimizer] with ascent", appended('\n[optimizer]\nkind = "momentum"\nlearning_rate = 0.1\nmomentum = 0.9\nform = "mu_v_plus_g"\n'),
     "optimizer: updates a [graph] by descent: give graph.descent"),
    ("an [optimizer] beside descent's own rate",
     lambda t: replaced("ascent = {", "descent = {")(t) + '\n[optimizer]\nkind = "momentum"\nlearning_rate = 0.1\nmomentum = 0.9\nform = "mu_v_plus_g"\n',
     "graph.descent.learning_rate: the [optimizer] sets the rate: give it there alone"),
    ("descent without a rate", replaced('ascent = { on = ["x", "y", "z"], learning_rate = 0.01 }',
                                        'descent = { on = ["x", "y", "z"] }'),
     "graph.descent.learning_rate: missing (or an [optimizer] table, for descent)"),
    ("[layout] without mirrors", appended('\n[layout]\ntorch = ["q"]\n'),
     "layout: not given without mirrors (the graph engines compute in the source's layout)"),
]


@pytest.mark.parametrize("edit, says", [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_a_bad_graph_definition_exits_2_with_one_line_and_writes_nothing(tmp_path, edit, says):
    path = tmp_path / "broken.toml"
    path.write_text(edit(CIRCUIT), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("results that were here before\n")
    done = repro("check", "--spec", path, "--out", out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    line = done.stderr
    assert line.count("\n") == 1 and line.startswith(f"repro: {path}: "), line
    assert says in line, line
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text() == "results that were here before\n"


def test_the_definition_they_break_runs():
    """Each case breaks one thing: the circuit itself is read, and its claim holds."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "circuit.toml"
        path.write_text(CIRCUIT, encoding="utf-8")
        done = repro("check", "--spec", path, "--out", Path(folder) / "out")
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"claims: 1 confirmed", done.stdout), done.stdout
    assert len(CASES) >= 15
