"""Verdicts on the numbers a source prints.

A claim is compared at the precision it was printed at: ``-612.5336296`` agrees
with any value within half a unit of its last digit. Verdicts:

- ``confirmed``: the exact (float64 NumPy) value agrees;
- ``within float64 noise``: a value the source computes on purpose by cancellation
  (recorded with a ``scale``, such as a finite-difference relative error) printed
  with more digits than float64 arithmetic determines. It agrees within the bound
  the parity policy allows two correct float64 implementations (``parity.py``),
  though not at every printed digit: those digits depend on the author's order of
  roundings, and the frameworks here differ from one another in them too;
- ``rounded``: only the rounded replay agrees, in which every intermediate the
  source prints is rounded to its printed precision before it is used;
- ``erratum``: neither agrees, and the example's ``errata.py`` recomputes the
  printed value from the declared cause;
- ``not reached``: the claim is about a step this run did not take;
- ``FAILED``: an unexplained mismatch, an erratum whose recomputation does not
  give the printed value, or an erratum declared for a value that agrees anyway.
"""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from .parity import POLICY
from .spec import Claim, Example

CONFIRMED = "confirmed"
NOISE = "within float64 noise"
ROUNDED = "reproduced with rounded intermediates"
ERRATUM = "erratum"
NOT_REACHED = "not reached"
FAILED = "FAILED"


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

    def __init__(self, table: pd.DataFrame | None, init: dict[str, np.ndarray]):
        self.init = init
        self._by_key = {} if table is None else {
            (s, q, i): v for s, q, i, v in
            zip(table["step"], table["quantity"], table["index"], table["value"])
        }
        self._scale = {} if table is None else {
            (s, q, i): c for s, q, i, c in
            zip(table["step"], table["quantity"], table["index"], table["scale"]) if np.isfinite(c)
        }
        self.last_step = -1 if table is None or table.empty else int(table["step"].max())

    def get(self, quantity: str, step: int = 0, index=()) -> float | None:
        if quantity.startswith("init."):
            array = self.init.get(quantity.removeprefix("init."))
            return None if array is None else float(np.asarray(array)[tuple(index)])
        return self._by_key.get((step, quantity, ",".join(map(str, index))))

    def scale(self, quantity: str, step: int = 0, index=()) -> float | None:
        """The size of the operands a cancelled value was computed from, if recorded."""
        return self._scale.get((step, quantity, ",".join(map(str, index))))


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
    tolerance = POLICY["float64"]
    bound = tolerance.rtol * max(abs(exact), scale) + tolerance.atol
    printed = float(Decimal(claim.printed))
    if abs(exact - printed) > bound:
        return None
    return (f"computed by cancellation of operands of size {scale:.3g}: float64 determines it "
            f"only to +-{bound:.2g}, fewer digits than printed; it differs by "
            f"{abs(exact - printed):.2g}")


def _errata_module(example: Example):
    path = example.folder / "errata.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"errata_{example.id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(example: Example, exact: Values, replayed: Values | None) -> list[ClaimResult]:
    errata = _errata_module(example)
    return [_judge_one(example, claim, exact, replayed, errata) for claim in example.claims]


def _judge_one(example, claim, exact, replayed, errata) -> ClaimResult:
    def result(verdict, explanation="", demonstrated=None):
        return ClaimResult(claim, exact_value, replay_value, demonstrated, verdict, explanation)

    exact_value = exact.get(claim.quantity, claim.step, claim.index)
    replay_value = replayed.get(claim.quantity, claim.step, claim.index) if replayed else None
    erratum = example.errata.get(claim.erratum) if claim.erratum else None
    if exact_value is None:
        if not claim.quantity.startswith("init.") and claim.step > exact.last_step:
            return result(NOT_REACHED, f"this run stopped before step {claim.step}")
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
        value = float(demonstrate(example, exact))
        if agrees(claim, value):
            return result(ERRATUM, erratum.explanation, value)
        return result(FAILED, f"erratum '{claim.erratum}' recomputes {value!r}, not the printed "
                              "value", value)
    return result(FAILED, "unexplained mismatch")
