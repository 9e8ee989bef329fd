"""Expression graphs: reproductions/engines/expressions.py and <framework>/graph.py.

- published walkthroughs come out as printed: the CS231n-style circuit f = (x + y) * z,
  the micrograd README expression, sigmoid and tanh neurons, the catalogue's
  computational_graph, jacobian_square and calculus_warmups numbers;
- every framework agrees with the hand-written NumPy reference, node by node, at float64
  and float32, under the parity bound 128 eps * size; recorded into a trace, every case
  passes the harness's own comparison (parity.compare);
- a layered network written as a graph and trained by descent gives, in every framework,
  what the generic engine's hand-written NumPy network gives;
- values on a kink are findings, and the frameworks' conventions there are what the
  modules' docstrings say;
- a wrong local derivative in the NumPy backward pass is caught and named;
- bad graphs are refused, each with its own one-line error.

Every framework is set up once per dtype (float64 first: JAX's x64 is a global switch)
and every case run once per dtype (``results``); the tests read those runs.
"""

import functools
import re
import tomllib
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

from pydantic import ValidationError

import frameworks
from reproductions import spec
from reproductions.engines import expressions as ex
from reproductions.engines.numpy import graph as numpy_graph
from reproductions.generic import numpy as generic_numpy
from reproductions.generic.definition import network_of
from reproductions.spec import one_line
from reproductions.claims import agrees
from reproductions.parity import compare
from reproductions.spec import Claim
from reproductions.trace import Recording, Series, Trace

pytestmark = pytest.mark.xdist_group("expression_graphs")  # one worker runs every case once

REPO = Path(__file__).resolve().parents[2]
XOR = REPO / "tests" / "definitions" / "xor_2_3_1.toml"
FRAMEWORKS = ("numpy", "torch", "tensorflow", "jax")
DTYPES = ("float64", "float32")

MICROGRAD = """
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + relu(b + a)
d += 3 * d + relu(b - a)
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
"""
XOR_AS_A_GRAPH = """
Z1 = W1 @ X + b1
A1 = sigmoid(Z1)
Z2 = W2 @ A1 + b2
A2 = sigmoid(Z2)
cost = sum((Y - A2)**2) / 2 / m
"""
XOR_STEPS = 3

