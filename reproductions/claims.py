"""Verdicts on the numbers a source prints.

A claim is compared at the precision it was printed at: ``-612.5336296`` agrees
with any value within half a unit of its last digit. Verdicts:

- ``confirmed``: the exact (float64 NumPy) value prints as the source printed it, to
  within what float64 settles (below); or the source printed it in full (a ``repr``)
  and the print reads back as the exact value itself, every digit the same;
- ``within float64 rounding``: the printed digits are finer than float64 settles the
  value: a source that prints its own float64 run with ``repr`` (17 digits), or a
  value computed by cancellation. It agrees within the parity bound of the value
  (below), not at every printed digit;
- ``rounded``: only the rounded replay agrees, in which every intermediate the
  source prints is rounded to its printed precision before it is used;
- ``erratum``: neither agrees, and the example's ``errata.py`` recomputes the
  printed value from the declared cause;
- ``erratum (typo)``: the same, for a declared slip of the pen (digits swapped,
  dropped or appended): the recomputation shows the printed digits are that slip
  of the right value, which makes the explanation likely, never certain;
- ``refuted``: the example declares the printed number wrong and says what was
  tried; it holds only while neither the exact value nor the replay reproduces it
  (a strict expected failure: the day one does, the claim fails);
- ``sensitive``: neither agrees, no erratum is declared, and the claim lies after
  training steps that amplify rounding: the NumPy reference run again from start
  values moved by one ulp (an ensemble, ``sensitivity``) reaches values that print as
  the source printed it. No float64 run settles such a number: the report shows the
  spread, the printed value and the exact one, and the claim passes. A printed value
  outside the spread stays FAILED. The ensemble runs only for claims that need it;
- ``not reached``: a run shortened with ``--steps`` did not take the claim's step;
- ``FAILED``: an unexplained mismatch, an erratum whose recomputation does not
  give the printed value, or an erratum declared for a value that agrees anyway.

How far float64 settles a value, and why verdicts do not depend on the CPU.
Frameworks, and NumPy on different CPUs, give a value to within the parity bound
``delta = 128 eps * size`` (``parity.py``; ``size`` is the largest magnitude of the
quantity so far, or the size of what it cancels). A printed value with half-unit
``u/2`` agrees when the exact value is within ``u/2 + delta`` of it, and is a
mismatch beyond. Which of the two passing verdicts it gets depends on the printed
precision alone: confirmed when ``u/2 > delta``, within float64 rounding when not.
Values of different CPUs differ by a small part of delta (at most about 20 eps *
size, README), so a value at a rounding boundary of its printed digits, where a plain
comparison flips (NumPy's tanh one ulp apart at 1 - tanh(z)^2), keeps its verdict;
only a value about delta beyond the boundary could change it. The catalogue's
verdicts are tested to hold with every exact value moved by 32 eps * size either way.
The one exception is a full print confirmed digit for digit: moved by one ulp, it is
within float64 rounding (both pass); which of the two a CPU gives is that CPU's last
bit, and the report says so.
"""

import dataclasses
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from . import derived, numerical
from .generic import definition as generic
from .generic import numpy as engine
from .parity import POLICY, sizes
from .printed import PRINT_FORMAT
from .spec import Claim, Example
from .trace import Recording

FLOAT64 = POLICY["float64"]

CONFIRMED = "confirmed"
NOISE = "within float64 rounding"
ROUNDED = "reproduced with rounded intermediates"
ERRATUM = "erratum"
TYPO = "erratum (typo)"
REFUTED = "refuted"
SENSITIVE = "sensitive"
NOT_REACHED = "not reached"
EVERY_DIGIT = ("printed in full, every digit the exact run's (a CPU with other last bits "
               "may give within float64 rounding)")
FAILED = "FAILED"
UNEXPLAINED = "unexplained mismatch"


def half_unit(claim: Claim) -> Decimal:
    """How far a value may be from the printed one and still print as it: half a unit
    of its last digit (or of its significant digits, or of the last digit its format
    prints), or the tolerance it states."""
    printed = Decimal(claim.printed)
    if claim.within is not None:
        return Decimal(claim.within)
    if claim.significant_digits is not None:
        return Decimal(10) ** (printed.adjusted() - claim.significant_digits + 1) / 2
    if claim.format not in (None, "repr"):
        return Decimal(10) ** last_place(claim)[0] / 2
    return Decimal(10) ** printed.as_tuple().exponent / 2


