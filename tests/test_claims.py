"""Claim verdicts: every printed number is confirmed or explained, and the rules bite."""

import pytest

from conftest import CATALOGUE, EXAMPLE_IDS
from reproductions import claims
from reproductions.spec import Claim


@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_every_claim_is_confirmed_or_explained(run_result, example_id):
    result = run_result(example_id, "float64")
    assert len(result.claims) == len(CATALOGUE[example_id].claims)
    failed = [(c.claim.where, c.claim.printed, c.exact, c.explanation)
              for c in result.claims if not c.passed]
    assert not failed
    for c in result.claims:
        assert c.verdict != claims.NOT_REACHED  # the default run reaches every claim
        if c.verdict in (claims.ERRATUM, claims.TYPO):
            assert c.demonstrated is not None and claims.agrees(c.claim, c.demonstrated)
            assert not claims.agrees(c.claim, c.exact)
        if c.verdict == claims.ROUNDED:
            assert claims.agrees(c.claim, c.replayed) and not claims.agrees(c.claim, c.exact)
        if c.verdict == claims.CONFIRMED:
            assert claims.agrees(c.claim, c.exact)


def claim(printed, **extra):
    return Claim(where="test", quantity="x", printed=printed, **extra)


@pytest.mark.parametrize("printed, value, expected", [
    ("-612.5336296", -612.5336296031613, True),
    ("-612.5336296", -612.53362966, False),
    ("0.06", 0.0612, True),
    ("0.06", 0.0651, False),
    ("-612.5336296054267", -612.5336296054267, True),
    ("-612.5336296054267", -612.5336296054268, False),  # one ulp away is another number
    ("1.5e-05", 1.54e-05, True),
    ("0.", 0.4, True),
])
def test_agreement_is_at_printed_precision(printed, value, expected):
    assert claims.agrees(claim(printed), value) is expected


def test_significant_digits_and_within():
    assert claims.agrees(claim("610", significant_digits=2), 612.5)
    assert not claims.agrees(claim("610", significant_digits=2), 589.9)
    assert not claims.agrees(claim("610"), 612.5)
    assert claims.agrees(claim("10", within=1e-9), 10 + 5e-10)
    assert not claims.agrees(claim("10", within=1e-9), 10 + 5e-9)


def test_non_finite_values_never_agree():
    assert not claims.agrees(claim("0.5"), float("nan"))
    assert not claims.agrees(claim("0.5"), None)