CASES = {
    "circuit": {"inputs": {"x": -2, "y": 5, "z": -4}, "expression": "q = x + y\nf = q * z"},
    "micrograd": {"inputs": {"a": -4.0, "b": 2.0}, "expression": MICROGRAD},
    "sigmoid_neuron": {  # w = (2, -3, -3), x = (-1, -2)
        "inputs": {"x0": -1, "x1": -2}, "parameters": {"w0": 2, "w1": -3, "w2": -3},
        "expression": "dot = w0*x0 + w1*x1 + w2\nf = sigmoid(dot)"},
    "sigmoid_neuron_expanded": {
        "inputs": {"x0": -1, "x1": -2}, "parameters": {"w0": 2, "w1": -3, "w2": -3},
        "expression": "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"},
    "sigmoid_neuron_vector": {
        "inputs": {"x": [-1, -2]}, "parameters": {"w": [2, -3], "b": -3},
        "expression": "f = sigmoid(w @ x + b)"},
    "tanh_neuron": {  # micrograd's lecture neuron, o = tanh(n) = 0.7071
        "inputs": {"x1": 2.0, "x2": 0.0},
        "parameters": {"w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        "expression": "x1w1 = x1*w1\nx2w2 = x2*w2\nx1w1x2w2 = x1w1 + x2w2\nn = x1w1x2w2 + b\n"
                      "o = tanh(n)"},
    "ratio": {"inputs": {"a": 3.0, "b": 2.0}, "expression": "q = a / b"},
    "arrays": {
        "inputs": {"A": [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]],
                   "B": [[1.1, -0.4], [0.2, 0.9], [-1.3, 0.6]],
                   "v": [0.8, -0.5, 1.7], "u": [1.5, -0.5, 0.25], "s": 1.3},
        "expression": """
M = A @ B
y = A @ v
w = v @ B
k = u @ v
N = M + y
P = exp(M / 10) * sqrt(abs(M) + 1) - tanh(N)
Q = max(P, M) + min(P, 0.5)
r = sigmoid(y) + log(w * w + 1) + relu(y - 0.1)
t = (abs(v) + 1) ** u
f = sum(Q) + mean(r) * k + max(t) - min(M) + sum(t) / s - (-s) ** 2
"""},
    "layer_upstream": {  # one layer's backward pass fed with a given dZ
        "inputs": {"X": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]},
        "parameters": {"W": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "b": [[0.5], [-0.5]]},
        "expression": "Z = W @ X + b", "upstream": [[1.0, -1.0], [2.0, 0.5]]},
    "ascent": {"inputs": {"x": -2, "y": 5, "z": -4}, "expression": "q = x + y\nf = q * z",
               "ascent": {"on": ["x", "y", "z"], "learning_rate": 0.01}},
    "computational_graph": {"parameters": {"a": 2.0, "b": 5.0},
                            "expression": "c = a * b\nd = b + 5\ne = c * d",
                            "local_derivatives": True},
    "jacobian_square": {"inputs": {"z": [[1.0], [2.0], [3.0]]}, "expression": "a = z**2",
                        "upstream": [[1.0], [1.0], [1.0]], "local_derivatives": True,
                        "jacobian_layout": "denominator"},
    "chain_rule": {"inputs": {"x": 1.0}, "expression": "g = 2 * x**2 + 8\nf = g**3",
                   "local_derivatives": True},
    "sigmoid_slope": {"inputs": {"x": 2.0}, "expression": "s = sigmoid(x)"},
    "descent_step": {"parameters": {"x": 4.0, "y": 2.0}, "expression": "z = x**2 + y**3",
                     "descent": {"learning_rate": 0.01}},
    "kinks": {"inputs": {"x": 0.0, "y": [1.0, 3.0, 3.0], "p": 2.0, "q": 2.0, "n": -2.0, "e": 2.0},
              "expression": "r = relu(x) + abs(x)\nm = max(p, q) + min(p, q)\nt = max(y)\n"
                            "w = n ** e\nf = r + m + 2 * t + w",
              "local_derivatives": True},
    "xor": {"inputs": {"X": [[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]],
                       "Y": [[0.0, 1.0, 1.0, 0.0]], "m": 4.0},
            "parameters": {"W1": [[0.1, 0.6], [0.2, 0.4], [0.3, 0.7]], "b1": [[0.0], [0.0], [0.0]],
                           "W2": [[0.1, 0.4, 0.9]], "b2": [[0.0]]},
            "expression": XOR_AS_A_GRAPH,
            "descent": {"learning_rate": 1.0, "steps": XOR_STEPS}},
}


def table_of(case: str) -> ex.GraphTable:
    return ex.GraphTable.model_validate(CASES[case])


def run_one(framework: str, table: ex.GraphTable, dtype: str):
    """One framework's run of a table: its steps as NumPy arrays, its trace, and the
    dtypes of every array it computed, as the framework held them."""
    adapter = frameworks.require(framework)
    framework_dtype = adapter.setup(dtype)
    engine = import_module(f"reproductions.engines.{framework}.graph")
    trace = Trace(as_array=adapter.view)
    recorder = ex.Recorder(trace, table)
    steps, dtypes = [], set()
    for step in engine.run(table, framework_dtype, None, recorder):
        evaluation, updated = step.evaluation, step.updated or {}
        for value in [*evaluation.values, *evaluation.grads, *evaluation.local.values(),
                      *updated.values()]:
            dtypes.add(adapter.view(value).dtype.name)
        updated = None if step.updated is None else {
            name: adapter.to_numpy(value) for name, value in updated.items()}
        steps.append(ex.Step(step.step, evaluation.as_numpy(adapter.to_numpy), updated))
    return steps, trace.recording(), dtypes


@functools.cache
def results(dtype: str) -> dict:
    """Every case in every framework: results[case][framework] = (steps, recording,
    dtypes)."""
    return {case: {framework: run_one(framework, table_of(case), dtype)
                   for framework in FRAMEWORKS} for case in CASES}


def last(case: str, framework: str = "numpy", dtype: str = "float64") -> ex.Evaluation:
    return results(dtype)[case][framework][0][-1].evaluation


# --- published numbers ---------------------------------------------------------------------

