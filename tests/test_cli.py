"""The repro command: exit codes, one-line errors, results on disk."""

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

import frameworks
from reproductions import cli, harness, spec

from conftest import repro

REPO = Path(__file__).resolve().parents[1]


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


NO_IMPLEMENTATION = ("repro: example '{}' has no {} implementation ({}_impl.py or a [network] "
                     "or [graph] the engines run)")


def test_an_example_without_a_requested_mirror_exits_2(tmp_path):
    folder = tmp_path / "examples" / "calculus_warmups"  # no [network], no [graph]
    shutil.copytree(REPO / "reproductions" / "examples" / "calculus_warmups", folder)
    (folder / "tensorflow_impl.py").unlink()
    done = repro("--examples-dir", str(folder.parent), "run", "calculus_warmups",
                 "--frameworks", "numpy,torch,tensorflow", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.strip() == NO_IMPLEMENTATION.format("calculus_warmups", "tensorflow",
                                                           "tensorflow")
    assert not (tmp_path / "out" / "calculus_warmups").exists()


def test_an_example_runs_the_frameworks_it_has_an_implementation_of(tmp_path):
    """Without --frameworks an example runs every framework it has an implementation of: a
    copy of calculus_warmups (no [network], no [graph]) without jax_impl.py runs no JAX; a
    copy of hours_studied without jax_impl.py runs JAX on the generic engine, its
    [network]; a definition file has all four, on the generic engines."""
    examples = tmp_path / "examples"
    for example_id in ("calculus_warmups", "hours_studied"):
        shutil.copytree(REPO / "reproductions" / "examples" / example_id, examples / example_id)
        (examples / example_id / "jax_impl.py").unlink()
    catalogue = spec.catalogue(examples)
    assert harness.frameworks_of(catalogue["calculus_warmups"]) == ["numpy", "torch", "tensorflow"]
    ran = harness.implementations(catalogue["hours_studied"])
    assert list(ran) == list(frameworks.NAMES)
    assert ran["jax"] == harness.GENERIC / "jax.py" and ran["torch"].name == "torch_impl.py"
    definition = REPO / "tests" / "definitions" / "xor_2_3_1.toml"
    assert set(harness.implementations(spec.load(definition)).values()) == {
        harness.GENERIC / f"{name}.py" for name in frameworks.NAMES}
    with pytest.raises(ValueError, match=r"example 'calculus_warmups' has no jax implementation"):
        harness.run_example(catalogue["calculus_warmups"], ["jax"], steps=1)
    done = repro("--examples-dir", str(examples), "check", "--steps", "2", "--jobs", "1",
                 "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stdout + done.stderr
    for example_id, expected in (("calculus_warmups", ["torch", "tensorflow"]),
                                 ("hours_studied", ["torch", "tensorflow", "jax"])):
        summary = json.loads((tmp_path / "out" / example_id / "summary.json").read_text())
        assert [p["framework"] for p in summary["parity"]] == expected
    named = repro("--examples-dir", str(examples), "check", "--frameworks", "numpy,jax", "--steps",
                  "2", "--out", str(tmp_path / "named"))  # named: every example must have it
    assert named.returncode == 2
    assert NO_IMPLEMENTATION.format("calculus_warmups", "jax", "jax") in named.stderr


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
    every = harness.frameworks_of(spec.catalogue()["hours_studied"])  # the mirrors it has
    assert list(summary["provenance"]["frameworks"]) == every
    assert summary["provenance"]["dtype"] == "float64"
    assert summary["provenance"]["steps"] == 5
    # the claims about the trained weights are beyond step 5: said, not failed
    assert summary["claim_counts"]["not reached"] == 2
    assert "hours_studied" in (tmp_path / "README.md").read_text()
    assert not list(tmp_path.rglob(".*.*"))  # no temporary file left behind
    assert "max rel diff" in done.stdout


@pytest.mark.parametrize("example_id, plots", [("hours_studied", True), ("jacobian_square", False)])
def test_a_numpy_only_run_imports_only_what_it_uses(tmp_path, example_id, plots):
    code = (
        "import sys\n"
        "from reproductions.cli import main\n"
        f"code = main(['run', '{example_id}', '--frameworks', 'numpy', '--out', r'{tmp_path}'])\n"
        "assert code == 0, code\n"
        "loaded = [m for m in ('torch', 'tensorflow', 'keras', 'jax', 'optax', 'pandas', 'matplotlib')\n"
        "          if m in sys.modules]\n"
        f"assert loaded == ({['matplotlib'] if plots else []!r}), loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / example_id / "cost.png").exists() == plots


def mirrors(folder) -> list[str]:
    """The folder's implementation files beside the reference (jax_impl.py where it has one)."""
    return [f"{name}_impl.py" for name in ("torch", "tensorflow", "jax")
            if (Path(folder) / f"{name}_impl.py").is_file()]


def copy_of_example(tmp_path, example_id="hours_studied"):
    folder = tmp_path / "examples" / example_id
    shutil.copytree(REPO / "reproductions" / "examples" / example_id, folder)
    return folder


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
    assert "| passed |" in (out / "README.md").read_text()
    impl = folder / "numpy_impl.py"
    impl.write_text(impl.read_text() + "\n\ndef reproduce(ctx):\n    raise RuntimeError('broken')\n")
    done = repro(*args)
    assert done.returncode == 1
    error = "the numpy implementation raised RuntimeError at step 0: broken"
    assert f"hours_studied: {error}" in done.stdout
    summary = json.loads((out / "hours_studied" / "summary.json").read_text())
    assert summary["passed"] is False and summary["error"] == error
    assert not (out / "hours_studied" / "trace.parquet").exists()
    assert "| FAILED (error) |" in (out / "README.md").read_text()


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


def test_a_large_run_reaches_this_process_through_files_and_gives_the_same_results(tmp_path):
    """A worker writes records over ``SPILL_BYTES`` to files in the run's staging folder
    (W1 here, 784 x 120 at four steps: 3 MB) and this process reads them back: the
    trace is the one a run in this process records, and no file is left behind."""
    from reproductions.bench.targets import large_definition

    definition = tmp_path / "mlp_784_120_10.toml"
    definition.write_text(large_definition(width=120, steps=3, batch=8), encoding="utf-8")
    for jobs in ("1", "2"):
        done = repro("check", "--spec", definition, "--frameworks", "numpy,torch",
                     "--gradient-steps", "none", "--jobs", jobs, "--out", tmp_path / jobs)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(p.name for p in (tmp_path / jobs).iterdir()) == [
            "README.md", "mlp_784_120_10", "site"]  # the staging folder and its files gone
    one, two = (tmp_path / jobs / "mlp_784_120_10" / "trace.parquet" for jobs in ("1", "2"))
    assert one.read_bytes() == two.read_bytes()


def test_a_worker_is_handed_the_start_values_and_imports_no_torch_to_draw_them():
    """iris_torch_linear draws its start values from torch's generator. This process
    draws them and hands them to the JAX worker with the run: the worker imports no
    torch, and its run is the one this process makes from the same values."""
    from reproductions import runs

    example = spec.load(REPO / "tests" / "definitions" / "iris_torch_linear.toml")
    assert example.init.generator == "torch"
    with runs.Runs(2, ["jax"]) as shared:
        there = shared.run(example, "jax", "float64", 1).result()
        worker = shared._executor("jax")
        assert worker is not shared._here
        assert worker.submit(eval, "'torch' in __import__('sys').modules").result() is False
    here = runs.Runs(1).run(example, "jax", "float64", 1).result()
    for name in ("W1", "b1", "W2", "b2"):
        assert np.array_equal(there.series[name].values, here.series[name].values), name


def test_a_bad_job_count_exits_2():
    done = repro("run", "hours_studied", "--jobs", "0")
    assert done.returncode == 2
    assert done.stderr.strip() == "repro: --jobs takes a number of processes of 1 or more, or 'auto', not '0'"


# --- a malformed example folder fails only itself ---------------------------------------

def examples_with_a_broken_one(tmp_path, failing=False, broken=True):
    """Two quick examples, one of them raising if ``failing``, and (if ``broken``) a
    third folder whose definition cannot be read."""
    examples = tmp_path / "examples"
    for example_id in ("computational_graph", "jacobian_square"):
        shutil.copytree(REPO / "reproductions" / "examples" / example_id, examples / example_id)
    if failing:
        impl = examples / "jacobian_square" / "numpy_impl.py"
        impl.write_text(impl.read_text() + "\n\ndef reproduce(ctx):\n    raise RuntimeError('broken')\n")
    if broken:
        folder = examples / "broken"
        shutil.copytree(REPO / "reproductions" / "examples" / "jacobian_square", folder)
        toml = folder / "example.toml"
        toml.write_text(toml.read_text().replace('id = "jacobian_square"', 'id = "broken"')
                        .replace("steps = 0", 'steps = "none"'))
    return examples


@pytest.mark.parametrize("broken, failing, status", [
    (True, False, 2), (True, True, 2), (False, True, 1), (False, False, 0)])
def test_check_runs_every_readable_example_and_reports_each_unreadable_one(
        tmp_path, broken, failing, status):
    examples = examples_with_a_broken_one(tmp_path, failing, broken)
    out = tmp_path / "out"
    done = repro("--examples-dir", str(examples), "check", "--frameworks", "numpy", "--jobs", "1",
                 "--out", str(out))
    assert done.returncode == status, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("repro: ")]
    if broken:
        assert errors == [f"repro: {examples / 'broken' / 'example.toml'}: steps: Input should be "
                          "a valid integer, found 'none'"]
        assert "1 example folder could not be read" in " ".join(done.stdout.split())
    else:
        assert errors == []
    # the readable ones ran and were written; nothing was written for the broken one
    assert sorted(p.name for p in out.iterdir() if (p / "summary.json").is_file()) == ["computational_graph",
                                                                   "jacobian_square"]
    index = (out / "README.md").read_text()
    assert "computational_graph" in index and "jacobian_square" in index and "broken" not in index
    summary = json.loads((out / "jacobian_square" / "summary.json").read_text())
    assert summary["passed"] is not failing


def test_list_lists_the_readable_examples_and_reports_the_broken_ones(tmp_path):
    examples = examples_with_a_broken_one(tmp_path)
    done = repro("--examples-dir", str(examples), "list")
    assert done.returncode == 2
    assert "computational_graph" in done.stdout and "jacobian_square" in done.stdout
    assert "broken" not in done.stdout
    assert done.stderr.splitlines() == [
        f"repro: {examples / 'broken' / 'example.toml'}: steps: Input should be a valid integer, "
        "found 'none'"]


@pytest.mark.parametrize("command", [["run", "broken"], ["check", "broken", "jacobian_square"]])
def test_a_broken_example_named_exits_2_at_once(tmp_path, command):
    examples = examples_with_a_broken_one(tmp_path)
    out = tmp_path / "out"
    done = repro("--examples-dir", str(examples), *command, "--out", str(out))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"repro: {examples / 'broken' / 'example.toml'}: steps: Input should be a valid integer, "
        "found 'none'"]
    assert not out.exists()


# --- --gradient-steps past the run -----------------------------------------------------

def test_gradient_steps_past_the_run_are_refused_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    done = repro("run", "hours_studied", "--steps", "10", "--gradient-steps=0,999", "--out", str(out))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "repro: --gradient-steps 999: the last step of 'hours_studied' (10 training steps) is 9"]
    assert not out.exists()


