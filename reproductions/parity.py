"""Cross-framework parity: every framework against the NumPy reference, at every
step, for every recorded quantity, under one tolerance policy per dtype.

The policy (the only place tolerances are set), one rule for both dtypes:

    |other - numpy| <= 128 * eps * size

where ``eps`` is the dtype's machine epsilon (2.2e-16 in float64, 1.2e-7 in float32)
and ``size`` is the largest magnitude the quantity has had, over its elements and
over every step up to this one, or the record's ``scale`` where that is larger; and,
for a gradient whose reference gives them, each element's own ``terms`` where those
are larger: the magnitude of the terms the element is summed from (``|dZ| @ |A|.T``
for ``dZ @ A.T``, the sum of ``|dZ|`` for a bias), which the reference computes beside
the gradient. There is no absolute floor: where the size is zero, only zero agrees.

Why normwise and cumulative. Rounding errors are relative to the operands, not to
the result. A gradient at convergence is a sum of per-example terms that cancel:
hours_studied's gradient falls from 460 to 0.03 while its terms stay near 100, and
the frameworks differ by rounding of those terms. The largest gradient so far is
the proxy for them the trace has. A parameter that crosses zero (a bias starting at
0) is compared against the largest it has been, not against its passage through 0.
An absolute floor, by contrast, hides whole values: float32's former 1e-3 accepted a
gradient recorded as all zeros whose true elements were 7.5e-5 to 7.8e-4.

Why the terms. A gradient is a sum whose rounding is relative to its terms, and it
can cancel far below them: xor_hidden_layer's grad.W1 at epoch 1497 is 0.0028 where
the terms of two of its rows reach 0.024, and the largest grad.W1 so far is 0.0044.
Sized on the largest so far alone, TensorFlow's free-running difference there used 53 %
of the bound, an honest run brushing it; sized on the terms, 25 %. A run whose
gradients a reference gives no terms for is judged as before.

Why 128 roundings. Across the catalogue the largest difference, measured this way,
is 32 eps in float64 (xor_hidden_layer's grad.W1 at epoch 1497, 68 eps before the
terms) and about as many in float32, four times under the bound. The
smallest real error it must see, a learning rate off by 1e-4 relative, reaches 450
eps in float32 by step 1 (test_scores, TensorFlow) and 6000 eps in xor_hidden_layer;
a cost 0.5 % off is 4e4 eps at step 0. A float32 run checks that every framework
computes in float32 and agrees to float32 rounding; a value float32 cannot determine
(a finite-difference slope of a large cost) says so through its scale.

``scale`` is the size made exact for the values the sources compute on purpose by
cancellation: the change in a cost of 4255 after a nudge of 1e-4 is -0.06, and a
finite-difference slope is that change over 2e-4. One rounding of the cost (9e-13)
is then 3e-11 of the change, and any two correct frameworks differ by it. The
reference names the size of what cancelled (the cost, or the cost over the step),
and the bound is taken against that size. The report shows the relative difference
to the value itself as well.

Choosing a scale, two worked cases from test_scores' gradient check:

- each numerical slope is two costs of about J = 0.052 cancelled and divided by 2e;
  one rounding of a cost moves it by eps * J / (2e), so J / (2e) = 260.8 is its scale
  (5.8e-14 per rounding in float64, 3.1e-5 in float32; the slopes are 0.001 to 0.1);
- the check norm(grad - numgrad) / norm(grad + numgrad) inherits numgrad's rounding
  over norm(grad + numgrad): (J / 2e) / norm(grad + numgrad) = 885 is its scale. The
  bound is then 2.5e-11 in float64, under the measure itself (5.4e-10): a measure off
  by a factor of 2, or 0 from an analytic numgrad, fails. In float32 the bound (0.013)
  says what is true: the measure is all rounding noise there (4e-4 to 7e-4 against
  the exact 5.4e-10), and only float64 checks it.

A training run that diverges (values that stop being finite) never agrees by
accident: unless the example declares ``diverges = true``, a non-finite value on
either side fails the check. A declared divergence is compared instead: every
framework must first stop being finite at the same step as NumPy, in the same way
(+inf, -inf or NaN), and the steps before it are compared as usual.

The observed agreement is reported whatever the policy says. Two things fail whatever
it says: a comparison of nothing, and a value that is not finite (an infinity or a
NaN) on either side, reported as the step where that side diverged.

(Whether the committed results are what the code computes today, on this or another
CPU, is a different question with its own rule: ``committed.py``.)
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict

from .trace import Recording, Series, Trace, index_label


@dataclass(frozen=True)
class Tolerance:
    roundings: int
    eps: float

    @property
    def rtol(self) -> float:
        """The bound relative to the size: roundings * eps."""
        return self.roundings * self.eps

    def __str__(self) -> str:
        return (f"|diff| <= {self.roundings} eps * size = {self.rtol:.3g} * size "
                "(size: the largest |numpy| of the quantity so far, or its scale)")


ROUNDINGS = 128
POLICY = {dtype: Tolerance(ROUNDINGS, float(np.finfo(dtype).eps)) for dtype in ("float64", "float32")}


class Divergence(BaseModel):
    """The first value a framework and NumPy disagree on (or, as ``parted``, where
    free-running runs parted); ``summary.json`` keeps a NaN or infinity as it was."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")
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
    difference, relative to the NumPy value, relative to the quantity's size (see the
    policy), and the largest share of the tolerance any element used (at most 1 passes)."""

    quantity: str
    kind: str
    elements: int
    max_abs: float
    max_rel: float
    max_rel_size: float
    used: float
    passed: bool


@dataclass(frozen=True)
class Drift:
    """How far a free-running framework moves from NumPy, step by step: at each step
    the largest difference of its cost, gradients and parameters, in roundings of the
    quantity's size (``|diff| / (eps * size)``, the unit of the policy's bound). In a
    step-local comparison it is reported beside the verdict, which it does not decide."""

    steps: np.ndarray
    roundings: np.ndarray

    @property
    def largest(self) -> tuple[int, float]:
        """(step, roundings) of the largest difference."""
        at = int(np.nanargmax(self.roundings)) if len(self.steps) else 0
        return (int(self.steps[at]), float(self.roundings[at])) if len(self.steps) else (0, 0.0)

    def first_beyond(self, roundings: float) -> int | None:
        """The first step whose difference exceeds ``roundings``, or None."""
        beyond = np.flatnonzero(~(self.roundings <= roundings))
        return int(self.steps[beyond[0]]) if beyond.size else None


def drift(reference: Recording, other: Recording, dtype: str) -> Drift:
    """The free-running difference of ``other`` from ``reference`` at every step."""
    steps = reference.steps()
    worst = np.zeros(len(steps))
    eps = POLICY[dtype].eps
    for quantity, ref in reference.series.items():
        oth = other.series.get(quantity)
        if ref.kind not in ("cost", "grad", "param") or oth is None or oth.shape != ref.shape:
            continue
        common, rows_ref, rows_oth = np.intersect1d(ref.steps, oth.steps, return_indices=True)
        diff = np.abs(oth.values[rows_oth] - ref.values[rows_ref]).reshape(len(common), -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            units = np.max(diff, axis=1, initial=0.0) / (eps * sizes(ref)[rows_ref])
        units[np.max(diff, axis=1, initial=0.0) == 0] = 0.0  # 0 / 0: equal
        np.maximum.at(worst, np.searchsorted(steps, common), units)  # NaN stays NaN
    return Drift(steps, worst)


@dataclass(frozen=True)
class Parity:
    framework: str
    tolerance: Tolerance
    quantities: list[QuantityParity]
    first_divergence: Divergence | None
    missing: list[str]  # "step N quantity (only ...)": recorded by one side only
    # per side ("numpy" or the framework): where its values first stopped being finite
    diverged: dict[str, str] = field(default_factory=dict)
    divergence_expected: bool = False  # the example declares it diverges (see above)
    divergence_mismatch: str | None = None  # how the declared divergences differ
    # "free_running", or "step_local": every step started from NumPy's parameters
    mode: str = "free_running"
    drift: Drift | None = None  # a step-local comparison's free-running difference
    # where a step-local verdict stands for a free-running one that failed: where the
    # free-running runs parted (by accumulated rounding, since every step agrees)
    parted: Divergence | None = None
    # a free-running failure judged again step by step: "holds at every step", "fails
    # too: ...", or "not available: ..." (None: not judged again)
    step_local: str | None = None
    # a generic engine against a NumPy mirror: the intermediates one of them records and
    # the other does not, each "quantity (only numpy)" (not compared; the cost, parameters
    # and gradients always are)
    not_compared: list[str] = field(default_factory=list)

    @property
    def compared(self) -> int:
        """How many numbers were compared in all."""
        return sum(q.elements for q in self.quantities)

    @property
    def passed(self) -> bool:
        """Compared something, every value finite on both sides, and all of it agrees."""
        diverged_as_declared = (len(self.diverged) == 2 and self.divergence_mismatch is None
                                if self.divergence_expected else not self.diverged)
        return (self.first_divergence is None and not self.missing and diverged_as_declared
                and self.compared > 0)

    def parting(self) -> str | None:
        """The sentence that says where free-running runs parted and what step by step
        found, or None."""
        if self.parted is not None:
            return (f"the trajectories part by accumulated rounding from step {self.parted.step} "
                    f"({self.parted.quantity}); every step agrees on its own, so the verdict "
                    "is step-local")
        if self.step_local == "holds at every step":
            return (f"the trajectories part from step {self.first_divergence.step}, and every "
                    "step agrees on its own (step-local); the example wants free-running parity")
        if self.step_local is not None:
            return f"judged step by step, {self.step_local}"
        return None

    def problems(self) -> list[str]:
        """What keeps it from passing, one line each."""
        if self.divergence_expected:
            lines = [self.divergence_mismatch] if self.divergence_mismatch else []
        else:
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
    def max_rel_size(self) -> float:
        return self._largest("max_rel_size")

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


def sizes(ref: Series) -> np.ndarray:
    """Per record, the size its differences are measured against: the largest |value|
    of the quantity over its elements and every earlier record, or the record's scale
    where larger (NaN values are passed over)."""
    if not ref.size:
        return np.fmax(np.zeros(len(ref.steps)), ref.scale)
    flat = ref.values.reshape(len(ref.steps), -1)
    with np.errstate(invalid="ignore"):  # max and -min: no array of |values| is made
        largest = np.fmax(np.fmax.reduce(flat, axis=1), -np.fmin.reduce(flat, axis=1))
    return np.fmax(np.fmax.accumulate(np.fmax(largest, 0.0)), ref.scale)


def compare_series(quantity: str, ref: Series, oth: Series, rows_ref: np.ndarray,
                   rows_oth: np.ndarray, tolerance: Tolerance) -> _Compared:
    """Element by element at the steps both recorded (``rows_*`` pick them), a block of
    whole records at a time, each record against its own size."""
    size = max(ref.size, 1)
    a = _rows(ref.values, rows_ref).reshape(len(rows_ref), size)
    b = _rows(oth.values, rows_oth).reshape(len(rows_oth), size)
    record_size = sizes(ref)[rows_ref]
    if ref.terms is not None:  # each element against the larger of the size and its terms
        terms = _rows(ref.terms, rows_ref).reshape(len(rows_ref), size)
        record_size = np.fmax(record_size[:, None], terms)
    largest = np.zeros(4)  # max_abs, max_rel, max_rel_size, used
    first, finite = None, True
    per_block = max(1, CHUNK // size)
    for start in range(0, len(a), per_block):
        stop = min(start + per_block, len(a))
        bad, stats, block_finite = _compare_block(a[start:stop], b[start:stop],
                                                  record_size[start:stop], tolerance)
        largest = np.fmax(largest, stats)
        finite = finite and block_finite
        if first is None and bad is not None:
            row, flat = start + bad[0], bad[1]  # records are in step order
            first = (int(ref.steps[rows_ref[row]]), int(ref.order[rows_ref[row]]), flat,
                     float(a[row, flat]), float(b[row, flat]))
    max_abs, max_rel, max_rel_size, used = (float(x) for x in largest)
    summary = QuantityParity(quantity, ref.kind, int(a.size), max_abs, max_rel, max_rel_size,
                             used, first is None)
    return _Compared(summary, first, finite)


def _compare_block(a, b, size, tolerance: Tolerance):
    """Records ``a`` and ``b`` (records, elements), each against its ``size``: the first
    element that disagrees (record, element) or None, the largest (abs, rel, rel to
    size, share of bound), and whether every value was finite (|b - a| is finite only
    where both are)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.subtract(b, a)
        np.abs(diff, out=diff)
        row_max = diff.max(axis=1)
        if not np.isfinite(row_max).all():  # an infinity or a NaN somewhere
            return _compare_block_with_non_finite(a, b, size, tolerance)
        if size.ndim == 2:  # a size for each element (a gradient's terms)
            return _compare_elements(a, b, diff, size, tolerance)
        bound = size * tolerance.rtol
        # a zero bound (a quantity that has been zero so far) takes only the same zero
        used = np.where(bound > 0, row_max / np.where(bound > 0, bound, 1.0),
                        np.where(row_max > 0, np.inf, 0.0))
        max_rel_size = _nanmax(row_max / size)  # 0 / 0 (equal zeros) is NaN, which is skipped
        np.divide(diff, np.abs(a), out=diff)
        max_rel = _nanmax(diff.reshape(-1))
    failing = np.flatnonzero(row_max > bound)
    bad = None
    if failing.size:
        row = int(failing[0])
        bad = (row, int(np.argmax(np.abs(b[row] - a[row]) > bound[row])))
    return bad, np.array([float(row_max.max(initial=0.0)), max_rel, max_rel_size,
                          float(used.max(initial=0.0))]), True