def last_place(claim: Claim) -> tuple[int, bool]:
    """For a claim printed with a format: the power of ten of the last digit it prints,
    and whether the format fixes decimal places (%.Nf, NumPy's fixed notation) rather
    than significant digits (%.Ne, %g, NumPy's scientific notation)."""
    magnitude = Decimal(claim.printed).adjusted()  # the power of ten of the first digit
    if claim.format == "numpy":  # precision 8: decimals, or the mantissa's decimals
        scientific = "e" in claim.printed.lower()
        return (magnitude - 8, False) if scientific else (-8, True)
    digits, kind = PRINT_FORMAT.fullmatch(claim.format).groups()
    digits = 6 if digits is None else int(digits)
    if kind == "f":
        return -digits, True
    if kind == "e":
        return magnitude - digits, False
    return magnitude - max(digits, 1) + 1, False  # %g: significant digits, as C counts them


def agrees(claim: Claim, value: float | None, margin: float = 0.0) -> bool:
    """Does ``value`` print as the claim's printed string, at its precision, with
    ``margin`` more room?"""
    if value is None or not np.isfinite(value):
        return False
    return abs(Decimal(value) - Decimal(claim.printed)) <= half_unit(claim) + Decimal(margin)


def every_digit(claim: Claim, value: float) -> bool:
    """Is the claim a full print of ``value`` itself: its digits as shown (no format that
    rounds, no stated tolerance or significance) reading back as that float64?"""
    return claim.format in (None, "repr") and claim.within is None and \
        claim.significant_digits is None and float(Decimal(claim.printed)) == value


def decimals(claim: Claim) -> int | None:
    """Decimal places the claim is printed with, when its digits (or its format) mean
    exactly that: None for significant digits."""
    if claim.significant_digits is not None or claim.within is not None:
        return None
    if claim.format not in (None, "repr"):
        place, fixed = last_place(claim)
        return -place if fixed else None
    return max(0, -Decimal(claim.printed).as_tuple().exponent)


def printed_precision(example: Example) -> Callable[[int, str], dict | None]:
    """For the rounded replay: the decimals each printed element is shown with.

    Returns, for a (step, quantity) the source prints, a dict from element index to
    decimals. Only the elements the source prints are rounded: an element it never
    shows stays as computed (the author never saw it rounded).
    """
    places: dict[tuple[int, str], dict] = {}
    for claim in example.claims:
        d = decimals(claim)
        if d is None or claim.quantity.startswith("init.") or claim.expression is not None:
            continue
        element = places.setdefault((claim.step, claim.quantity), {})
        element[tuple(claim.index)] = max(element.get(tuple(claim.index), 0), d)
    return lambda step, quantity: places.get((step, quantity))


