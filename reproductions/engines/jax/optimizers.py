"""Optimizers and learning-rate schedules in JAX (with optax): optax's transformations and
schedules wherever they compute the source's formula (the table in
``reproductions/engines/optimizers.py``), the update written out in jax.numpy
(``source_formula``, an ``optax.GradientTransformation``) wherever none does. Everything
is pure: ``build`` returns a transformation, its state is a pytree, and ``state`` reads
it; all of it runs under ``jax.jit`` and inside ``jax.lax.scan``.

    optimizer = build(spec)
    opt_state = optimizer.init(params)                      # params: name -> array
    updates, opt_state = optimizer.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    state(spec, opt_state)                                  # {"v.W1": ..., "learning_rate": ...}

The rate comes through ``optax.inject_hyperparams``: its state holds the rate the last
update used (``hyperparams["learning_rate"]``), which ``state`` reports.

What optax computes (read in optax/_src and optax/transforms):

- ``sgd(momentum=mu)``: trace = g + mu trace, update -lr trace: the ``mu_v_plus_g``
  form; ``nesterov=True``: -lr (g + mu trace). The ``mu_v_minus_lr_g`` form is the same
  at a constant rate (its velocity is -lr trace, translated by ``state``); under a
  schedule the update is written out.
- ``adagrad``: G = G + g^2 (start ``initial_accumulator_value``, 0.1 by default), update
  -lr g rsqrt(G + eps) (0 where G is 0): eps inside the square root.
- ``rmsprop(decay=rho, eps_in_sqrt=...)``: nu = (1 - rho) g^2 + rho nu, update -lr g
  rsqrt(nu + eps), or -lr g / (sqrt(nu) + eps): eps inside or outside.
- ``adam(eps, eps_root)``: mu, nu as the source's m, v; update -lr mh / (sqrt(vh +
  eps_root) + eps) after the bias correction, always: eps outside (eps_root = 0) or
  inside (eps = 0, eps_root = eps).
- Schedules: ``exponential_decay`` lr_0 rate^(count / transition_steps) (floor with
  staircase), ``linear_schedule`` (lr_0 - end)(1 - min(count, T) / T) + end; optax has
  no inverse time decay. optax passes the step count as int32, and int32 / int is
  float32 in JAX even with ``jax_enable_x64``: a schedule given the count as it is
  computes its rate in float32. The count is given here as a float of the run's dtype.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from reproductions.engines.numpy import optimizers as numpy_optimizers
from reproductions.engines.optimizers import (STATE, Finding, Implementation, Optimizer as Spec,
                                              formula, measured_findings, same_formula,
                                              schedule_formula, use_of_class)

FRAMEWORK = "jax"
FINDING_STEPS = 50
CLASSES = {"sgd": "optax.sgd", "momentum": "optax.sgd", "nesterov": "optax.sgd",
           "adagrad": "optax.adagrad", "rmsprop": "optax.rmsprop", "adam": "optax.adam"}
SCHEDULE_CLASSES = {"step": "optax.exponential_decay", "exponential": "optax.exponential_decay",
                    "inverse_time": None, "linear": "optax.linear_schedule"}


def float_dtype():
    """The run's float dtype: float64 when the adapter has enabled x64, else float32."""
    return jax.dtypes.canonicalize_dtype(jnp.float64)


# --- which formula optax computes ----------------------------------------------------

def class_spec(spec: Spec) -> Spec:
    """The spec of the formula optax's transformation for ``spec.kind`` computes, with
    the options it takes from ``spec``."""
    if spec.kind in ("momentum", "nesterov"):
        return spec.replaced(form="mu_v_plus_g")
    if spec.kind == "adagrad":
        return spec.replaced(eps_placement="inside_sqrt")
    if spec.kind == "adam":
        placement = "inside_sqrt" if spec.eps_placement == "inside_sqrt" else "outside_sqrt"
        return spec.replaced(eps_placement=placement, bias_correction=True)
    return spec


def precise(spec: Spec, dtype: str) -> bool:
    """Whether optax computes its formula as precisely as the run's dtype allows: not
    Adam in float32, whose bias corrections take b^n of b rounded to float32 (1 - 0.999^n
    is 1.3e-5 off at n = 1: the rounding of b over 1 - b)."""
    return not (spec.kind == "adam" and dtype == "float32")


