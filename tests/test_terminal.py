"""What a person reads in the terminal: lines never broken by repro, each erratum named
with its cause, and progress that counts to the steps run; and a decision boundary drawn
only for targets of two classes or more."""

import time

import pytest

from conftest import repro, run_example
from reproductions import plots, results, runs, spec


@pytest.fixture(scope="module")
def hours_studied(tmp_path_factory):
    """A real check of hours_studied (its three errata are judged at step 0), into a
    results folder whose path is longer than any terminal's width."""
    out = tmp_path_factory.mktemp("terminal") / ("a_results_folder_with_a_long_name_" * 4)
    done = repro("check", "hours_studied", "--frameworks", "numpy", "--steps", "1", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return done, results.read(out / "hours_studied" / "summary.json"), out


def test_no_line_is_broken_by_repro(hours_studied):
    done, _, out = hours_studied
    lines = done.stdout.splitlines()
    folder = str(out / "hours_studied")
    assert len(folder) > 150
    assert any(line.endswith(f"-> {folder}") for line in lines), done.stdout
    assert max(len(line) for line in lines) > 200  # the errata's lines, whole


def test_each_erratum_is_named_in_one_line_with_its_cause(hours_studied):
    done, model, out = hours_studied
    errata = [c for c in model.called_out() if c.verdict == "erratum"]
    assert len(errata) == 3 and all(c.explanation for c in errata)
    lines = done.stdout.splitlines()
    for c in errata:
        assert f"  erratum  {c.line()}" in lines, c.line()
        assert f"computed {results.exact(c.exact)}; cause: {c.explanation}" in c.line()
    report = (out / "hours_studied" / "report.md").read_text()
    assert all(f"- **erratum** {c.line()}" in report.splitlines() for c in errata)  # the same line


def test_progress_counts_up_to_the_steps_run():
    """xor_hidden_layer's trace also records the step after the last update (the cost of
    the trained parameters): the count stops at the steps run, for NumPy in this process
    and for torch in a worker (which keeps torch's state out of this one)."""
    example = spec.catalogue()["xor_hidden_layer"]
    heard, expected = [], {(f, s, s) for f in ("numpy", "torch") for s in (1, 4)}
    with runs.Runs(2, ["numpy", "torch"], lambda *report: heard.append(report)) as shared:
        for framework in ("numpy", "torch"):
            for steps in (1, 4):
                shared.run(example, framework, "float64", steps).result()
        deadline = time.monotonic() + 30  # a worker's reports come through a queue
        while not expected <= {r[1:] for r in heard} and time.monotonic() < deadline:
            time.sleep(0.05)
    for framework, steps, _ in expected:
        done = [d for _, f, d, s in heard if f == framework and s == steps]
        assert done and max(done) == steps and min(done) >= 1, (framework, steps, done)


def test_a_boundary_is_drawn_only_for_targets_of_two_classes_or_more(tmp_path):
    single = run_example(spec.catalogue()["or_single_example"], ["numpy"], steps=1)
    assert len({tuple(row) for row in single.example.array("Y").T}) == 1  # one example, one label
    assert plots.boundary_plot(single) is None
    batch = run_example(spec.catalogue()["or_batch"], ["numpy"], steps=1)
    assert plots.boundary_plot(batch)[:4] == b"\x89PNG"
    done = repro("check", "or_single_example", "or_batch", "--frameworks", "numpy", "--steps", "1",
                 "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "or_single_example" / "boundary.png").exists()
    assert "boundary.png" not in [p.file for p in results.read(
        tmp_path / "or_single_example" / "summary.json").plots]
    assert "boundary.png" in [p.file for p in results.read(tmp_path / "or_batch" / "summary.json").plots]
