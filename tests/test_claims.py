"""Claim verdicts: every printed number is confirmed or explained, and the rules bite."""

import numpy as np
import pytest

from conftest import CATALOGUE, EXAMPLE_IDS, repro
from reproductions import claims, execute
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
        if c.verdict in (claims.ROUNDED, claims.REFUTED):
            assert not claims.agrees(c.claim, c.exact)
            assert claims.agrees(c.claim, c.replayed) == (c.verdict == claims.ROUNDED)
        if c.verdict == claims.CONFIRMED:
            assert claims.agrees(c.claim, c.exact)


class Moved(claims.Values):
    """The exact run with every value moved by ``roundings`` of its float64 size: what
    another CPU may give (README: at most about 20 roundings)."""

    def __init__(self, values: claims.Values, roundings: float):
        super().__init__(values.recording, values.init, values.example, values.cost_at)
        self.roundings = roundings

    def moved(self, name, step, value):
        """A computed value moved; start values and data are given, the same on every CPU."""
        if value is None or name.startswith("init.") or (
                self.example is not None and name in self.example.data and
                (self.recording is None or name not in self.recording)):
            return value
        computed = name.startswith(("before.", "test.", "numerical."))  # sized by their own values
        size = float(np.max(np.abs(value))) if computed else self.size(name, step)
        return value + self.roundings * claims.FLOAT64.eps * size

    def array(self, name, step):  # what a derived claim reads: its expression moves with it
        return self.moved(name, step, super().array(name, step))

    def get(self, quantity, step=0, index=()):
        value = super().get(quantity, step, index)
        return value if self.is_derived(quantity) else self.moved(quantity, step, value)


@pytest.mark.parametrize("roundings", [-32, 32])
@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_no_verdict_changes_with_the_cpu(run_result, example_id, roundings):
    """Every verdict holds with every exact value moved by 32 float64 roundings of its
    size either way, more than any two CPUs were measured to differ."""
    result = run_result(example_id, "float64")
    cost_at = execute.reference_function(result.example, "cost_at")  # for numerical.<p>
    exact = claims.Values(result.traces["numpy"], result.example.initial_parameters(),
                          result.example, cost_at)
    replay = claims.Values(result.replay, exact.init, result.example, cost_at) \
        if result.replay is not None else None
    moved = claims.judge(result.example, Moved(exact, roundings), replay, result.steps)
    assert [c.verdict for c in moved] == [as_moved(c) for c in result.claims]


def as_moved(judged: claims.ClaimResult) -> str:
    """The verdict expected when the exact value moves: the same, except that a full print
    confirmed digit for digit is then within float64 rounding (claims.EVERY_DIGIT)."""
    return claims.NOISE if judged.explanation == claims.EVERY_DIGIT else judged.verdict


def test_a_claim_past_what_float64_determines_is_confirmed_only_digit_for_digit():
    """A 17-digit repr of a float64 run a few ulps from this one (the XOR notebook's
    costs after thousands of epochs) is within float64 rounding; the repr of this very
    value is confirmed; a value at a rounding boundary."""
    from reproductions.trace import Trace

    trace = Trace()
    trace.step(0)
    trace.value("x", 0.12592888066397245)
    trace.value("y", 0.25 + 2e-16)  # at the boundary: "0.3" and "0.2" both print it
    exact = claims.Values(trace.recording(), {})
    example = type("Example", (), {"claims": [], "errata": {}, "steps": 0, "folder": None})

    def verdict(quantity, printed):
        judged = claims._judge_one(example, Claim(where="t", quantity=quantity, printed=printed),
                                   exact, None, None, 0)
        return judged.verdict

    assert verdict("x", "0.12592888066397245") == claims.CONFIRMED  # its own repr, every digit
    assert verdict("x", "0.125928880663972450") == claims.CONFIRMED  # the same number
    assert verdict("x", "0.12592888066397243") == claims.NOISE  # 1 ulp below: not a mismatch
    assert verdict("x", "0.12592888066397248") == claims.NOISE  # 1 ulp above
    assert verdict("x", "0.12592888066397") == claims.CONFIRMED  # 14 digits: settled to 3.6e-15
    assert verdict("x", "0.1259288807") == claims.CONFIRMED  # 10 digits are settled
    assert verdict("x", "0.12592888066390") == claims.FAILED  # 7e-14 off: a real mismatch
    assert verdict("y", "0.3") == verdict("y", "0.2") == claims.CONFIRMED


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
        errata={"slip": {"explanation": "x", "kind": "refuted"}},
        claims=[{"where": "Fig 1", "quantity": "W", "index": [2],
                 "printed": [["0.1", "0.25"], ["3", "-4.0"]], "errata": {"1,0": "slip"}},
                {"where": "Fig 2", "quantity": "cost", "steps": [0, 2], "printed": ["0.5", "0.125"]}])
    assert [(c.quantity, c.step, c.index, c.printed, c.erratum) for c in example.claims] == [
        ("W", 0, [2, 0, 0], "0.1", None), ("W", 0, [2, 0, 1], "0.25", None),
        ("W", 0, [2, 1, 0], "3", "slip"), ("W", 0, [2, 1, 1], "-4.0", None),
        ("cost", 0, [], "0.5", None), ("cost", 2, [], "0.125", None)]
    assert claims.decimals(example.claims[1]) == 2 and claims.decimals(example.claims[2]) == 0


FULL_PRINTS = '''id = "full_prints"
title = "f = (x + y) * z at (0.1, 0.2, 3), printed with repr"
steps = 0

[source]
seed = "cs231n"
section = "backpropagation, a simple example, at other inputs"

[graph]
expression = """
q = x + y
f = q * z
"""
inputs = { x = 0.1, y = 0.2, z = 3.0 }

[[claims]]
where = "print(repr(f))"
quantity = "f"
printed = "0.9000000000000001"

[[claims]]
where = "print(repr(dz)): df/dz = q"
quantity = "grad.z"
printed = "0.30000000000000004"

[[claims]]
where = "the same, one ulp below"
quantity = "grad.z"
printed = "0.30000000000000000"
'''


def test_a_full_print_of_the_exact_value_is_confirmed(tmp_path):
    """Sums and products are rounded correctly by every IEEE CPU, so these digits are
    every x86-64 CPU's: a repr that reads back as the exact value is confirmed, and one
    ulp off is within float64 rounding."""
    path = tmp_path / "full_prints.toml"
    path.write_text(FULL_PRINTS)
    done = repro("check", "--spec", path, "--out", tmp_path / "out", "--frameworks", "numpy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "claims: 2 confirmed, 1 within float64 rounding" in done.stdout, done.stdout
