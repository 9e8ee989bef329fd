"""The sensitive verdict (claims.sensitivity): a claim the exact run misses after
training that amplifies rounding is judged against an ensemble of the NumPy reference run
from start values moved by one ulp. The printed values here are chosen from the spread
measured in the same test, so that what is asserted holds on every CPU: a value the
ensemble reaches is sensitive, one outside the spread fails."""

from decimal import Decimal

import pytest

from reproductions import claims, harness, spec

CHAOS = '''id = "chaos"
title = "a 2-2-1 sigmoid XOR at a rate of 60, which amplifies rounding"
steps = 300
{sensitivity}
[source]
seed = "none"
section = "a test"

[network]
layout = "columns"
inputs = 2
cost = "half_mean_squares"
layers = [
  {{ units = 2, activation = "sigmoid" }},
  {{ units = 1, activation = "sigmoid" }},
]

[hyper]
learning_rate = 60.0

[data]
X = [[0, 0, 1, 1], [0, 1, 0, 1]]
Y = [[0, 1, 1, 0]]

[init]
seed = 0
params = [
  {{ name = "W1", randn = [2, 2] }},
  {{ name = "b1", value = [[0.0], [0.0]] }},
  {{ name = "W2", randn = [1, 2] }},
  {{ name = "b2", value = [[0.0]] }},
]

[[claims]]
where = "W1[0, 0] after training"
quantity = "W1"
step = {step}
index = [0, 0]
printed = "{printed}"
'''


def judged(tmp_path, printed, dtype="float64", step=299, sensitivity=""):
    path = tmp_path / "chaos.toml"
    path.write_text(CHAOS.format(printed=printed, step=step, sensitivity=sensitivity))
    result = harness.run_example(spec.load(path), [], dtype=dtype)
    (claim,) = result.claims
    return claim, result.ensemble_runs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_printed_value_in_the_measured_spread_is_sensitive_and_one_outside_fails(tmp_path, dtype):
    outside, runs = judged(tmp_path, "-1000.0", dtype)
    assert outside.verdict == claims.FAILED and runs == harness.MEMBERS
    low, high = outside.spread
    assert low <= outside.exact <= high and high - low > 1e-3  # an ulp moves it this far
    farther = high if outside.exact - low < high - outside.exact else low  # from the exact value
    printed = f"{farther:.6g}"
    inside, runs = judged(tmp_path, printed, dtype)
    assert not claims.agrees(inside.claim, inside.exact, claims.FLOAT64.rtol * 10)  # no rounding
    assert inside.verdict == claims.SENSITIVE and inside.passed and runs == harness.MEMBERS
    assert inside.spread == (low, high) and f"{low:.12g} to {high:.12g}" in inside.explanation
    beyond = Decimal(f"{high + 10 * (high - low):.6g}")
    past, _ = judged(tmp_path, str(beyond), dtype)
    assert past.verdict == claims.FAILED and "lies outside" in past.explanation


def test_the_ensemble_runs_only_for_a_claim_that_needs_it(tmp_path):
    exact, runs = judged(tmp_path, "-1000.0", step=299)
    confirmed, runs = judged(tmp_path, f"{exact.exact:.6g}")
    assert confirmed.verdict == claims.CONFIRMED and runs == 0
    at_start, runs = judged(tmp_path, "-1000.0", step=0)  # before training: no ensemble
    assert at_start.verdict == claims.FAILED and at_start.spread is None and runs == 0
    _, runs = judged(tmp_path, "-1000.0", sensitivity="\n[sensitivity]\nmembers = 3\n")
    assert runs == 3
