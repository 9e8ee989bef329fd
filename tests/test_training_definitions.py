"""The training keys of a definition file in every framework: an [optimizer] table, mini-
batches reshuffled every epoch as the source draws them with a smaller last batch, the
hinge cost, the NLL of probabilities and an L2 term on a chosen set of parameters.

- three definitions of tests/definitions, which between them use every new key, agree in
  NumPy, PyTorch, TensorFlow and JAX at every step, in float64 and float32, the
  optimizer's state (velocities, caches, moments, the rate) compared like the parameters;
- each framework's optimizer class is used where it computes the source's formula, and
  where it is written out instead the class's difference is a finding;
- every gradient is the slope of the cost the step descends (the numerical column);
- the epochs' orders are those the sources draw; a step of a smaller batch records no
  Z, A or dZ, and a claim on the optimizer's state is judged.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import run_example
from reproductions import spec
from reproductions.generic.definition import batch, network_of, recorded_names

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
FRAMEWORKS = ["numpy", "torch", "tensorflow", "jax"]
STATE = {  # the state each definition's engines record, beside the parameters
    "adam_shuffled_probabilities": ["m.W1", "v.b2", "learning_rate"],
    "momentum_hinge_l2_all": ["velocity.W1", "velocity.b2", "learning_rate"],
    "rmsprop_dataloader_l2_named": ["cache.weights1", "cache.b2", "learning_rate"],
}
FINDINGS = {  # the frameworks whose class computes another formula, written out
    "adam_shuffled_probabilities": {"tensorflow": ["optimizer_class_difference"]},
    "momentum_hinge_l2_all": {"torch": ["optimizer_class_difference"],
                              "jax": ["optimizer_class_difference"]},
    "rmsprop_dataloader_l2_named": {"torch": ["optimizer_class_difference",
                                              "schedule_class_difference"]},
}
FLOAT32_FINDINGS = {  # Keras's Adam and optax.adam take 1 - b^n of b rounded to float32
    "adam_shuffled_probabilities": {"tensorflow": ["optimizer_class_difference"],
                                    "jax": ["optimizer_class_difference"]},
}


def load(name: str) -> spec.Example:
    return spec.load(DEFINITIONS / f"{name}.toml")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("definition", list(STATE))  # grouped by it (tests/conftest.py)
def test_the_four_engines_agree_at_every_step(definition, dtype):
    result = run_example(load(definition), FRAMEWORKS, dtype)
    assert result.parity_passed, [p.problems() or p.first_divergence for p in result.parities]
    assert result.claims_passed
    for parity in result.parities:
        compared = {q.quantity for q in parity.quantities}
        assert set(STATE[definition]) | {"cost", "dZ1", "Z2"} <= compared, compared
    for framework, recording in result.traces.items():
        found = sorted(q for q, s in recording.series.items() if s.kind == "finding")
        expected = (FLOAT32_FINDINGS if dtype == "float32" else {}).get(definition, FINDINGS[definition])
        assert found == expected.get(framework, []), framework
        for quantity in found:
            assert recording[quantity].steps.tolist() == [0]
            difference = recording[quantity].values[0]
            # the class moves elsewhere; in float32 a class's schedule and the written-out
            # one may round to the same rate on one CPU and not on another (0 or a few ulps)
            assert difference > 0 if dtype == "float64" else 0 <= difference < np.inf


@pytest.mark.parametrize("definition", list(STATE))
def test_every_gradient_is_the_slope_of_the_cost(definition):
    result = run_example(load(definition), FRAMEWORKS, "float64")
    recorded = result.traces["numpy"]
    checked = 0
    for quantity, estimate in result.numerical.series.items():
        if quantity in recorded and quantity.startswith("grad."):
            for step in estimate.steps:
                exact = recorded.at(quantity, int(step))
                assert np.max(np.abs(estimate.at(int(step)) - exact)) <= 1e-6 * max(
                    np.max(np.abs(exact)), 1e-3), (quantity, step)
                checked += 1
    assert checked >= 8


def test_the_epochs_are_in_the_orders_the_sources_draw():
    def batches(name, m, steps):
        return [batch(network_of(load(name)), m, step) for step in range(steps)]

    np.random.seed(1)  # np.random.seed(1), then a permutation an epoch
    legacy = [list(np.random.permutation(7)) for _ in range(3)]
    assert batches("adam_shuffled_probabilities", 7, 9) == [
        order[k:k + 3] for order in legacy for k in (0, 3, 6)]
    seeded = [list(np.random.default_rng(7 + e).permutation(5)) for e in range(3)]
    assert batches("momentum_hinge_l2_all", 5, 9) == [  # seed + e before epoch e
        order[k:k + 2] for order in seeded for k in (0, 2, 4)]
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(range(6), batch_size=4, shuffle=True)
    assert batches("rmsprop_dataloader_l2_named", 6, 6) == [
        b.tolist() for _ in range(3) for b in loader]


@pytest.mark.xdist_group("adam_shuffled_probabilities")
def test_a_smaller_batch_records_no_intermediates():
    result = run_example(load("adam_shuffled_probabilities"), FRAMEWORKS, "float64")
    for recording in result.traces.values():
        steps = recording["Z1"].steps.tolist()
        assert steps == [s for s in range(25) if s % 3 != 2], steps
        assert recording["cost"].steps.tolist() == list(range(25))
        assert recording["m.W1"].steps.tolist() == list(range(24))


@pytest.mark.xdist_group("momentum_hinge_l2_all")
def test_the_state_is_claimable_by_the_source_names():
    example = load("rmsprop_dataloader_l2_named")
    names = recorded_names(network_of(example), None)
    assert "cache.W1" not in names  # gradient descent records no state
    text = (DEFINITIONS / "momentum_hinge_l2_all.toml").read_text(encoding="utf-8")
    assert 'quantity = "learning_rate"' in text  # judged in the agreement test above
    result = run_example(load("momentum_hinge_l2_all"), FRAMEWORKS, "float64")
    judged = {c.claim.quantity for c in result.claims}
    assert "learning_rate" in judged and result.claims_passed
