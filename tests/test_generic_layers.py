"""Image layers and drawn start values in definition files (reproductions/generic).

- a conv + max pool + flatten + dense network (tests/definitions/conv_pool_dense.toml)
  agrees in the four generic engines at every step, in float64 and float32, under the
  parity policy, its claims on Z, A and the cost hold, and NumPy's written-out gradients
  are the cost's numerical gradients;
- the README's image network (channels-first, start values drawn by torch.manual_seed,
  nn.Conv2d and nn.Linear) runs as shown;
- start values drawn as the source draws them: torch.manual_seed + nn.Linear defaults,
  np.random.seed + randn * 0.01, equal to what the source's own calls give.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from conftest import run_example
from reproductions import harness, spec
from reproductions.generic.definition import network_of, recorded_names

REPO = Path(__file__).resolve().parents[1]
DEFINITIONS = REPO / "tests" / "definitions"
FRAMEWORKS = ["numpy", "torch", "tensorflow", "jax"]
README = REPO / "reproductions" / "generic" / "README.md"


def readme_image_network() -> str:
    """The definition of the generic README's section "Image layers", as shown."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Image layers")
    return re.search(r"```toml\n(.*?)```", text[start:], re.DOTALL)[1]


def problems(result) -> list:
    return [p.problems() or p.first_divergence for p in result.parities if not p.passed]


@pytest.mark.xdist_group("conv_avgpool_dense")  # with its items (tests/conftest.py)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_average_pool_network_agrees_in_every_framework(dtype):
    """conv_pool_dense with an average pool in place of the max pool, no claims."""
    example = spec.load(DEFINITIONS / "conv_avgpool_dense.toml")
    result = run_example(example, FRAMEWORKS, dtype)
    assert [p.framework for p in result.parities] == ["torch", "tensorflow", "jax"]
    assert result.parity_passed, problems(result)
    assert all(p.compared > 0 and p.mode == "free_running" for p in result.parities)
    assert result.traces["numpy"].at("A2", 0).shape == (4, 3, 3, 2)
    if dtype == "float64":  # the written-out backward against the numerical column
        for quantity, estimate in result.numerical.series.items():
            exact = result.traces["numpy"].at(quantity, 0)
            assert np.max(np.abs(estimate.at(0) - exact)) <= 1e-6 * np.max(np.abs(exact)), quantity


@pytest.mark.xdist_group("conv_pool_dense")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_conv_pool_dense_network_agrees_in_every_framework(dtype):
    example = spec.load(DEFINITIONS / "conv_pool_dense.toml")
    result = run_example(example, FRAMEWORKS, dtype)
    assert [p.framework for p in result.parities] == ["torch", "tensorflow", "jax"]
    assert result.parity_passed, problems(result)
    assert all(p.compared > 0 and p.mode == "free_running" for p in result.parities)
    recorded = result.traces["numpy"]
    assert set(recorded.series) == set(recorded_names(network_of(example))) == {
        "cost", "W1", "b1", "W4", "b4", "grad.W1", "grad.b1", "grad.W4", "grad.b4",
        "Z1", "A1", "dZ1", "A2", "A3", "Z4", "A4", "dZ4"}
    assert recorded.at("A1", 0).shape == (4, 6, 6, 2) and recorded.at("A2", 0).shape == (4, 3, 3, 2)
    assert recorded.at("A3", 0).shape == (4, 18) and recorded.at("grad.W1", 0).shape == (3, 3, 1, 2)
    if dtype == "float64":
        assert result.claims_passed, [(c.claim.quantity, c.verdict) for c in result.claims
                                      if not c.passed]
        for quantity, estimate in result.numerical.series.items():  # the written-out backward
            exact = recorded.at(quantity, 0)
            assert np.max(np.abs(estimate.at(0) - exact)) <= 1e-6 * np.max(np.abs(exact)), quantity


def test_the_readme_image_network_runs_as_shown(tmp_path):
    path = tmp_path / "tiny_cnn.toml"
    path.write_text(readme_image_network(), encoding="utf-8")
    example = spec.load(path)
    result = harness.run_example(example, FRAMEWORKS)
    assert result.parity_passed, problems(result)
    assert result.claims_passed and len(result.claims) == 3, [
        (c.claim.quantity, c.verdict) for c in result.claims]
    assert example.initial_parameters()["W1"].shape == (2, 1, 3, 3)  # nn.Conv2d's (out, in, kh, kw)


def test_torch_manual_seed_and_linear_defaults_draw_as_torch_does():
    import torch

    example = spec.load(DEFINITIONS / "iris_torch_linear.toml")
    state = torch.random.get_rng_state()
    drawn = example.initial_parameters()
    assert torch.equal(torch.random.get_rng_state(), state)  # torch's global generator untouched
    torch.manual_seed(1)  # the layers in the source's default dtype, whatever a run left set
    first = torch.nn.Linear(4, 16, dtype=torch.float32)
    second = torch.nn.Linear(16, 3, dtype=torch.float32)
    torch.random.set_rng_state(state)
    as_drawn = {"W1": first.weight, "b1": first.bias.reshape(16, 1),
                "W2": second.weight, "b2": second.bias.reshape(3, 1)}
    assert list(drawn) == list(as_drawn)
    for name, tensor in as_drawn.items():
        assert drawn[name].dtype == np.float64
        assert drawn[name].tobytes() == tensor.detach().double().numpy().tobytes(), name


def test_numpy_seed_and_randn_times_a_hundredth_draw_as_numpy_does():
    example = spec.load(DEFINITIONS / "planar_randn_001.toml")
    state = np.random.get_state()
    drawn = example.initial_parameters()
    assert np.random.get_state()[1].tobytes() == state[1].tobytes()  # the global state untouched
    np.random.seed(2)
    W1 = np.random.randn(4, 2) * 0.01
    b1 = np.zeros((4, 1))
    W2 = np.random.randn(1, 4) * 0.01
    np.random.set_state(state)
    expected = {"W1": W1, "b1": b1, "W2": W2, "b2": np.zeros((1, 1))}
    assert list(drawn) == list(expected)
    for name, value in expected.items():
        assert drawn[name].tobytes() == value.tobytes(), name


@pytest.mark.parametrize("definition", ["iris_torch_linear", "planar_randn_001"])
def test_the_drawn_definitions_agree_in_every_framework(definition):
    result = run_example(spec.load(DEFINITIONS / f"{definition}.toml"), FRAMEWORKS)
    assert result.parity_passed, problems(result)
