"""Optimizers and learning-rate schedules: every kind, form and variant and every
schedule, in PyTorch, TensorFlow and JAX against NumPy's reference, at every step of a
small problem, parameters and state alike, in float64 and float32, under the project's
parity rule (|other - numpy| <= 128 eps * size); mutants of the formulas the same
comparison must catch, naming the step and the quantity; the one-line errors of a
definition's [optimizer] table.

Each framework is set up once per dtype (a module-scoped fixture), and the tests run
grouped by dtype: JAX's float64 is a process-wide switch.
"""

import functools
import importlib

import numpy as np
import pytest

import frameworks
from reproductions.engines import optimizers as spec_module
from reproductions.engines.numpy import optimizers as reference
from reproductions.engines.optimizers import optimizer_of, problem, state_names
from reproductions.parity import POLICY, compare
from reproductions.trace import Trace

STEPS = 10
FRAMEWORKS = ("torch", "tensorflow", "jax")
EXPONENTIAL = {"kind": "exponential", "rate": 0.7, "decay_steps": 3}
CASES = {  # hyperparameters exaggerated, so that every option moves the parameters
    "sgd": {"kind": "sgd", "learning_rate": 0.05},
    "momentum_v_plus_g": {"kind": "momentum", "learning_rate": 0.05, "momentum": 0.9,
                          "form": "mu_v_plus_g"},
    "momentum_v_minus_lr_g": {"kind": "momentum", "learning_rate": 0.05, "momentum": 0.9,
                              "form": "mu_v_minus_lr_g"},
    "nesterov_v_plus_g": {"kind": "nesterov", "learning_rate": 0.05, "momentum": 0.8,
                          "form": "mu_v_plus_g"},
    "nesterov_v_minus_lr_g": {"kind": "nesterov", "learning_rate": 0.05, "momentum": 0.8,
                              "form": "mu_v_minus_lr_g"},
    "adagrad_outside": {"kind": "adagrad", "learning_rate": 0.3, "eps": 1e-2},
    "adagrad_inside_from_0.1": {"kind": "adagrad", "learning_rate": 0.3, "eps": 1e-2,
                                "eps_placement": "inside_sqrt", "initial_accumulator": 0.1},
    "rmsprop_outside": {"kind": "rmsprop", "learning_rate": 0.02, "rho": 0.8, "eps": 1e-2},
    "rmsprop_inside": {"kind": "rmsprop", "learning_rate": 0.02, "rho": 0.8, "eps": 1e-2,
                       "eps_placement": "inside_sqrt"},
    "adam_outside": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99,
                     "eps": 1e-2},
    "adam_inside": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99,
                    "eps": 1e-2, "eps_placement": "inside_sqrt"},
    "adam_outside_uncorrected": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.8,
                                 "beta2": 0.99, "eps": 1e-2,
                                 "eps_placement": "outside_sqrt_uncorrected"},
    "adam_no_bias_correction": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.8,
                                "beta2": 0.99, "eps": 1e-2, "bias_correction": False},
    "adam_no_bias_correction_inside": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.8,
                                       "beta2": 0.99, "eps": 1e-2, "bias_correction": False,
                                       "eps_placement": "inside_sqrt"},
    "adam_defaults_b2_0.999": {"kind": "adam", "learning_rate": 0.05},
    # every schedule, with the momentum forms under a changing rate
    "sgd_step": {"kind": "sgd", "learning_rate": 0.05,
                 "schedule": {"kind": "step", "factor": 0.5, "every": 3}},
    "sgd_exponential_every_step": {"kind": "sgd", "learning_rate": 0.05,
                                   "schedule": {"kind": "exponential", "rate": 0.9}},
    "momentum_v_plus_g_exponential": {"kind": "momentum", "learning_rate": 0.05,
                                      "form": "mu_v_plus_g", "schedule": EXPONENTIAL},
    "momentum_v_minus_lr_g_exponential": {"kind": "momentum", "learning_rate": 0.05,
                                          "form": "mu_v_minus_lr_g", "schedule": EXPONENTIAL},
    "nesterov_v_plus_g_inverse_time": {"kind": "nesterov", "learning_rate": 0.05,
                                       "form": "mu_v_plus_g",
                                       "schedule": {"kind": "inverse_time", "decay": 0.3}},
    "nesterov_v_minus_lr_g_staircase": {"kind": "nesterov", "learning_rate": 0.05,
                                        "form": "mu_v_minus_lr_g",
                                        "schedule": {"kind": "exponential", "rate": 0.6,
                                                     "decay_steps": 4, "staircase": True}},
    "adam_inverse_time_staircase": {"kind": "adam", "learning_rate": 0.05, "eps": 1e-2,
                                    "schedule": {"kind": "inverse_time", "decay": 0.5,
                                                 "decay_steps": 3, "staircase": True}},
    "rmsprop_linear_decay": {"kind": "rmsprop", "learning_rate": 0.02, "eps": 1e-2,
                             "schedule": {"kind": "linear", "end_learning_rate": 0.005,
                                          "steps": 6}},
    "adagrad_linear_warm_up": {"kind": "adagrad", "learning_rate": 0.05, "eps": 1e-2,
                               "schedule": {"kind": "linear", "end_learning_rate": 0.3,
                                            "steps": 4}},
}
COMPILED = ("momentum_v_minus_lr_g_exponential", "rmsprop_inside", "adam_inverse_time_staircase")


