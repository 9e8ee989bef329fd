"""Optimizers and learning-rate schedules in TensorFlow (Keras 3): ``keras.optimizers``'
classes and ``keras.optimizers.schedules``' wherever they compute the source's formula
(the table in ``reproductions/engines/optimizers.py``), the update written out in Keras
ops (``SourceFormula``, a ``keras.optimizers.Optimizer``) wherever none does.

    optimizer = build(spec, variables)     # variables: name -> variable; built on them
    optimizer.apply_gradients(zip(grads, variables.values()))   # inside a tf.function too
    state(spec, optimizer, variables)      # {"m.W1": ..., "learning_rate": ...}, tensors

``build`` builds the optimizer on the variables, so that its own variables exist before a
``tf.function`` step is traced; ``state`` is TensorFlow ops, usable inside that step.

What Keras's classes compute (read in keras/src/optimizers):

- ``SGD(momentum=mu)``: m = mu m - lr g, p = p + m: the ``mu_v_minus_lr_g`` form;
  ``nesterov=True``: p = p + (mu m - lr g). The ``mu_v_plus_g`` form is the same at a
  constant rate (its velocity is -m / lr, translated by ``state``); under a schedule the
  update is written out.
- ``Adagrad``: acc = acc + g^2 (start ``initial_accumulator_value``, 0.1 by default),
  p = p - lr g / sqrt(acc + eps): eps inside the square root.
- ``RMSprop(momentum=0, centered=False)``: vel = rho vel + (1 - rho) g^2,
  p = p - lr g / sqrt(vel + eps): eps inside.
- ``Adam``: alpha = lr sqrt(1 - b2^n) / (1 - b1^n), m = m + (g - m)(1 - b1),
  v = v + (g^2 - v)(1 - b2), p = p - m alpha / (sqrt(v) + eps): eps added to sqrt(v)
  before the bias correction (``"outside_sqrt_uncorrected"``); bias correction always.
- Schedules: ``ExponentialDecay`` lr_0 rate^(t / decay_steps) (floor with staircase),
  ``InverseTimeDecay`` lr_0 / (1 + decay t / decay_steps), ``PolynomialDecay(power=1)``
  (lr_0 - end)(1 - min(t, T) / T) + end, each called with the optimizer's iteration
  count (0 at the first update).

Two roundings to keep out: Keras converts a Python float hyperparameter with
``ops.cast``, which goes through float32 (``SGD(momentum=0.9)`` computes with
0.8999999761581421 in float64, ``Adagrad``'s start value 0.1 with 0.10000000149, the
schedules' rates and ends alike), and a schedule computes in the dtype of its initial
rate, float32 for a Python float. Every number given to Keras here is a NumPy float64.
"""

from __future__ import annotations

import sys

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from reproductions.engines.numpy import optimizers as numpy_optimizers
from reproductions.engines.optimizers import (STATE, Finding, Implementation, Optimizer as Spec,
                                              formula, measured_findings, same_formula,
                                              schedule_formula, use_of_class)

FRAMEWORK = "tensorflow"
FINDING_STEPS = 50
CLASSES = {"sgd": "keras.optimizers.SGD", "momentum": "keras.optimizers.SGD",
           "nesterov": "keras.optimizers.SGD", "adagrad": "keras.optimizers.Adagrad",
           "rmsprop": "keras.optimizers.RMSprop", "adam": "keras.optimizers.Adam"}
SCHEDULE_CLASSES = {"step": "keras.optimizers.schedules.ExponentialDecay",
                    "exponential": "keras.optimizers.schedules.ExponentialDecay",
                    "inverse_time": "keras.optimizers.schedules.InverseTimeDecay",
                    "linear": "keras.optimizers.schedules.PolynomialDecay"}


def exact(value: float) -> np.float64:
    """A hyperparameter as Keras must be given it: a NumPy float64 (see above)."""
    return np.float64(value)


# --- which formula Keras's class computes -------------------------------------------

def class_spec(spec: Spec) -> Spec:
    """The spec of the formula Keras's class for ``spec.kind`` computes, with the options
    the class takes from ``spec``."""
    if spec.kind in ("momentum", "nesterov"):
        return spec.replaced(form="mu_v_minus_lr_g")
    if spec.kind in ("adagrad", "rmsprop"):
        return spec.replaced(eps_placement="inside_sqrt")
    if spec.kind == "adam":
        return spec.replaced(eps_placement="outside_sqrt_uncorrected", bias_correction=True)
    return spec


