"""The repro command: exit codes, one-line errors, results on disk."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import frameworks
from reproductions import cli

REPO = Path(__file__).resolve().parents[1]


def repro(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "reproductions.cli", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "unknown example 'nope'"),
    (["run", "hours_studied", "--frameworks", "caffe"], "unknown framework 'caffe'"),
    (["run", "hours_studied", "--dtype", "float16"], "invalid choice: 'float16'"),
    (["run", "hours_studied", "--steps", "-3"], "--steps must be a whole number of 1 or more"),
    (["run", "hours_studied", "--steps", "many"], "--steps must be a whole number of 1 or more"),
    (["check", "car_price", "--steps", "0"], "--steps must be a whole number of 1 or more, not '0'"),
    (["run", "hours_studied", "--gradient-steps=-3,999"],
     "--gradient-steps takes step numbers of 0 or more separated by commas, not '-3,999'"),
    (["run", "hours_studied", "--gradient-steps", "one"], "--gradient-steps takes step numbers"),
    (["run", "hours_studied", "--frameworks", ""], "--frameworks needs at least one framework"),
    (["run"], "the following arguments are required: EXAMPLE"),
    (["fly"], "invalid choice: 'fly'"),
    (["--examples-dir", "/no/such/folder", "list"], "examples folder '/no/such/folder' does not exist"),
    (["--examples-dir", "tests", "check"], "examples folder 'tests' has no example"),
])
def test_bad_input_exits_2_with_one_line(args, message):
    done = repro(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("repro: ") and message in lines[0]


def test_unwritable_output_directory_exits_2(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    done = repro("run", "hours_studied", "--frameworks", "numpy", "--out", str(blocker / "out"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("repro: cannot write to output directory")
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_framework_exits_2(monkeypatch, capsys):
    adapter = frameworks.adapter("tensorflow")
    monkeypatch.setattr(adapter, "version", lambda: None)  # as if it were not installed
    assert cli.main(["run", "hours_studied", "--frameworks", "numpy,tensorflow"]) == 2
    assert capsys.readouterr().err.strip() == "repro: framework 'tensorflow' is not installed"


def test_an_example_without_a_requested_mirror_exits_2(tmp_path):
    folder = tmp_path / "examples" / "hours_studied"
    shutil.copytree(REPO / "reproductions" / "examples" / "hours_studied", folder)
    (folder / "tensorflow_impl.py").unlink()
    done = repro("--examples-dir", str(folder.parent), "run", "hours_studied", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.strip() == ("repro: example 'hours_studied' has no tensorflow implementation "
                                   "(tensorflow_impl.py)")
    assert not (tmp_path / "out" / "hours_studied").exists()


def test_list_shows_every_example():
    done = repro("list")
    assert done.returncode == 0
    assert "hours_studied" in done.stdout


def test_run_writes_trace_summary_report_and_index(tmp_path):
    done = repro("run", "hours_studied", "--out", str(tmp_path), "--steps", "5")
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp_path / "hours_studied"
    assert {p.name for p in folder.iterdir()} >= {"trace.parquet", "summary.json", "report.md"}
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["provenance"]["frameworks"].keys() == {"numpy", "torch", "tensorflow"}
    assert summary["provenance"]["dtype"] == "float64"
    assert summary["provenance"]["steps"] == 5
    # the claims about the trained weights are beyond step 5: said, not failed
    assert summary["claim_counts"]["not reached"] == 2
    assert "hours_studied" in (tmp_path / "index.md").read_text()
    assert not list(tmp_path.rglob(".*.*"))  # no temporary file left behind
    assert "max rel diff" in done.stdout


@pytest.mark.parametrize("example_id, plots", [("hours_studied", True), ("jacobian_square", False)])
def test_a_numpy_only_run_imports_only_what_it_uses(tmp_path, example_id, plots):
    code = (
        "import sys\n"
        "from reproductions.cli import main\n"
        f"code = main(['run', '{example_id}', '--frameworks', 'numpy', '--out', r'{tmp_path}'])\n"
        "assert code == 0, code\n"
        "loaded = [m for m in ('torch', 'tensorflow', 'keras', 'pandas', 'matplotlib') if m in sys.modules]\n"
        f"assert loaded == ({['matplotlib'] if plots else []!r}), loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / example_id / "cost.png").exists() == plots


def copy_of_example(tmp_path, example_id="hours_studied"):
    folder = tmp_path / "examples" / example_id
    shutil.copytree(REPO / "reproductions" / "examples" / example_id, folder)
    return folder


def first_printed_as(text, printed):
    start = text.index('printed = "') + len('printed = "')
    return text[:start] + printed + text[text.index('"', start):]


@pytest.mark.parametrize("edit, message", [
    (lambda t: first_printed_as(t, "Infinity"), "printed value 'Infinity' is not a finite number"),
    (lambda t: first_printed_as(t, "NaN"), "printed value 'NaN' is not a finite number"),
    (lambda t: t.replace("[data]", "[data]\nragged = [[1, 2], [3]]"),
     "data 'ragged' is not a rectangular array of numbers"),
    (lambda t: t.replace("randn = [1, 1]", "randn = [1, -1]"), "randn sizes must be 1 or more"),
    (lambda t: t.replace("[init]\nseed = 0", "[init]"), "start values ['weights'] are drawn, so [init] needs a seed"),
    (lambda t: t + '\n[[claims]]\nwhere = "x"\nquantity = "cost"\nstep = -1\nprinted = "1"\n',
     ".step: Input should be greater than or equal to 0"),
    (lambda t: t + '\n[[claims]]\nwhere = "x"\nquantity = "init.weights"\nindex = [3, 0]\nprinted = "1"\n',
     "claim index [3, 0] is outside 'init.weights' of shape (1, 1)"),
    (lambda t: t + '\n[[claims]]\nwhere = "x"\nquantity = "cost"\nindex = [7, 7]\nprinted = "1"\n',
     "claim index [7, 7] is outside 'cost' of shape ()"),
    (lambda t: t + '\n[[claims]]\nwhere = "x"\nquantity = "grad.biases"\nindex = [0, 5]\nprinted = "1"\n',
     "claim index [0, 5] is outside 'grad.biases' of shape (1, 1)"),
    (lambda t: t.replace("[layout]", "[layout]\njax = [\"weights\"]"), "layout.jax"),
    (lambda t: t.replace("steps = ", "stepz = 3\nsteps = ", 1), "stepz: Extra inputs are not permitted"),
    (lambda t: t.replace("steps = 1100", "steps = -1"), "steps: Input should be greater than or equal to 0"),
    (lambda t: t.replace("steps = 1100", "steps = 1100\nprinted_steps = [\"first\"]"), "printed_steps"),
    (lambda t: t.replace("steps = 1100", "steps = 1100\nprinted_steps = [5]"),
     "claim on 'eps' at step 0, which printed_steps [5] does not record"),
    (lambda t: t + '\n[[claims]]\nwhere = "ragged"\nquantity = "cost"\nprinted = [["1", "2"], ["3"]]\n',
     "claim 'ragged': printed must be a string or a rectangular array of strings"),
    (lambda t: t + '\n[[claims]]\nwhere = "numbers"\nquantity = "cost"\nprinted = [1.5, 2.5]\n',
     "claim 'numbers': printed must be a string or a rectangular array of strings"),
    (lambda t: t + '\n[[claims]]\nwhere = "block"\nquantity = "cost"\nprinted = ["1", "2"]\n'
                   'errata = { "5" = "x" }\n',
     "claim 'block': errata name elements outside the block: ['5']"),
    (lambda t: t + '\n[[claims]]\nwhere = "series"\nquantity = "cost"\nsteps = [0, 1]\nprinted = ["1"]\n',
     "claim 'series': steps and printed must be lists of one length"),
])
def test_a_broken_definition_exits_2_with_one_line(tmp_path, edit, message):
    toml = copy_of_example(tmp_path) / "example.toml"
    toml.write_text(edit(toml.read_text()))
    done = repro("--examples-dir", str(toml.parent.parent), "list")
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_definition_that_is_not_utf8_exits_2(tmp_path):
    toml = copy_of_example(tmp_path) / "example.toml"
    toml.write_bytes(toml.read_text().replace("[source]", "# caf\u00e9\n[source]").encode("latin-1"))
    done = repro("--examples-dir", str(toml.parent.parent), "list")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("example.toml: not UTF-8 text")


def test_a_repeated_framework_runs_once(tmp_path):
    done = repro("run", "jacobian_square", "--frameworks", "torch,numpy,torch", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "jacobian_square" / "summary.json").read_text())
    assert [p["framework"] for p in summary["parity"]] == ["torch"]


def test_a_shortened_run_leaves_the_later_claims_not_reached_not_failed(tmp_path):
    done = repro("run", "xor_hidden_layer", "--frameworks", "numpy", "--steps", "1", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    counts = json.loads((tmp_path / "xor_hidden_layer" / "summary.json").read_text())["claim_counts"]
    assert "FAILED" not in counts and counts["not reached"] > 0


def test_an_implementation_that_raises_replaces_the_earlier_results(tmp_path):
    folder = copy_of_example(tmp_path)
    out = tmp_path / "out"
    args = ("--examples-dir", str(folder.parent), "run", "hours_studied", "--frameworks", "numpy",
            "--steps", "3", "--out", str(out))
    assert repro(*args).returncode == 0
    assert "| passed |" in (out / "index.md").read_text()
    impl = folder / "numpy_impl.py"
    impl.write_text(impl.read_text() + "\n\ndef reproduce(ctx):\n    raise RuntimeError('broken')\n")
    done = repro(*args)
    assert done.returncode == 1
    error = "the numpy implementation raised RuntimeError at step 0: broken"
    assert f"hours_studied: {error}" in done.stdout
    summary = json.loads((out / "hours_studied" / "summary.json").read_text())
    assert summary["passed"] is False and summary["error"] == error
    assert not (out / "hours_studied" / "trace.parquet").exists()
    assert "| FAILED (error) |" in (out / "index.md").read_text()


def test_the_trace_on_disk_is_one_row_per_element_with_a_column_per_framework(tmp_path):
    import numpy as np
    import pandas as pd

    from reproductions import harness, spec

    assert repro("run", "or_single_example", "--out", str(tmp_path)).returncode == 0
    table = pd.read_parquet(tmp_path / "or_single_example" / "trace.parquet")
    assert list(table.columns[:4]) == ["step", "kind", "quantity", "index"]
    assert {"numpy", "torch", "tensorflow", "rounded_replay"} <= set(table.columns)
    recording = harness.run_framework(spec.catalogue()["or_single_example"], "numpy", "float64", 1)
    assert len(table) == recording.elements
    for row in table.itertuples():
        index = tuple(int(i) for i in row.index.split(",")) if row.index else ()
        assert recording.at(row.quantity, row.step)[index] == row.numpy


def test_examples_shared_among_processes_give_the_same_results(tmp_path):
    for jobs in ("1", "2"):
        done = repro("run", "car_price", "or_single_example", "--frameworks", "numpy,torch",
                     "--jobs", jobs, "--out", str(tmp_path / jobs))
        assert done.returncode == 0, done.stdout + done.stderr
    for example_id in ("car_price", "or_single_example"):
        one, two = (tmp_path / jobs / example_id / "trace.parquet" for jobs in ("1", "2"))
        assert one.read_bytes() == two.read_bytes()


def test_a_bad_job_count_exits_2():
    done = repro("run", "hours_studied", "--jobs", "0")
    assert done.returncode == 2
    assert done.stderr.strip() == "repro: --jobs takes a number of processes of 1 or more, or 'auto', not '0'"
