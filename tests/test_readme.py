"""The README's own example of a definition file runs as the README shows it.

The section "Bring your own example" gives a whole file and the two commands to run
it; this test takes both from README.md, runs them in an empty folder, and checks what
a reader is told: every printed number is judged, and pytest collects one test per
framework and dtype. The generic README's expression graph, the annotated circuit of
its section on `[graph]`, runs as shown too.
"""

import json
import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def section(title: str, readme: Path = REPO / "README.md") -> str:
    text = readme.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 3)
    return text[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def commands(sh: str) -> list[list[str]]:
    """Each command of a sh block, its comment dropped, as argv."""
    return [shlex.split(line.split("#")[0]) for line in sh.splitlines() if line.split("#")[0].strip()]


def test_the_readme_definition_runs_as_shown(pytester):
    """Both commands run in this process, in an empty folder: ``repro`` as ``cli.main``
    and ``pytest`` as pytester's in-process run (the frameworks imported once)."""
    from conftest import repro

    text = section("Bring your own example")
    (definition,), (sh,) = blocks(text, "toml"), blocks(text, "sh")
    name = re.search(r"`(\w+\.toml)`", text)[1]
    assert name == "my_and_gate.toml"
    folder = pytester.path
    (folder / name).write_text(definition, encoding="utf-8")
    check, collected = commands(sh)
    assert check == ["repro", "check", "--spec", name] and collected[0] == "pytest"
    assert collected[-1] == name

    done = repro(*check[1:], cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((folder / "results" / "my_and_gate" / "summary.json").read_text())
    assert [p["framework"] for p in summary["parity"]] == ["torch", "tensorflow", "jax"]
    assert all(p["passed"] and p["compared_elements"] > 0 for p in summary["parity"])
    assert summary["claim_counts"] == {"confirmed": 12}  # A1: 8 elements; the cost at 4 steps
    assert (folder / "results" / "my_and_gate" / "report.md").is_file()

    done = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-n", "0", *collected[1:])
    done.assert_outcomes(passed=6)


def test_the_generic_readme_graph_definition_runs_as_shown(tmp_path):
    from conftest import repro

    text = section("An expression graph: `[graph]`", REPO / "reproductions" / "generic" / "README.md")
    (definition,) = blocks(text, "toml")
    path = tmp_path / "circuit.toml"
    path.write_text(definition, encoding="utf-8")
    done = repro("check", "--spec", path, "--out", tmp_path / "results")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "results" / "circuit" / "summary.json").read_text())
    assert [p["framework"] for p in summary["parity"]] == ["torch", "tensorflow", "jax"]
    assert all(p["passed"] and p["compared_elements"] > 0 for p in summary["parity"])
    assert summary["claim_counts"] == {"confirmed": definition.count("[[claims]]")} == {"confirmed": 7}
    files = summary["provenance"]["example"]["files"]
    assert "graph.py" in files and not any(name.endswith("_impl.py") for name in files)