@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_published_walkthroughs(framework):
    def graph(case):
        return table_of(case).graph

    def value(case, name):
        return last(case, framework).value(graph(case), name)

    def grad(case, name):
        return last(case, framework).grad(graph(case), name)

    # f = (x + y) * z at (-2, 5, -4): q = 3, f = -12, df/dx = df/dy = z = -4, df/dz = q = 3
    assert value("circuit", "f") == -12
    assert [grad("circuit", n) for n in ("x", "y", "z", "q")] == [-4, -4, 3, -4]
    # micrograd's README prints g = 24.7041, dg/da = 138.8338, dg/db = 645.5773
    assert [round(float(x), 4) for x in (value("micrograd", "g"), grad("micrograd", "a"),
                                         grad("micrograd", "b"))] == [24.7041, 138.8338, 645.5773]
    # the sigmoid neuron: dot = 1, f = sigmoid(1), d f / d dot = f (1 - f)
    f = 1 / (1 + np.exp(-1.0))
    local = f * (1 - f)
    for case in ("sigmoid_neuron", "sigmoid_neuron_expanded"):
        grads = [grad(case, n) for n in ("x0", "x1", "w0", "w1", "w2")]
        np.testing.assert_allclose(grads, np.array([2, -3, -1, -2, 1]) * local, rtol=1e-14)
        assert np.round(grads, 2).tolist() == [0.39, -0.59, -0.2, -0.39, 0.2]
    vector = [grad("sigmoid_neuron_vector", n) for n in ("w", "x")]
    np.testing.assert_allclose(np.concatenate(vector), np.array([-1, -2, 2, -3]) * local,
                               rtol=1e-14)
    # micrograd's lecture neuron: o = 0.7071, do/dn = 0.5, w1 1.0, x1 -1.5, w2 0, x2 0.5
    assert round(float(value("tanh_neuron", "o")), 4) == 0.7071
    tanh_grads = [grad("tanh_neuron", n) for n in ("n", "w1", "x1", "w2", "x2", "b")]
    np.testing.assert_allclose(tanh_grads, [0.5, 1.0, -1.5, 0.0, 0.5, 0.5], atol=1e-15)
    assert grad("ratio", "a") == 0.5 and grad("ratio", "b") == -0.75


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_catalogue_examples_as_graphs(framework):
    """What computational_graph, jacobian_square and calculus_warmups claim."""
    def named(case, name):
        evaluation, graph = last(case, framework), table_of(case).graph
        if name.startswith("grad.") and name.removeprefix("grad.") in graph.named:
            return evaluation.grad(graph, name.removeprefix("grad."))
        return evaluation.local[name] if name in evaluation.local else evaluation.value(graph, name)

    # e = c d, c = a b, d = b + 5 at a = 2, b = 5: de/db = c * 1 + d * a = 10 + 20 = 30
    expected = {"c": 10, "d": 10, "e": 100, "grad.c": 10, "grad.d": 10, "dd/db": 1, "dc/db": 2,
                "dc/da": 5, "de/dc": 10, "de/dd": 10, "grad.b.via.d": 10, "grad.b.via.c": 20,
                "grad.a.via.c": 50, "grad.b": 30, "grad.a": 50}
    assert {name: float(named("computational_graph", name)) for name in expected} == expected
    # a = z^2 at z = (1, 2, 3): a = (1, 4, 9), f'(z) = (2, 4, 6), da/dz = diag(2, 4, 6)
    assert named("jacobian_square", "a").ravel().tolist() == [1, 4, 9]
    assert named("jacobian_square", "grad.z").ravel().tolist() == [2, 4, 6]
    assert named("jacobian_square", "da/dz").tolist() == np.diag([2.0, 4.0, 6.0]).tolist()
    # the chain rule at x = 1: g = 10, g' = 4x = 4, f'(g) = 3 g^2 = 300, f'(x) = 1200
    chain = {"g": 10, "dg/dx": 4, "df/dg": 300, "grad.g": 300, "grad.x": 1200}
    assert {name: float(named("chain_rule", name)) for name in chain} == chain
    # the sigmoid's slope at 2, e^2 / (e^2 + 1)^2, printed as 0,105
    slope = named("sigmoid_slope", "grad.x")
    np.testing.assert_allclose(slope, np.exp(2) / (np.exp(2) + 1) ** 2, rtol=1e-15)
    # z = x^2 + y^3 at (4, 2): gradient (8, 12), one step at rate 0.01 to (3.92, 1.88)
    steps = results("float64")["descent_step"][framework][0]
    graph = table_of("descent_step").graph
    assert [float(steps[0].evaluation.grad(graph, n)) for n in "xy"] == [8, 12]
    np.testing.assert_allclose([steps[0].updated["x"], steps[0].updated["y"]], [3.92, 1.88],
                               rtol=1e-15)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_upstream_gradient_and_ascent(framework):
    table = table_of("layer_upstream")
    evaluation, graph = last("layer_upstream", framework), table.graph
    leaves, dZ = table.leaves, table.upstream_array
    np.testing.assert_allclose(evaluation.grad(graph, "W"), dZ @ leaves["X"].T, rtol=1e-15)
    np.testing.assert_allclose(evaluation.grad(graph, "X"), leaves["W"].T @ dZ, rtol=1e-15)
    np.testing.assert_allclose(evaluation.grad(graph, "b"), dZ.sum(axis=1, keepdims=True),
                               rtol=1e-15)
    assert evaluation.grad(graph, "Z").tolist() == dZ.tolist()
    # one step of ascent at 0.01 on the circuit's inputs: x, y move by -0.04, z by +0.03
    steps = results("float64")["ascent"][framework][0]
    assert [s.step for s in steps] == [0, 1]
    np.testing.assert_allclose([steps[0].updated[n] for n in "xyz"], [-2.04, 4.96, -3.97],
                               rtol=1e-15)
    before, after = (s.evaluation.value(table_of("ascent").graph, "f") for s in steps)
    assert before == -12 and after > before
    np.testing.assert_allclose(after, -11.5924, rtol=1e-14)


