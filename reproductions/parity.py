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

Choosing a scale, two worked cases from test_scores' gradient check:

- each numerical slope is two costs of about J = 0.052 cancelled and divided by 2e;
  one rounding of a cost moves it by eps * J / (2e), so J / (2e) = 260.8 is its scale
  (5.8e-14 per rounding in float64, 3.1e-5 in float32; the slopes are 0.001 to 0.1);
- the check norm(grad - numgrad) / norm(grad + numgrad) cancels grad against numgrad,
  each about half of norm(grad + numgrad): that 0.5, not the measure's own 5.4e-10,
  is the size of what it cancels, and its scale. It also inherits numgrad's rounding
  (eps * (J / 2e) / norm(grad + numgrad): 2.0e-13 in float64, 1.05e-4 in float32), but
  that larger scale (885) is deliberately not named: the float64 bound would be
  8.9e-10, above the measure itself, and a measure off by a factor of 2, or 0 from an
  analytic numgrad, would pass. The bounds used (1.5e-12 in float64, 1.05e-3 in
  float32) hold about 7 and 10 such roundings; the frameworks differ by about 2
  (float64: 4.3e-13, TensorFlow; float32: 2.0e-4, PyTorch, where the measure is all
  rounding noise, 4e-4 to 7e-4 against the exact 5.4e-10).

The observed agreement is reported whatever the policy says. Two things fail whatever
it says: a comparison of nothing, and a value that is not finite (an infinity or a
NaN) on either side, reported as the step where that side diverged.

(Whether the committed results are what the code computes today, on this or another
CPU, is a different question with its own rule: ``committed.py``.)
"""

from dataclasses import dataclass, field

import numpy as np

from .trace import Recording, Series, index_label


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
class QuantityParity:
    """One quantity over every step both sides recorded: the largest absolute
    difference, relative to the NumPy value, relative to max(|numpy|, scale), and
    the largest share of the tolerance any element used (at most 1 passes)."""

    quantity: str
    kind: str
    elements: int
    max_abs: float
    max_rel: float
    max_rel_scale: float
    used: float
    passed: bool


@dataclass(frozen=True)
class Parity:
    framework: str
    tolerance: Tolerance
    quantities: list[QuantityParity]
    first_divergence: Divergence | None
    missing: list[str]  # "step N quantity (only ...)": recorded by one side only
    # per side ("numpy" or the framework): where its values first stopped being finite
    diverged: dict[str, str] = field(default_factory=dict)

    @property
    def compared(self) -> int:
        """How many numbers were compared in all."""
        return sum(q.elements for q in self.quantities)

    @property
    def passed(self) -> bool:
        """Compared something, every value finite on both sides, and all of it agrees."""
        return (self.first_divergence is None and not self.missing and not self.diverged
                and self.compared > 0)

    def problems(self) -> list[str]:
        """What keeps it from passing, one line each."""
        lines = [f"{side} diverged at {where}" for side, where in self.diverged.items()]
        if self.compared == 0:
            lines.append("nothing was compared: no quantity recorded at a common step")
        return lines

    def _largest(self, field: str) -> float:
        return max((getattr(q, field) for q in self.quantities), default=0.0)

    @property
    def max_rel(self) -> float:
        return self._largest("max_rel")

    @property
    def max_rel_scale(self) -> float:
        return self._largest("max_rel_scale")

    @property
    def used(self) -> float:
        """The largest fraction of the tolerance any element used (at most 1 passes)."""
        return self._largest("used")

    @property
    def max_abs(self) -> float:
        return self._largest("max_abs")


@dataclass(frozen=True)
class _Compared:
    summary: QuantityParity
    first_failure: tuple | None  # (step, record order, flat index, reference, other)
    finite: bool  # every compared value of both sides is finite


CHUNK = 1 << 17  # elements compared at a time: the temporaries stay in the CPU's cache


def _rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The records ``rows`` of a series, flattened; a view when they are all of them."""
    if len(rows) == len(values) and (rows == np.arange(len(values))).all():
        return values.reshape(-1)
    return values[rows].reshape(-1)


def compare_series(quantity: str, ref: Series, oth: Series, rows_ref: np.ndarray,
                   rows_oth: np.ndarray, tolerance: Tolerance) -> _Compared:
    """Element by element at the steps both recorded (``rows_*`` pick them)."""
    a, b = _rows(ref.values, rows_ref), _rows(oth.values, rows_oth)
    size = max(ref.size, 1)
    scale = ref.scale[rows_ref]
    per_element = np.repeat(scale, size) if np.isfinite(scale).any() else None
    largest = np.zeros(4)  # max_abs, max_rel, max_rel_scale, used
    first, finite = None, True
    for start in range(0, len(a), CHUNK):
        stop = min(start + CHUNK, len(a))
        chunk_scale = None if per_element is None else per_element[start:stop]
        ok, stats, chunk_finite = _compare_chunk(a[start:stop], b[start:stop], chunk_scale,
                                                 tolerance)
        largest = np.fmax(largest, stats)
        finite = finite and chunk_finite
        if first is None and not ok.all():
            row, flat = divmod(start + int(np.argmin(ok)), size)  # rows are in step order
            first = (int(ref.steps[rows_ref[row]]), int(ref.order[rows_ref[row]]), flat,
                     float(a[row * size + flat]), float(b[row * size + flat]))
    max_abs, max_rel, max_rel_scale, used = (float(x) for x in largest)
    summary = QuantityParity(quantity, ref.kind, int(a.size), max_abs, max_rel, max_rel_scale,
                             used, first is None)
    return _Compared(summary, first, finite)


