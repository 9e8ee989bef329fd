"""The step record of a run.

An implementation calls ``trace.step(n)`` at the start of training step ``n`` and
then records, in the source's layout:

- ``trace.cost(value)``: the cost at the start of the step;
- ``trace.grad(name, value)``: the gradient of parameter ``name``;
- ``trace.param(name, value)``: parameter ``name`` after the step's update;
- ``trace.finding(name, value)``: a value where frameworks may legitimately
  differ (a derivative at a kink); reported for every framework, never compared.
- ``trace.value(name, value, scale=None)``: an intermediate the source prints.
  A value computed by cancellation (a difference of two costs, a finite-difference
  slope) names the size of the operands that cancelled as its ``scale``: its
  rounding error is relative to them, not to itself (see ``parity.py``).

Every call returns the value it was given, so a NumPy reference can be written
``A1 = trace.value("A1", sigmoid(Z1))``. In a rounded replay the trace returns
the value rounded to the precision the source prints it at, and the reference
goes on computing with that, as the author's hand arithmetic did.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

def round_by_hand(value, decimals):
    """Round as a person does: the number read to four more places than it is
    rounded to (0.9 * -0.015 is -0.0135000, not -0.013499999999999998), then half
    away from zero (-0.0135 -> -0.014, where ``np.round`` gives -0.013).

    ``decimals`` is a number of places, or a dict from element index to places
    with the key ``None`` for the elements it does not name."""
    array = np.asarray(value, dtype=np.float64)
    places = decimals if isinstance(decimals, dict) else {None: decimals}
    rounded = np.empty(array.shape)
    for i in np.ndindex(array.shape):
        x, d = array[i], places.get(i, places[None])
        rounded[i] = (float(Decimal(f"{x:.{d + 4}f}").quantize(Decimal(1).scaleb(-d),
                                                                rounding=ROUND_HALF_UP))
                      if np.isfinite(x) else x)
    return rounded if array.shape else np.float64(rounded[()])


def quantity_name(kind: str, name: str) -> str:
    return "cost" if kind == "cost" else f"grad.{name}" if kind == "grad" else name


@dataclass
class Trace:
    to_numpy: Callable = np.asarray
    rounding: Callable[[int, str], int | dict | None] | None = None
    on_step: Callable[[int], None] | None = None
    current_step: int = 0
    _records: list = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def step(self, n: int) -> None:
        self.current_step = n
        if self.on_step:
            self.on_step(n)

    def cost(self, value):
        return self._record("cost", "cost", value)

    def grad(self, name: str, value):
        return self._record("grad", name, value)

    def param(self, name: str, value):
        return self._record("param", name, value)

    def value(self, name: str, value, scale=None):
        return self._record("value", name, value, scale)

    def finding(self, name: str, value):
        return self._record("finding", name, value)

    def _record(self, kind: str, name: str, value, scale=None):
        quantity = quantity_name(kind, name)
        key = (self.current_step, quantity)
        if key in self._seen:
            raise ValueError(f"'{quantity}' recorded twice at step {self.current_step}")
        self._seen.add(key)
        decimals = self.rounding(self.current_step, quantity) if self.rounding else None
        if decimals is not None:
            value = round_by_hand(value, decimals)
        array = np.array(self.to_numpy(value), dtype=np.float64)
        scale = np.nan if scale is None else float(np.max(np.abs(self.to_numpy(scale))))
        self._records.append((self.current_step, kind, quantity, array, scale))
        return value

    def table(self) -> pd.DataFrame:
        """One row per element: step, kind, quantity, index, value, scale."""
        columns = {"step": [], "kind": [], "quantity": [], "index": [], "value": [], "scale": []}
        labels: dict[tuple, list[str]] = {}
        for step, kind, quantity, array, scale in self._records:
            if array.shape not in labels:
                labels[array.shape] = [",".join(map(str, i)) for i in np.ndindex(array.shape)]
            n = array.size
            columns["step"] += [step] * n
            columns["kind"] += [kind] * n
            columns["quantity"] += [quantity] * n
            columns["index"] += labels[array.shape]
            columns["value"] += array.ravel().tolist()
            columns["scale"] += [scale] * n
        return pd.DataFrame(columns)