class Values:
    """Look up a recorded value: ``values.get("grad.W", step=0, index=(1, 0))``, or a
    derived one, ``values.get("mean(A1)", step=0)`` (derived.py), on a run of ``example``."""

    def __init__(self, recording: Recording | None, init: dict[str, np.ndarray],
                 example: Example | None = None, cost_at: Callable | None = None):
        self.init = init
        self.recording = recording
        self.example = example
        self.cost_at = cost_at  # the reference's cost_at(example, step, params), for numerical.
        self._sizes: dict[str, np.ndarray] = {}
        self._derived: dict[tuple[str, int], np.ndarray] = {}
        self._estimates: dict[tuple[str, int], np.ndarray | None] = {}

    def _element(self, array: np.ndarray | None, index) -> float | None:
        index = tuple(index)
        if array is None or len(index) != array.ndim or any(
                not 0 <= i < n for i, n in zip(index, array.shape)):
            return None
        return float(array[index])

    def get(self, quantity: str, step: int = 0, index=()) -> float | None:
        """The element ``index`` of a quantity at a step; None where it was not recorded.
        A derived quantity whose values do not fit raises derived.DerivedError."""
        if self.is_derived(quantity):
            return self._element(self.derived(quantity, step), index)
        if quantity.startswith(derived.COMPUTED) and not quantity.startswith("init."):
            return self._element(self.array(quantity, step), index)  # before.W1, test.A2, ...
        if quantity.startswith("init."):
            array = self.init.get(quantity.removeprefix("init."))
            return None if array is None else float(np.asarray(array)[tuple(index)])
        if self.recording is None:
            return None
        return self._element(self.recording.at(quantity, step), index)

    def is_derived(self, quantity: str) -> bool:
        """An expression (derived.py), not a name the run records (a mirror may record
        ``dd/db``)."""
        return derived.is_derived(quantity) and (self.recording is None or
                                                 quantity not in self.recording)

    def array(self, name: str, step: int) -> np.ndarray | None:
        """A name a derived quantity reads (derived.py), at a step; None where there is none."""
        if name.startswith("init."):
            return self.init.get(name.removeprefix("init."))
        if name.startswith("before."):  # as the step's forward pass used it
            name = name.removeprefix("before.")
            if name not in self.init:
                return None
            return self.init[name] if step == 0 else self.array(name, step - 1)
        if name.startswith("test."):
            return self._held_out_pass(step).get(name.removeprefix("test."))
        if name.startswith("numerical."):
            return self._numerical(name.removeprefix("numerical."), step)
        found = None if self.recording is None else self.recording.at(name, step)
        if found is None and self.example is not None and name in self.example.data:
            return self.example.array(name)
        return found

    def derived(self, quantity: str, step: int) -> np.ndarray | None:
        """A derived quantity's value at a step, or None if a name it reads was not
        recorded there."""
        key = (quantity, step)
        if key not in self._derived:
            arrays = {name: self.array(name, step) for name in derived.parse(quantity).names}
            missing = [name for name, array in arrays.items() if array is None]
            self._derived[key] = None if missing else derived.evaluate(
                derived.parse(quantity), arrays.__getitem__, setting_of(self.example))
        return self._derived[key]

    def _numerical(self, name: str, step: int) -> np.ndarray | None:
        """The gradient check's estimate of a parameter's gradient (derived.py), on the
        NumPy reference's cost at the start of the step; made once per parameter and step
        (a claim and its float64 margin read the same one)."""
        if (name, step) not in self._estimates:
            self._estimates[name, step] = self._estimate(name, step)
        return self._estimates[name, step]

    def _estimate(self, name: str, step: int) -> np.ndarray | None:
        check = None if self.example is None else self.example.gradient_check
        params = self._before(step)
        if check is None or self.cost_at is None or params is None or name not in params:
            return None
        params = {p: np.array(value, dtype=np.float64) for p, value in params.items()}
        return numerical.finite_differences(
            lambda: self.cost_at(self.example, step, params), params[name],
            list(np.ndindex(np.shape(params[name]))), lambda _: check.epsilon,
            check.difference, stated_h=True)

    def _held_out_pass(self, step: int) -> dict[str, np.ndarray]:
        params = self._before(step)
        if self.example is None or self.example.network is None or params is None:
            return {}
        return engine.held_out_pass(self.example, params)

    def _before(self, step: int) -> dict[str, np.ndarray] | None:
        """Every parameter as the step's forward pass used it (``before.``); None where one
        was not recorded."""
        params = {name: self.array(f"before.{name}", step) for name in self.init}
        return None if any(value is None for value in params.values()) else params

    def margin(self, quantity: str, step: int, index) -> float:
        """How far float64 determines an element of a derived quantity: the expression
        evaluated again with every value it reads moved by its own parity bound (128 eps
        times its size), each element up or down at random (a fixed draw, PROBES times),
        and the largest change of the element. A difference, a ratio or a threshold of
        its values carries their uncertainty as it should."""
        expression = derived.parse(quantity)
        arrays = {name: np.asarray(self.array(name, step), dtype=np.float64)
                  for name in expression.names}
        bounds = {name: FLOAT64.rtol * self.size(name, step) for name in arrays}
        base = self.derived(quantity, step)[tuple(index)]
        setting, largest = setting_of(self.example), 0.0
        for probe in range(PROBES):
            signs = np.random.default_rng(probe)
            moved = {name: array + signs.choice((-1.0, 1.0), array.shape) * bounds[name]
                     for name, array in arrays.items()}
            value = derived.evaluate(expression, moved.__getitem__, setting)[tuple(index)]
            largest = max(largest, abs(float(value) - float(base)))
        return largest if np.isfinite(largest) else float("inf")

    def size(self, quantity: str, step: int = 0) -> float:
        """The size a value's float64 rounding is relative to, as parity measures it:
        the largest magnitude of the quantity so far, or the size of what it cancels (a
        gradient check's estimate cancels costs: their size over its epsilon)."""
        if quantity.startswith("numerical.") and self.example is not None and \
                self.example.gradient_check is not None:
            cost = self.recording.at("cost", step) if self.recording is not None else None
            size = 0.0 if cost is None else float(np.max(np.abs(cost)))
            return size / self.example.gradient_check.epsilon
        if quantity.startswith(derived.COMPUTED) or (
                self.example is not None and quantity in self.example.data and
                (self.recording is None or quantity not in self.recording)):
            array = self.array(quantity, step)
            return 0.0 if array is None else float(np.max(np.abs(array), initial=0.0))
        series = self.recording.series.get(quantity) if self.recording is not None else None
        row = None if series is None else series.row(step)
        if row is None:
            return 0.0
        if quantity not in self._sizes:  # one pass over a quantity for all its claims
            self._sizes[quantity] = sizes(series)
        return float(self._sizes[quantity][row])