def implementation(spec: Spec, dtype: str = "float64") -> Implementation:
    """optax's transformation for ``spec`` and whether this module uses it in ``dtype``."""
    computes = class_spec(spec)
    used = use_of_class(spec, computes, precise(spec, dtype))
    notes = {"class, velocity translated": "velocity = -lr trace (optax's trace sums gradients)",
             "class": {"rmsprop": "eps_in_sqrt", "adam": "eps_root for eps inside"}.get(spec.kind, ""),
             "written out": "" if precise(spec, dtype) or not same_formula(spec, computes) else
             "in float32: optax's bias corrections take b^n of b rounded to float32"}
    return Implementation("optimizer", CLASSES[spec.kind], formula(computes), used,
                          notes.get(used, ""))


def schedule_implementation(spec: Spec) -> Implementation:
    """The framework's schedule class for ``spec.schedule`` and whether this module uses it."""
    s = spec.schedule
    if s.kind == "constant":
        return Implementation("schedule", None, schedule_formula(s), "no schedule")
    if s.kind == "inverse_time":
        return Implementation("schedule", None, schedule_formula(s), "written out",
                              "a jax.numpy function of the count")
    computes = {"step": "lr_0 factor^floor(count / every) (exponential_decay, staircase)",
                "exponential": "lr_0 rate^(count / transition_steps), floor with staircase",
                "linear": "(lr_0 - end)(1 - min(count, T) / T) + end"}[s.kind]
    return Implementation("schedule", SCHEDULE_CLASSES[s.kind], computes, "class",
                          "given the count as a float of the run's dtype (the difference "
                          "measured: given optax's int32 count, which makes the rate float32)")


# --- the update written out where optax computes another formula -----------------------
# Each returns the increment (p + increment is the new parameter) and the new state.

def sgd(spec, g, slots, lr, n):
    return -(lr * g), {}


def momentum(spec, g, slots, lr, n):
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":
        velocity = mu * slots["velocity"] + g
        return -(lr * velocity), {"velocity": velocity}
    velocity = mu * slots["velocity"] - lr * g
    return velocity, {"velocity": velocity}


def nesterov(spec, g, slots, lr, n):
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":
        velocity = mu * slots["velocity"] + g
        return -(lr * (g + mu * velocity)), {"velocity": velocity}
    velocity = mu * slots["velocity"] - lr * g
    return mu * velocity - lr * g, {"velocity": velocity}


def scaled_by_root(spec, g, cache, lr):
    if spec.eps_placement == "inside_sqrt":
        return lr * g / jnp.sqrt(cache + spec.eps)
    return lr * g / (jnp.sqrt(cache) + spec.eps)


def adagrad(spec, g, slots, lr, n):
    cache = slots["cache"] + jnp.square(g)
    return -scaled_by_root(spec, g, cache, lr), {"cache": cache}


def rmsprop(spec, g, slots, lr, n):
    cache = spec.rho * slots["cache"] + (1 - spec.rho) * jnp.square(g)
    return -scaled_by_root(spec, g, cache, lr), {"cache": cache}


def one_minus_power(beta: float, n, dtype):
    """1 - beta^n as -expm1(n log1p(-(1 - beta))), with 1 - beta taken in Python floats:
    in float32, 1 - 0.999^n after rounding 0.999 is 2.4e-5 off at n = 1 (the rounding
    of beta over 1 - beta), this is a few eps off, as the sources' Python floats are."""
    return -jnp.expm1(n.astype(dtype) * jnp.log1p(jnp.asarray(-(1 - beta), dtype)))


def adam(spec, g, slots, lr, n):
    b1, b2, eps = spec.beta1, spec.beta2, spec.eps
    m = b1 * slots["m"] + (1 - b1) * g
    v = b2 * slots["v"] + (1 - b2) * jnp.square(g)
    moments = {"m": m, "v": v}
    c1, c2 = one_minus_power(b1, n, g.dtype), one_minus_power(b2, n, g.dtype)
    if spec.eps_placement == "outside_sqrt_uncorrected":
        rate = lr * jnp.sqrt(c2) / c1
        return -(rate * m / (jnp.sqrt(v) + eps)), moments
    if spec.bias_correction:
        m_hat, v_hat = m / c1, v / c2
    else:
        m_hat, v_hat = m, v
    if spec.eps_placement == "inside_sqrt":
        return -(lr * m_hat / jnp.sqrt(v_hat + eps)), moments
    return -(lr * m_hat / (jnp.sqrt(v_hat) + eps)), moments


