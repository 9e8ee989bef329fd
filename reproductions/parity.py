"""Cross-framework parity: every framework against the NumPy reference, at every
step, for every recorded quantity, under one tolerance policy per dtype.

The policy (the only place tolerances are set):

- float64: ``|other - numpy| <= 1e-12 * max(|numpy|, scale) + 1e-12``. The examples
  are short chains of float64 operations (unit roundoff 1.1e-16) on data of
  magnitude at most about 1e4; reduction order differs between frameworks, so a
  few ulps of disagreement per operation are expected, and 1e-12 relative leaves
  room for thousands of chained ulps while still catching any real bug, which
  shows up at 1e-8 or worse (a wrong learning rate, a missing transpose, a float32
  constant). It is 100 000 times stricter than ``torch.testing.assert_close``'s
  float64 default of 1e-7.
- float32: ``|other - numpy| <= 1e-4 * max(|numpy|, scale) + 1e-3``: about 1700
  units of float32 roundoff (6e-8), against 9000 units of float64 roundoff
  (1.1e-16) for 1e-12. float32 runs check that every framework really computes
  in float32 and stays close; the float64 runs are the reference. A value
  computed by cancellation, such as a finite-difference slope of a cost of 4255,
  is not determined by float32 at all (one ulp of the cost, 4.9e-4, over a step
  of 2e-4 is more than two units of slope): its float32 bound, taken against its
  scale, says exactly that, and such a value is checked in float64.

The absolute floor is the same rule in both dtypes: about one ulp of 1e4, the
largest operand magnitude in the examples (1.8e-12 in float64, 9.8e-4 in float32).
Values near zero come from cancellation (a residual y_hat - y of a data point of
100, a gradient at convergence); their error is set by the size of the operands,
not by the result. In float32, a gradient of 0.03 at convergence of the hours
studied line is a sum of residuals of 100 and differs by 5e-5 between frameworks.

``scale`` is the same idea as the floor, made exact for the values the sources
compute on purpose by cancellation: the change in a cost of 4255 after a nudge of
1e-4 is -0.06, and a finite-difference slope is that change over 2e-4. One ulp of
a cost (9e-13) is then 3e-11 of the change, and any two correct frameworks differ
by it. The reference names the size of the operands that cancelled (the cost, or
the cost over the step), and the relative bound is taken against that size. Only
values recorded with a scale get one; for all others the scale is the value
itself. The report shows the relative difference to the value itself as well.

The observed agreement is reported whatever the policy says.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

KEYS = ["step", "quantity", "index"]


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"|diff| <= {self.rtol:g} * max(|numpy|, scale) + {self.atol:g}"


POLICY = {
    "float64": Tolerance(rtol=1e-12, atol=1e-12),
    "float32": Tolerance(rtol=1e-4, atol=1e-3),
}


@dataclass(frozen=True)
class Divergence:
    step: int
    quantity: str
    index: str
    reference: float
    other: float

    def describe(self, framework: str) -> str:
        where = f"[{self.index}]" if self.index else ""
        return (
            f"step {self.step}, {self.quantity}{where}: "
            f"numpy {self.reference!r} vs {framework} {self.other!r}"
        )


@dataclass(frozen=True)
class Parity:
    framework: str
    tolerance: Tolerance
    # per quantity: kind, elements, max_abs, max_rel, max_rel_scale, used (the largest
    # diff / bound: at most 1 passes), passed
    table: pd.DataFrame
    first_divergence: Divergence | None
    missing: list[str]  # "step N quantity" recorded by one side only

    @property
    def passed(self) -> bool:
        return self.first_divergence is None and not self.missing

    @property
    def max_rel(self) -> float:
        return float(self.table["max_rel"].max()) if len(self.table) else 0.0

    @property
    def max_rel_scale(self) -> float:
        return float(self.table["max_rel_scale"].max()) if len(self.table) else 0.0

    @property
    def used(self) -> float:
        """The largest fraction of the tolerance any element used (at most 1 passes)."""
        return float(self.table["used"].max()) if len(self.table) else 0.0

    @property
    def max_abs(self) -> float:
        return float(self.table["max_abs"].max()) if len(self.table) else 0.0


def compare(reference: pd.DataFrame, other: pd.DataFrame, framework: str, dtype: str) -> Parity:
    tolerance = POLICY[dtype]
    reference = reference[reference["kind"] != "finding"]
    other = other[other["kind"] != "finding"]
    merged = reference.reset_index(names="order").merge(
        other[KEYS + ["value"]], on=KEYS, how="outer", suffixes=("_ref", "_other"), indicator=True
    )
    one_sided = merged[merged["_merge"] != "both"]
    missing = sorted(
        {f"step {s} {q} ({'only numpy' if m == 'left_only' else 'only ' + framework})"
         for s, q, m in zip(one_sided["step"], one_sided["quantity"], one_sided["_merge"])}
    )
    both = merged[merged["_merge"] == "both"].sort_values("order")
    ref = both["value_ref"].to_numpy()
    oth = both["value_other"].to_numpy()
    same = (ref == oth) | (np.isnan(ref) & np.isnan(oth))
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(same, 0.0, np.abs(oth - ref))
        diff = np.where(np.isnan(diff), np.inf, diff)
        rel = np.where(diff == 0, 0.0, diff / np.abs(ref))
        size = np.fmax(np.abs(ref), both["scale"].to_numpy())
        rel_scale = np.where(diff == 0, 0.0, diff / size)
        bound = tolerance.rtol * size + tolerance.atol
        # an infinity or a NaN in either agrees only with the very same value in the other
        finite = np.isfinite(ref) & np.isfinite(oth)
        used = np.where(same, 0.0, np.where(finite, diff / bound, np.inf))
    ok = same | (finite & (diff <= bound))
    both = both.assign(diff=diff, rel=rel, rel_scale=rel_scale, used=used, ok=ok)
    table = (
        both.groupby("quantity", sort=False)
        .agg(kind=("kind", "first"), elements=("value_ref", "size"), max_abs=("diff", "max"),
             max_rel=("rel", "max"), max_rel_scale=("rel_scale", "max"), used=("used", "max"), passed=("ok", "all"))
        .reset_index()
    )
    failures = both[~both["ok"]]
    first = None
    if len(failures):
        row = failures.sort_values(["step", "order"]).iloc[0]
        first = Divergence(int(row["step"]), row["quantity"], row["index"],
                           float(row["value_ref"]), float(row["value_other"]))
    return Parity(framework, tolerance, table, first, missing)