def precise(spec: Spec, dtype: str) -> bool:
    """Whether Keras's class computes its formula as precisely as the run's dtype allows:
    not Adam in float32, whose bias corrections take b^n of b rounded to float32 (1 -
    0.999^n is 1.3e-5 off at n = 1: the rounding of b over 1 - b)."""
    return not (spec.kind == "adam" and dtype == "float32")


def implementation(spec: Spec, dtype: str = "float64") -> Implementation:
    """Keras's class for ``spec`` and whether this module uses it in ``dtype``."""
    computes = class_spec(spec)
    used = use_of_class(spec, computes, precise(spec, dtype))
    notes = {"class, velocity translated": "velocity = -m / lr (Keras's momentum holds the steps)",
             "written out": "" if precise(spec, dtype) or not same_formula(spec, computes) else
             "in float32: Keras's bias corrections take b^n of b rounded to float32"}
    return Implementation("optimizer", CLASSES[spec.kind], formula(computes), used,
                          notes.get(used, ""))


def schedule_implementation(spec: Spec) -> Implementation:
    """The framework's schedule class for ``spec.schedule`` and whether this module uses it."""
    s = spec.schedule
    if s.kind == "constant":
        return Implementation("schedule", None, schedule_formula(s), "no schedule")
    computes = {"step": "lr_0 decay_rate^floor(t / decay_steps) (staircase)",
                "exponential": "lr_0 decay_rate^(t / decay_steps), floor with staircase",
                "inverse_time": "lr_0 / (1 + decay_rate t / decay_steps), floor with staircase",
                "linear": "(lr_0 - end)(1 - min(t, T) / T) + end (power 1)"}[s.kind]
    return Implementation("schedule", SCHEDULE_CLASSES[s.kind], computes, "class",
                          "given NumPy float64 numbers (the difference measured: given "
                          "Python floats, which it computes with in float32)")


# --- the update written out where no class computes it ----------------------------

def constant(value, like):
    """A hyperparameter as a tensor of ``like``'s dtype, converted once, exactly. A
    difference such as 1 - b is taken in Python floats first, as the sources take it:
    in float32, 1 - 0.999 after rounding 0.999 is 1.3e-5 off (100 eps)."""
    return ops.convert_to_tensor(exact(value), dtype=like.dtype)


def sgd(optimizer, spec, p, g, slots, lr, n):
    return p - lr * g


def momentum(optimizer, spec, p, g, slots, lr, n):
    mu = constant(spec.momentum, p)
    if spec.form == "mu_v_plus_g":
        velocity = mu * slots["velocity"] + g
        optimizer.assign(slots["velocity"], velocity)
        return p - lr * velocity
    velocity = mu * slots["velocity"] - lr * g
    optimizer.assign(slots["velocity"], velocity)
    return p + velocity


def nesterov(optimizer, spec, p, g, slots, lr, n):
    mu = constant(spec.momentum, p)
    if spec.form == "mu_v_plus_g":
        velocity = mu * slots["velocity"] + g
        optimizer.assign(slots["velocity"], velocity)
        return p - lr * (g + mu * velocity)
    velocity = mu * slots["velocity"] - lr * g
    optimizer.assign(slots["velocity"], velocity)
    return p + (mu * velocity - lr * g)


def scaled_by_root(spec, g, cache, lr):
    eps = constant(spec.eps, g)
    if spec.eps_placement == "inside_sqrt":
        return lr * g / ops.sqrt(cache + eps)
    return lr * g / (ops.sqrt(cache) + eps)


def adagrad(optimizer, spec, p, g, slots, lr, n):
    cache = slots["cache"] + ops.square(g)
    optimizer.assign(slots["cache"], cache)
    return p - scaled_by_root(spec, g, cache, lr)


def rmsprop(optimizer, spec, p, g, slots, lr, n):
    rho, one_minus_rho = constant(spec.rho, p), constant(1 - spec.rho, p)
    cache = rho * slots["cache"] + one_minus_rho * ops.square(g)
    optimizer.assign(slots["cache"], cache)
    return p - scaled_by_root(spec, g, cache, lr)


def bias_corrections(spec, n):
    """1 - b1^n and 1 - b2^n in float64, as the sources' Python floats compute them: in
    float32, 0.999 is 0.99900001 and 1 - 0.999^n is 2.4e-5 off at n = 1 (the rounding of
    b over 1 - b), which Keras's Adam and optax's adam carry in a float32 run."""
    n = ops.cast(n, "float64")
    return 1 - exact(spec.beta1) ** n, 1 - exact(spec.beta2) ** n


