"""Every example agrees across NumPy, PyTorch and TensorFlow at every step."""

import numpy as np
import pytest

from conftest import EXAMPLE_IDS
from reproductions.parity import POLICY, compare
from reproductions.trace import Trace


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_frameworks_agree_with_numpy(run_result, example_id, dtype):
    result = run_result(example_id, dtype)
    assert [p.framework for p in result.parities] == ["torch", "tensorflow"]
    for parity in result.parities:
        assert not parity.missing, f"{example_id} {parity.framework}: {parity.missing[:3]}"
        divergence = parity.first_divergence
        assert divergence is None, f"{example_id}: {divergence.describe(parity.framework)}"
        assert parity.used <= 1.0
        assert parity.quantities and all(q.elements for q in parity.quantities)  # really compared


@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_every_step_is_compared(run_result, example_id):
    result = run_result(example_id, "float64")
    recording = result.traces["numpy"]
    steps_recorded = set(recording.steps().tolist())
    assert set(range(max(result.steps, 1))) <= steps_recorded <= set(range(result.steps + 1))
    # a record at step == steps is the state after the last update: nothing is updated there
    final = {s.kind for s in recording.series.values() if result.steps in s.steps}
    if result.steps:
        assert final <= {"cost", "value", "finding"}
    for name in ("torch", "tensorflow"):
        assert result.traces[name].elements == recording.elements


def test_policy_is_strict_in_float64():
    assert POLICY["float64"].rtol <= 1e-12
    assert POLICY["float64"].atol <= 1e-12


@pytest.mark.parametrize("reference, other, diverged", [
    (np.inf, np.inf, ["numpy", "other"]),
    (np.nan, np.nan, ["numpy", "other"]),
    (np.inf, 1.0, ["numpy"]),
    (1.0, np.inf, ["other"]),
    (np.inf, -np.inf, ["numpy", "other"]),
    (np.nan, 1.0, ["numpy"]),
    (1.0, np.nan, ["other"]),
])
def test_a_value_that_is_not_finite_never_agrees(reference, other, diverged):
    """Identical infinities or NaNs are a divergence in both runs, not an agreement."""
    def trace(value):
        recorder = Trace()
        recorder.step(0)
        recorder.value("x", 1.0)
        recorder.step(3)
        recorder.value("x", value)
        return recorder.recording()

    for dtype in POLICY:
        parity = compare(trace(reference), trace(other), "other", dtype)
        assert not parity.passed
        assert sorted(parity.diverged) == diverged
        assert all(where.startswith("step 3: x = ") for where in parity.diverged.values())


def test_a_comparison_of_nothing_fails():
    def trace(name):
        recorder = Trace()
        recorder.value(name, 1.0)
        return recorder.recording()

    parity = compare(trace("a"), trace("b"), "other", "float64")  # no quantity in common
    assert parity.compared == 0 and not parity.passed
    assert "nothing was compared" in parity.problems()[0]
    assert compare(Trace().recording(), Trace().recording(), "other", "float64").passed is False


def test_a_value_that_is_not_finite_is_found_where_nothing_compares_it():
    """A step only one side recorded is not compared, yet its infinity is reported."""
    reference, other = Trace(), Trace()
    for recorder in (reference, other):
        recorder.step(0)
        recorder.value("x", 1.0)
    reference.step(1)
    reference.value("x", np.inf)
    parity = compare(reference.recording(), other.recording(), "other", "float64")
    assert parity.diverged == {"numpy": "step 1: x = inf"}
    assert not parity.passed