# --- every framework against the NumPy reference --------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_framework_agrees_with_numpy(case, dtype):
    graph = table_of(case).graph
    reference = results(dtype)[case]["numpy"][0]
    for framework in FRAMEWORKS[1:]:
        steps = results(dtype)[case][framework][0]
        assert [s.step for s in steps] == [s.step for s in reference]
        for mine, theirs in zip(reference, steps):
            assert ex.disagreements(graph, mine.evaluation, theirs.evaluation, dtype) == [], \
                (framework, mine.step)
            assert set(theirs.evaluation.local) == set(mine.evaluation.local)
            assert theirs.evaluation.kinks == mine.evaluation.kinks
            for name, value in (mine.updated or {}).items():
                np.testing.assert_allclose(theirs.updated[name], value,
                                           rtol=128 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_framework_computes_in_the_run_dtype(dtype):
    held = {(case, framework): results(dtype)[case][framework][2]
            for case in CASES for framework in FRAMEWORKS}
    assert {key: dtypes for key, dtypes in held.items() if dtypes != {dtype}} == {}


@pytest.mark.parametrize("dtype", DTYPES)
def test_recorded_traces_pass_the_harness_comparison(dtype):
    for case in CASES:
        reference = results(dtype)[case]["numpy"][1]
        for framework in FRAMEWORKS[1:]:
            parity = compare(reference, results(dtype)[case][framework][1], framework, dtype)
            assert parity.passed, (case, framework, parity.first_divergence, parity.missing)


def test_record_names():
    recording = results("float64")["micrograd"]["numpy"][1]
    versions = ["a", "b", "c#1", "d#1", "c#2", "c", "d#2", "d", "e", "f", "g#1", "g"]
    assert [q for q, s in recording.series.items() if s.kind == "value"] == versions
    grads = [q for q, s in recording.series.items() if s.kind == "grad"]
    assert grads == [f"grad.{name}" for name in reversed(versions)]  # as the backward pass goes
    # with an update: the moved values are parameters after it, the output is the cost
    ascent = results("float64")["ascent"]["numpy"][1]
    kinds = {q: (s.kind, s.steps.tolist()) for q, s in ascent.series.items()}
    assert kinds == {"q": ("value", [0, 1]), "f": ("value", [0, 1]), "cost": ("cost", [0, 1]),
                     **{f"grad.{n}": ("grad", [0, 1]) for n in "fqxyz"},
                     **{n: ("param", [0]) for n in "xyz"}}
    local = results("float64")["computational_graph"]["numpy"][1]
    assert [q for q in local.series if "/" in q or ".via." in q] == [
        "dc/da", "grad.a.via.c", "dc/db", "grad.b.via.c", "dd/db", "grad.b.via.d",
        "de/dc", "grad.c.via.e", "de/dd", "grad.d.via.e"]


# --- a network is a graph too ------------------------------------------------------------------

def generic_network_run(dtype: str) -> Recording:
    """The generic engine's hand-written NumPy network on xor_2_3_1.toml's data and start
    values, XOR_STEPS steps of descent, recorded as the graph names it."""
    example = spec.load(XOR)
    params = {n: np.array(v, dtype=dtype) for n, v in example.initial_parameters().items()}
    net = generic_numpy.Net(network_of(example), params)
    X, Y = example.array("X").astype(dtype), example.array("Y").astype(dtype)
    rate, trace = example.hyper["learning_rate"], Trace()
    for step in range(XOR_STEPS + 1):
        trace.step(step)
        As, Zs = net.forward(X, trace.value)
        cost, dZ = net.cost(Y, As, Zs)
        trace.cost(cost)
        grads = net.backward(As, dZ, trace.value)
        if step < XOR_STEPS:
            for name in ("W1", "b1", "W2", "b2"):
                grad = trace.grad(name, grads[name])
                net.params[name] = trace.param(name, net.params[name] - rate * grad)
    return trace.recording()


def as_generic_names(recording: Recording) -> Recording:
    """A graph's recording of the network under the generic engine's names (its dZk is
    the graph's grad.Zk), and its parameters' gradients at the training steps only."""
    names = {q: q for q in ("cost", "Z1", "A1", "Z2", "A2", "W1", "b1", "W2", "b2")}
    names.update({f"grad.{n}": f"grad.{n}" for n in ("W1", "b1", "W2", "b2")})
    names.update({"dZ1": "grad.Z1", "dZ2": "grad.Z2"})
    kept = {}
    for new, old in names.items():
        s = recording[old]
        rows = s.steps < XOR_STEPS if new.startswith("grad.") else slice(None)
        kept[new] = Series(s.kind, s.steps[rows], s.order[rows], s.values[rows], s.scale[rows])
    return Recording(kept)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_network_written_as_a_graph_trains_as_the_generic_engine(dtype):
    reference = generic_network_run(dtype)
    assert set(reference.series) == {"cost", "Z1", "A1", "Z2", "A2", "dZ1", "dZ2", "W1", "b1",
                                     "W2", "b2", "grad.W1", "grad.b1", "grad.W2", "grad.b2"}
    for framework in FRAMEWORKS:
        graph_run = as_generic_names(results(dtype)["xor"][framework][1])
        parity = compare(reference, graph_run, framework, dtype)
        assert parity.passed, (framework, parity.first_divergence, parity.missing)
        assert parity.compared == sum(s.values.size for s in reference.series.values())


# --- kinks -----------------------------------------------------------------------------------

def test_kinks_are_findings_and_each_framework_has_its_convention():
    graph = table_of("kinks").graph
    evaluation = last("kinks")
    assert sorted(evaluation.kinks.values()) == [
        "a computed exponent at a negative base (no real log)", "abs at 0",
        "max of two at a tie", "max over tied largest elements", "min of two at a tie",
        "relu at 0"]
    assert {graph.nodes[i].name for i in evaluation.on_kink} == {"x", "y", "p", "q", "n", "e"}
    # the conventions, as d f / d x (relu + abs at 0), d f / d p (max + min of p = q) and
    # d f / d e (n ** e at n = -2); NaN as the string, to compare
    conventions = {framework: tuple(str(float(last("kinks", framework).grad(graph, name)))
                                    for name in "xpe") for framework in FRAMEWORKS}
    assert conventions == {"numpy": ("0.0", "1.0", "0.0"), "torch": ("0.0", "1.0", "nan"),
                           "tensorflow": ("0.0", "2.0", "0.0"), "jax": ("1.0", "1.0", "nan")}
    # tied extremes share evenly everywhere: t = max(y), y = (1, 3, 3), d f / d t = 2
    for framework in FRAMEWORKS:
        assert last("kinks", framework).grad(graph, "y").tolist() == [0.0, 1.0, 1.0]
    # recorded as findings under their own names, so the runs still pass parity
    recording = results("float64")["kinks"]["numpy"][1]
    findings = {q for q, s in recording.series.items() if s.kind == "finding"}
    assert {"grad.x", "grad.p", "grad.q", "grad.y", "grad.e", "dr/dx", "dm/dp", "dt/dy",
            "dw/de"} <= findings
    assert recording["grad.f"].kind == "grad" and recording["grad.r"].kind == "grad"


# --- mutants ------------------------------------------------------------------------------------

def mutated_numpy_run(case: str):
    return run_one("numpy", table_of(case), "float64")


def test_a_wrong_tanh_derivative_is_caught_and_named(monkeypatch):
    monkeypatch.setitem(numpy_graph.BACKWARD, "tanh", lambda g, out, x: (g * (1 - out),))
    steps, recording, _ = mutated_numpy_run("tanh_neuron")
    graph = table_of("tanh_neuron").graph
    torch_steps, torch_recording, _ = results("float64")["tanh_neuron"]["torch"]
    lines = ex.disagreements(graph, steps[0].evaluation, torch_steps[0].evaluation, "float64")
    assert lines[0].startswith("gradient of n (line 4): ")  # where the wrong derivative entered
    parity = compare(recording, torch_recording, "torch", "float64")
    assert parity.first_divergence.quantity == "grad.n"
    failing = {q.quantity for q in parity.quantities if not q.passed}
    # every gradient below tanh, but w2's: x2 = 0 makes it 0 whatever tanh' is
    assert failing == {"grad.n", "grad.x1w1x2w2", "grad.b", "grad.x1w1", "grad.x2w2",
                       "grad.x1", "grad.w1", "grad.x2"}


def test_a_flipped_division_derivative_is_caught_and_named(monkeypatch):
    right = numpy_graph.div_backward
    monkeypatch.setitem(numpy_graph.BACKWARD, "div",
                        lambda g, out, a, b: (right(g, out, a, b)[0], -right(g, out, a, b)[1]))
    steps, recording, _ = mutated_numpy_run("ratio")
    graph = table_of("ratio").graph
    torch_steps, torch_recording, _ = results("float64")["ratio"]["torch"]
    lines = ex.disagreements(graph, steps[0].evaluation, torch_steps[0].evaluation, "float64")
    assert lines == ["gradient of input 'b': -0.75, numpy 0.75 (size 0.75)"]
    parity = compare(recording, torch_recording, "torch", "float64")
    assert parity.first_divergence.quantity == "grad.b"
    assert {q.quantity for q in parity.quantities if not q.passed} == {"grad.b"}


# --- bad graphs ----------------------------------------------------------------------------------

CIRCUIT = {"inputs": {"x": -2, "y": 5, "z": -4}}
MATRICES = {"inputs": {"W": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "v": [1.0, 2.0], "s": 2.0}}
BAD = [
    (CIRCUIT, "f = foo(x)", "graph.expression: line 1: `foo(x)`: unknown function 'foo'"),
    (CIRCUIT, "f = print(x)", "unknown function 'print'"),
    (CIRCUIT, "f = x.relu()", "line 1: `x.relu()` calls an attribute ('x.relu'): write relu(...)"),
    (CIRCUIT, "q = x + y\nf = q.T * z", "line 2: an attribute access `q.T` is not allowed"),
    (CIRCUIT, "f = __import__('os').system('true')", "calls an attribute"),
    (CIRCUIT, "f = x(y)", "line 1: `x(y)`: 'x' is a value, not a function"),
    (CIRCUIT, "f = q * z\nq = x + y", "line 1: 'q' is used before it is computed (first "
                                      "assigned on line 2): a graph runs top to bottom"),
    (CIRCUIT, "q = q + x", "line 1: 'q' is used before it is computed (first assigned on this "
                           "line)"),
    (CIRCUIT, "f = x * w", "line 1: 'w' is not given: neither an input or parameter nor "
                           "computed above (the names so far: x, y, z)"),
    (CIRCUIT, "f = x[0]", "line 1: a subscript `x[0]` is not allowed"),
    (CIRCUIT, "q = x + y\nf = (q * z", "line 2: syntax error"),
    (MATRICES, "f = W @ v", "line 1: `W @ v`: shapes (2, 3) and (2,) do not fit a matrix "
                            "product (3 columns against 2 rows)"),
    (MATRICES, "f = W + v", "line 1: `W + v`: shapes (2, 3) and (2,) do not broadcast"),
    (MATRICES, "f = s @ W", "line 1: `s @ W`: @ multiplies vectors and matrices, found shape () "
                            "(use * for a number)"),
    (CIRCUIT, "f = sum(x, axis=0)", "a keyword argument ('axis') is not allowed"),
    (CIRCUIT, "f = max(x, y, z)", "max takes 1 argument (the extreme over all its elements) or "
                                  "2 (elementwise), found 3"),
    (CIRCUIT, "f = lambda: x", "a lambda `lambda: x` is not allowed"),
    (CIRCUIT, "f = sum([t for t in x])", "a comprehension"),
    (CIRCUIT, "import os", "line 1: an import is not allowed"),
    (CIRCUIT, "x = x + 1", "line 1: 'x' is an input or parameter: a statement cannot assign to it"),
    (CIRCUIT, "q, f = x, y", "line 1: tuple unpacking: one name per statement"),
    (CIRCUIT, "q = r = x", "line 1: a chained assignment"),
    (CIRCUIT, "f.grad = x", "line 1: the target `f.grad` is an attribute access"),
    (CIRCUIT, "# nothing yet\n", "graph.expression: the expression has no statement"),
    (CIRCUIT, "f = x < y", "a comparison `x < y` is not allowed"),
    (CIRCUIT, "f = x // y", "the operator of `x // y` is not allowed"),
    (CIRCUIT, "x + y", "line 1: `x + y` computes a value without a name"),
    (CIRCUIT, "f = x * True", "line 1: `True` is not a number"),
    (CIRCUIT, "f = exp", "line 1: 'exp' is a function: call it, exp(...)"),
    (CIRCUIT, "exp = x + y", "line 1: 'exp' is a function's name"),
    (CIRCUIT, "q = x + y; f = q * z", "line 1: two statements on one line"),
    (CIRCUIT, "q = x + y\nf = q * z\nif f: g = f", "line 3: an if statement is not allowed"),
]


def refusal(table: dict) -> str:
    with pytest.raises(ValidationError) as raised:
        ex.GraphTable.model_validate(table)
    return str(one_line(Path("graph.toml"), raised.value, "graph"))


@pytest.mark.parametrize("values, expression, message", BAD,
                         ids=[f"{i}:{e.splitlines()[-1] if e.strip() else 'empty'}"
                              for i, (_, e, _) in enumerate(BAD)])
def test_a_bad_expression_is_one_line(values, expression, message):
    text = refusal({**values, "expression": expression})
    assert "\n" not in text
    assert text.startswith("graph.toml: graph.expression: ")
    assert message in text, text


LAYER = {"inputs": {"X": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]},
         "parameters": {"W": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]}, "expression": "Z = W @ X"}
