"""Optimizers and learning-rate schedules: the ``[optimizer]`` table of a definition
file, its checks, and the exact formula of every kind and variant.

Notation. ``p`` is a parameter, ``g`` its gradient at this update, ``t`` the update's
index: 0 at the first update, 1 at the second, ... ``lr_t`` is the schedule's rate at
update ``t`` (``lr_0 = learning_rate``). Every operation is element by element; a
state quantity starts at 0 unless the table says otherwise. Adam's bias correction
takes the counter ``n = t + 1`` (1 at the first update: the ``t`` of the sources that
write Adam).

Optimizers (``kind``, then the variant that the options select):

| kind     | variant                    | one update                                          |
| -------- | -------------------------- | --------------------------------------------------- |
| sgd      |                            | p = p - lr_t g                                      |
| momentum | form = mu_v_plus_g         | v = mu v + g;  p = p - lr_t v                       |
| momentum | form = mu_v_minus_lr_g     | v = mu v - lr_t g;  p = p + v                       |
| nesterov | form = mu_v_plus_g         | v = mu v + g;  p = p - lr_t (g + mu v)              |
| nesterov | form = mu_v_minus_lr_g     | v = mu v - lr_t g;  p = p + (mu v - lr_t g)         |
| adagrad  | outside_sqrt               | G = G + g^2;  p = p - lr_t g / (sqrt(G) + eps)      |
| adagrad  | inside_sqrt                | G = G + g^2;  p = p - lr_t g / sqrt(G + eps)        |
| rmsprop  | outside_sqrt               | S = rho S + (1 - rho) g^2;  p = p - lr_t g / (sqrt(S) + eps) |
| rmsprop  | inside_sqrt                | S = rho S + (1 - rho) g^2;  p = p - lr_t g / sqrt(S + eps)   |
| adam     | every variant              | m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2     |
| adam     | bias_correction = true     | mh = m / (1 - b1^n);  vh = v / (1 - b2^n)           |
| adam     | bias_correction = false    | mh = m;  vh = v                                     |
| adam     | outside_sqrt               | p = p - lr_t mh / (sqrt(vh) + eps)                  |
| adam     | inside_sqrt                | p = p - lr_t mh / sqrt(vh + eps)                    |
| adam     | outside_sqrt_uncorrected   | p = p - lr_t sqrt(1 - b2^n) / (1 - b1^n) m / (sqrt(v) + eps) |

(the variants: ``form``, ``eps_placement``, ``bias_correction``; ``G`` starts at
``initial_accumulator``; ``b1, b2`` are ``beta1, beta2``; ``mu`` is ``momentum``.)

The two momentum forms are the two ways sources write momentum: the velocity sums
gradients (``mu_v_plus_g``) or steps (``mu_v_minus_lr_g``). With a
constant rate one is the other (``v_steps = -lr v_gradients``); under a schedule they
differ: ``mu_v_plus_g`` applies today's rate to every past gradient in ``v``, the other
keeps each past step at the rate it was taken with. Nesterov's two forms are the
reformulations of the look-ahead gradient that sources write with the gradient at
``p``: the second is also written ``p = p - mu v_prev + (1 + mu) v`` (the same formula).
Adam's ``"outside_sqrt_uncorrected"`` is the form in the paragraph after Kingma and
Ba's algorithm: the bias corrections folded into the rate, eps added to sqrt(v)
before any correction (it differs from ``"outside_sqrt"`` by eps / sqrt(1 - b2^n)).

Schedules (``[optimizer.schedule]``; every schedule takes ``t`` from 0, so ``lr_0`` is
``learning_rate`` itself):

| kind         | lr_t                                                            |
| ------------ | --------------------------------------------------------------- |
| constant     | lr_0                                                            |
| step         | lr_0 factor^floor(t / every)                                    |
| exponential  | lr_0 rate^(t / decay_steps);  staircase: rate^floor(t / decay_steps) |
| inverse_time | lr_0 / (1 + decay t / decay_steps);  staircase: floor(t / decay_steps) |
| linear       | a = min(t, steps) / steps;  (1 - a) lr_0 + a end_learning_rate  |

The state every engine exposes, by name, in the source's terms: ``velocity.<p>``
(momentum, nesterov: the ``v`` of the chosen form), ``cache.<p>`` (adagrad's ``G``,
rmsprop's ``S``), ``m.<p>`` and ``v.<p>`` (adam), and ``learning_rate``, the rate the
last update used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from reproductions.schema import Strict

KINDS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exponential", "inverse_time", "linear")
FORMS = ("mu_v_plus_g", "mu_v_minus_lr_g")
EPS_PLACEMENTS = ("outside_sqrt", "inside_sqrt", "outside_sqrt_uncorrected")
REQUIRED = object()  # an option without a default

# per kind, its options and their defaults (learning_rate and schedule belong to every kind)
OPTIONS = {
    "sgd": {},
    "momentum": {"momentum": 0.9, "form": REQUIRED},
    "nesterov": {"momentum": 0.9, "form": REQUIRED},
    "adagrad": {"eps": 1e-8, "eps_placement": "outside_sqrt", "initial_accumulator": 0.0},
    "rmsprop": {"rho": 0.9, "eps": 1e-8, "eps_placement": "outside_sqrt"},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eps_placement": "outside_sqrt",
             "bias_correction": True},
}
SCHEDULE_OPTIONS = {
    "constant": {},
    "step": {"factor": REQUIRED, "every": REQUIRED},
    "exponential": {"rate": REQUIRED, "decay_steps": 1, "staircase": False},
    "inverse_time": {"decay": REQUIRED, "decay_steps": 1, "staircase": False},
    "linear": {"end_learning_rate": REQUIRED, "steps": REQUIRED},
}
# the state each kind keeps per parameter, by the source's names
STATE = {"sgd": (), "momentum": ("velocity",), "nesterov": ("velocity",),
         "adagrad": ("cache",), "rmsprop": ("cache",), "adam": ("m", "v")}


def _field_error(model: str, field: str, message: str, found) -> ValidationError:
    """A ValidationError located at ``field``, as the field's own check would raise it."""
    line = PydanticCustomError("value_error", "Value error, {error}", {"error": message})
    return ValidationError.from_exception_data(model, [InitErrorDetails(
        type=line, loc=(field,), input=found)])


