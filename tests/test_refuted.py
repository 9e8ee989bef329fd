"""A refuted claim: the definition says a printed number is wrong and what was tried.

or_batch (seed 001, Fig 40-50) prints two squares of Fig 47 that no state reproduces
(see its NOTES.md). They are declared refuted: the check passes only while neither
the exact value nor the rounded replay reproduces them, like a strict expected
failure, and the reports list them.
"""

import shutil

from conftest import CATALOGUE
from reproductions import claims, harness, spec


def test_or_batch_passes_with_its_two_refuted_squares(run_result):
    result = run_result("or_batch", "float64")
    assert result.passed and len(result.claims) == 256
    refuted = [(c.claim.quantity, c.claim.printed) for c in result.claims if c.verdict == claims.REFUTED]
    assert sorted(refuted) == [("squared_residual", "0.113689"), ("squared_residual", "0.205316")]


def test_a_refuted_number_that_is_reproduced_fails(tmp_path):
    folder = tmp_path / "or_batch"
    shutil.copytree(CATALOGUE["or_batch"].folder, folder)
    toml = folder / "example.toml"
    # the day the printed number is reproduced: here, printed as the exact square is
    toml.write_text(toml.read_text().replace('printed = "0.113689", erratum', 'printed = "0.1137211", erratum'))
    result = harness.run_example(spec.load(folder), ["numpy"])
    failed = [c for c in result.claims if not c.passed]
    assert [(c.claim.printed, c.verdict) for c in failed] == [("0.1137211", claims.FAILED)]
    assert "holds after all" in failed[0].explanation