def setting_of(example: Example | None) -> derived.Setting:
    """What accuracy() needs of an example's network (none: derived.Setting())."""
    if example is None or example.network is None:
        return derived.Setting()
    return generic.setting(example)


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    exact: float | None
    replayed: float | None
    demonstrated: float | None
    verdict: str
    explanation: str
    spread: tuple[float, float] | None = None  # what the ensemble reached (sensitivity)

    @property
    def passed(self) -> bool:
        return self.verdict != FAILED


PROBES = 8  # evaluations of a derived claim with its values moved (Values.margin)


def float64_margin(exact: Values, claim: Claim) -> float:
    """How far float64 determines the claimed value: the parity bound at its size, or
    for a derived quantity the bound carried through its expression (Values.margin)."""
    if exact.is_derived(claim.quantity):
        return exact.margin(claim.quantity, claim.step, claim.index)
    return FLOAT64.rtol * exact.size(claim.quantity, claim.step)


def _errata_module(example: Example):
    path = example.errata_file
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"errata_{example.id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(example: Example, exact: Values, replayed: Values | None,
          steps: int | None = None) -> list[ClaimResult]:
    """The verdict on every claim; ``steps`` is the run's step count, if shortened."""
    errata = _errata_module(example)
    steps = example.steps if steps is None else steps
    return [_judge_one(example, claim, exact, replayed, errata, steps) for claim in example.claims]


