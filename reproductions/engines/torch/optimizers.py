"""Optimizers and learning-rate schedules in PyTorch: ``torch.optim``'s classes and
``torch.optim.lr_scheduler``'s wherever they compute the source's formula (the table in
``reproductions/engines/optimizers.py``), the update written out in torch ops
(``SourceFormula``, a ``torch.optim.Optimizer``) wherever none does.

    optimizer = build(spec, params)   # params: name -> nn.Parameter
    optimizer.zero_grad(); cost.backward(); optimizer.step()
    state(spec, optimizer, params)    # {"velocity.W1": ..., "learning_rate": ...}

The schedule travels with the optimizer: ``build`` hooks the scheduler to
``optimizer.step()`` (it steps the scheduler after each update, as torch wants it
called), and each step keeps the rate it used in its parameter group
(``"rate_of_last_step"``): ``state``'s ``learning_rate``.

What torch's classes compute (read in torch/optim, single-tensor path, which torch
takes for CPU tensors):

- ``SGD(momentum=mu, dampening=0)``: buf = mu buf + g (buf = g at the first update,
  the same), p = p - lr buf: the ``mu_v_plus_g`` form; ``nesterov=True``:
  p = p - lr (g + mu buf). The ``mu_v_minus_lr_g`` form is the same at a constant rate
  (its velocity is -lr buf, translated by ``state``); under a schedule the update is
  written out.
- ``Adagrad``: sum = sum + g^2 (start ``initial_accumulator_value``), p = p - clr g /
  (sqrt(sum) + eps), clr = lr / (1 + (k - 1) lr_decay), lr_decay 0 here: eps outside.
- ``RMSprop(alpha=rho, momentum=0, centered=False)``: square_avg = alpha square_avg +
  (1 - alpha) g^2, p = p - lr g / (sqrt(square_avg) + eps): eps outside.
- ``Adam``: m lerp'd toward g by 1 - b1, v = b2 v + (1 - b2) g^2, p = p - lr / (1 - b1^n)
  m / (sqrt(v) / sqrt(1 - b2^n) + eps): eps outside sqrt(v hat), bias correction
  always (the bias corrections in Python floats, from the step count n).
- Schedulers multiply the group's rate step by step: ``StepLR`` by gamma every
  step_size steps, ``ExponentialLR`` by gamma every step, ``LinearLR`` by the ratio of
  successive linear factors; ``LambdaLR`` sets base rate * f(t).
"""

from __future__ import annotations

import sys

import torch

from reproductions.engines.numpy import optimizers as numpy_optimizers
from reproductions.engines.optimizers import (STATE, Finding, Implementation, Optimizer as Spec,
                                              formula, measured_findings, same_formula,
                                              schedule_formula, use_of_class)

FRAMEWORK = "torch"
FINDING_STEPS = 50
CLASSES = {"sgd": "torch.optim.SGD", "momentum": "torch.optim.SGD",
           "nesterov": "torch.optim.SGD", "adagrad": "torch.optim.Adagrad",
           "rmsprop": "torch.optim.RMSprop", "adam": "torch.optim.Adam"}


# --- which formula torch's class computes ------------------------------------------

def class_spec(spec: Spec) -> Spec:
    """The spec of the formula torch's class for ``spec.kind`` computes, with the
    options the class takes from ``spec``."""
    if spec.kind in ("momentum", "nesterov"):
        return spec.replaced(form="mu_v_plus_g")
    if spec.kind in ("adagrad", "rmsprop"):
        return spec.replaced(eps_placement="outside_sqrt")
    if spec.kind == "adam":
        return spec.replaced(eps_placement="outside_sqrt", bias_correction=True)
    return spec


def implementation(spec: Spec, dtype: str = "float64") -> Implementation:
    """torch's class for ``spec`` and whether this module uses it (the same in either
    dtype: torch computes Adam's bias corrections in Python floats)."""
    computes = class_spec(spec)
    used = use_of_class(spec, computes)
    note = ("velocity = -lr buf (torch's momentum_buffer sums gradients)"
            if used == "class, velocity translated" else "")
    return Implementation("optimizer", CLASSES[spec.kind], formula(computes), used, note)


def schedule_implementation(spec: Spec) -> Implementation:
    """The framework's schedule class for ``spec.schedule`` and whether this module uses it."""
    s = spec.schedule
    if s.kind == "constant":
        return Implementation("schedule", None, schedule_formula(s), "no schedule")
    if s.kind == "step" or (s.kind == "exponential" and s.staircase):
        return Implementation("schedule", "torch.optim.lr_scheduler.StepLR",
                              "lr_t = lr_(t-1) gamma where t is a multiple of step_size",
                              "class")
    if s.kind == "exponential":
        if s.decay_steps == 1:
            return Implementation("schedule", "torch.optim.lr_scheduler.ExponentialLR",
                                  "lr_t = lr_(t-1) gamma", "class")
        return Implementation("schedule", "torch.optim.lr_scheduler.ExponentialLR",
                              "lr_t = lr_(t-1) gamma, gamma = rate^(1 / decay_steps) rounded once",
                              "written out",
                              "LambdaLR with the source's rate^(t / decay_steps): "
                              "ExponentialLR's rounded gamma drifts by t times its rounding")
    if s.kind == "inverse_time":
        return Implementation("schedule", None, schedule_formula(s), "written out",
                              "LambdaLR with the source's 1 / (1 + decay t / decay_steps)")
    return Implementation("schedule", "torch.optim.lr_scheduler.LinearLR",
                          "lr_t = lr_(t-1) (1 + (e - s) / (T s + (t - 1)(e - s))), "
                          "the linear factor from s to e over T steps", "class",
                          "start and end factors relative to the larger of the two rates")


