"""What a person reads in the terminal: lines never broken by repro, and each erratum
named with its cause."""

import pytest

from conftest import repro
from reproductions import results


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