def adam(optimizer, spec, p, g, slots, lr, n):
    b1, b2, eps = constant(spec.beta1, p), constant(spec.beta2, p), constant(spec.eps, p)
    m = b1 * slots["m"] + constant(1 - spec.beta1, p) * g
    v = b2 * slots["v"] + constant(1 - spec.beta2, p) * ops.square(g)
    optimizer.assign(slots["m"], m)
    optimizer.assign(slots["v"], v)
    c1, c2 = bias_corrections(spec, n)
    if spec.eps_placement == "outside_sqrt_uncorrected":
        rate = lr * ops.cast(ops.sqrt(c2) / c1, p.dtype)
        return p - rate * m / (ops.sqrt(v) + eps)
    if spec.bias_correction:
        m_hat, v_hat = m / ops.cast(c1, p.dtype), v / ops.cast(c2, p.dtype)
    else:
        m_hat, v_hat = m, v
    if spec.eps_placement == "inside_sqrt":
        return p - lr * m_hat / ops.sqrt(v_hat + eps)
    return p - lr * m_hat / (ops.sqrt(v_hat) + eps)


UPDATES = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam}


class SourceFormula(keras.optimizers.Optimizer):
    """The source's update of ``spec`` in Keras ops, one variable at a time, its state
    in optimizer variables under the source's names (``slots["m"][i]``, ...); the count
    of updates ``n`` is the optimizer's iterations + 1."""

    def __init__(self, spec: Spec, learning_rate, name: str | None = None):
        super().__init__(learning_rate=learning_rate, name=name or f"source_{spec.kind}")
        self.spec = spec

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        start = self.spec.initial_accumulator if self.spec.kind == "adagrad" else 0.0
        initializer = keras.initializers.Constant(exact(start))
        self.slots = {quantity: self.add_optimizer_variables(variables, quantity, initializer)
                      for quantity in STATE[self.spec.kind]}

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        slots = {quantity: held[index] for quantity, held in self.slots.items()}
        n = self.iterations + 1
        self.assign(variable, UPDATES[self.spec.kind](self, self.spec, variable, g, slots, lr, n))


# --- building ------------------------------------------------------------------------

def schedule(spec: Spec, python_floats: bool = False):
    """The learning rate Keras is given: a NumPy float64 for a constant rate, Keras's
    schedule class otherwise (NumPy float64 numbers, so that it computes in float64;
    ``python_floats``: Python floats instead, as Keras's documentation gives them, for
    the findings)."""
    number = float if python_floats else exact
    s, schedules, lr0 = spec.schedule, keras.optimizers.schedules, number(spec.learning_rate)
    if s.kind == "constant":
        return lr0
    if s.kind == "step":
        return schedules.ExponentialDecay(lr0, decay_steps=s.every, decay_rate=number(s.factor),
                                          staircase=True)
    if s.kind == "exponential":
        return schedules.ExponentialDecay(lr0, decay_steps=s.decay_steps,
                                          decay_rate=number(s.rate), staircase=s.staircase)
    if s.kind == "inverse_time":
        return schedules.InverseTimeDecay(lr0, decay_steps=s.decay_steps,
                                          decay_rate=number(s.decay), staircase=s.staircase)
    return schedules.PolynomialDecay(lr0, decay_steps=s.steps,
                                     end_learning_rate=number(s.end_learning_rate), power=1.0)


def framework_class(spec: Spec, learning_rate) -> keras.optimizers.Optimizer:
    """Keras's class for ``spec.kind`` with ``spec``'s options: it computes
    ``class_spec(spec)``."""
    if spec.kind == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if spec.kind in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate, momentum=exact(spec.momentum),
                                    nesterov=spec.kind == "nesterov")
    if spec.kind == "adagrad":
        return keras.optimizers.Adagrad(learning_rate, epsilon=exact(spec.eps),
                                        initial_accumulator_value=exact(spec.initial_accumulator))
    if spec.kind == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate, rho=exact(spec.rho), momentum=0.0,
                                        epsilon=exact(spec.eps), centered=False)
    return keras.optimizers.Adam(learning_rate, beta_1=exact(spec.beta1),
                                 beta_2=exact(spec.beta2), epsilon=exact(spec.eps))


