"""What the issues ask the examples to show, checked on the real runs."""

import numpy as np
import pytest

FRAMEWORKS = ("numpy", "torch", "tensorflow")


def value(result, framework, quantity, step=0):
    array = result.traces[framework].at(quantity, step)
    assert array is not None, f"{framework} recorded no {quantity} at step {step}"
    return array.ravel()


@pytest.mark.xdist_group("test_scores")
def test_test_scores_cost_falls_at_every_step_in_every_framework(run_result):
    result = run_result("test_scores", "float64")
    for name in FRAMEWORKS:
        series = result.traces[name]["cost"]
        assert series.steps.tolist() == list(range(result.steps))
        cost = series.values
        assert np.all(np.diff(cost) < 0), name


@pytest.mark.xdist_group("test_scores")
def test_test_scores_gradient_check_is_tiny(run_result):
    result = run_result("test_scores", "float64")
    for name in FRAMEWORKS:
        assert 0 < value(result, name, "gradient_check")[0] < 1e-8


@pytest.mark.xdist_group("activation_derivatives")
def test_relu_kink_is_reported_per_framework(run_result):
    result = run_result("activation_derivatives", "float64")
    # the notes define ReLU'(0) = step(0) = 1; torch and TensorFlow take 0
    assert value(result, "numpy", "d_relu_at_0")[0] == 1
    assert value(result, "torch", "d_relu_at_0")[0] == 0
    assert value(result, "tensorflow", "d_relu_at_0")[0] == 0
    assert result.parity_passed  # findings are reported, not compared


@pytest.mark.xdist_group("loss_derivatives")
def test_absolute_loss_kink_is_reported_per_framework(run_result):
    result = run_result("loss_derivatives", "float64")
    findings = {name: value(result, name, "d_abs_at_kink") for name in FRAMEWORKS}
    assert all(len(v) for v in findings.values())
    # the notes' derivative sign(a - y) takes +1 at a = y; both frameworks' autodiff take 0
    assert findings["numpy"][0] == 1
    assert findings["torch"][0] == 0 and findings["tensorflow"][0] == 0