def _judge_one(example, claim, exact, replayed, errata, steps) -> ClaimResult:
    def result(verdict, explanation="", demonstrated=None):
        return ClaimResult(claim, exact_value, replay_value, demonstrated, verdict, explanation)

    exact_value = replay_value = None
    try:
        exact_value = exact.get(claim.quantity, claim.step, claim.index)
        replay_value = replayed.get(claim.quantity, claim.step, claim.index) if replayed else None
    except derived.DerivedError as error:  # values its expression cannot be put in
        return result(FAILED, f"'{claim.quantity}' at step {claim.step}: {error}")
    erratum = example.errata.get(claim.erratum) if claim.erratum else None
    if exact_value is None:
        shortened = steps < example.steps and claim.step >= steps
        if shortened and not claim.quantity.startswith("init."):
            return result(NOT_REACHED, f"this run took {steps} of the example's "
                                       f"{example.steps} steps")
        return result(FAILED, f"'{claim.quantity}' at step {claim.step} index {claim.index} "
                              "was not recorded")
    margin = float64_margin(exact, claim)
    refuted = erratum is not None and erratum.kind == "refuted"
    if agrees(claim, exact_value, margin):
        settled = half_unit(claim) > Decimal(margin)  # float64 settles the printed digits
        if refuted:
            return result(FAILED, f"declared refuted ('{claim.erratum}'), but the exact value "
                                  "reproduces the printed one: the claim holds after all")
        if erratum:
            return result(FAILED, f"declared erratum '{claim.erratum}', but the printed value "
                                  "agrees with the exact one")
        if settled:
            return result(CONFIRMED)
        if every_digit(claim, exact_value):
            return result(CONFIRMED, EVERY_DIGIT)
        bound = ("its parity bound carried through the expression" if exact.is_derived(
            claim.quantity) else f"128 roundings of its size {margin / FLOAT64.rtol:.3g}")
        return result(NOISE, f"printed past what float64 settles: the value is given to within "
                             f"{margin:.2g} ({bound}) and the print differs by "
                             f"{abs(exact_value - float(Decimal(claim.printed))):.2g}")
    if agrees(claim, replay_value):
        if refuted:
            return result(FAILED, f"declared refuted ('{claim.erratum}'), but the rounded replay "
                                  "reproduces the printed value")
        if erratum:
            return result(FAILED, f"declared erratum '{claim.erratum}', but the rounded replay "
                                  "reproduces the printed value")
        return result(ROUNDED, "the source computed it from its own rounded printed values")
    if refuted:
        return result(REFUTED, erratum.explanation)
    if erratum:
        demonstrate = getattr(errata, claim.erratum, None) if errata else None
        if demonstrate is None:
            return result(FAILED, f"erratum '{claim.erratum}' has no demonstration in "
                                  f"{example.errata_file.name}")
        try:
            value = float(demonstrate(example, exact))
        except Exception as error:  # a value it reads was not recorded, or a bug in errata.py
            if steps < example.steps:
                return result(NOT_REACHED, f"erratum '{claim.erratum}' reads values this run of "
                                           f"{steps} steps did not record")
            return result(FAILED, f"erratum '{claim.erratum}' cannot be recomputed: "
                                  f"{type(error).__name__}: {error}")
        explanation = erratum.explanation or " ".join((inspect.getdoc(demonstrate) or "").split())
        if not explanation:
            return result(FAILED, f"erratum '{claim.erratum}' explains nothing: give it an "
                                  "explanation or its errata.py function a docstring", value)
        if agrees(claim, value):
            return result(TYPO if erratum.kind == "typo" else ERRATUM, explanation, value)
        return result(FAILED, f"erratum '{claim.erratum}' recomputes {value!r}, not the printed "
                              "value", value)
    return result(FAILED, UNEXPLAINED)


def needs_ensemble(example: Example, judged: ClaimResult) -> bool:
    """An unexplained mismatch of a value after training steps: the one kind of failure
    an ensemble of one-ulp changes can explain (a start value, or a step-0 value, moves
    by an ulp and no further)."""
    return (judged.verdict == FAILED and judged.explanation == UNEXPLAINED and
            judged.exact is not None and judged.claim.step > 0 and example.steps > 0)


def sensitivity(example: Example, judged: list[ClaimResult],
                members: Callable[[], list[Values]]) -> list[ClaimResult]:
    """Each unexplained mismatch after training (needs_ensemble) judged again against
    the ensemble ``members`` makes (runs of the NumPy reference in float64 from start
    values moved by one ulp, made only if some claim needs them): sensitive where a
    value the ensemble reaches, or the exact one, prints as the source printed it, or
    the printed value lies between them; FAILED, with the spread said, where not."""
    if not any(needs_ensemble(example, j) for j in judged):
        return judged
    ensemble = members()
    result = []
    for j in judged:
        if not needs_ensemble(example, j):
            result.append(j)
            continue
        claim = j.claim
        reached = [j.exact]
        for member in ensemble:
            try:
                value = member.get(claim.quantity, claim.step, claim.index)
            except derived.DerivedError:
                value = None
            if value is not None:
                reached.append(value)
        finite = [v for v in reached if np.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (j.exact, j.exact)
        printed = Decimal(claim.printed)
        inside = finite and (any(agrees(claim, v) for v in finite) or
                             Decimal(low) - half_unit(claim) <= printed <= Decimal(high) + half_unit(claim))
        said = (f"{len(ensemble)} runs from start values moved by one ulp reach "
                f"{low:.12g} to {high:.12g} at step {claim.step}; the exact run gives "
                f"{j.exact:.12g}")
        if inside:
            result.append(dataclasses.replace(
                j, verdict=SENSITIVE, spread=(low, high),
                explanation=f"no float64 run settles it: {said}, and the printed {claim.printed} "
                            "lies in that spread"))
        else:
            result.append(dataclasses.replace(
                j, spread=(low, high),
                explanation=f"{UNEXPLAINED}, and not a matter of rounding: {said}, and the "
                            f"printed {claim.printed} lies outside"))
    return result
