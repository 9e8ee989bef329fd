"""Definitions that are expression graphs ([graph], engines/GRAPHS.md), on the catalogue.

- computational_graph and jacobian_square carry their [graph]: a copy of the folder
  without its *_impl.py files is a definition with no code (errata.py aside), and
  ``repro check --spec <copy>`` gives every claim the verdict the catalogue's run with
  its mirrors gives;
- calculus_warmups is four computations in one run, which no one graph is: its mirrors
  run it, and its parts are graph definitions of their own
  (tests/definitions/calculus_warmups), whose claims, the catalogue's on the graphs'
  names, get the catalogue's verdicts;
- a catalogue graph missing one mirror runs that framework on the graph engine;
- ``pytest some_graph.toml`` collects a graph definition as it does a network.
"""

import json
import shutil
from pathlib import Path

import pytest

import frameworks
from conftest import CATALOGUE, repro
from reproductions import harness, spec

REPO = Path(__file__).resolve().parents[1]
PARTS = REPO / "tests" / "definitions" / "calculus_warmups"


def verdicts(summary: Path) -> list[tuple]:
    claims = json.loads(summary.read_text())["claims"]
    return [(c["where"], c["quantity"], c["step"], c["index"], c["printed"], c["verdict"])
            for c in claims]


def catalogue_verdicts(run_result, example_id: str) -> list[tuple]:
    return [(c.claim.where, c.claim.quantity, c.claim.step, list(c.claim.index),
             c.claim.printed, c.verdict) for c in run_result(example_id, "float64").claims]


def without_code(example_id: str, folder: Path) -> Path:
    shutil.copytree(CATALOGUE[example_id].folder, folder,
                    ignore=shutil.ignore_patterns("*_impl.py", "__pycache__"))
    return folder


@pytest.mark.parametrize("example_id", ["computational_graph", "jacobian_square"])
def test_a_catalogue_graph_without_its_code_gives_every_claim_the_same_verdict(
        tmp_path, run_result, example_id):
    copy = without_code(example_id, tmp_path / example_id)
    assert not list(copy.glob("*_impl.py"))
    example = spec.load(copy)
    assert set(harness.implementations(example).values()) == {
        harness.ENGINES / name / "graph.py" for name in frameworks.NAMES}
    done = repro("check", "--spec", copy, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = tmp_path / "out" / example_id / "summary.json"
    files = json.loads(summary.read_text())["provenance"]["example"]["files"]
    assert "graph.py" in files and not any(f.endswith("_impl.py") for f in files)
    ours, theirs = verdicts(summary), catalogue_verdicts(run_result, example_id)
    assert len(ours) == len(CATALOGUE[example_id].claims) and ours == theirs


def test_the_graph_parts_of_calculus_warmups_give_its_claims_the_same_verdicts(
        tmp_path, run_result):
    """Each part's claims are the catalogue's (the same citation and printed number), on
    the graph's names (grad.x for the slope; x and y after the step for the points);
    together they are every claim of the catalogue example."""
    done = repro("check", "--spec", PARTS, "--out", tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    catalogue = {}
    for where, _, _, _, printed, verdict in catalogue_verdicts(run_result, "calculus_warmups"):
        catalogue.setdefault((where, printed), set()).add(verdict)
    covered = []
    for part in sorted(PARTS.glob("*.toml")):
        example = spec.load(part)
        assert example.graph is not None and not harness.runs_generic(example, "numpy")
        for where, _, _, _, printed, verdict in verdicts(tmp_path / example.id / "summary.json"):
            assert catalogue[(where, printed)] == {verdict}, (part.name, where, printed)
            covered.append((where, printed))
    assert sorted(covered) == sorted((c.where, c.printed)
                                     for c in CATALOGUE["calculus_warmups"].claims)


def test_a_catalogue_graph_missing_a_mirror_runs_it_on_the_graph_engine(tmp_path):
    folder = tmp_path / "computational_graph"
    shutil.copytree(CATALOGUE["computational_graph"].folder, folder)
    (folder / "torch_impl.py").unlink()
    example = spec.load(folder)
    ran = harness.implementations(example)
    assert ran["torch"] == harness.ENGINES / "torch" / "graph.py"
    assert ran["numpy"].name == "numpy_impl.py" and harness.engine_of(example, "torch") == "graph"
    done = repro("check", "--spec", folder, "--frameworks", "numpy,torch", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


CIRCUIT = '''
id = "circuit"
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

[[claims]]
where = "the output after the step"
quantity = "f"
step = 1
printed = "-11.5924"
'''


def test_pytest_collects_a_graph_definition(pytester):
    pytester.makefile(".toml", circuit=CIRCUIT)
    wrong = CIRCUIT.replace('printed = "-4"', 'printed = "4"').replace('"circuit"', '"wrong"')
    pytester.makefile(".toml", wrong=wrong)
    done = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-n", "0")
    output = done.stdout.str()
    assert "6 failed, 6 passed" in output, output[-3000:]
    assert output.count("claim failed: df/dx = z: grad.x step 0: printed 4, computed -4") == 6