UPDATES = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam}


class SourceState(NamedTuple):
    """The written-out update's state: the updates so far, and each state quantity
    (``"velocity"``, ``"cache"``, ``"m"``, ``"v"``) as a tree like the parameters."""

    count: jnp.ndarray
    slots: dict


def source_formula(spec: Spec, learning_rate) -> optax.GradientTransformation:
    """The source's update of ``spec`` as an optax transformation, at ``learning_rate``
    (a number; ``inject_hyperparams`` passes each update's)."""
    quantities = STATE[spec.kind]

    def init(params):
        start = spec.initial_accumulator if spec.kind == "adagrad" else 0.0
        return SourceState(jnp.zeros([], jnp.int32),
                           {q: jax.tree.map(lambda p: jnp.full_like(p, start), params)
                            for q in quantities})

    def update(grads, state, params=None):
        n = state.count + 1  # Adam's counter: 1 at the first update
        leaves, tree = jax.tree.flatten(grads)
        held = {q: jax.tree.leaves(state.slots[q]) for q in quantities}
        increments, slots = [], {q: [] for q in quantities}
        for k, g in enumerate(leaves):
            lr = jnp.asarray(learning_rate, g.dtype)
            increment, new = UPDATES[spec.kind](spec, g, {q: held[q][k] for q in quantities}, lr, n)
            increments.append(increment)
            for q in quantities:
                slots[q].append(new[q])
        slots = {q: jax.tree.unflatten(tree, slots[q]) for q in quantities}
        return jax.tree.unflatten(tree, increments), SourceState(n, slots)

    return optax.GradientTransformation(init, update)


# --- building ------------------------------------------------------------------------

def counted(schedule):
    """An optax schedule given the count as a float of the run's dtype."""
    return lambda count: schedule(jnp.asarray(count, float_dtype()))


def inverse_time(spec: Spec):
    s, lr0 = spec.schedule, spec.learning_rate

    def rate(count):
        t = jnp.asarray(count, float_dtype())
        ratio = jnp.floor(t / s.decay_steps) if s.staircase else t / s.decay_steps
        return lr0 / (1 + s.decay * ratio)

    return rate


def schedule(spec: Spec, use_class: bool | None = None):
    """The rate optax is given: the number for a constant rate, else a function of the
    update count (0 at the first update). ``use_class=True`` gives optax's schedule the
    int32 count as optax passes it (a float32 rate, see above)."""
    s, lr0 = spec.schedule, spec.learning_rate
    with_count = (lambda schedule: schedule) if use_class else counted
    if s.kind == "constant":
        return lr0
    if s.kind == "step":
        return with_count(optax.exponential_decay(lr0, transition_steps=s.every,
                                                  decay_rate=s.factor, staircase=True))
    if s.kind == "exponential":
        return with_count(optax.exponential_decay(lr0, transition_steps=s.decay_steps,
                                                  decay_rate=s.rate, staircase=s.staircase))
    if s.kind == "inverse_time":
        return inverse_time(spec)
    return with_count(optax.linear_schedule(lr0, s.end_learning_rate, transition_steps=s.steps))


def framework_class(spec: Spec, learning_rate) -> optax.GradientTransformation:
    """optax's transformation for ``spec.kind`` with ``spec``'s options: it computes
    ``class_spec(spec)``."""
    if spec.kind == "sgd":
        return optax.sgd(learning_rate)
    if spec.kind in ("momentum", "nesterov"):
        return optax.sgd(learning_rate, momentum=spec.momentum, nesterov=spec.kind == "nesterov")
    if spec.kind == "adagrad":
        return optax.adagrad(learning_rate, initial_accumulator_value=spec.initial_accumulator,
                             eps=spec.eps)
    if spec.kind == "rmsprop":
        return optax.rmsprop(learning_rate, decay=spec.rho, eps=spec.eps,
                             eps_in_sqrt=spec.eps_placement == "inside_sqrt")
    inside = spec.eps_placement == "inside_sqrt"
    return optax.adam(learning_rate, b1=spec.beta1, b2=spec.beta2,
                      eps=0.0 if inside else spec.eps, eps_root=spec.eps if inside else 0.0)


