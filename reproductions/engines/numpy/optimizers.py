"""Optimizers and learning-rate schedules in NumPy: the reference, written out by hand.

Each update is written as the sources write it (the table in
``reproductions/engines/optimizers.py``), one parameter at a time, in the run's dtype
(the parameters' and gradients'; the rates and factors are Python floats, which NumPy
rounds to that dtype where it combines them with an array). The learning rate of an
update is computed in Python floats from the update's index ``t`` (0 at the first).

    optimizer = Optimizer(spec, params)        # params: name -> ndarray
    params = optimizer.step(params, grads)     # one update; new arrays
    optimizer.state()                          # {"m.W1": ..., "v.W1": ..., "learning_rate": ...}
"""

from __future__ import annotations

import math

import numpy as np

from reproductions.engines.optimizers import STATE, Optimizer as Spec, Schedule


def learning_rate(schedule: Schedule, lr0: float, t: int) -> float:
    """The rate of update ``t`` (0 at the first update)."""
    s = schedule
    if s.kind == "constant":
        return lr0
    if s.kind == "step":
        return lr0 * s.factor ** (t // s.every)
    if s.kind in ("exponential", "inverse_time"):
        ratio = t // s.decay_steps if s.staircase else t / s.decay_steps
        if s.kind == "exponential":
            return lr0 * s.rate ** ratio
        return lr0 / (1 + s.decay * ratio)
    a = min(t, s.steps) / s.steps  # linear: from lr0 to the end rate over `steps` updates
    return (1 - a) * lr0 + a * s.end_learning_rate


def sgd(spec, p, g, state, lr, n):
    return p - lr * g


def momentum(spec, p, g, state, lr, n):
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":  # v sums the gradients; the rate applies to all of v
        state["velocity"] = mu * state["velocity"] + g
        return p - lr * state["velocity"]
    state["velocity"] = mu * state["velocity"] - lr * g  # v sums the steps taken
    return p + state["velocity"]


def nesterov(spec, p, g, state, lr, n):
    """The look-ahead gradient rewritten with the gradient at p: the step takes the
    new velocity once more (mu v) beside the gradient."""
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":
        state["velocity"] = mu * state["velocity"] + g
        return p - lr * (g + mu * state["velocity"])
    state["velocity"] = mu * state["velocity"] - lr * g
    return p + (mu * state["velocity"] - lr * g)  # the step first, then added to p


def scaled_by_root(spec, g, cache, lr):
    """lr g over the root of the cache, eps inside or outside the square root."""
    if spec.eps_placement == "inside_sqrt":
        return lr * g / np.sqrt(cache + spec.eps)
    return lr * g / (np.sqrt(cache) + spec.eps)


def adagrad(spec, p, g, state, lr, n):
    state["cache"] = state["cache"] + g ** 2  # G: every squared gradient so far
    return p - scaled_by_root(spec, g, state["cache"], lr)


def rmsprop(spec, p, g, state, lr, n):
    rho = spec.rho
    state["cache"] = rho * state["cache"] + (1 - rho) * g ** 2  # S: their moving average
    return p - scaled_by_root(spec, g, state["cache"], lr)


def adam(spec, p, g, state, lr, n):
    """``n`` counts the updates from 1 (Adam's t)."""
    b1, b2, eps = spec.beta1, spec.beta2, spec.eps
    m = state["m"] = b1 * state["m"] + (1 - b1) * g
    v = state["v"] = b2 * state["v"] + (1 - b2) * g ** 2
    if spec.eps_placement == "outside_sqrt_uncorrected":
        # the corrections folded into the rate; eps on sqrt(v) as it is
        rate = lr * math.sqrt(1 - b2 ** n) / (1 - b1 ** n)
        return p - rate * m / (np.sqrt(v) + eps)
    if spec.bias_correction:
        m_hat, v_hat = m / (1 - b1 ** n), v / (1 - b2 ** n)
    else:
        m_hat, v_hat = m, v
    if spec.eps_placement == "inside_sqrt":
        return p - lr * m_hat / np.sqrt(v_hat + eps)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


UPDATES = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam}


def start_state(spec: Spec, p: np.ndarray) -> dict[str, np.ndarray]:
    """One parameter's state before the first update: zeros, Adagrad's G at its start."""
    start = spec.initial_accumulator if spec.kind == "adagrad" else 0.0
    return {quantity: np.full_like(p, start) for quantity in STATE[spec.kind]}


class Optimizer:
    """The optimizer of ``spec`` over the parameters ``params`` (name -> array): ``step``
    applies one update and returns the new parameters, keeping the state by name."""

    def __init__(self, spec: Spec, params: dict[str, np.ndarray]):
        self.spec = spec
        self.t = 0  # the index of the next update
        self.rate = None  # the rate of the last update
        self.dtype = next(iter(params.values())).dtype
        self.slots = {name: start_state(spec, np.asarray(p)) for name, p in params.items()}

    def step(self, params: dict, grads: dict) -> dict:
        """One update of every parameter that has a gradient; the parameters after it."""
        self.rate = learning_rate(self.spec.schedule, self.spec.learning_rate, self.t)
        update = UPDATES[self.spec.kind]
        updated = dict(params)
        for name, g in grads.items():
            updated[name] = update(self.spec, params[name], g, self.slots[name], self.rate,
                                   self.t + 1)
        self.t += 1
        return updated

    def state(self) -> dict[str, np.ndarray]:
        """The state by the source's names (``velocity.W1``, ``m.W1``, ...) and the rate
        of the last update, ``learning_rate`` (the first update's before any)."""
        named = {f"{quantity}.{name}": slots[quantity]
                 for quantity in STATE[self.spec.kind] for name, slots in self.slots.items()}
        rate = self.rate if self.rate is not None else self.spec.learning_rate
        named["learning_rate"] = np.asarray(rate, dtype=self.dtype)
        return named


def trajectory(spec: Spec, problem: dict, steps: int, dtype: str = "float64") -> list[dict]:
    """``steps`` updates of the small problem (``optimizers.problem()``: gradient
    curvature * (p - target)): after each, the parameters and the state by name."""
    params = {name: value.astype(dtype) for name, value in problem["start"].items()}
    curvature = {name: value.astype(dtype) for name, value in problem["curvature"].items()}
    target = {name: value.astype(dtype) for name, value in problem["target"].items()}
    optimizer, records = Optimizer(spec, params), []
    for _ in range(steps):
        grads = {name: curvature[name] * (params[name] - target[name]) for name in params}
        params = optimizer.step(params, grads)
        records.append({**{name: p.copy() for name, p in params.items()},
                        **{name: np.array(value) for name, value in optimizer.state().items()}})
    return records
