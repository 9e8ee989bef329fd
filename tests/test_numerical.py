"""The numerical-gradient column: central differences agree with the gradients."""

import numpy as np
import pytest

from conftest import CATALOGUE, EXAMPLE_IDS
from reproductions import harness

WITH_COST = [i for i in EXAMPLE_IDS if hasattr(harness.implementation(CATALOGUE[i], "numpy"), "cost_at")
             and (CATALOGUE[i].network or {"cost": True}).get("cost")]  # a forward pass has none


def test_several_examples_offer_the_column():
    assert {"hours_studied", "test_scores", "logistic_nll", "sgd_neural_net"} <= set(WITH_COST)


# A central difference that crosses a relu's kink estimates neither side's slope: such
# elements must disagree (the kink is real) and are left out of the comparison.
ACROSS_A_KINK = {
    # Z4[1, 4] = -9.9e-7 at step 0, within h = 1e-6 of the hidden relu's kink: b2[4] + h
    # turns the unit on. The source's printed b2 error, 2.516375e-03, is this element's.
    ("cs231n_three_layer_convnet", "grad.b2"): [(0, 4)],
}


@pytest.mark.parametrize("example_id", WITH_COST)
def test_numerical_estimate_matches_every_framework(run_result, example_id):
    result = run_result(example_id, "float64")
    numerical = result.numerical
    assert numerical is not None and numerical.series
    for quantity, estimates in numerical.series.items():
        assert set(estimates.steps.tolist()) == {0, max(result.steps - 1, 0)}
        for name in result.frameworks:
            # every estimate sits beside a recorded gradient
            recorded = np.stack([result.traces[name].at(quantity, s) for s in estimates.steps])
            scale = max(1.0, np.abs(recorded).max())
            estimated = ~np.isnan(estimates.values)  # a large parameter: its first element alone
            assert estimated.any()
            recorded = np.where(estimated, recorded, np.nan)
            for element in ACROSS_A_KINK.get((example_id, quantity), []):
                assert abs(estimates.values[element] - recorded[element]) > 1e-8 * scale
                recorded[element] = estimates.values[element]
            # central differences with h = 1e-6 |p|: O(h^2) truncation, and a cost's roundoff
            # over 2h, eps |J| / 2h, which is largest at hours_studied's start (J = 4255, an
            # error of 3e-7 beside gradients of 612, 2.7e-9 of them). 1e-8 of the largest
            # gradient covers it and still catches a gradient wrong in its eighth digit.
            np.testing.assert_allclose(estimates.values, recorded, rtol=0, atol=1e-8 * scale)


def test_gradient_steps_can_be_chosen():
    example = CATALOGUE["hours_studied"]
    result = harness.run_example(example, ["numpy"], steps=6, gradient_steps=[2, 4, 99])
    assert all(s.steps.tolist() == [2, 4] for s in result.numerical.series.values())