def test_gradient_steps_up_to_the_last_step_are_taken(tmp_path):
    import pandas as pd

    done = repro("run", "hours_studied", "--frameworks", "numpy", "--steps", "10",
                 "--gradient-steps", "0,9", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    table = pd.read_parquet(tmp_path / "hours_studied" / "trace.parquet")
    assert sorted(table["step"][table["numerical"].notna()].unique()) == [0, 9]


# --- report links ----------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("relative", [True, False])
def test_every_link_of_a_report_resolves_for_any_out_and_examples_dir(tmp_path, relative):
    copy_of_example(tmp_path / "elsewhere")
    examples = tmp_path / "elsewhere" / "examples"
    out = tmp_path / "deep" / "er" / "results"
    if relative:  # as given on the command line, from the folder it is run in
        args = ("--examples-dir", "elsewhere/examples", "run", "hours_studied", "--frameworks",
                "numpy", "--steps", "3", "--out", "deep/er/results")
    else:
        args = ("--examples-dir", str(examples), "run", "hours_studied", "--frameworks", "numpy",
                "--steps", "3", "--out", str(out))
    done = repro(*args, cwd=tmp_path if relative else REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = out / "hours_studied"
    links = LINK.findall((folder / "report.md").read_text())
    assert len(links) >= 4  # code.html and the three implementations
    for target in links:
        resolved = folder / urllib.parse.unquote(target)
        assert resolved.is_file(), target
    named = {(folder / urllib.parse.unquote(t)).resolve() for t in links}
    assert {examples.resolve() / "hours_studied" / f"{n}_impl.py"
            for n in ("numpy", "torch", "tensorflow")} <= named
    for target in LINK.findall((out / "README.md").read_text()):
        path, _, fragment = target.partition("#")  # the atlas links to a report's section
        assert (out / path).is_file(), target
        if fragment:
            headings = re.findall(r"^#+ (.+)$", (out / path).read_text(), re.M)
            assert fragment in {h.lower().replace(" ", "-") for h in headings}, target


def test_the_committed_layout_keeps_its_links():
    from reproductions import report

    folder = REPO / "results" / "car_price"
    assert report.link(REPO / "reproductions" / "examples" / "car_price" / "numpy_impl.py",
                       folder) == "../../reproductions/examples/car_price/numpy_impl.py"


# --- provenance of the example folder --------------------------------------------------

def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def sha256sum_of(folder, names):
    import hashlib

    lines = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    return hashlib.sha256(lines.encode()).hexdigest()


def test_provenance_of_an_example_in_the_tool_repository():
    from reproductions import report

    for example_id in ("car_price", "hours_studied"):
        folder = REPO / "reproductions" / "examples" / example_id
        prov = report.example_provenance(folder)
        assert prov["folder"] == f"reproductions/examples/{example_id}"  # the same in every clone
        assert prov["in_tool_repository"] is True
        assert prov["git_commit"] == git("rev-parse", "HEAD", cwd=REPO).strip()
        assert prov["uncommitted_changes"] == bool(git("status", "--porcelain", "--", str(folder),
                                                       cwd=REPO).strip())
        names = sorted(["example.toml", "NOTES.md", "errata.py", "numpy_impl.py", *mirrors(folder)])
        assert prov["files"] == names
        assert prov["files_sha256"] == sha256sum_of(folder, names)
        if shutil.which("sha256sum"):  # the identity can be checked without the tool
            shell = subprocess.run(f"LC_ALL=C sha256sum {' '.join(names)} | sha256sum", shell=True,
                                   cwd=folder, capture_output=True, text=True, check=True)
            assert shell.stdout.split()[0] == prov["files_sha256"]


def test_a_draft_is_known_by_its_draft_definition(tmp_path):
    from reproductions import report

    folder = copy_of_example(tmp_path)
    (folder / "example.toml").rename(folder / "example.draft.toml")
    (folder / "DRAFT.md").write_text("what was tried\n")
    names = sorted(["NOTES.md", "errata.py", "example.draft.toml", "numpy_impl.py", *mirrors(folder)])
    prov = report.example_provenance(folder)
    assert prov["files"] == names and prov["files_sha256"] == sha256sum_of(folder, names)


def test_provenance_of_an_example_outside_any_repository(tmp_path):
    if subprocess.run(["git", "-C", str(tmp_path), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the temporary folder lies inside a git repository")
    copy_of_example(tmp_path)
    done = repro("--examples-dir", "examples", "run", "hours_studied", "--frameworks", "numpy",
                 "--steps", "2", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    prov = json.loads((tmp_path / "out" / "hours_studied" / "summary.json").read_text())["provenance"]
    names = sorted(["NOTES.md", "errata.py", "example.toml", "numpy_impl.py",
                    *mirrors(tmp_path / "examples" / "hours_studied")])
    assert prov["example"] == {
        "folder": "examples/hours_studied", "in_tool_repository": False, "git_commit": None,
        "uncommitted_changes": None, "files": names,
        "files_sha256": sha256sum_of(REPO / "reproductions" / "examples" / "hours_studied", names),
    }
    assert prov["git_commit"] != "unknown"  # the tool's own commit is still named


def test_provenance_of_an_example_in_another_repository_follows_its_changes(tmp_path):
    from reproductions import report

    folder = copy_of_example(tmp_path)
    (folder / "DRAFT.md").write_text("not part of the identity\n")
    git("init", "-q", cwd=tmp_path)
    git("add", ".", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "x", cwd=tmp_path)
    prov = report.example_provenance(folder)
    assert prov["git_commit"] == git("rev-parse", "HEAD", cwd=tmp_path).strip()
    assert prov["in_tool_repository"] is False and prov["uncommitted_changes"] is False
    assert "DRAFT.md" not in prov["files"]
    impl = folder / "numpy_impl.py"
    impl.write_text(impl.read_text() + "\n# an edit\n")
    changed = report.example_provenance(folder)  # not the cached answer: the files changed
    assert changed["uncommitted_changes"] is True
    assert changed["files_sha256"] != prov["files_sha256"]
    assert changed["git_commit"] == prov["git_commit"]


# --- determinism hash ------------------------------------------------------------------

@pytest.mark.parametrize("example_id", ["or_single_example"])
def test_the_trace_hash_is_the_same_in_every_process_and_is_the_written_table(tmp_path, example_id):
    from conftest import result_of
    from reproductions import committed, report, table

    hashes = []
    for run in ("a", "b"):
        done = repro("run", example_id, "--out", str(tmp_path / run))
        assert done.returncode == 0, done.stdout + done.stderr
        folder = tmp_path / run / example_id
        summary = json.loads((folder / "summary.json").read_text())
        hashes.append(summary["trace_sha256"])
        # it is the hash of the table trace.parquet holds, read back
        assert table.trace_hash(committed.read(folder / "trace.parquet")) == hashes[-1]
        assert hashes[-1] in (folder / "report.md").read_text()
    assert hashes[0] == hashes[1] and len(hashes[0]) == 64
    # the session's own in-process run (tests/conftest.py) gives the same hash
    columns = report.trace_columns(result_of(example_id, "float64"))
    assert {"numpy", "torch", "tensorflow", "rounded_replay", "numerical"} <= set(columns)
    assert table.trace_hash(columns) == hashes[0]
    # and any one value changed changes it
    import numpy as np

    changed = dict(columns, torch=columns["torch"].copy())
    first = np.flatnonzero(np.isfinite(changed["torch"]))[0]
    changed["torch"][first] = np.nextafter(changed["torch"][first], np.inf)  # one last bit
    assert table.trace_hash(changed) != hashes[0]


def test_a_run_that_stopped_with_an_error_has_no_trace_hash(tmp_path):
    folder = copy_of_example(tmp_path)
    impl = folder / "numpy_impl.py"
    impl.write_text(impl.read_text() + "\n\ndef reproduce(ctx):\n    raise RuntimeError('broken')\n")
    done = repro("--examples-dir", str(folder.parent), "run", "hours_studied", "--frameworks", "numpy",
                 "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    summary = json.loads((tmp_path / "out" / "hours_studied" / "summary.json").read_text())
    assert summary["trace_sha256"] is None
    assert summary["provenance"]["example"]["folder"] == str(folder)


def test_a_folder_without_a_requested_mirror_fails_only_itself_in_a_check(tmp_path):
    examples = examples_with_a_broken_one(tmp_path, broken=False)
    shutil.copytree(REPO / "reproductions" / "examples" / "calculus_warmups",
                    examples / "calculus_warmups")
    (examples / "calculus_warmups" / "torch_impl.py").unlink()  # no [network], no [graph]
    (examples / "computational_graph" / "torch_impl.py").unlink()  # its [graph] runs instead
    out = tmp_path / "out"
    done = repro("--examples-dir", str(examples), "check", "--frameworks", "numpy,torch", "--jobs", "1",
                 "--out", str(out))
    assert done.returncode == 2, done.stdout + done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("repro: ")] == [
        NO_IMPLEMENTATION.format("calculus_warmups", "torch", "torch")]
    assert sorted(p.name for p in out.iterdir() if (p / "summary.json").is_file()) == [
        "computational_graph", "jacobian_square"]
