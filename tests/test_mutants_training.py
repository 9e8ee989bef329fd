"""Mutants of the training keys: a wrong NumPy backward or a wrong use of a framework's
optimizer is found, at the first step and quantity where it parts from the others.

Each mutant is one realistic bug applied by exact replacement of a string that occurs
once in a module (as tests/test_mutants.py applies its own): the mutated module is
compiled from its file and put in place of the module for one run of the harness, in
this process, on one of the training definitions of tests/definitions against one other
framework. A mutant is killed when parity fails and its first divergence names the
expected step and quantity.
"""

import importlib
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from reproductions import harness, spec

DEFINITIONS = Path(__file__).resolve().parent / "definitions"


@dataclass(frozen=True)
class Mutant:
    id: str
    module: str  # the module mutated
    definition: str
    framework: str  # the framework compared with NumPy
    old: str
    new: str
    step: int  # the first divergence: its step and quantity
    quantity: str


MUTANTS = [
    Mutant("numpy_hinge_derivative_sign", "reproductions.generic.numpy", "momentum_hinge_l2_all",
           "torch", "np.where(margin > 0, -Y, 0.0)", "np.where(margin > 0, Y, 0.0)", 0, "dZ2"),
    Mutant("numpy_hinge_derivative_at_every_margin", "reproductions.generic.numpy",
           "momentum_hinge_l2_all", "jax", "np.where(margin > 0, -Y, 0.0)", "-Y", 3, "dZ2"),
    # (the first margin above 1 is an example of step 3's batch)
    Mutant("numpy_probabilities_derivative", "reproductions.generic.numpy",
           "adam_shuffled_probabilities", "tensorflow", "-(Y / A - (1 - Y) / (1 - A)) / N",
           "-(Y / A + (1 - Y) / (1 - A)) / N", 0, "dZ2"),
    Mutant("numpy_l2_gradient_halved", "reproductions.generic.numpy", "momentum_hinge_l2_all",
           "torch", "grads[name] + self.network.l2 * self.params[name]",
           "grads[name] + self.network.l2 / 2 * self.params[name]", 0, "grad.W1"),
    Mutant("torch_adam_wrong_beta2", "reproductions.engines.torch.optimizers",
           "adam_shuffled_probabilities", "torch", "betas=(spec.beta1, spec.beta2)",
           "betas=(spec.beta1, 0.99)", 0, "v.W1"),  # vh, and so W1, alike at the first update
    Mutant("torch_momentum_other_form", "reproductions.engines.torch.optimizers",
           "momentum_hinge_l2_all", "torch",
           'state["velocity"] = mu * state["velocity"] - lr * g\n    return p + state["velocity"]',
           'state["velocity"] = mu * state["velocity"] + g\n    return p - lr * state["velocity"]',
           0, "velocity.W1"),
    Mutant("tensorflow_adam_wrong_eps", "reproductions.engines.tensorflow.optimizers",
           "adam_shuffled_probabilities", "tensorflow",
           "b1, b2, eps = constant(spec.beta1, p), constant(spec.beta2, p), constant(spec.eps, p)",
           "b1, b2, eps = constant(spec.beta1, p), constant(spec.beta2, p), constant(1e-7, p)",
           0, "W1"),
    Mutant("jax_rmsprop_eps_outside", "reproductions.engines.jax.optimizers",
           "rmsprop_dataloader_l2_named", "jax",
           'eps_in_sqrt=spec.eps_placement == "inside_sqrt"',
           'eps_in_sqrt=spec.eps_placement != "inside_sqrt"', 0, "weights1"),
]


def mutated(name: str, old: str, new: str) -> types.ModuleType:
    """A fresh module compiled from ``name``'s file with ``old`` replaced by ``new``."""
    path = Path(importlib.import_module(name).__file__)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}, not once"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(compile(text.replace(old, new), str(path), "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_the_mutant_is_killed_where_it_parts(monkeypatch, mutant):
    example = spec.load(DEFINITIONS / f"{mutant.definition}.toml")
    module = mutated(mutant.module, mutant.old, mutant.new)
    if mutant.module == "reproductions.generic.numpy":  # the harness imports it by name
        monkeypatch.setitem(sys.modules, mutant.module, module)
    else:  # the generic engine's optimizer module
        engine = importlib.import_module(f"reproductions.generic.{mutant.framework}")
        monkeypatch.setattr(engine, "optimizers", module)
    example = example.model_copy(update={"parity": "free_running"})
    result = harness.run_example(example, ["numpy", mutant.framework], "float64")
    (parity,) = result.parities
    assert not parity.passed, f"SURVIVED: {mutant.id}"
    first = parity.first_divergence
    assert first is not None, parity.problems()
    assert (first.step, first.quantity) == (mutant.step, mutant.quantity), first.describe(
        mutant.framework)