def build(spec: Spec, use_class: bool | None = None,
          schedule_class: bool | None = None) -> optax.GradientTransformationExtraArgs:
    """The optimizer of ``spec``, its rate injected by ``optax.inject_hyperparams``. By
    default optax's transformation where it computes the source's formula
    (``implementation``), ``source_formula`` where not; ``use_class=True`` takes optax's
    whatever it computes (``class_spec``), ``False`` the written-out update."""
    if use_class is None:
        use_class = implementation(spec, float_dtype().name).used != "written out"
    make = framework_class if use_class else source_formula

    def at_rate(learning_rate):
        return make(spec, learning_rate)

    return optax.inject_hyperparams(at_rate)(learning_rate=schedule(spec, schedule_class))


# --- the state in the source's terms ---------------------------------------------------

def named_fields(opt_state) -> dict:
    """Every field of the named tuples in an optax state, by name (a chain's state is a
    tuple of them)."""
    found = {}
    if hasattr(opt_state, "_fields"):
        found.update({name: getattr(opt_state, name) for name in opt_state._fields})
    if isinstance(opt_state, tuple):
        for part in opt_state:
            for name, value in named_fields(part).items():
                found.setdefault(name, value)
    return found


def state(spec: Spec, opt_state) -> dict:
    """The state by the source's names (``velocity.W1``, ``m.W1``, ``v.W1``,
    ``cache.W1``) and ``learning_rate``, the rate of the last update (before any, the
    first's): a pure function, for jit and scan."""
    inner = named_fields(opt_state.inner_state)
    held_as = {"velocity": "trace", "m": "mu", "v": "nu",
               "cache": "sum_of_squares" if spec.kind == "adagrad" else "nu"}
    named = {}
    for quantity in STATE[spec.kind]:
        written_out = "slots" in inner
        tree = inner["slots"][quantity] if written_out else inner[held_as[quantity]]
        for name, value in tree.items():
            if quantity == "velocity" and not written_out and spec.form == "mu_v_minus_lr_g":
                value = -spec.learning_rate * value  # optax's trace sums gradients
            named[f"{quantity}.{name}"] = value
    named["learning_rate"] = opt_state.hyperparams["learning_rate"]
    return named


# --- the small problem, and what the classes compute on it ------------------------------

def quadratic_cost(params, curvature, target):
    return sum(jnp.sum(curvature[name] * (p - target[name]) ** 2)
               for name, p in params.items()) / 2


quadratic_gradient = jax.jit(jax.grad(quadratic_cost))  # one program for every spec


def trajectory(spec: Spec, problem: dict, steps: int, dtype: str = "float64",
               use_class: bool | None = None, schedule_class: bool | None = None,
               compiled: bool = False) -> list[dict]:
    """``steps`` updates of the small problem (jax.grad, update, apply_updates): after
    each, the parameters and the state by name, as float64 NumPy. ``compiled``: the
    steps in one jitted ``jax.lax.scan``."""
    import numpy as np

    as_array = lambda table: {name: jnp.asarray(value, dtype) for name, value in table.items()}
    params = as_array(problem["start"])
    curvature, target = as_array(problem["curvature"]), as_array(problem["target"])
    optimizer = build(spec, use_class, schedule_class)

    def step(carry, _):
        params, opt_state = carry
        grads = quadratic_gradient(params, curvature, target)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return (params, opt_state), {**params, **state(spec, opt_state)}

    carry = (params, optimizer.init(params))
    if compiled:
        _, stacked = jax.jit(lambda carry: jax.lax.scan(step, carry, None, length=steps))(carry)
        return [{name: np.asarray(value[k], np.float64) for name, value in stacked.items()}
                for k in range(steps)]
    records = []
    for _ in range(steps):
        carry, named = step(carry, None)
        records.append({name: np.asarray(value, np.float64) for name, value in named.items()})
    return records


def findings(spec: Spec, dtype: str = "float64", steps: int = FINDING_STEPS) -> list[Finding]:
    """For ``spec``: which formula optax's transformations and schedules compute, whether
    this module uses them, and how far they move from the source's formula on the small
    problem (``optimizers.measured_findings``)."""
    return measured_findings(FRAMEWORK, sys.modules[__name__], spec, dtype, steps,
                             numpy_optimizers.trajectory)