# --- the update written out where no class computes it ----------------------------

def sgd(spec, p, g, state, lr, n):
    return p - lr * g


def momentum(spec, p, g, state, lr, n):
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":
        state["velocity"] = mu * state["velocity"] + g
        return p - lr * state["velocity"]
    state["velocity"] = mu * state["velocity"] - lr * g
    return p + state["velocity"]


def nesterov(spec, p, g, state, lr, n):
    mu = spec.momentum
    if spec.form == "mu_v_plus_g":
        state["velocity"] = mu * state["velocity"] + g
        return p - lr * (g + mu * state["velocity"])
    state["velocity"] = mu * state["velocity"] - lr * g
    return p + (mu * state["velocity"] - lr * g)


def scaled_by_root(spec, g, cache, lr):
    if spec.eps_placement == "inside_sqrt":
        return lr * g / torch.sqrt(cache + spec.eps)
    return lr * g / (torch.sqrt(cache) + spec.eps)


def adagrad(spec, p, g, state, lr, n):
    state["cache"] = state["cache"] + torch.square(g)
    return p - scaled_by_root(spec, g, state["cache"], lr)


def rmsprop(spec, p, g, state, lr, n):
    rho = spec.rho
    state["cache"] = rho * state["cache"] + (1 - rho) * torch.square(g)
    return p - scaled_by_root(spec, g, state["cache"], lr)


def adam(spec, p, g, state, lr, n):
    b1, b2, eps = spec.beta1, spec.beta2, spec.eps
    m = state["m"] = b1 * state["m"] + (1 - b1) * g
    v = state["v"] = b2 * state["v"] + (1 - b2) * torch.square(g)
    if spec.eps_placement == "outside_sqrt_uncorrected":
        rate = lr * (1 - b2 ** n) ** 0.5 / (1 - b1 ** n)  # a Python float, as torch's Adam
        return p - rate * m / (torch.sqrt(v) + eps)
    if spec.bias_correction:
        m_hat, v_hat = m / (1 - b1 ** n), v / (1 - b2 ** n)
    else:
        m_hat, v_hat = m, v
    if spec.eps_placement == "inside_sqrt":
        return p - lr * m_hat / torch.sqrt(v_hat + eps)
    return p - lr * m_hat / (torch.sqrt(v_hat) + eps)


UPDATES = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam}


class SourceFormula(torch.optim.Optimizer):
    """The source's update of ``spec`` in torch ops, one parameter at a time, its state
    under the source's names (``velocity``, ``cache``, ``m``, ``v``) and the count of
    updates ``n`` (1 at the first)."""

    def __init__(self, params, spec: Spec):
        super().__init__(params, {"lr": spec.learning_rate})
        self.spec = spec

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        update = UPDATES[self.spec.kind]
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(start_state(self.spec, p))
                    state["n"] = 0
                state["n"] += 1
                p.copy_(update(self.spec, p, p.grad, state, group["lr"], state["n"]))
        return loss


def start_state(spec: Spec, p) -> dict:
    start = spec.initial_accumulator if spec.kind == "adagrad" else 0.0
    return {quantity: torch.full_like(p, start).detach() for quantity in STATE[spec.kind]}


# --- building ------------------------------------------------------------------------

def framework_class(spec: Spec, params: list) -> torch.optim.Optimizer:
    """torch's class for ``spec.kind`` with ``spec``'s options: it computes
    ``class_spec(spec)``."""
    lr = spec.learning_rate
    if spec.kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if spec.kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=spec.momentum, dampening=0,
                               nesterov=spec.kind == "nesterov")
    if spec.kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=0, eps=spec.eps,
                                   initial_accumulator_value=spec.initial_accumulator)
    if spec.kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=spec.rho, eps=spec.eps, momentum=0,
                                   centered=False)
    return torch.optim.Adam(params, lr=lr, betas=(spec.beta1, spec.beta2), eps=spec.eps)


