"""Verdicts on the numbers a source prints.

A claim is compared at the precision it was printed at: ``-612.5336296`` agrees
with any value within half a unit of its last digit. Verdicts:

- ``confirmed``: the exact (float64 NumPy) value agrees;
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

from .spec import Claim, Example

CONFIRMED = "confirmed"
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


def printed_precision(example: Example) -> Callable[[int, str], int | None]:
    """For the rounded replay: decimals of each (step, quantity) the source prints."""
    places: dict[tuple[int, str], int] = {}
    for claim in example.claims:
        d = decimals(claim)
        if d is not None and not claim.quantity.startswith("init."):
            key = (claim.step, claim.quantity)
            places[key] = max(places.get(key, 0), d)
    return lambda step, quantity: places.get((step, quantity))


class Values:
    """Look up a recorded value: ``values.get("grad.W", step=0, index=(1, 0))``."""

    def __init__(self, table: pd.DataFrame | None, init: dict[str, np.ndarray]):
        self.init = init
        self._by_key = {} if table is None else {
            (s, q, i): v for s, q, i, v in
            zip(table["step"], table["quantity"], table["index"], table["value"])
        }
        self.last_step = -1 if table is None or table.empty else int(table["step"].max())

    def get(self, quantity: str, step: int = 0, index=()) -> float | None:
        if quantity.startswith("init."):
            array = self.init.get(quantity.removeprefix("init."))
            return None if array is None else float(np.asarray(array)[tuple(index)])
        return self._by_key.get((step, quantity, ",".join(map(str, index))))

    def array(self, quantity: str, step: int = 0) -> np.ndarray:
        """A whole recorded quantity as a flat array, in record order."""
        return np.array([v for (s, q, _), v in self._by_key.items() if s == step and q == quantity])


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
