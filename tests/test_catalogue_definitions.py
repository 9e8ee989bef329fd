"""Every catalogue example that fits the definition vocabulary has a definition file
(reproductions/generic/examples/<catalogue id>.toml), and the generic engines give the
hand-written mirrors' trace:

- for each definition and framework, the generic engine's float64 trace of every mapped
  quantity (the cost, every trained parameter and its gradient, and the Z and A the
  catalogue records under other names) equals the catalogue's NumPy trace and the
  catalogue's mirror of the same framework (where it has one: most JAX mirrors are yet
  to be written), at every step, within 1e-12 of the quantity's size;
- `repro check --spec reproductions/generic/examples` passes (parity and every claim);
- every catalogue example is either mirrored here or named with why it is not.
"""

import functools
from pathlib import Path

import numpy as np
import pytest

from conftest import CATALOGUE, within
from reproductions import harness
from reproductions.generic import load_definition
from reproductions.trace import Series

REPO = Path(__file__).resolve().parents[1]
DEFINITIONS = REPO / "reproductions" / "generic" / "examples"
FRAMEWORKS = ["numpy", "torch", "tensorflow", "jax"]
RTOL = 1e-12


def same_names(*names: str) -> dict[str, str]:
    """The cost, and each parameter and its gradient, under the same name on both sides."""
    return {"cost": "cost", **{name: name for name in names},
            **{f"grad.{name}": f"grad.{name}" for name in names}}


def renamed(**names: str) -> dict[str, str]:
    """The cost, and each parameter (definition name = catalogue name) and its gradient."""
    return {"cost": "cost", **names,
            **{f"grad.{ours}": f"grad.{theirs}" for ours, theirs in names.items()}}


# definition file: (catalogue id, {definition quantity: catalogue quantity})
MIRRORS = {
    "xor_2_3_1.toml": ("xor_hidden_layer", same_names("W1", "b1", "W2", "b2")),
    "xor_feature_cross.toml": ("xor_feature_cross", renamed(W1="W", b1="b")),
    "hours_studied.toml": ("hours_studied", renamed(W1="weights", b1="biases")),
    "learning_rate_too_high.toml": ("learning_rate_too_high", renamed(W1="weights", b1="biases")),
    "or_batch.toml": ("or_batch", {**renamed(W1="W", b1="b"), "Z1": "Z", "A1": "Y_hat"}),
    "or_single_example.toml": ("or_single_example",
                               {**renamed(W1="W", b1="b"), "Z1": "z", "A1": "y_hat"}),
    "test_scores.toml": ("test_scores", same_names("W1", "W2")),
    "xor_training_loop.toml": ("xor_training_loop",
                               {**same_names("W1", "b1", "W2", "b2"), "A2": "A2"}),
    # no training and no cost: the printed forward pass (the chapter's layers 2-4 are 1-3 here)
    "car_price_no_bias.toml": ("car_price_no_bias", {"Z1": "Z2", "A1": "a2", "Z2": "Z3",
                                                     "A2": "a3", "Z3": "Z4", "A3": "a4"}),
    "car_price_l2.toml": ("car_price_l2", same_names("W1", "W2", "W3")),
    # the chapters' layers 2-4 are 1-3 here, and its delta4 is the output layer's dZ3 (its
    # delta3 and delta2 carry a bias column the engines' dZ2 and dZ1 do not)
    "car_price.toml": ("car_price", {**same_names("W1", "W2", "W3"), "Z1": "Z2", "A1": "a2",
                                     "Z2": "Z3", "A2": "a3", "Z3": "Z4", "A3": "a4",
                                     "dZ3": "delta4"}),
    "logistic_nll.toml": ("logistic_nll", renamed(W1="w", b1="w0")),
    "sgd_neural_net.toml": ("sgd_neural_net", renamed(W1="W1", b1="W0_1", W2="W2", b2="W0_2")),
}

# What a definition records of the cost, parameters and gradients that its catalogue
# example does not, and why.
UNMAPPED = {
    "car_price_no_bias.toml": {"cost": "chapter 3 computes no cost; the definition's Y only "
                                       "serves the format"},
}

# The definition whose NumPy engine does the catalogue's arithmetic, held to RTOL of
# every element as well.
ELEMENTWISE = {"xor_2_3_1.toml"}

# Catalogue examples with no definition file, and why.
NOT_DEFINED = {
    "computational_graph": "no network: e = c d, c = a b, d = b + 5",
    "calculus_warmups": "no network: a sigmoid slope, a gradient, a descent step, the chain rule",
    "activation_derivatives": "no network: activations and their derivatives",
    "loss_derivatives": "no network: losses and their derivatives",
    "jacobian_square": "no network: the Jacobian of z^2",
}

CASES = [pytest.param(name, framework, id=f"{name.removesuffix('.toml')}-{framework}",
                      marks=pytest.mark.xdist_group(catalogue_id))
         for name, (catalogue_id, _) in MIRRORS.items() for framework in FRAMEWORKS]


@functools.cache
def definition(name: str):
    return load_definition(DEFINITIONS / name)


@functools.cache
def generic_run(name: str, framework: str):
    example = definition(name)
    return harness.run_framework(example, framework, "float64", example.steps)