def scheduler(spec: Spec, optimizer, use_class: bool | None = None):
    """torch's scheduler of ``spec.schedule`` on ``optimizer`` (None for a constant rate).
    ``use_class=True`` takes ExponentialLR for an exponential decay over several steps
    too (gamma = rate^(1 / decay_steps), rounded once)."""
    s, lr_scheduler = spec.schedule, torch.optim.lr_scheduler
    if s.kind == "constant":
        return None
    if s.kind == "step":
        return lr_scheduler.StepLR(optimizer, step_size=s.every, gamma=s.factor)
    if s.kind == "exponential":
        if s.staircase:
            return lr_scheduler.StepLR(optimizer, step_size=s.decay_steps, gamma=s.rate)
        if s.decay_steps == 1 or use_class:
            return lr_scheduler.ExponentialLR(optimizer, gamma=s.rate ** (1 / s.decay_steps))
        return lr_scheduler.LambdaLR(optimizer, lambda t: s.rate ** (t / s.decay_steps))
    if s.kind == "inverse_time":
        if s.staircase:
            return lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + s.decay * (t // s.decay_steps)))
        return lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + s.decay * t / s.decay_steps))
    # linear: LinearLR's factors are at most 1, so they are taken relative to the larger
    # rate, which the group starts at (a warm-up starts at the end rate)
    lr0, end = spec.learning_rate, s.end_learning_rate
    top = max(lr0, end)
    for group in optimizer.param_groups:
        group["lr"] = top
    return lr_scheduler.LinearLR(optimizer, start_factor=lr0 / top, end_factor=end / top,
                                 total_iters=s.steps)


def keep_rate_of_each_step(optimizer, args, kwargs):
    """A step pre-hook: the rate the coming update uses, kept in each group."""
    for group in optimizer.param_groups:
        group["rate_of_last_step"] = group["lr"]


def build(spec: Spec, params: dict, use_class: bool | None = None,
          schedule_class: bool | None = None) -> torch.optim.Optimizer:
    """The optimizer of ``spec`` over ``params`` (name -> parameter), with its schedule
    hooked to ``step()``. By default torch's class where it computes the source's formula
    (``implementation``), ``SourceFormula`` where not; ``use_class=True`` takes the class
    whatever it computes (``class_spec``), ``False`` the written-out update."""
    tensors = list(params.values())
    if use_class is None:
        use_class = same_formula(spec, class_spec(spec))
    optimizer = framework_class(spec, tensors) if use_class else SourceFormula(tensors, spec)
    optimizer.register_step_pre_hook(keep_rate_of_each_step)
    schedule = scheduler(spec, optimizer, schedule_class)
    if schedule is not None:  # stepped after each update, as torch's schedulers want it
        optimizer.register_step_post_hook(lambda opt, args, kwargs: schedule.step())
    return optimizer


# --- the state in the source's terms ---------------------------------------------------

def slot(spec: Spec, optimizer, p, quantity: str):
    """One state quantity of parameter ``p``, in the source's terms."""
    held = optimizer.state.get(p, {})
    if isinstance(optimizer, SourceFormula):
        value = held.get(quantity)
        return value if value is not None else start_state(spec, p)[quantity]
    name = {"velocity": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq",
            "cache": "sum" if spec.kind == "adagrad" else "square_avg"}[quantity]
    value = held.get(name)
    if value is None:
        value = start_state(spec, p)[quantity]
    if quantity == "velocity" and spec.form == "mu_v_minus_lr_g":
        return -spec.learning_rate * value  # torch's buffer sums gradients: v = -lr buf
    return value


def state(spec: Spec, optimizer, params: dict) -> dict:
    """The state by the source's names (``velocity.W1``, ``m.W1``, ``v.W1``,
    ``cache.W1``), copies, and ``learning_rate``: the rate of the last update."""
    named = {f"{quantity}.{name}": slot(spec, optimizer, p, quantity).detach().clone()
             for quantity in STATE[spec.kind] for name, p in params.items()}
    group = optimizer.param_groups[0]
    rate = group.get("rate_of_last_step", group["lr"])
    named["learning_rate"] = torch.tensor(rate, dtype=next(iter(params.values())).dtype)
    return named


# --- the small problem, and what the classes compute on it ------------------------------

def trajectory(spec: Spec, problem: dict, steps: int, dtype: str = "float64",
               use_class: bool | None = None, schedule_class: bool | None = None) -> list[dict]:
    """``steps`` updates of the small problem as a torch user runs them (zero_grad,
    backward, step): after each, the parameters and the state by name, as float64 NumPy."""
    as_tensor = lambda table: {name: torch.tensor(value, dtype=getattr(torch, dtype))
                               for name, value in table.items()}
    params = {name: torch.nn.Parameter(value)
              for name, value in as_tensor(problem["start"]).items()}
    curvature, target = as_tensor(problem["curvature"]), as_tensor(problem["target"])
    optimizer = build(spec, params, use_class, schedule_class)
    records = []
    for _ in range(steps):
        optimizer.zero_grad()
        cost = sum(torch.sum(curvature[name] * (p - target[name]) ** 2)
                   for name, p in params.items()) / 2
        cost.backward()
        optimizer.step()
        named = {**{name: p.detach() for name, p in params.items()},
                 **state(spec, optimizer, params)}
        records.append({name: value.numpy().astype("float64") for name, value in named.items()})
    return records


def findings(spec: Spec, dtype: str = "float64", steps: int = FINDING_STEPS) -> list[Finding]:
    """For ``spec``: which formula torch's classes compute, whether this module uses them,
    and how far they move from the source's formula on the small problem
    (``optimizers.measured_findings``)."""
    return measured_findings(FRAMEWORK, sys.modules[__name__], spec, dtype, steps,
                             numpy_optimizers.trajectory)