def _options_of_kind(model: str, data, table: dict, kinds: tuple, common: tuple) -> dict:
    """``data`` with the defaults of its kind filled in; a ValidationError naming the
    field for a kind that is unknown, an option the kind does not take (or no kind
    takes) and an option it needs that is missing."""
    if not isinstance(data, dict):
        return data
    kind = data.get("kind", "constant" if model == "Schedule" else None)
    if kind is None:
        raise _field_error(model, "kind", f"missing (one of {', '.join(kinds)})", None)
    if kind not in table:
        raise _field_error(model, "kind", f"expected one of {', '.join(kinds)}, found {kind!r}",
                           kind)
    takes = table[kind]
    listed = ", ".join([*common[1:], *takes]) or "no option"
    for key in data:
        if key in common or key in takes:
            continue
        others = [name for name, options in table.items() if key in options]
        why = (f"not an option of kind '{kind}' (it is one of {', '.join(others)})" if others
               else "unknown option")
        raise _field_error(model, key, f"{why}; '{kind}' takes: {listed}", data[key])
    for key, default in takes.items():
        if default is REQUIRED and key not in data:
            raise _field_error(model, key, f"missing (kind '{kind}' needs it)", None)
    return {**{key: default for key, default in takes.items()}, **data}


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, found {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, found {value!r}")
    return float(value)


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number of updates, found {value!r}")
    if value < 1:
        raise ValueError(f"expected 1 or more updates, found {value!r}")
    return value


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {value!r}")
    return value


class Schedule(Strict):
    """``[optimizer.schedule]``: the learning rate of each update (see the table above)."""

    kind: Literal["constant", "step", "exponential", "inverse_time", "linear"] = "constant"
    factor: float | None = None  # step: the rate is multiplied by it every `every` updates
    every: int | None = None
    rate: float | None = None  # exponential: lr_0 rate^(t / decay_steps)
    decay: float | None = None  # inverse_time: lr_0 / (1 + decay t / decay_steps)
    decay_steps: int | None = None  # exponential, inverse_time
    staircase: bool | None = None  # exponential, inverse_time: t / decay_steps rounded down
    end_learning_rate: float | None = None  # linear: reached after `steps` updates
    steps: int | None = None

    @model_validator(mode="before")
    @classmethod
    def options_of_the_kind(cls, data):
        return _options_of_kind("Schedule", data, SCHEDULE_OPTIONS, SCHEDULES, ("kind",))

    @field_validator("factor", "rate", mode="before")
    @classmethod
    def above_zero(cls, value):
        if value is not None and _number(value) <= 0:
            raise ValueError(f"expected a number above 0, found {value!r}")
        return value

    @field_validator("decay", "end_learning_rate", mode="before")
    @classmethod
    def not_negative(cls, value):
        if value is not None and _number(value) < 0:
            raise ValueError(f"expected a number of 0 or more, found {value!r}")
        return value

    @field_validator("every", "decay_steps", "steps", mode="before")
    @classmethod
    def whole_updates(cls, value):
        return None if value is None else _count(value)

    @field_validator("staircase", mode="before")
    @classmethod
    def true_or_false(cls, value):
        return None if value is None else _flag(value)

    def given(self) -> dict:
        """The options of its kind, with their values."""
        return {key: getattr(self, key) for key in SCHEDULE_OPTIONS[self.kind]}


class Optimizer(Strict):
    """``[optimizer]``: the update rule (see the table above) and its schedule."""

    kind: Literal["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    learning_rate: float
    momentum: float | None = None
    form: Literal["mu_v_plus_g", "mu_v_minus_lr_g"] | None = None
    rho: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None
    eps_placement: Literal["outside_sqrt", "inside_sqrt", "outside_sqrt_uncorrected"] | None = None
    initial_accumulator: float | None = None
    bias_correction: bool | None = None
    schedule: Schedule = Schedule()

    @model_validator(mode="before")
    @classmethod
    def options_of_the_kind(cls, data):
        return _options_of_kind("Optimizer", data, OPTIONS, KINDS,
                                ("kind", "learning_rate", "schedule"))

    @field_validator("learning_rate", mode="before")
    @classmethod
    def rate_above_zero(cls, value):
        if _number(value) <= 0:
            raise ValueError(f"expected a number above 0, found {value!r}")
        return value

    @field_validator("momentum", mode="before")
    @classmethod
    def some_momentum(cls, value):
        if value is not None and not 0 < _number(value) < 1:
            raise ValueError(f"expected a number in (0, 1), found {value!r} (without momentum, "
                             "kind = 'sgd')")
        return value

    @field_validator("rho", "beta1", "beta2", mode="before")
    @classmethod
    def decay_factor(cls, value):
        if value is not None and not 0 <= _number(value) < 1:
            raise ValueError(f"expected a number in [0, 1), found {value!r}")
        return value

    @field_validator("eps", "initial_accumulator", mode="before")
    @classmethod
    def not_negative(cls, value):
        if value is not None and _number(value) < 0:
            raise ValueError(f"expected a number of 0 or more, found {value!r}")
        return value

    @field_validator("bias_correction", mode="before")
    @classmethod
    def true_or_false(cls, value):
        return None if value is None else _flag(value)

    @model_validator(mode="after")
    def uncorrected_eps_is_adams(self):
        if self.eps_placement == "outside_sqrt_uncorrected" and (
                self.kind != "adam" or not self.bias_correction):
            raise _field_error("Optimizer", "eps_placement",
                               "'outside_sqrt_uncorrected' is Adam's with bias_correction = true "
                               "(eps on sqrt(v) before the correction)", self.eps_placement)
        return self

    def given(self) -> dict:
        """The options of its kind, with their values."""
        return {key: getattr(self, key) for key in OPTIONS[self.kind]}

    def replaced(self, **changes) -> "Optimizer":
        """A copy with other options (checked again): ``spec.replaced(beta1=0.91)``."""
        data = self.model_dump(exclude_none=True)
        schedule = changes.pop("schedule", None)
        data.update(changes)
        if schedule is not None:
            data["schedule"] = schedule
        return Optimizer.model_validate(data)


def optimizer_of(table: dict, where: str = "optimizer") -> Optimizer:
    """The ``[optimizer]`` table checked: a ValueError of one line naming the field
    (``optimizer.schedule.rate: expected a number above 0, found -0.5``)."""
    try:
        return Optimizer.model_validate(table)
    except ValidationError as error:
        first = min(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
        field = ".".join(str(part) for part in [where, *first["loc"]])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown option"
        elif first["type"] == "missing":
            message = "missing"
        elif first["type"] == "literal_error":
            message += f", found {first.get('input')!r}"
        raise ValueError(f"{field}: {message}") from None


def state_names(spec: Optimizer, parameters) -> list[str]:
    """The state every engine exposes, in this order: each state quantity of each
    parameter (``velocity.W1``, ``velocity.b1``, ...), then ``learning_rate``."""
    return [f"{quantity}.{name}" for quantity in STATE[spec.kind] for name in parameters] + [
        "learning_rate"]


def constant_rate(spec: Optimizer) -> bool:
    return spec.schedule.kind == "constant"


def same_formula(source: Optimizer, other: Optimizer) -> bool:
    """Whether ``other`` updates the parameters by the same formula as ``source``
    (mathematically): the same spec, or momentum forms that differ at a constant rate
    only (then one velocity is the other times -lr). The velocity is then translated."""
    if source == other:
        return True
    momentum = source.kind in ("momentum", "nesterov") and source.kind == other.kind
    if momentum and constant_rate(source):
        return source.replaced(form=other.form) == other
    return False


def use_of_class(source: Optimizer, computes: Optimizer, precise: bool = True) -> str:
    """How a module uses a class that computes ``computes`` for the source's ``source``:
    ``"class"`` (the same formula), ``"class, velocity translated"`` (the other momentum
    form at a constant rate) or ``"written out"`` (another formula, or the same one
    computed less precisely than the run's dtype allows: ``precise`` False)."""
    if not precise or not same_formula(source, computes):
        return "written out"
    return "class" if source == computes else "class, velocity translated"


def formula(spec: Optimizer) -> str:
    """The update ``spec`` makes, in the table's notation."""
    kind, o = spec.kind, spec
    if kind == "sgd":
        return "p = p - lr_t g"
    if kind in ("momentum", "nesterov"):
        step = {("momentum", "mu_v_plus_g"): "v = mu v + g; p = p - lr_t v",
                ("momentum", "mu_v_minus_lr_g"): "v = mu v - lr_t g; p = p + v",
                ("nesterov", "mu_v_plus_g"): "v = mu v + g; p = p - lr_t (g + mu v)",
                ("nesterov", "mu_v_minus_lr_g"): "v = mu v - lr_t g; p = p + (mu v - lr_t g)"}
        return f"{step[kind, o.form]} (mu = {o.momentum:g})"
    if kind in ("adagrad", "rmsprop"):
        cache = "G = G + g^2" if kind == "adagrad" else "S = rho S + (1 - rho) g^2"
        name = "G" if kind == "adagrad" else "S"
        root = (f"sqrt({name} + eps)" if o.eps_placement == "inside_sqrt"
                else f"(sqrt({name}) + eps)")
        start = (f", G_0 = {o.initial_accumulator:g}" if kind == "adagrad"
                 else f", rho = {o.rho:g}")
        return f"{cache}; p = p - lr_t g / {root} (eps = {o.eps:g}{start})"
    moments = "m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
    if o.eps_placement == "outside_sqrt_uncorrected":
        update = "p = p - lr_t sqrt(1 - b2^n) / (1 - b1^n) m / (sqrt(v) + eps)"
    else:
        corrected = ("mh = m / (1 - b1^n); vh = v / (1 - b2^n); " if o.bias_correction
                     else "mh = m; vh = v; ")
        root = "sqrt(vh + eps)" if o.eps_placement == "inside_sqrt" else "(sqrt(vh) + eps)"
        update = f"{corrected}p = p - lr_t mh / {root}"
    return f"{moments}{update} (b1 = {o.beta1:g}, b2 = {o.beta2:g}, eps = {o.eps:g}, n = t + 1)"


def schedule_formula(schedule: Schedule) -> str:
    s = schedule
    if s.kind == "constant":
        return "lr_t = lr_0"
    if s.kind == "step":
        return f"lr_t = lr_0 {s.factor:g}^floor(t / {s.every})"
    ratio = "t" if s.decay_steps == 1 else (f"floor(t / {s.decay_steps})" if s.staircase
                                            else f"t / {s.decay_steps}")
    if s.kind == "exponential":
        return f"lr_t = lr_0 {s.rate:g}^({ratio})"
    if s.kind == "inverse_time":
        return f"lr_t = lr_0 / (1 + {s.decay:g} {ratio})"
    return f"a = min(t, {s.steps}) / {s.steps}; lr_t = (1 - a) lr_0 + a {s.end_learning_rate:g}"


@dataclass(frozen=True)
class Implementation:
    """How a framework module computes a spec: the class it would use for the kind (or
    the schedule), the formula that class computes, and whether the module uses it
    (``"class"``; ``"class, velocity translated"`` where its velocity is the other
    form's) or writes the source's update out in the framework's ops."""

    what: str  # "optimizer" or "schedule"
    framework_class: str | None  # e.g. "torch.optim.Adam"; None: the framework has none
    class_formula: str  # the formula the class computes, in the table's notation
    used: str  # "class", "class, velocity translated" or "written out"
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """What a framework computes for one source formula: the implementation and, where a
    framework class exists, how far that class's parameters move from the source's
    formula on the small problem (``difference``: max |class - source| over ``steps``
    updates, relative to the parameter's size, as parity measures; ``roundings``: the same
    in units of the dtype's eps)."""

    framework: str
    dtype: str
    source_formula: str
    implementation: Implementation
    steps: int
    difference: float | None
    roundings: float | None

    def describe(self) -> str:
        i = self.implementation
        line = (f"{self.framework} {i.what}: source {self.source_formula}; "
                f"{i.framework_class or 'no class'} computes {i.class_formula}; {i.used}")
        if self.difference is not None:
            line += (f"; class vs source after {self.steps} updates ({self.dtype}): "
                     f"{self.difference:.3g} of the parameter size ({self.roundings:.3g} eps)")
        return line + (f"; {i.note}" if i.note else "")


# The small problem the findings are measured on: a quadratic cost
# sum(curvature * (p - target)^2) / 2, whose gradient is curvature * (p - target), on
# parameters named as a 2-3-1 network's. Curvatures span 0.02 to 3 so that adaptive
# methods scale elements differently, and targets stay 1 or more away over the run.
PROBLEM_SHAPES = {"W1": (2, 3), "b1": (3,), "W2": (3, 1), "b2": (1,)}


def problem() -> dict[str, dict[str, np.ndarray]]:
    """Start values, curvatures and targets of the small problem, by parameter name."""
    start = {"W1": [[0.5, -1.2, 0.8], [1.5, 0.3, -0.7]], "b1": [0.1, -0.4, 0.25],
             "W2": [[1.1], [-0.6], [0.9]], "b2": [-0.2]}
    curvature = {"W1": [[0.5, 2.0, 0.05], [1.0, 0.02, 3.0]], "b1": [0.3, 1.5, 0.08],
                 "W2": [[2.5], [0.04], [0.7]], "b2": [0.6]}
    target = {"W1": [[3.0, 2.5, -3.0], [-2.0, 4.0, 3.0]], "b1": [-2.5, 2.0, 3.5],
              "W2": [[-2.0], [3.0], [-2.5]], "b2": [3.0]}
    arrays = lambda table: {name: np.array(value, dtype=np.float64).reshape(PROBLEM_SHAPES[name])
                            for name, value in table.items()}
    return {"start": arrays(start), "curvature": arrays(curvature), "target": arrays(target)}


def difference(reference: list[dict], other: list[dict], names) -> float:
    """The largest |other - reference| over the steps and the parameters ``names``,
    each relative to the parameter's size so far (the largest |reference| it has had),
    as the project's parity measures it."""
    largest, size = 0.0, {name: 0.0 for name in names}
    for ref, oth in zip(reference, other):
        for name in names:
            size[name] = max(size[name], float(np.max(np.abs(ref[name]))))
            gap = float(np.max(np.abs(np.asarray(oth[name], np.float64) - ref[name])))
            if gap:
                largest = max(largest, gap / size[name])
    return largest


def measured_findings(framework: str, module, spec: Optimizer, dtype: str, steps: int,
                      source_trajectory) -> list[Finding]:
    """A framework module's findings for ``spec``: its optimizer class run on the small
    problem (``module.trajectory(..., use_class=True)``, the module's own schedule) and,
    for a schedule, its schedule class (``schedule_class=True``, the module's own
    optimizer), each against ``source_trajectory``, the NumPy reference of the source's
    formula (``engines.numpy.optimizers.trajectory``)."""
    start, eps = problem(), float(np.finfo(dtype).eps)
    source = source_trajectory(spec, start, steps, dtype)
    names = list(start["start"])
    gap = difference(source, module.trajectory(spec, start, steps, dtype, use_class=True), names)
    found = [Finding(framework, dtype, formula(spec), module.implementation(spec, dtype), steps,
                     gap, gap / eps)]
    if not constant_rate(spec):
        implementation = module.schedule_implementation(spec)
        gap = None
        if implementation.framework_class is not None:
            gap = difference(source, module.trajectory(spec, start, steps, dtype,
                                                       schedule_class=True), names)
        found.append(Finding(framework, dtype, schedule_formula(spec.schedule), implementation,
                             steps, gap, None if gap is None else gap / eps))
    return found


# (module, optimizer as JSON, dtype) -> class_differences: the small problem's runs
# (seconds of eager Keras) are the same for every example of one optimizer
_CLASS_DIFFERENCES: dict = {}


def class_differences(module, spec: Optimizer, dtype: str) -> dict[str, float]:
    """Where a framework module (``engines.<framework>.optimizers``) writes the update or
    the schedule of ``spec`` out because the framework's class computes another formula:
    how far that class moves from the source's formula on the small problem (relative to
    the parameters' size, ``Finding.difference``), by name: ``optimizer_class_difference``,
    ``schedule_class_difference``. Empty where the module uses the classes (nothing is run
    then): a generic engine records these as findings."""
    written_out = module.implementation(spec, dtype).used == "written out" or (
        not constant_rate(spec) and module.schedule_implementation(spec).used == "written out")
    if not written_out:
        return {}
    key = (module, spec.model_dump_json(), dtype)
    if key not in _CLASS_DIFFERENCES:  # measured once a process: it depends on nothing else
        _CLASS_DIFFERENCES[key] = {
            f"{found.implementation.what}_class_difference": found.difference
            for found in module.findings(spec, dtype)
            if found.implementation.used == "written out" and found.difference is not None}
    return dict(_CLASS_DIFFERENCES[key])