BAD_TABLES = [
    (LAYER, "graph: upstream: the output Z has shape (2, 2): give d L / d Z of that shape"),
    ({**LAYER, "upstream": [1.0, 2.0]}, "graph.upstream: expected the output Z's shape (2, 2), "
                                         "found (2,)"),
    ({**LAYER, "output": "h"}, "graph.output: 'h' is not computed by the expression (its "
                               "results: Z)"),
    ({**LAYER, "output": "X"}, "graph.output: 'X' is not computed"),
    ({**LAYER, "upstream": 1.0, "output": "Z"}, "found ()"),
    ({"inputs": {"x": True}, "expression": "f = x"}, "graph.inputs: 'x': expected numbers, found "
                                                     "true or false"),
    ({"inputs": {"x": [[1.0, 2.0], [3.0]]}, "expression": "f = x"},
     "graph.inputs: 'x': expected a number or a rectangular array of numbers"),
    ({"inputs": {"lambda": 1.0}, "expression": "f = 2"}, "graph.inputs: 'lambda' is not a name"),
    ({"inputs": {"x": 1.0}, "parameters": {"x": 2.0}, "expression": "f = x"},
     "graph.parameters: 'x' is both an input and a parameter"),
    ({"expression": "f = 2 * 3"}, "graph.expression: the graph has no input and no parameter"),
    ({**CIRCUIT, "expression": "f = x * y", "ascent": {"on": ["w"], "learning_rate": 0.1}},
     "graph: ascent.on: 'w' is not an input or parameter (they are x, y, z)"),
    ({**CIRCUIT, "expression": "f = x * y", "descent": {"learning_rate": 0.1}},
     "graph: descent.on: the graph has no parameter: name the inputs to move"),
    ({**CIRCUIT, "expression": "f = x * y", "ascent": {"on": ["x"], "learning_rate": 0.1},
      "descent": {"on": ["x"], "learning_rate": 0.1}}, "graph: ascent and descent: give one"),
    ({**CIRCUIT, "expression": "f = x * y", "ascent": {"on": ["x"], "learning_rate": -1}},
     "graph.ascent.learning_rate: Input should be greater than 0"),
    ({**CIRCUIT, "expression": "cost = x * y\nf = cost + z", "ascent": {"on": ["x"],
                                                                          "learning_rate": 1}},
     "'cost' names the output's value in a graph with ascent"),
    ({**CIRCUIT, "expression": "f = x * y", "jacobian": "numerator"}, "graph.jacobian: Extra "
                                                                       "inputs are not permitted"),
]


