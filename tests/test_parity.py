"""Every example agrees across NumPy and its mirrors (PyTorch, TensorFlow, and JAX where it
has one) at every step."""

import numpy as np
import pytest

from conftest import CATALOGUE, EXAMPLE_IDS
from reproductions import harness
from reproductions.parity import POLICY, compare
from reproductions.trace import Trace


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_frameworks_agree_with_numpy(run_result, example_id, dtype):
    result = run_result(example_id, dtype)
    mirrors = harness.frameworks_of(CATALOGUE[example_id])[1:]
    assert {"torch", "tensorflow"} <= set(mirrors)  # every example keeps these two
    assert [p.framework for p in result.parities] == mirrors
    for parity in result.parities:
        assert not parity.missing, f"{example_id} {parity.framework}: {parity.missing[:3]}"
        divergence = parity.first_divergence
        assert divergence is None, f"{example_id}: {divergence.describe(parity.framework)}"
        # an honest run keeps well inside the bound: no CPU or library update may flip it
        assert parity.used <= 0.5, f"{example_id} {parity.framework}: {parity.used:.0%} of the bound"
        assert parity.mode == "free_running"  # the catalogue's trajectories do not part
        assert parity.quantities and all(q.elements for q in parity.quantities)  # really compared


@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_every_step_is_compared(run_result, example_id):
    result = run_result(example_id, "float64")
    recording = result.traces["numpy"]
    steps_recorded = set(recording.steps().tolist())
    assert set(range(max(result.steps, 1))) <= steps_recorded <= set(range(result.steps + 1))
    # a record at step == steps is the state after the last update: nothing is updated there
    final = {s.kind for s in recording.series.values() if result.steps in s.steps}
    if result.steps:  # a graph is evaluated once more, its gradients with it (GRAPHS.md)
        assert final <= {"cost", "value", "finding",
                         *(["grad"] if result.example.graph is not None else [])}
    for name in result.frameworks[1:]:
        assert result.traces[name].elements == recording.elements


def test_policy_is_one_rule_in_units_of_each_dtypes_rounding():
    assert POLICY["float64"].roundings == POLICY["float32"].roundings
    assert POLICY["float64"].eps == np.finfo(np.float64).eps
    assert POLICY["float32"].eps == np.finfo(np.float32).eps
    assert POLICY["float64"].rtol < 1e-13  # 100 000 times stricter than assert_close's 1e-7


def gradients(values, steps=None):
    recorder = Trace()
    for step, value in zip(steps or range(len(values)), values):
        recorder.step(step)
        recorder.grad("W", np.asarray(value, dtype=float))
    return recorder.recording()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_gradient_recorded_as_zeros_fails_however_small_it_is(dtype):
    """test_scores' grad.W1 late in training: 7.5e-5 to 7.8e-4, under float32's former 1e-3 floor."""
    true = [[6.8e-3, -2e-3], [7.8e-4, 7.5e-5], [5e-4, -1e-4]]
    zeroed = [true[0], [0.0, 0.0], [0.0, 0.0]]
    parity = compare(gradients(true), gradients(zeroed), "other", dtype)
    assert not parity.passed
    assert (parity.first_divergence.step, parity.first_divergence.index) == (1, "0")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_differences_count_against_the_largest_magnitude_so_far(dtype):
    """A gradient that falls to zero at convergence is a sum of terms as large as it was."""
    eps = np.finfo(dtype).eps
    true = [[460.0], [30.0], [0.03]]
    rounded = [[460.0], [30.0], [0.03 + 60 * eps * 460.0]]  # 60 roundings of 460: agrees
    assert compare(gradients(true), gradients(rounded), "other", dtype).passed
    wrong = [[460.0], [30.0], [0.03 + 200 * eps * 460.0]]
    assert compare(gradients(true), gradients(wrong), "other", dtype).first_divergence.step == 2


def test_a_quantity_that_has_only_been_zero_agrees_only_with_zero():
    assert compare(gradients([[0.0], [0.0]]), gradients([[0.0], [0.0]]), "other", "float64").passed
    parity = compare(gradients([[0.0], [0.0]]), gradients([[0.0], [1e-300]]), "other", "float64")
    assert parity.first_divergence.step == 1 and parity.used == np.inf


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


def test_the_comparison_passes_its_own_check():
    from reproductions.parity import self_check

    assert self_check() == []


def test_a_comparison_that_accepts_anything_fails_its_own_check(monkeypatch):
    from reproductions import parity

    monkeypatch.setitem(parity.POLICY, "float64", parity.Tolerance(128e6, parity.POLICY["float64"].eps))
    assert parity.self_check() == ["float64: a cost 1e-9 off at step 1 is not found"]


def test_a_comparison_stricter_than_the_policy_fails_its_own_check(monkeypatch):
    """32 roundings where the policy allows 128: the planted differences of 64 are refused,
    so the harness stops before it fails honest runs by the last bits of a CPU."""
    from reproductions import parity

    monkeypatch.setitem(parity.POLICY, "float64", parity.Tolerance(32, parity.POLICY["float64"].eps))
    assert parity.self_check() == [
        "float64: a cost 64 roundings off is not accepted (step 0, cost)",
        "float64: a fallen gradient 64 roundings of the largest so far off is not accepted (step 2, grad.W)",
        "float64: a cancelled value 64 roundings of its scale off is not accepted (step 0, change)"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_gradient_is_judged_against_the_terms_it_sums(dtype):
    """A gradient that cancels to far below its terms is judged against the terms, element
    by element: a difference of 100 roundings of the terms agrees, of 200 does not, and an
    element with no terms of its own keeps the quantity's size."""
    eps = float(np.finfo(dtype).eps)
    grad, terms = np.array([0.001, 0.5]), np.array([1.0, 0.5])  # element 0 cancels
    reference, other = Trace(), Trace()
    reference.step(0)
    reference.cost(1.0)
    reference.grad("W", grad, terms=terms)
    for roundings, passes in ((100, True), (200, False)):
        other = Trace()
        other.step(0)
        other.cost(1.0)
        other.grad("W", grad + np.array([roundings * eps * 1.0, 0.0]))
        parity = compare(reference.recording(), other.recording(), "other", dtype)
        assert parity.passed is passes, roundings
        if not passes:
            assert (parity.first_divergence.quantity, parity.first_divergence.index) == ("grad.W", "0")
    # without terms, the same 100 roundings of 1.0 are 200 of the gradient's size 0.5: caught
    plain = Trace()
    plain.step(0)
    plain.cost(1.0)
    plain.grad("W", grad)
    other = Trace()
    other.step(0)
    other.cost(1.0)
    other.grad("W", grad + np.array([100 * eps, 0.0]))
    assert not compare(plain.recording(), other.recording(), "other", dtype).passed