def _compare_chunk(a, b, scale, tolerance: Tolerance) -> tuple[np.ndarray, np.ndarray, bool]:
    """Which elements agree, the largest (abs, rel, rel to scale, share of bound), and
    whether every value was finite (|b - a| is finite only where both are)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.subtract(b, a)
        np.abs(diff, out=diff)
        max_abs = diff.max()
        if not np.isfinite(max_abs):  # an infinity or a NaN somewhere
            ok, stats = _compare_chunk_with_non_finite(a, b, scale, tolerance)
            return ok, stats, bool(np.isfinite(a).all() and np.isfinite(b).all())
        magnitude = np.abs(a)
        size = magnitude if scale is None else np.fmax(magnitude, scale)
        max_rel_scale = _nanmax(diff / size)  # 0 / 0 (equal zeros) is NaN, which is skipped
        max_rel = max_rel_scale if scale is None else _nanmax(diff / magnitude)
        bound = np.multiply(size, tolerance.rtol, out=magnitude if scale is None else size)
        bound += tolerance.atol
        used = diff / bound
        max_used = used.max()
        # diff > bound makes diff / bound >= 1, so below 1 every element agrees
        ok = np.ones(len(a), dtype=bool) if max_used < 1 else diff <= bound
    return ok, np.array([max_abs, max_rel, max_rel_scale, max_used]), True


def _nanmax(values: np.ndarray) -> float:
    largest = np.fmax.reduce(values)
    return 0.0 if np.isnan(largest) else largest


def _compare_chunk_with_non_finite(a, b, scale, tolerance: Tolerance):
    """The same, element by element, where an infinity or a NaN is present: it agrees
    only with the very same value in the other."""
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    scale = np.nan if scale is None else scale
    diff = np.where(same, 0.0, np.abs(b - a))
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = np.where(diff == 0, 0.0, diff / np.abs(a))
    size = np.fmax(np.abs(a), scale)
    rel_scale = np.where(diff == 0, 0.0, diff / size)
    bound = tolerance.rtol * size + tolerance.atol
    finite = np.isfinite(a) & np.isfinite(b)
    used = np.where(same, 0.0, np.where(finite, diff / bound, np.inf))
    ok = same | (finite & (diff <= bound))
    stats = np.array([_nanmax(diff), _nanmax(rel), _nanmax(rel_scale), _nanmax(used)])
    return ok, stats


def first_non_finite(recording: Recording, quantities) -> str | None:
    """Where a run's values of ``quantities`` first stop being finite:
    "step k: quantity[i] = inf"."""
    first = None
    for quantity in quantities:
        series = recording.series[quantity]
        if series.kind == "finding":
            continue
        flat = series.values.reshape(len(series.steps), -1)
        bad = ~np.isfinite(flat)
        if not bad.any():
            continue
        row = int(np.argmax(bad.any(axis=1)))
        key = (int(series.steps[row]), int(series.order[row]))
        if first is None or key < first[0]:
            element = int(np.argmax(bad[row]))
            index = index_label(np.unravel_index(element, series.shape)) if series.shape else ""
            where = f"[{index}]" if index else ""
            first = (key, f"step {key[0]}: {quantity}{where} = {float(flat[row, element])!r}")
    return None if first is None else first[1]


def compare(reference: Recording, other: Recording, framework: str, dtype: str) -> Parity:
    """Every quantity NumPy recorded against the other framework's, at every step."""
    tolerance = POLICY[dtype]
    quantities, failures, missing = [], [], set()
    # what the comparison did not already show finite, for the divergence scan
    unseen = {"numpy": set(reference.series), framework: set(other.series)}

    def one_sided(quantity, steps, side):
        missing.update(f"step {s} {quantity} (only {side})" for s in steps)

    for quantity, ref in reference.series.items():
        if ref.kind == "finding":
            continue
        oth = other.series.get(quantity)
        if oth is None or oth.kind == "finding" or oth.shape != ref.shape:
            one_sided(quantity, ref.steps, "numpy")
            if oth is not None and oth.kind != "finding":
                one_sided(quantity, oth.steps, framework)
            continue
        _, rows_ref, rows_oth = np.intersect1d(ref.steps, oth.steps, return_indices=True)
        one_sided(quantity, np.setdiff1d(ref.steps, oth.steps), "numpy")
        one_sided(quantity, np.setdiff1d(oth.steps, ref.steps), framework)
        if len(rows_ref) == 0:
            continue
        compared = compare_series(quantity, ref, oth, rows_ref, rows_oth, tolerance)
        quantities.append(compared.summary)
        if compared.finite:  # rows outside the common steps still need a look
            if len(rows_ref) == len(ref.steps):
                unseen["numpy"].discard(quantity)
            if len(rows_oth) == len(oth.steps):
                unseen[framework].discard(quantity)
        if compared.first_failure is not None:
            failures.append((compared.first_failure, quantity, ref.shape))
    for quantity, oth in other.series.items():
        if quantity not in reference.series and oth.kind != "finding":
            one_sided(quantity, oth.steps, framework)
    first = None
    if failures:
        (step, _, flat, a, b), quantity, shape = min(failures, key=lambda f: f[0][:3])
        index = index_label(np.unravel_index(flat, shape)) if shape else ""
        first = Divergence(step, quantity, index, a, b)
    diverged = {side: where for side, where in (
        ("numpy", first_non_finite(reference, unseen["numpy"])),
        (framework, first_non_finite(other, unseen[framework]))) if where}
    return Parity(framework, tolerance, quantities, first, sorted(missing), diverged)
