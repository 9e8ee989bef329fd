"""A run killed at any point leaves each results/<id>/ as it was or wholly new.

The run is killed with SIGKILL at every file write and folder swap in turn
(``REPRO_KILL_AT``, see ``reproductions/publish.py``): no cleanup code runs, as when
a CI job is cancelled or the machine goes down. Each run is a process of its own
(``fresh_process``), killed whole.
"""

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from fresh_process import repro_process

EXAMPLES = ["computational_graph", "jacobian_square"]  # no plots: every run is short


def check(out: Path, dtype: str, kill_at: int | None = None) -> int:
    env = dict(os.environ)
    env.pop("REPRO_KILL_AT", None)
    if kill_at is not None:
        env["REPRO_KILL_AT"] = str(kill_at)
    done = repro_process("check", *EXAMPLES, "--frameworks", "numpy", "--dtype", dtype,
                         "--steps", "3", "--jobs", "1", "--out", out, env=env)
    return done.returncode


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def wholly_new(folder: Path, old: dict[str, bytes]) -> bool:
    """Every file there, and each from the float32 run: summary, report and trace agree."""
    if set(contents(folder)) != set(old):
        return False
    summary = json.loads((folder / "summary.json").read_text())
    trace = pd.read_parquet(folder / "trace.parquet")["numpy"].to_numpy()
    return (summary["provenance"]["dtype"] == "float32"
            and "dtype float32" in (folder / "report.md").read_text()
            and bool(np.all(trace.astype(np.float32).astype(np.float64) == trace)))


def index_says(out: Path) -> dict[str, str] | None:
    """What results/README.md says of each example's dtype; None while it is the
    placeholder that names no example."""
    text = (out / "README.md").read_text()
    if "Being updated" in text:
        return None
    rows = re.findall(r"^\| \[(\w+)\]\(\w+/report\.md\) \|[^|]*\|[^|]*\| (float\d+) \|", text, re.M)
    return dict(rows)


def site_says(out: Path) -> dict[str, str] | None:
    """The same of site/index.html and each example's page; None for the placeholder."""
    index = (out / "site" / "index.html").read_text()
    if "Being updated" in index:
        assert not list((out / "site").glob("*/index.html"))  # it names no example
        return None
    rows = dict(re.findall(r'<a href="(\w+)/index.html"><code>.*?<div class="small">(float\d+),',
                           index, re.S))
    for example_id, dtype in rows.items():
        page = (out / "site" / example_id / "index.html").read_text()
        assert f"dtype {dtype}" in " ".join(re.sub("<[^>]+>", " ", page).split()), example_id
    return rows


def agree(out: Path) -> bool:
    """The index and the site say of each example what its summary.json says."""
    dtypes = {e: json.loads((out / e / "summary.json").read_text())["provenance"]["dtype"]
              for e in EXAMPLES}
    return all(says is None or says == dtypes for says in (index_says(out), site_says(out)))


def test_a_killed_run_leaves_every_result_old_or_wholly_new(tmp_path):
    before = tmp_path / "before"
    assert check(before, "float64") == 0
    old = {example: contents(before / example) for example in EXAMPLES}
    old_index = (before / "README.md").read_bytes()
    outcomes = []
    for kill_at in range(1, 100):
        out = tmp_path / f"killed_at_{kill_at}"
        shutil.copytree(before, out)
        code = check(out, "float32", kill_at)
        states = ["old" if contents(out / e) == old[e] else "new" if wholly_new(out / e, old[e])
                  else "MIXED" for e in EXAMPLES]
        assert "MIXED" not in states, (kill_at, states)
        assert agree(out), (kill_at, states, index_says(out), site_says(out))
        index = (out / "README.md").read_bytes()
        unfinished = list(out.glob(".staging-*"))
        if code != -9:  # the run got past every point and finished
            assert code == 0 and states == ["new", "new"] and not unfinished
            break
        if unfinished:  # the index is the old one or the placeholder until every folder is in
            assert index == old_index or index_says(out) is None or states == ["new", "new"], kill_at
        else:  # killed after its last write: nothing left to do
            assert states == ["new", "new"] and index != old_index, kill_at
        outcomes.append(tuple(states))
    else:
        raise AssertionError("the run never finished")
    # it was killed while writing (all old) and between the swaps (some new)
    assert ("old", "old") in outcomes and ("new", "old") in outcomes
    # the next run says what it found and cleans up
    out = tmp_path / "killed_at_1"
    done = repro_process("check", EXAMPLES[0], "--frameworks", "numpy", "--out", out)
    assert done.returncode == 0 and "did not finish" in " ".join(done.stdout.split())
    assert not list(out.glob(".staging-*"))