def _compare_elements(a, b, diff, size, tolerance: Tolerance):
    """``_compare_block`` where each element has a size of its own: |diff| / size against
    the policy's roundings, element by element (0 / 0, equal zeros, agrees)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / size)
        row_ratio = ratio.max(axis=1)
        np.divide(diff, np.abs(a), out=diff)
        max_rel = _nanmax(diff.reshape(-1))
    failing = np.flatnonzero(row_ratio > tolerance.rtol)
    bad = None
    if failing.size:
        row = int(failing[0])
        bad = (row, int(np.argmax(ratio[row] > tolerance.rtol)))
    return bad, np.array([float(np.abs(b - a).max(initial=0.0)), max_rel,
                          _nanmax(row_ratio), float(row_ratio.max(initial=0.0)) / tolerance.rtol]), True


def _nanmax(values: np.ndarray) -> float:
    largest = np.fmax.reduce(values) if len(values) else np.nan
    return 0.0 if np.isnan(largest) else largest


def _compare_block_with_non_finite(a, b, size, tolerance: Tolerance):
    """The same, element by element, where an infinity or a NaN is present: it agrees
    only with the very same value in the other."""
    size = size if size.ndim == 2 else np.broadcast_to(size[:, None], a.shape)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    diff = np.where(same, 0.0, np.abs(b - a))
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = np.where(diff == 0, 0.0, diff / np.abs(a))
    rel_size = np.where(diff == 0, 0.0, diff / size)
    bound = tolerance.rtol * size
    finite = np.isfinite(a) & np.isfinite(b)
    ok = same | (finite & (diff <= bound))
    used = np.where(same, 0.0, np.where(finite & (bound > 0), diff / np.where(bound > 0, bound, 1), np.inf))
    stats = np.array([_nanmax(diff.reshape(-1)), _nanmax(rel.reshape(-1)),
                      _nanmax(rel_size.reshape(-1)), _nanmax(used.reshape(-1))])
    bad = None
    if not ok.all():
        row, flat = divmod(int(np.argmin(ok.reshape(-1))), a.shape[1])
        bad = (row, flat)
    return bad, stats, bool(finite.all())


def first_non_finite(recording: Recording, quantities) -> str | None:
    """Where a run's values of ``quantities`` first stop being finite:
    "step k: quantity[i] = inf"."""
    found = _first_non_finite(recording, quantities)
    return None if found is None else found[1]


def _first_non_finite(recording: Recording, quantities) -> tuple | None:
    """((step, record order), description, how: "inf", "-inf" or "nan"), or None."""
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
            value = float(flat[row, element])
            first = (key, f"step {key[0]}: {quantity}{where} = {value!r}", repr(value))
    return first


def _held(series: Series, held: np.ndarray) -> Series:
    return Series(series.kind, series.steps[held], series.order[held], series.values[held],
                  series.scale[held], None if series.terms is None else series.terms[held])


def shared_records(reference: Recording, other: Recording, framework: str,
                   partial: tuple[str, ...] = ("value",)) -> tuple[Recording, Recording, list[str]]:
    """Two recordings cut to the intermediates (records of a kind in ``partial``) both
    hold at the same steps, and what was cut, "quantity (only side)": for a generic engine
    against a NumPy mirror, which record different intermediates, and the cost after the
    last update that only one side records. Otherwise the cost, parameters and gradients
    are kept whole, so a step one side leaves out is still found."""
    kept = ({}, {})
    cut: list[str] = []
    sides = ((reference, "numpy"), (other, framework))
    for (recording, side), (partner, _), mine in zip(sides, reversed(sides), kept):
        for quantity, series in recording.series.items():
            theirs = partner.series.get(quantity)
            if series.kind == "cost" and theirs is not None and len(theirs.steps) and \
                    series.steps[-1] > theirs.steps[-1]:
                # the cost after the last update, which a generic engine always records
                late = series.steps > theirs.steps[-1]
                cut.append(f"{quantity} at step {', '.join(map(str, series.steps[late]))} "
                           f"(only {side})")
                mine[quantity] = _held(series, ~late)
            elif series.kind not in partial:
                mine[quantity] = series
            elif theirs is None or theirs.shape != series.shape:
                cut.append(f"{quantity} (only {side})")
            else:
                held = np.isin(series.steps, theirs.steps)
                if not held.all():
                    cut.append(f"{quantity} at {int((~held).sum())} steps (only {side})")
                mine[quantity] = series if held.all() else _held(series, held)
    return Recording(kept[0], reference.restarted), Recording(kept[1], other.restarted), cut


def compare(reference: Recording, other: Recording, framework: str, dtype: str,
            diverges: bool = False, shortened: bool = False) -> Parity:
    """Every quantity NumPy recorded against the other framework's, at every step
    (before a declared divergence, at every step before it: see the policy). A run
    ``shortened`` with --steps may end before the declared divergence."""
    if diverges:
        return _compare_divergence(reference, other, framework, dtype, shortened)
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
        first = Divergence(step=step, quantity=quantity, index=index, reference=a, other=b)
    diverged = {side: where for side, where in (
        ("numpy", first_non_finite(reference, unseen["numpy"])),
        (framework, first_non_finite(other, unseen[framework]))) if where}
    return Parity(framework, tolerance, quantities, first, sorted(missing), diverged)


def _before(recording: Recording, step: int) -> Recording:
    """The records of the steps before ``step``."""
    kept = {}
    for quantity, series in recording.series.items():
        n = int(np.searchsorted(series.steps, step))
        kept[quantity] = Series(series.kind, series.steps[:n], series.order[:n],
                                series.values[:n], series.scale[:n])
    return Recording(kept)


def _compare_divergence(reference: Recording, other: Recording, framework: str,
                        dtype: str, shortened: bool = False) -> Parity:
    """A declared divergence: the same first non-finite step and kind on both sides,
    and agreement before it."""
    ends = {side: _first_non_finite(recording, recording.series)
            for side, recording in (("numpy", reference), (framework, other))}
    cut = min((end[0][0] for end in ends.values() if end is not None), default=None)
    if cut is None:
        parity = compare(reference, other, framework, dtype)
        if shortened:  # the divergence is past the run's last step: not reached
            return parity
        return dataclasses.replace(parity, divergence_expected=True,
                                   divergence_mismatch="declared to diverge, but neither side "
                                                       "stopped being finite")
    parity = compare(_before(reference, cut), _before(other, cut), framework, dtype)
    mismatch = None
    if any(end is None for end in ends.values()):
        stayed = next(side for side, end in ends.items() if end is None)
        mismatch = f"{stayed} stayed finite where the other diverged"
    elif ends["numpy"][0][0] != ends[framework][0][0] or ends["numpy"][2] != ends[framework][2]:
        mismatch = (f"numpy diverged at {ends['numpy'][1]}, {framework} at "
                    f"{ends[framework][1]}: not at the same step in the same way")
    diverged = {side: end[1] for side, end in ends.items() if end is not None}
    return dataclasses.replace(parity, diverged=diverged, divergence_expected=True,
                               divergence_mismatch=mismatch)


def self_check() -> list[str]:
    """The comparison tried on planted numbers before it is trusted with any example:
    errors a correct comparison must see, in each dtype, and differences of 64 roundings
    of what the policy sizes them by, which it must accept. Returns what it got wrong
    (nothing, when it works). A comparison that accepted anything would otherwise pass
    every correct example, and one sized wrongly would fail or pass an example by the
    last bits of the CPU it ran on; the examples alone could show neither."""
    def recording(costs, grads, change):
        trace = Trace()
        for step, (cost, grad) in enumerate(zip(costs, grads)):
            trace.step(step)
            trace.cost(cost)
            trace.grad("W", np.array(grad))
            if step == 0:  # a change of the cost after a nudge: cancelled, sized by the cost
                trace.value("change", change, scale=cost)
        return trace.recording()

    costs, grads, change = [4255.854, 2.5, 0.031], [[460.0, -12.0], [30.0, 2.0], [0.03, 7.5e-5]], -0.06
    reference = recording(costs, grads, change)
    zeroed = ("a gradient recorded as zeros", recording(costs, [*grads[:2], [0.0, 0.0]], change), 2)
    planted = {  # per dtype: what each planted error is, and the step it must be found at
        "float64": [("a cost 1e-9 off", recording([costs[0], costs[1] * (1 + 1e-9), costs[2]], grads, change), 1),
                    zeroed],
        "float32": [zeroed, ("a cost 1e-4 off", recording([costs[0] * (1 + 1e-4), *costs[1:]], grads, change), 0)],
    }
    wrong = []
    for dtype, errors in planted.items():
        roundings = 64 * float(np.finfo(dtype).eps)
        accepted = [  # sized by the cost itself, by the largest gradient so far, by a scale
            ("a cost 64 roundings off", recording([costs[0] * (1 + roundings), *costs[1:]], grads, change)),
            ("a fallen gradient 64 roundings of the largest so far off",
             recording(costs, [*grads[:2], [grads[2][0] + 460.0 * roundings, grads[2][1]]], change)),
            ("a cancelled value 64 roundings of its scale off",
             recording(costs, grads, change + costs[0] * roundings)),
        ]
        if not compare(reference, reference, "itself", dtype).passed:
            wrong.append(f"{dtype}: the same numbers do not agree")
        for what, other, step in errors:
            found = compare(reference, other, "planted", dtype).first_divergence
            if found is None or found.step != step:
                wrong.append(f"{dtype}: {what} at step {step} is not found")
        for what, other in accepted:
            found = compare(reference, other, "planted", dtype).first_divergence
            if found is not None:
                wrong.append(f"{dtype}: {what} is not accepted (step {found.step}, {found.quantity})")
    return wrong