@pytest.fixture(scope="module", params=["float64", "float32"])
def dtype(request):
    """Every framework set up for the dtype (JAX and TensorFlow first imported here)."""
    for name in ("numpy", *FRAMEWORKS):
        frameworks.require(name).setup(request.param)
    return request.param


@pytest.fixture(scope="module")
def engines(dtype):
    return {name: importlib.import_module(f"reproductions.engines.{name}.optimizers")
            for name in FRAMEWORKS}


@functools.cache
def source_run(case: str, dtype: str):
    spec = optimizer_of(CASES[case])
    return recording(spec, reference.trajectory(spec, problem(), STEPS, dtype))


def recording(spec, records):
    """The records of a run as the trace keeps them: each parameter, then the state."""
    params = list(problem()["start"])
    trace = Trace()
    for step, record in enumerate(records):
        trace.step(step)
        for name in params:
            trace.param(name, record[name])
        for name in state_names(spec, params):
            trace.value(name, record[name])
    return trace.recording()


def checked(case, framework, dtype, records):
    """The framework's run against NumPy's: the parity, which must have compared every
    quantity at every step."""
    parity = compare(source_run(case, dtype), recording(optimizer_of(CASES[case]), records),
                     framework, dtype)
    assert not parity.missing, parity.missing[:3]
    return parity


def describe(parity) -> str:
    found = parity.first_divergence
    return "agrees" if found is None else found.describe(parity.framework)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", CASES)
def test_framework_follows_the_source_at_every_step(engines, dtype, case, framework):
    spec = optimizer_of(CASES[case])
    records = engines[framework].trajectory(spec, problem(), STEPS, dtype)
    parity = checked(case, framework, dtype, records)
    assert parity.passed, f"{case} ({engines[framework].implementation(spec, dtype).used}): " \
                          f"{describe(parity)}"
    assert parity.compared == STEPS * sum(v.size for v in records[0].values())


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", CASES)
def test_written_out_update_follows_the_source_too(engines, dtype, case, framework):
    """Where the framework's class is used, the module's written-out update of the same
    formula agrees as well (where it is written out already, the test above ran it;
    TensorFlow's, slower eagerly, in float64 only)."""
    spec = optimizer_of(CASES[case])
    if engines[framework].implementation(spec, dtype).used == "written out":
        pytest.skip("written out already")
    if framework == "tensorflow" and dtype == "float32":
        pytest.skip("TensorFlow's written-out updates are run in float64")
    records = engines[framework].trajectory(spec, problem(), STEPS, dtype, use_class=False)
    parity = checked(case, framework, dtype, records)
    assert parity.passed, f"{case}: {describe(parity)}"


@pytest.mark.parametrize("framework", ["tensorflow", "jax"])
@pytest.mark.parametrize("case", COMPILED)
def test_compiled_loop_follows_the_source(engines, dtype, case, framework):
    """Inside a tf.function graph loop and a jitted jax.lax.scan: the optimizer built
    before tracing, its state read inside the loop."""
    spec = optimizer_of(CASES[case])
    records = engines[framework].trajectory(spec, problem(), STEPS, dtype, compiled=True)
    parity = checked(case, framework, dtype, records)
    assert parity.passed, f"{case}: {describe(parity)}"