@pytest.mark.parametrize("table, message", BAD_TABLES)
def test_a_bad_graph_table_is_one_line(table, message):
    text = refusal(table)
    assert "\n" not in text and message in text, text


def test_the_ir():
    graph = table_of("micrograd").graph
    assert graph.leaves == ("a", "b")
    assert [node.id for node in graph.nodes] == list(range(len(graph.nodes)))
    assert all(all(arg < node.id for arg in node.args) for node in graph.nodes)
    assert [s.name for s in graph.statements] == ["c#1", "d#1", "c#2", "c", "d#2", "d", "e", "f",
                                                  "g#1", "g"]
    assert {name: graph.nodes[node].name for name, node in graph.latest.items()} == {
        "a": "a", "b": "b", "c": "c", "d": "d", "e": "e", "f": "f", "g": "g"}
    c2 = graph.statements[2]  # c += c + 1: c#1 + (c#1 + 1), reading c#1 (listed once)
    assert (c2.line, c2.text, c2.reads) == (4, "c += c + 1", (graph.named["c#1"],))
    assert graph.node("c#2").text == "c + (c + 1)"
    assert [(graph.node(n).binds, graph.node(n).op) for n in ("a", "c#1", "c#2", "c", "g")] == [
        ("a", "input"), ("c", "add"), ("c", "add"), ("c", "add"), ("g", "add")]
    anonymous = [node for node in graph.nodes if node.name is None]
    assert {node.op for node in anonymous} == {"mul", "pow", "add", "const", "neg", "relu", "sub",
                                               "div"}
    assert graph.describe(graph.statements[1].nodes[0]) == "`a * b` in d#1 (line 3)"
    assert ex.parse(graph.text, graph.leaves) is graph  # parsed once