def cut(series: Series, n: int) -> Series:
    return Series(series.kind, series.steps[:n], series.order[:n], series.values[:n],
                  series.scale[:n])


def first_non_finite(series: Series) -> int:
    """The first record holding a value that is not finite (len(steps) if none)."""
    bad = ~np.isfinite(series.values.reshape(len(series.steps), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else len(series.steps)


def aligned(generic: Series, reference: Series, quantity: str, steps: int) -> Series:
    """The generic series at the catalogue's steps, in the catalogue's shape. They must
    record the same steps, but for the cost after the last update (step ``steps``), which
    the generic engines always record and some catalogue examples do not; the shapes may
    differ only by dimensions of one (a catalogue (1,) against (1, 1))."""
    if not np.array_equal(generic.steps, reference.steps):
        extra_final_cost = (quantity == "cost" and len(generic.steps) == len(reference.steps) + 1
                            and generic.steps[-1] == steps
                            and np.array_equal(generic.steps[:-1], reference.steps))
        assert extra_final_cost, (f"{quantity}: steps {generic.steps[:3]}..{generic.steps[-3:]} "
                                  f"against the catalogue's {reference.steps[:3]}.."
                                  f"{reference.steps[-3:]}")
        generic = cut(generic, len(reference.steps))
    squeezed = [tuple(n for n in shape if n != 1) for shape in (generic.shape, reference.shape)]
    assert squeezed[0] == squeezed[1], f"{quantity}: shape {generic.shape} against {reference.shape}"
    return Series(generic.kind, generic.steps, generic.order,
                  generic.values.reshape(reference.values.shape), generic.scale)


def agreement(generic: Series, reference: Series, quantity: str, diverges: bool) -> tuple[bool, float]:
    """within() on the records before the first value that is not finite; a definition
    that declares its divergence must stop being finite at the same record in the same
    way (the same elements +inf, -inf and NaN), any other must stay finite."""
    n = first_non_finite(reference)
    assert first_non_finite(generic) == n, (f"{quantity}: first not finite at record "
                                            f"{first_non_finite(generic)}, the catalogue at {n}")
    if n < len(reference.steps):
        assert diverges, f"{quantity}: not finite at step {reference.steps[n]}"
        a, b = generic.values[n], reference.values[n]
        assert (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(np.isposinf(a), np.isposinf(b))
                and np.array_equal(np.isneginf(a), np.isneginf(b))), \
            f"{quantity}: not finite in another way at step {reference.steps[n]}: {a} against {b}"
    return within(cut(generic, n), cut(reference, n), RTOL)


@pytest.mark.parametrize("name,framework", CASES)
def test_the_generic_engines_give_the_hand_written_trace(run_result, name, framework):
    """Against the catalogue's NumPy trace, and against the catalogue's mirror of the
    same framework, to 1e-12 of each quantity's size (parity's size: the largest
    magnitude so far) at every step. Relative to each element would not do for torch and
    TensorFlow against NumPy: biases start at 0 and gradients fall towards 0 (xor_2_3_1:
    2e-11 relative, 1e-14 of their size)."""
    catalogue_id, names = MIRRORS[name]
    example = definition(name)
    generic = generic_run(name, framework)
    catalogue = run_result(catalogue_id, "float64").traces

    mapped = {q for q, s in generic.series.items() if s.kind in ("cost", "grad", "param")}
    missing = mapped - set(names) - set(UNMAPPED.get(name, {}))
    assert not missing, f"recorded by the definition, not compared: {sorted(missing)}"
    for quantity, hand_written in names.items():
        assert quantity in generic, f"{quantity}: not recorded by the {framework} engine"
        for reference in ("numpy", framework):
            if reference not in catalogue:  # no hand-written mirror in that framework yet
                continue
            theirs = catalogue[reference][hand_written]
            ours = aligned(generic[quantity], theirs, quantity, example.steps)
            ok, used = agreement(ours, theirs, quantity, example.diverges)
            assert ok, (f"{quantity} against the catalogue's {reference} {hand_written}: "
                        f"{used:.3g} of its size")
            if framework == "numpy" and name in ELEMENTWISE:
                np.testing.assert_allclose(ours.values, theirs.values, rtol=RTOL, atol=0,
                                           err_msg=quantity)


def test_every_mirrored_example_has_its_definition_and_every_example_is_accounted_for():
    for name, (catalogue_id, _) in MIRRORS.items():
        assert (DEFINITIONS / name).is_file(), f"{name}: no definition file for {catalogue_id}"
        assert catalogue_id in CATALOGUE, f"{name}: {catalogue_id} is no catalogue example"
    mirrored = {catalogue_id for catalogue_id, _ in MIRRORS.values()}
    assert not mirrored & set(NOT_DEFINED)
    assert set(CATALOGUE) - mirrored - set(NOT_DEFINED) == set(), "catalogue examples neither " \
        "mirrored by a definition nor named in NOT_DEFINED"


def test_repro_check_passes_every_definition(tmp_path):
    from conftest import repro

    done = repro("check", "--spec", DEFINITIONS, "--out", tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in MIRRORS:
        assert (tmp_path / definition(name).id / "trace.parquet").is_file(), name