def test_implementations_are_the_classes_where_they_compute_the_source(engines, dtype):
    used = lambda framework, case: engines[framework].implementation(
        optimizer_of(CASES[case]), dtype).used
    assert used("torch", "momentum_v_plus_g_exponential") == "class"
    assert used("torch", "momentum_v_minus_lr_g") == "class, velocity translated"
    assert used("torch", "momentum_v_minus_lr_g_exponential") == "written out"
    assert used("tensorflow", "momentum_v_minus_lr_g_exponential") == "class"
    assert used("tensorflow", "momentum_v_plus_g_exponential") == "written out"
    assert used("tensorflow", "rmsprop_inside") == "class"
    assert used("tensorflow", "rmsprop_outside") == "written out"
    assert used("jax", "rmsprop_outside") == "class"
    assert used("torch", "adam_outside") == "class"
    assert used("torch", "adam_inside") == "written out"
    # Keras's and optax's Adam take b^n of b rounded to the dtype: classes in float64 only
    in_float64 = "class" if dtype == "float64" else "written out"
    assert used("tensorflow", "adam_outside_uncorrected") == in_float64
    assert used("jax", "adam_inside") == in_float64


# --- mutants: the same comparison must catch each, at the step and quantity named ----------

def perturbed(**changes):
    """A framework's run built from a spec with other options than the source's."""
    def run(engine, spec, dtype, monkeypatch):
        return engine.trajectory(spec.replaced(**changes), problem(), STEPS, dtype)
    return run


def patched(target, replace):
    """A framework's run with one of its module's formulas replaced: ``target`` is a name
    in the module, or ("UPDATES", kind) for the written-out update of a kind."""
    def run(engine, spec, dtype, monkeypatch):
        if isinstance(target, tuple):
            monkeypatch.setitem(getattr(engine, target[0]), target[1],
                                replace(getattr(engine, target[0])[target[1]]))
        else:
            monkeypatch.setattr(engine, target, replace(getattr(engine, target)))
        return engine.trajectory(spec, problem(), STEPS, dtype)
    return run


def with_class(engine, spec, dtype, monkeypatch):
    """The framework's class used whatever formula it computes."""
    return engine.trajectory(spec, problem(), STEPS, dtype, use_class=True)


def counter_from_two(update):
    return lambda spec, p, g, state, lr, n: update(spec, p, g, state, lr, n + 1)


def cache_off_by_half_a_percent(update):
    def mutant(spec, p, g, state, lr, n):
        result = update(spec, p, g, state, lr, n)
        state["cache"] = state["cache"] * 1.005
        return result
    return mutant


def count_from_one(counted):
    return lambda schedule: counted(lambda count: schedule(count + 1))


