"""Are the committed results what the code computes today?

A fresh run's trace is compared with a committed ``trace.parquet``, row by row
(``step, kind, quantity, index``) and column by column. On the machine that made
the results they are bit-identical. On another CPU, NumPy and PyTorch may pick
other kernels and change last bits (README, "Reading the results"), so the rule
allows exactly that much and no more:

- framework and rounded-replay columns: ``|fresh - committed| <= 1e-13 * size``,
  where ``size`` is the largest of |value|, the value's cancellation ``scale`` and
  the largest |value| of that quantity over the run. Measured between an AVX-512
  Xeon and an AMD EPYC with the same versions, the largest difference was 1.1e-14 of
  that size (a gradient of 1.5e-3 near the XOR minimum, from terms of 4.4e-3): a few
  roundings of the terms a value is summed from, which is what a reordered reduction
  changes. A value 1e-9 off, or any value in a column of its own, is far outside it.
- the numerical-gradient column: central differences carry the roundoff of a cost
  over 2h, so the same bound as ``tests/test_numerical.py`` holds them, ``1e-8`` of
  the largest |gradient| of the quantity (at least 1); measured 3.8e-9 of it.

Anything else (a row only on one side, a column only on one side) is a difference.
"""

import numpy as np

from .harness import ExampleResult
from .report import trace_columns

KEYS = ("step", "kind", "quantity", "index")
CROSS_CPU = 1e-13
NUMERICAL = 1e-8


def differences(result: ExampleResult, committed: dict[str, np.ndarray], limit: int = 5) -> list[str]:
    """How a fresh run's trace differs from a committed one, beyond the rule above."""
    fresh = trace_columns(result)
    if set(fresh) != set(committed):
        return [f"columns {sorted(set(fresh) ^ set(committed))} on one side only"]
    rows = [tuple(zip(*(table[k].tolist() for k in KEYS))) for table in (fresh, committed)]
    if rows[0] != rows[1]:
        only = sorted(set(rows[0]) ^ set(rows[1]))[:limit]
        return [f"rows differ, e.g. {only}"] if only else ["rows in another order"]
    scale = _scales(result, fresh)
    quantity = fresh["quantity"]
    found = []
    for column in fresh.keys() - set(KEYS):
        a, b = fresh[column].astype(float), committed[column].astype(float)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if same.all():
            continue
        largest = _largest_per_quantity(np.abs(np.where(np.isnan(b), 0, b)), quantity)
        if column == "numerical":
            bound = NUMERICAL * np.fmax(largest, 1.0)
        else:
            bound = CROSS_CPU * np.fmax(np.fmax(np.abs(b), scale), largest)
        with np.errstate(invalid="ignore"):
            bad = ~same & ~(np.abs(a - b) <= bound)
        for i in np.flatnonzero(bad)[:limit]:
            found.append(f"{column} step {fresh['step'][i]} {quantity[i]}[{fresh['index'][i]}]: "
                         f"fresh {a[i]!r}, committed {b[i]!r}")
    return found


def _largest_per_quantity(magnitude: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    names, which = np.unique(quantity.astype(str), return_inverse=True)
    largest = np.zeros(len(names))
    np.maximum.at(largest, which, magnitude)
    return largest[which]


def _scales(result: ExampleResult, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Each row's cancellation scale, from the fresh NumPy recording (NaN where none)."""
    out = np.full(len(columns["step"]), np.nan)
    quantity = columns["quantity"].astype(str)
    for name, series in result.traces["numpy"].series.items():
        rows = np.flatnonzero(quantity == name)
        where = np.searchsorted(series.steps, columns["step"][rows])  # steps increase
        where = np.minimum(where, len(series.steps) - 1)
        found = series.steps[where] == columns["step"][rows]
        out[rows[found]] = series.scale[where[found]]
    return out


def read(path) -> dict[str, np.ndarray]:
    """A committed trace.parquet as columns, like ``report.trace_columns``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {name: (np.array(table[name].to_pylist(), dtype=object)
                   if name in ("kind", "quantity", "index") else table[name].to_numpy())
            for name in table.column_names}
