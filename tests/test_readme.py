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
import subprocess
import sys
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
    """Each command of a sh block, its comment dropped, as argv run by this Python."""
    run_by = {"repro": [sys.executable, "-m", "reproductions.cli"],
              "pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0"]}
    lines = [shlex.split(line.split("#")[0]) for line in sh.splitlines() if line.split("#")[0].strip()]
    return [run_by[argv[0]] + argv[1:] for argv in lines]


def test_the_readme_definition_runs_as_shown(tmp_path):
    text = section("Bring your own example")
    (definition,), (sh,) = blocks(text, "toml"), blocks(text, "sh")
    name = re.search(r"`(\w+\.toml)`", text)[1]
    assert name == "my_and_gate.toml"
    (tmp_path / name).write_text(definition, encoding="utf-8")
    check, collected = commands(sh)
    assert check[-3:] == ["check", "--spec", name] and collected[-1] == name

    done = subprocess.run(check, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "results" / "my_and_gate" / "summary.json").read_text())
    assert [p["framework"] for p in summary["parity"]] == ["torch", "tensorflow", "jax"]
    assert all(p["passed"] and p["compared_elements"] > 0 for p in summary["parity"])
    assert summary["claim_counts"] == {"confirmed": 12}  # A1: 8 elements; the cost at 4 steps
    assert (tmp_path / "results" / "my_and_gate" / "report.md").is_file()

    done = subprocess.run(collected, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and "6 passed" in done.stdout, done.stdout[-2000:]


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
