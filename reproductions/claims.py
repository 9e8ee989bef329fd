"""Verdicts on the numbers a source prints.

A claim is compared at the precision it was printed at: ``-612.5336296`` agrees
with any value within half a unit of its last digit. Verdicts:

- ``confirmed``: the exact (float64 NumPy) value agrees;
- ``within float64 noise``: a value the source computes on purpose by cancellation
  (recorded with a ``scale``, such as a finite-difference relative error) printed
  with more digits than float64 arithmetic determines. Its absolute error is set
  by the operands that cancelled: each rounding of one of them moves it by up to
  eps * scale (eps = 2.2e-16). The printed value agrees within ``NOISE_ROUNDINGS``
  such roundings, though not at every printed digit: those digits depend on the
  author's order of roundings, and the frameworks here differ from one another in
  them too (car_price: PyTorch and TensorFlow differ from NumPy by 1.3 eps * scale);
- ``rounded``: only the rounded replay agrees, in which every intermediate the
  source prints is rounded to its printed precision before it is used;
- ``erratum``: neither agrees, and the example's ``errata.py`` recomputes the
  printed value from the declared cause;
- ``erratum (typo)``: the same, for a declared slip of the pen (digits swapped,
  dropped or appended): the recomputation shows the printed digits are that slip
  of the right value, which makes the explanation likely, never certain;
- ``not reached``: a run shortened with ``--steps`` did not take the claim's step;
- ``FAILED``: an unexplained mismatch, an erratum whose recomputation does not
  give the printed value, or an erratum declared for a value that agrees anyway.
"""

import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .spec import Claim, Example
from .trace import Recording

CONFIRMED = "confirmed"
NOISE = "within float64 noise"
ROUNDED = "reproduced with rounded intermediates"
ERRATUM = "erratum"
TYPO = "erratum (typo)"
NOT_REACHED = "not reached"
FAILED = "FAILED"

# How many roundings of the cancelled operands a value computed by cancellation
# may carry before a printed value outside them is a mismatch, not noise.
NOISE_ROUNDINGS = 4


def agrees(claim: Claim, value: float | None) -> bool:
    """Does ``value`` print as the claim's printed string, at its precision?"""
    if value is None or not np.isfinite(value):
        return False
    printed = Decimal(claim.printed)
    if claim.within is not None:
        return abs(Decimal(value) - printed) <= Decimal(claim.within)
    if claim.significant_digits is not None:
        unit = Decimal(10) ** (printed.adjusted() - claim.significant_digits + 1)
    else:
        unit = Decimal(10) ** printed.as_tuple().exponent
    return abs(Decimal(value) - printed) <= unit / 2


def decimals(claim: Claim) -> int | None:
    """Decimal places the claim is printed with, when its digits mean exactly that."""
    if claim.significant_digits is not None or claim.within is not None:
        return None
    return max(0, -Decimal(claim.printed).as_tuple().exponent)


def printed_precision(example: Example) -> Callable[[int, str], dict | None]:
    """For the rounded replay: the decimals each printed element is shown with.

    Returns, for a (step, quantity) the source prints, a dict from element index to
    decimals; the key ``None`` holds the finest precision of the quantity, for its
    elements the source never prints.
    """
    places: dict[tuple[int, str], dict] = {}
    for claim in example.claims:
        d = decimals(claim)
        if d is None or claim.quantity.startswith("init."):
            continue
        element = places.setdefault((claim.step, claim.quantity), {None: 0})
        element[tuple(claim.index)] = max(element.get(tuple(claim.index), 0), d)
        element[None] = max(element[None], d)
    return lambda step, quantity: places.get((step, quantity))


class Values:
    """Look up a recorded value: ``values.get("grad.W", step=0, index=(1, 0))``."""

    def __init__(self, recording: Recording | None, init: dict[str, np.ndarray]):
        self.init = init
        self.recording = recording

    def _element(self, array: np.ndarray | None, index) -> float | None:
        index = tuple(index)
        if array is None or len(index) != array.ndim or any(
                not 0 <= i < n for i, n in zip(index, array.shape)):
            return None
        return float(array[index])

    def get(self, quantity: str, step: int = 0, index=()) -> float | None:
        if quantity.startswith("init."):
            array = self.init.get(quantity.removeprefix("init."))
            return None if array is None else float(np.asarray(array)[tuple(index)])
        if self.recording is None:
            return None
        return self._element(self.recording.at(quantity, step), index)

    def scale(self, quantity: str, step: int = 0, index=()) -> float | None:
        """The size of the operands a cancelled value was computed from, if recorded."""
        series = self.recording.series.get(quantity) if self.recording is not None else None
        row = None if series is None else series.row(step)
        if row is None or self._element(series.values[row], index) is None:
            return None
        scale = float(series.scale[row])
        return scale if np.isfinite(scale) else None


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    exact: float | None
    replayed: float | None
    demonstrated: float | None
    verdict: str
    explanation: str

    @property
    def passed(self) -> bool:
        return self.verdict != FAILED


def _float64_noise(claim: Claim, exact: float, scale: float | None) -> str | None:
    """Why a cancelled value agrees only within float64 noise, or None if it does not."""
    if scale is None or claim.significant_digits is not None or claim.within is not None:
        return None
    bound = NOISE_ROUNDINGS * np.finfo(np.float64).eps * max(abs(exact), scale)
    printed = float(Decimal(claim.printed))
    if abs(exact - printed) > bound:
        return None
    return (f"computed by cancellation of operands of size {scale:.3g}: {NOISE_ROUNDINGS} float64 "
            f"roundings of them move it by up to {bound:.2g}, which leaves fewer digits than "
            f"printed; it differs by {abs(exact - printed):.2g}")


def _errata_module(example: Example):
    path = example.folder / "errata.py"
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

    exact_value = exact.get(claim.quantity, claim.step, claim.index)
    replay_value = replayed.get(claim.quantity, claim.step, claim.index) if replayed else None
    erratum = example.errata.get(claim.erratum) if claim.erratum else None
    if exact_value is None:
        shortened = steps < example.steps and claim.step >= steps
        if shortened and not claim.quantity.startswith("init."):
            return result(NOT_REACHED, f"this run took {steps} of the example's "
                                       f"{example.steps} steps")
        return result(FAILED, f"'{claim.quantity}' at step {claim.step} index {claim.index} "
                              "was not recorded")
    if agrees(claim, exact_value):
        if erratum:
            return result(FAILED, f"declared erratum '{claim.erratum}', but the printed value "
                                  "agrees with the exact one")
        return result(CONFIRMED)
    noise = _float64_noise(claim, exact_value, exact.scale(claim.quantity, claim.step, claim.index))
    if noise is not None:
        if erratum:
            return result(FAILED, f"declared erratum '{claim.erratum}', but the printed value is "
                                  "within float64 noise of the exact one")
        return result(NOISE, noise)
    if agrees(claim, replay_value):
        if erratum:
            return result(FAILED, f"declared erratum '{claim.erratum}', but the rounded replay "
                                  "reproduces the printed value")
        return result(ROUNDED, "the source computed it from its own rounded printed values")
    if erratum:
        demonstrate = getattr(errata, claim.erratum, None) if errata else None
        if demonstrate is None:
            return result(FAILED, f"erratum '{claim.erratum}' has no demonstration in errata.py")
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
    return result(FAILED, "unexplained mismatch")