def build(spec: Spec, variables: dict, use_class: bool | None = None,
          schedule_class: bool | None = None) -> keras.optimizers.Optimizer:
    """The optimizer of ``spec``, built on ``variables`` (name -> variable). By default
    Keras's class where it computes the source's formula (``implementation``),
    ``SourceFormula`` where not; ``use_class=True`` takes the class whatever it computes
    (``class_spec``), ``False`` the written-out update. Keras's schedule classes compute
    every schedule; ``schedule_class=True`` gives them Python floats (the findings)."""
    if use_class is None:
        dtype = tf.as_dtype(next(iter(variables.values())).dtype).name
        use_class = implementation(spec, dtype).used != "written out"
    rate = schedule(spec, python_floats=bool(schedule_class))
    optimizer = framework_class(spec, rate) if use_class else SourceFormula(spec, rate)
    optimizer.build(list(variables.values()))
    return optimizer


# --- the state in the source's terms ---------------------------------------------------

def held_slot(spec: Spec, optimizer, variable, quantity: str):
    """One state quantity of ``variable`` as the optimizer keeps it. Keras keeps no public
    map from a variable to its optimizer variables: the lists below are the classes' own."""
    index = optimizer._get_variable_index(variable)
    if isinstance(optimizer, SourceFormula):
        return optimizer.slots[quantity][index]
    if quantity == "velocity":
        return optimizer.momentums[index]
    if quantity == "cache":
        held = optimizer._accumulators if spec.kind == "adagrad" else optimizer._velocities
        return held[index]
    return (optimizer._momentums if quantity == "m" else optimizer._velocities)[index]


def last_rate(spec: Spec, optimizer, dtype):
    """The rate of the last update: the schedule at the iteration before the count."""
    rate = schedule(spec)
    if callable(rate):
        return ops.cast(rate(ops.maximum(optimizer.iterations - 1, 0)), dtype)
    return ops.convert_to_tensor(rate, dtype=dtype)


def state(spec: Spec, optimizer, variables: dict) -> dict:
    """The state by the source's names (``velocity.W1``, ``m.W1``, ``v.W1``,
    ``cache.W1``) and ``learning_rate``, the rate of the last update: tensors read now."""
    named = {}
    for quantity in STATE[spec.kind]:
        for name, variable in variables.items():
            value = tf.identity(held_slot(spec, optimizer, variable, quantity))
            if quantity == "velocity" and not isinstance(optimizer, SourceFormula) and \
                    spec.form == "mu_v_plus_g":  # Keras's momentum holds the steps
                value = -value / constant(spec.learning_rate, value)
            named[f"{quantity}.{name}"] = value
    named["learning_rate"] = last_rate(spec, optimizer, next(iter(variables.values())).dtype)
    return named


# --- the small problem, and what the classes compute on it ------------------------------

def trajectory(spec: Spec, problem: dict, steps: int, dtype: str = "float64",
               use_class: bool | None = None, schedule_class: bool | None = None,
               compiled: bool = False) -> list[dict]:
    """``steps`` updates of the small problem (tape, apply_gradients): after each, the
    parameters and the state by name, as float64 NumPy. ``compiled``: every step inside
    one ``tf.function`` graph loop (``frameworks.tensorflow_adapter.graph_loop``)."""
    from frameworks.tensorflow_adapter import graph_loop

    as_tensor = lambda table: {name: tf.constant(value, dtype=dtype) for name, value in table.items()}
    variables = {name: tf.Variable(value, name=name)
                 for name, value in as_tensor(problem["start"]).items()}
    curvature, target = as_tensor(problem["curvature"]), as_tensor(problem["target"])
    optimizer = build(spec, variables, use_class, schedule_class)

    def step():
        with tf.GradientTape() as tape:
            cost = sum(tf.reduce_sum(curvature[name] * (p - target[name]) ** 2)
                       for name, p in variables.items()) / 2
        grads = tape.gradient(cost, list(variables.values()))
        optimizer.apply_gradients(zip(grads, variables.values()))
        return {**{name: tf.identity(p) for name, p in variables.items()},
                **state(spec, optimizer, variables)}

    if compiled:
        stacked = graph_loop(step)(steps)
        return [{name: np.asarray(value[k], np.float64) for name, value in stacked.items()}
                for k in range(steps)]
    return [{name: np.asarray(value, np.float64) for name, value in step().items()}
            for _ in range(steps)]


def findings(spec: Spec, dtype: str = "float64", steps: int = FINDING_STEPS) -> list[Finding]:
    """For ``spec``: which formula Keras's classes compute, whether this module uses them,
    and how far they move from the source's formula on the small problem
    (``optimizers.measured_findings``)."""
    return measured_findings(FRAMEWORK, sys.modules[__name__], spec, dtype, steps,
                             numpy_optimizers.trajectory)