MUTANTS = {  # id: (framework, case, how, (step, quantity) where it is caught)
    "beta1 0.8 -> 0.8001": ("torch", "adam_outside", perturbed(beta1=0.8001), (0, "m.W1")),
    "beta2 0.99 -> 0.9901": ("jax", "adam_outside", perturbed(beta2=0.9901), (0, "v.W1")),
    "eps 5 % off": ("tensorflow", "rmsprop_inside", perturbed(eps=1.05e-2), (0, "W1")),
    "eps inside the root": ("jax", "adagrad_outside", perturbed(eps_placement="inside_sqrt"),
                            (0, "W1")),
    "eps outside the root": ("tensorflow", "adam_inside", perturbed(eps_placement="outside_sqrt"),
                             (0, "W1")),
    "bias correction dropped": ("tensorflow", "adam_outside",
                                patched("bias_corrections", lambda f: lambda spec, n: (1.0, 1.0)),
                                (0, "W1")),
    "Adam's counter from 2": ("torch", "adam_inside", patched(("UPDATES", "adam"), counter_from_two),
                              (0, "W1")),
    "the other momentum form under a schedule": ("torch", "momentum_v_minus_lr_g_exponential",
                                                 with_class, (1, "W1")),
    "the other momentum form's velocity": ("tensorflow", "momentum_v_plus_g",
                                           perturbed(form="mu_v_minus_lr_g"), (0, "velocity.W1")),
    "the other Nesterov form under a schedule": ("jax", "nesterov_v_minus_lr_g_staircase",
                                                 with_class, (4, "W1")),
    "learning rate off by 1e-4": ("jax", "sgd", perturbed(learning_rate=0.05 * (1 + 1e-4)),
                                  (0, "W1")),
    "cache 0.5 % off": ("torch", "rmsprop_inside",
                        patched(("UPDATES", "rmsprop"), cache_off_by_half_a_percent),
                        (0, "cache.W1")),
    "schedule counted from 1": ("jax", "momentum_v_plus_g_exponential",
                                patched("counted", count_from_one), (0, "W1")),
    "staircase dropped": ("tensorflow", "nesterov_v_minus_lr_g_staircase",
                          perturbed(schedule={"kind": "exponential", "rate": 0.6,
                                              "decay_steps": 4}), (1, "W1")),
    "decay rate 1e-3 off": ("torch", "momentum_v_plus_g_exponential",
                            perturbed(schedule=dict(EXPONENTIAL, rate=0.7007)), (1, "W1")),
    "Keras's Adam for the paper's eps": ("tensorflow", "adam_outside", with_class, (0, "W1")),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_is_caught_at_its_step_and_quantity(engines, dtype, mutant, monkeypatch):
    framework, case, run, expected = MUTANTS[mutant]
    records = run(engines[framework], optimizer_of(CASES[case]), dtype, monkeypatch)
    parity = checked(case, framework, dtype, records)
    found = parity.first_divergence
    assert not parity.passed and found is not None, f"{mutant} was not caught"
    assert (found.step, found.quantity) == expected, describe(parity)


# --- findings ---------------------------------------------------------------------------------

def test_findings_measure_what_the_classes_compute(engines, dtype):
    paper = optimizer_of({"kind": "adam", "learning_rate": 0.01})
    keras_adam, = engines["tensorflow"].findings(paper, dtype, steps=20)
    torch_adam, = engines["torch"].findings(paper, dtype, steps=20)
    assert keras_adam.implementation.used == "written out"
    assert torch_adam.implementation.used == "class" and torch_adam.roundings < 16
    if dtype == "float64":  # eps on sqrt(v) against eps on sqrt(v hat): far beyond rounding
        assert keras_adam.difference > 1e-9 and keras_adam.roundings > 1e6
    scheduled = optimizer_of({"kind": "momentum", "learning_rate": 0.01, "form": "mu_v_minus_lr_g",
                              "schedule": {"kind": "exponential", "rate": 0.96, "decay_steps": 10}})
    sgd, schedule = engines["torch"].findings(scheduled, dtype, steps=20)
    assert sgd.implementation.used == "written out" and sgd.difference > 1e-3
    assert schedule.implementation.framework_class.endswith("ExponentialLR")
    jax_sgd, jax_schedule = engines["jax"].findings(scheduled, dtype, steps=20)
    if dtype == "float64":  # optax's schedule given its int32 count computes in float32
        assert jax_schedule.roundings > 1e6
    assert jax_sgd.implementation.used == "written out" and jax_sgd.difference > 1e-3


# --- the [optimizer] table ---------------------------------------------------------------------

@pytest.mark.parametrize("table, error", [
    ({"kind": "adam", "learning_rate": 0.1, "beta1": 1.0},
     "optimizer.beta1: expected a number in [0, 1), found 1.0"),
    ({"kind": "adam", "learning_rate": -0.1}, "optimizer.learning_rate: expected a number above 0"),
    ({"kind": "adam", "learning_rate": 0.1, "momentum": 0.9},
     "optimizer.momentum: not an option of kind 'adam' (it is one of momentum, nesterov)"),
    ({"kind": "adam", "learning_rate": 0.1, "betta1": 0.9}, "optimizer.betta1: unknown option"),
    ({"kind": "adamw", "learning_rate": 0.1}, "optimizer.kind: expected one of sgd, momentum"),
    ({"learning_rate": 0.1}, "optimizer.kind: missing"),
    ({"kind": "sgd"}, "optimizer.learning_rate: missing"),
    ({"kind": "momentum", "learning_rate": 0.1}, "optimizer.form: missing (kind 'momentum' needs it)"),
    ({"kind": "momentum", "learning_rate": 0.1, "momentum": 0, "form": "mu_v_plus_g"},
     "optimizer.momentum: expected a number in (0, 1), found 0 (without momentum, kind = 'sgd')"),
    ({"kind": "rmsprop", "learning_rate": 0.1, "rho": -0.1},
     "optimizer.rho: expected a number in [0, 1), found -0.1"),
    ({"kind": "adagrad", "learning_rate": 0.1, "eps": -1e-8},
     "optimizer.eps: expected a number of 0 or more"),
    ({"kind": "adam", "learning_rate": 0.1, "eps_placement": "outside_sqrt_uncorrected",
      "bias_correction": False}, "optimizer.eps_placement: 'outside_sqrt_uncorrected' is Adam's"),
    ({"kind": "rmsprop", "learning_rate": 0.1, "eps_placement": "outside_sqrt_uncorrected"},
     "optimizer.eps_placement: 'outside_sqrt_uncorrected' is Adam's"),
    ({"kind": "adam", "learning_rate": 0.1, "bias_correction": "yes"},
     "optimizer.bias_correction: expected true or false, found 'yes'"),
    ({"kind": "sgd", "learning_rate": "0.1"},
     "optimizer.learning_rate: expected a number, found '0.1'"),
    ({"kind": "sgd", "learning_rate": 0.1, "schedule": {"kind": "exponential", "rate": -0.5}},
     "optimizer.schedule.rate: expected a number above 0, found -0.5"),
    ({"kind": "sgd", "learning_rate": 0.1, "schedule": {"kind": "step", "factor": 0.5}},
     "optimizer.schedule.every: missing (kind 'step' needs it)"),
    ({"kind": "sgd", "learning_rate": 0.1, "schedule": {"kind": "step", "factor": 0.5, "every": 2,
                                                         "staircase": True}},
     "optimizer.schedule.staircase: not an option of kind 'step'"),
    ({"kind": "sgd", "learning_rate": 0.1, "schedule": {"kind": "linear", "end_learning_rate": 0.0,
                                                         "steps": 2.5}},
     "optimizer.schedule.steps: expected a whole number of updates, found 2.5"),
    ({"kind": "sgd", "learning_rate": 0.1, "schedule": {"kind": "cosine"}},
     "optimizer.schedule.kind: expected one of constant, step, exponential, inverse_time, linear"),
])
def test_a_wrong_table_is_one_line_naming_the_field(table, error):
    with pytest.raises(ValueError) as raised:
        optimizer_of(table)
    assert str(raised.value).startswith(error)
    assert "\n" not in str(raised.value)


def test_defaults_and_the_schedule_index():
    adam = optimizer_of({"kind": "adam", "learning_rate": 0.001})
    assert adam.given() == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                            "eps_placement": "outside_sqrt", "bias_correction": True}
    assert adam.schedule.kind == "constant"
    assert state_names(adam, ["W1", "b1"]) == ["m.W1", "m.b1", "v.W1", "v.b1", "learning_rate"]
    rate = lambda schedule, t: reference.learning_rate(
        optimizer_of({"kind": "sgd", "learning_rate": 0.1, "schedule": schedule}).schedule, 0.1, t)
    assert rate({"kind": "step", "factor": 0.5, "every": 3}, 0) == 0.1  # t = 0: the first update
    assert rate({"kind": "step", "factor": 0.5, "every": 3}, 3) == 0.05
    assert rate({"kind": "inverse_time", "decay": 0.5}, 2) == 0.1 / 2
    assert rate({"kind": "linear", "end_learning_rate": 0.3, "steps": 4}, 9) == 0.3
    assert spec_module.same_formula(optimizer_of(CASES["momentum_v_minus_lr_g"]),
                                    optimizer_of(CASES["momentum_v_plus_g"]))
    assert not spec_module.same_formula(optimizer_of(CASES["momentum_v_minus_lr_g_exponential"]),
                                        optimizer_of(CASES["momentum_v_plus_g_exponential"]))


def test_the_documentations_tables_are_valid_definitions():
    """Every TOML example in OPTIMIZERS.md is an [optimizer] table the checks accept."""
    import re
    import tomllib
    from pathlib import Path

    text = (Path(spec_module.__file__).parent / "OPTIMIZERS.md").read_text(encoding="utf-8")
    examples = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(examples) == 2
    specs = [optimizer_of(tomllib.loads(example)["optimizer"]) for example in examples]
    assert specs[0].kind == "adam" and specs[0].schedule.decay == 0.01
    assert specs[1].form == "mu_v_minus_lr_g" and specs[1].schedule.every == 10
