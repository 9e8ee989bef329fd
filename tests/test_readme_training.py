"""The generic README's training example runs as it is shown: the TOML block of its
section "Training: an optimizer, shuffled mini-batches, penalties", written to a file
as it is, agrees in every framework and its claims on the optimizer's state hold."""

import json
import re
from pathlib import Path

from conftest import repro
from reproductions import spec

README = Path(__file__).resolve().parents[1] / "reproductions" / "generic" / "README.md"


def training_block() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Training: an optimizer, shuffled mini-batches, penalties")
    end = text.index("\n## ", start + 3)
    (block,) = re.findall(r"```toml\n(.*?)```", text[start:end], re.DOTALL)
    return block


def test_the_training_example_runs_as_shown(tmp_path):
    path = tmp_path / "and_gate_adam.toml"
    path.write_text(training_block(), encoding="utf-8")
    example = spec.load(path)
    assert example.optimizer["kind"] == "adam" and example.network["shuffle"]["seed"] == 0

    done = repro("check", "--spec", path, "--out", tmp_path / "results", cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "results" / "and_gate_adam" / "summary.json").read_text())
    assert [p["framework"] for p in summary["parity"]] == ["torch", "tensorflow", "jax"]
    assert all(p["passed"] and p["compared_elements"] > 0 for p in summary["parity"])
    assert summary["claim_counts"] == {"confirmed": 2}