def test_the_numpy_reference_goes_on_with_what_the_trace_returns():
    """In the rounded replay the trace returns each printed value rounded, and NumPy's
    backward pass computes with it, as the author's hand arithmetic did: with o printed
    as 0.7071, do/dn is 1 - 0.7071^2, not 1/2."""
    frameworks.require("numpy").setup("float64")
    table = table_of("tanh_neuron")
    trace = Trace(rounding=lambda step, quantity: 4 if quantity == "o" else None)
    steps = list(numpy_graph.run(table, np.dtype("float64"), None, ex.Recorder(trace, table)))
    assert steps[0].evaluation.value(table.graph, "o") == 0.7071
    assert trace.recording().at("grad.n", 0) == 1 - 0.7071 ** 2


def test_the_examples_in_GRAPHS_md_are_tables_whose_claims_hold():
    text = (REPO / "reproductions" / "engines" / "GRAPHS.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 6
    frameworks.require("numpy").setup("float64")
    for block in blocks:
        raw = tomllib.loads(block)
        table = ex.GraphTable.model_validate(raw["graph"])
        moves = table.moves
        assert raw.get("steps", 0) == (moves.steps if moves else 0)
        trace = Trace()
        for _ in numpy_graph.run(table, np.dtype("float64"), min(raw.get("steps", 0), 2),
                                 ex.Recorder(trace, table), ex.optimizer_of(
                                     type("Definition", (), {"optimizer": raw.get("optimizer")}))):
            pass
        recording = trace.recording()
        for claim in map(Claim.model_validate, raw.get("claims", [])):
            value = float(recording.at(claim.quantity, claim.step))
            assert agrees(claim, value), (claim, value)


def test_every_framework_module_has_the_same_functions_and_ops():
    import inspect

    shared = ("compute", "forward", "statement_value", "local_derivatives", "evaluate", "run")
    ops = set(numpy_graph.BACKWARD)
    assert ops == {"identity", "neg", "add", "sub", "mul", "div", "matmul", "pow", "pow_general",
                   *ex.ELEMENTWISE, "maximum", "minimum", *ex.REDUCTIONS}
    def parameters(function):
        return list(inspect.signature(function).parameters)

    for framework in FRAMEWORKS:
        frameworks.require(framework).setup("float64")
        module = import_module(f"reproductions.engines.{framework}.graph")
        assert set(module.FORWARD) == ops, framework
        assert all(callable(getattr(module, name, None)) for name in shared), framework
        assert parameters(module.run) == ["table", "dtype", "steps", "record", "spec"]
        # NumPy's evaluate also records as it goes (the rounded replay)
        assert parameters(module.evaluate) == [
            "graph", "leaves", "dtype", "output", "upstream", "local", "layout",
            *(["record"] if framework == "numpy" else [])]
