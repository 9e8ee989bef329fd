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


def test_an_array_claim_is_one_claim_per_element_with_its_own_string():
    from pathlib import Path

    from reproductions.spec import Example

    example = Example(
        id="t", title="t", steps=3, source={"seed": "s", "section": "s"}, folder=Path("."),
        errata={"slip": {"explanation": "x", "kind": "typo"}},
        claims=[{"where": "Fig 1", "quantity": "W", "index": [2],
                 "printed": [["0.1", "0.25"], ["3", "-4.0"]], "errata": {"1,0": "slip"}},
                {"where": "Fig 2", "quantity": "cost", "steps": [0, 2], "printed": ["0.5", "0.125"]}])
    assert [(c.quantity, c.step, c.index, c.printed, c.erratum) for c in example.claims] == [
        ("W", 0, [2, 0, 0], "0.1", None), ("W", 0, [2, 0, 1], "0.25", None),
        ("W", 0, [2, 1, 0], "3", "slip"), ("W", 0, [2, 1, 1], "-4.0", None),
        ("cost", 0, [], "0.5", None), ("cost", 2, [], "0.125", None)]
    assert claims.decimals(example.claims[1]) == 2 and claims.decimals(example.claims[2]) == 0
