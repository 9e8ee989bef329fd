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
  ``trace.values(**named)`` records several at once.

Which steps record intermediates is the example's policy, not the implementation's:
``printed_steps`` in example.toml, by default the steps its claims print values at
(every step when no claim names a value).
At any other step ``trace.value`` records nothing and returns its value as given, so
an implementation calls it at every step and never asks which step it is. Where
showing the intermediates costs work the training step does not do (an extra tape,
a finite-difference check), ``if trace.printed:`` guards that work. Code that runs
with no trace at all (a cost for the numerical column) records through
:func:`no_record`.

Every call returns the value it was given, so a NumPy reference can be written
``A1 = trace.value("A1", sigmoid(Z1))``. In a rounded replay the trace returns
the value rounded to the precision the source prints it at, and the reference
goes on computing with that, as the author's hand arithmetic did.

The record is columnar: each quantity is one :class:`Series`, an array of shape
``(records, *shape)`` with the step of each record, never one object per element.
Comparison, claims, the numerical column and the reports all read these arrays;
the long table of one row per element (``table.side_by_side``, ``table.long_table``)
is built only when it is written to disk or a person asks for it.
"""

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from frameworks._layout import same_but_unit_dimensions


def round_by_hand(value, decimals):
    """Round as a person does: the number read to four more places than it is
    rounded to (0.9 * -0.015 is -0.0135000, not -0.013499999999999998), then half
    away from zero (-0.0135 -> -0.014, where ``np.round`` gives -0.013).

    ``decimals`` is a number of places, or a dict from element index to places
    (an element it does not name is left as it is, unless the key ``None`` gives
    places for all the others)."""
    array = np.asarray(value, dtype=np.float64)
    places = decimals if isinstance(decimals, dict) else {None: decimals}
    rounded = np.empty(array.shape)
    for i in np.ndindex(array.shape):
        x, d = array[i], places.get(i, places.get(None))
        rounded[i] = (float(Decimal(f"{x:.{d + 4}f}").quantize(Decimal(1).scaleb(-d),
                                                                rounding=ROUND_HALF_UP))
                      if np.isfinite(x) and d is not None else x)
    return rounded if array.shape else np.float64(rounded[()])


def no_record(name: str, value, scale=None):
    """The recorder where nothing is recorded: ``trace.value``'s signature, returns ``value``."""
    return value


def quantity_name(kind: str, name: str) -> str:
    return "cost" if kind == "cost" else f"grad.{name}" if kind == "grad" else name


def index_label(index) -> str:
    """An element's index as written in tables and messages: ``"1,2"``, ``""`` for a scalar."""
    return ",".join(map(str, index))


@dataclass(frozen=True)
class Series:
    """One quantity over a run: ``values[k]`` was recorded at ``steps[k]``, as record
    number ``order[k]`` of the run (the order the implementation recorded in)."""

    kind: str
    steps: np.ndarray  # (records,) int64
    order: np.ndarray  # (records,) int64
    values: np.ndarray  # (records, *shape) float64
    scale: np.ndarray  # (records,) float64, NaN where no scale was given
    # (records, *shape): for a gradient, the magnitude of the terms each element is summed
    # from (|dZ| @ |A|.T for dZ @ A.T), where the reference gives them; None where it does not
    terms: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape[1:]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def row(self, step: int) -> int | None:
        """Which record holds ``step``, or None (the steps increase)."""
        k = int(np.searchsorted(self.steps, step))
        return k if k < len(self.steps) and self.steps[k] == step else None

    def at(self, step: int) -> np.ndarray | None:
        row = self.row(step)
        return None if row is None else self.values[row]


@dataclass(frozen=True)
class Recording:
    """A finished trace: every recorded quantity, in the order first recorded; whether
    the implementation started its steps from NumPy's parameters when asked to."""

    series: dict[str, Series]
    restarted: bool = False

    def __contains__(self, quantity: str) -> bool:
        return quantity in self.series

    def __getitem__(self, quantity: str) -> Series:
        return self.series[quantity]

    def at(self, quantity: str, step: int) -> np.ndarray | None:
        """A quantity's array at a step, or None when it was not recorded there."""
        series = self.series.get(quantity)
        return None if series is None else series.at(step)

    def steps(self) -> np.ndarray:
        if not self.series:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([s.steps for s in self.series.values()]))

    @property
    def elements(self) -> int:
        """How many numbers were recorded in all."""
        return sum(len(s.steps) * s.size for s in self.series.values())


SPILL_BYTES = 1 << 20  # a quantity whose records take more goes to a file, where asked


class FileRows:
    """A quantity's values written to a file as they are recorded, one row a record (raw
    float64, C order), in place of an array in memory: a worker's large records are on
    disk, not in its memory, and the process that compares them reads them once
    (``runs.from_disk``). Written in order only, as ``_Growing`` writes them."""

    def __init__(self, folder: str, shape: tuple, capacity: int):
        descriptor, self.path = tempfile.mkstemp(suffix=".f8", dir=folder)
        self.file = os.fdopen(descriptor, "wb")
        self.shape, self.capacity, self.rows = shape, capacity, 0

    def __len__(self) -> int:
        return self.capacity

    def __setitem__(self, where, value) -> None:
        first, count = ((where.start, where.stop - where.start) if isinstance(where, slice)
                        else (int(where), None))
        if first != self.rows:
            raise RuntimeError(f"row {first} written after row {self.rows - 1}")
        shape = self.shape if count is None else (count, *self.shape)
        rows = np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=np.float64), shape))
        self.file.write(memoryview(rows).cast("B"))
        self.rows += 1 if count is None else count

    def close(self) -> None:
        self.file.close()

    def read(self, rows: int) -> np.ndarray:
        """The first ``rows`` records, mapped from the file (read only)."""
        self.file.flush()
        if not rows:  # a file of no bytes cannot be mapped
            return np.empty((rows, *self.shape))
        return np.memmap(self.path, dtype=np.float64, mode="r", shape=(rows, *self.shape))


class _Growing:
    """One quantity's records so far. The values are written into storage made for the
    steps the run will take and doubled when full, so a record is one copy into place
    and finishing a run copies nothing; steps, order and scales likewise. With a
    ``spill`` folder, the values go to a file there instead (:class:`FileRows`)."""

    def __init__(self, kind: str, shape: tuple, capacity: int, spill: str | None = None):
        self.kind, self.shape = kind, shape
        self.count, self.last = 0, None  # records so far, and the step of the last
        self.values = (np.empty((capacity, *shape)) if spill is None
                       else FileRows(spill, shape, capacity))
        self.steps = np.empty(capacity, dtype=np.int64)
        self.order = np.empty(capacity, dtype=np.int64)
        self.scale = np.full(capacity, np.nan)
        self.terms = None  # made at the first record that gives them

    def _room(self, more: int) -> None:
        needed = self.count + more
        if needed <= len(self.values):
            return
        capacity = max(needed, 2 * len(self.values))
        for name in ("values", "steps", "order", "scale", "terms"):
            old = getattr(self, name)
            if isinstance(old, FileRows):  # a file grows as it is written
                old.capacity = capacity
                continue
            if old is None:
                continue
            shape = (capacity, *old.shape[1:])
            # a record that has no scale or terms has NaN there, never what memory held
            grown = (np.full(shape, np.nan) if name in ("scale", "terms")
                     else np.empty(shape, dtype=old.dtype))
            grown[:self.count] = old[:self.count]
            setattr(self, name, grown)

    def _check_after(self, step: int) -> None:
        last = self.last
        if last is not None and step <= last:
            raise ValueError(f"recorded at step {step} after step {last}"
                             if step < last else f"recorded twice at step {step}")

    def append(self, step: int, order: int, value, scale: float, terms=None) -> None:
        self._check_after(step)
        self._room(1)
        k = self.count
        self.values[k] = value  # the copy: the caller may go on to update its array in place
        self.steps[k], self.order[k], self.scale[k] = step, order, scale
        if terms is not None:
            if self.terms is None:
                self.terms = np.full(self.values.shape, np.nan)
            self.terms[k] = terms
        self.count, self.last = k + 1, step

    def extend(self, steps: np.ndarray, order: np.ndarray, values: np.ndarray) -> None:
        """Records at several increasing steps at once: one copy of the stacked values."""
        if not len(steps):
            return
        self._check_after(int(steps[0]))
        if np.any(np.diff(steps) <= 0):
            raise ValueError("steps recorded at once must increase")
        self._room(len(steps))
        k, n = self.count, len(steps)
        self.values[k:k + n] = values
        self.steps[k:k + n], self.order[k:k + n] = steps, order
        self.count, self.last = k + n, int(steps[-1])

    def series(self) -> Series:
        n = self.count
        values = self.values.read(n) if isinstance(self.values, FileRows) else self.values[:n]
        return Series(self.kind, self.steps[:n], self.order[:n], values, self.scale[:n],
                      None if self.terms is None else self.terms[:n])


@dataclass(frozen=True)
class Keep:
    """Which records a run keeps, for runs too long or too large to keep whole: every
    ``every``-th step (step 0, K, 2K, ...) and the ``always`` steps (those the claims print,
    the last step of training and the step after it), and of those only the quantities
    named (``quantities``; None keeps every one). The training itself is not shortened:
    every step is taken, and only what is kept is compared."""

    every: int = 1
    quantities: frozenset | None = None
    always: frozenset = frozenset()

    def step(self, step: int) -> bool:
        return self.every == 1 or step % self.every == 0 or step in self.always

    def quantity(self, quantity: str) -> bool:
        return self.quantities is None or quantity in self.quantities


KEEP_ALL = Keep()


@dataclass
class Trace:
    as_array: Callable = np.asarray  # a framework's value as a NumPy array (a view will do)
    rounding: Callable[[int, str], int | dict | None] | None = None
    on_step: Callable[[int], None] | None = None
    expected_steps: int = 0  # room made for each quantity at its first record (it grows)
    # the source's layout, declared by the example ([layout]): names whose arrays this
    # framework holds transposed, and the shapes the source gives its parameters
    transposed: frozenset = frozenset()
    shapes: dict = field(default_factory=dict)
    stored_gradient: Callable | None = None  # where a framework keeps .grad (torch)
    printed_steps: frozenset | None = None  # where values are recorded; None: every step
    keep: Keep = KEEP_ALL  # which steps and quantities are kept at all
    loop_steps: int = 1 << 30  # the most steps a compiled loop runs at once (spans)
    spill: str | None = None  # a folder where large records go to files (``FileRows``)
    current_step: int = 0
    watched: dict = field(default_factory=dict)
    _quantities: dict = field(default_factory=dict)
    _plans: dict = field(default_factory=dict)  # (kind, name) -> (storage, transposed,
    # the shape the framework holds it in, transposed where it is; the shape it is put in)
    _count: int = 0

    def watch(self, **parameters) -> None:
        """Name the parameters once, as the framework holds them (in its own layout);
        ``gradients`` and ``parameters`` then record all of them at every step."""
        self.watched.update(parameters)

    def gradients(self, cost, grads=None) -> None:
        """The cost at the start of the step and the gradient of every watched
        parameter: ``grads`` in the order watched, or by name (a dict, such as the
        gradients ``jax.value_and_grad`` gives for a dict of parameters), or, where the
        framework keeps each gradient on its parameter (torch's ``.grad``), read from
        there."""
        self.cost(cost)
        if grads is None:
            grads = [self.stored_gradient(parameter) for parameter in self.watched.values()]
        for name, grad in zip(self.watched, self._in_watched_order(grads, "gradient"), strict=True):
            self.grad(name, grad)

    def parameters(self, values=None) -> None:
        """Every watched parameter after the step's update: as it is now, or ``values``
        in the order watched (a compiled step can hand them out, read after its update,
        which costs less than reading each variable again), or by name. Values by name
        are the parameters from now on: a framework whose arrays are immutable (JAX)
        holds its parameters as a dict and replaces it at every update, and the harness
        reads the last dict recorded as the parameters the run ended with."""
        if isinstance(values, Mapping):
            values = self._in_watched_order(values, "parameter")
            self.watched = dict(zip(self.watched, values))
        values = self.watched.values() if values is None else values
        for name, value in zip(self.watched, values, strict=True):
            self.param(name, value)

    def spans(self, steps: int, printed_alone: bool = True) -> list[tuple[int, int]]:
        """The steps ``0 .. steps - 1`` as (first, count) runs for a loop the framework
        compiles: each step whose intermediates are printed alone (so that the loop
        stops there and a printed pass can run in Python; unless ``printed_alone`` is
        False, for a loop that returns its intermediates every step), the steps between
        them as one run, and no run longer than ``loop_steps`` (what a compiled loop
        stacks stays within a bounded size: ``harness.loop_steps``)."""
        printed = (range(steps) if self.printed_steps is None else
                   [s for s in self.printed_steps if 0 <= s < steps]) if printed_alone else []
        cuts = {0, steps} | set(printed) | {s + 1 for s in printed}
        cuts |= set(range(0, steps, max(self.loop_steps, 1)))
        ordered = sorted(cuts)
        return [(a, b - a) for a, b in zip(ordered, ordered[1:]) if b > a]

    def printed_at(self, step: int) -> bool:
        return self.printed_steps is None or step in self.printed_steps

    def training(self, costs, grads, params, values: Mapping | None = None,
                 state: Mapping | None = None) -> None:
        """Every step of a training loop the framework runs as one compiled program
        (``jax.lax.scan``, a TensorFlow graph loop), recorded at once from the current
        step on: ``costs`` the cost at the start of each step, stacked over the steps
        (one row a step); ``grads`` and ``params`` each watched parameter's gradient and
        updated value (in the order watched, or by name), stacked the same way; ``values``
        intermediates by name, stacked the same way, kept at the printed steps. The
        records are those ``step``, ``values``, ``gradients`` and ``parameters`` would
        make step by step, taken out of the framework in one transfer a quantity; the
        current step is then the one after the last. Parameters by name are, as in
        ``parameters``, the parameters from now on (the last row of each). ``state``: an
        optimizer's state after each update by name (``m.W1``, ``learning_rate``), stacked
        the same way, recorded as ``param`` would after the parameters."""
        costs = self.as_array(costs)
        if not len(costs):  # no step taken: nothing to record, the parameters as they were
            return
        values, state = dict(values or {}), dict(state or {})
        grads = self._in_watched_order(grads, "gradient")
        if isinstance(params, Mapping):
            params = self._in_watched_order(params, "parameter")
            self.watched = {name: stacked[-1] for name, stacked in zip(self.watched, params)}
        n, first = len(costs), self.current_step
        if self.rounding is not None:  # a rounded replay rounds record by record
            for k in range(n):
                self.step(first + k)
                self.values(**{name: v[k] for name, v in values.items()})
                self.gradients(costs[k], [g[k] for g in grads])
                self.parameters([p[k] for p in params])
                for name, value in state.items():
                    self.param(name, value[k])
            self.current_step = first + n
            return
        steps = first + np.arange(n, dtype=np.int64)
        per_step = len(values) + 1 + 2 * len(self.watched) + len(state)
        stacked = [("value", name, value) for name, value in values.items()]
        stacked += [("cost", "cost", costs)]
        stacked += [("grad", name, grad) for name, grad in zip(self.watched, grads, strict=True)]
        stacked += [("param", name, param) for name, param in zip(self.watched, params, strict=True)]
        stacked += [("param", name, value) for name, value in state.items()]
        printed = (np.ones(n, dtype=bool) if self.printed_steps is None
                   else np.isin(steps, np.fromiter(self.printed_steps, dtype=np.int64)))
        kept = np.fromiter((self.keep.step(int(step)) for step in steps), dtype=bool, count=n) \
            if self.keep.every != 1 else np.ones(n, dtype=bool)
        for position, (kind, name, value) in enumerate(stacked):
            if not self.keep.quantity(quantity_name(kind, name)):
                continue
            keep = kept & printed if kind == "value" else kept
            self._extend(kind, name, self.as_array(value), steps, keep,
                         self._count + position + per_step * np.arange(n, dtype=np.int64))
        self._count += per_step * n
        self.current_step = first + n
        if self.on_step and n:
            self.on_step(first + n - 1)

    def _extend(self, kind: str, name: str, array: np.ndarray, steps, keep, order) -> None:
        quantity = quantity_name(kind, name)
        if array.shape[:1] != steps.shape:
            raise ValueError(f"'{quantity}' recorded at once for {len(steps)} steps has shape "
                             f"{array.shape}: one row a step")
        if name in self.transposed:  # each record's axes reversed, the steps' axis kept
            array = array.transpose(0, *range(array.ndim - 1, 0, -1))
        shape = self.shapes.get(name)
        if shape is not None and array.shape[1:] != shape and same_but_unit_dimensions(
                array.shape[1:], shape):
            array = array.reshape(len(array), *shape)
        record = self._storage(quantity, kind, array.shape[1:], max(len(steps), 1))
        try:
            record.extend(steps[keep], order[keep], array[keep])
        except ValueError as error:
            raise ValueError(f"'{quantity}' {error}") from None

    def _storage(self, quantity: str, kind: str, shape: tuple, capacity: int) -> "_Growing":
        record = self._quantities.get(quantity)
        if record is None:
            size = 8 * capacity * int(np.prod(shape, dtype=np.int64))
            spill = self.spill if size > SPILL_BYTES else None
            record = self._quantities[quantity] = _Growing(kind, shape, capacity, spill)
        elif record.kind != kind or record.shape != shape:
            raise ValueError(f"'{quantity}' recorded as {kind} {shape} at step "
                             f"{self.current_step}, as {record.kind} {record.shape} before")
        return record

    def _in_watched_order(self, values, what: str):
        """Values given by name, in the order watched; values in order, as they are."""
        if not isinstance(values, Mapping):
            return values
        if set(values) != set(self.watched):
            raise ValueError(f"a {what} for each of {', '.join(self.watched)}: given "
                             f"{', '.join(values) or 'none'}")
        return [values[name] for name in self.watched]

    def in_source_layout(self, name: str, array: np.ndarray) -> np.ndarray:
        """A framework's array in the source's layout: transposed where the example
        says so, and a vector given the source's row or column shape."""
        if name in self.transposed:
            array = array.T
        shape = self.shapes.get(name)
        if shape is not None and array.shape != shape and same_but_unit_dimensions(array.shape, shape):
            array = array.reshape(shape)
        return array

    def step(self, n: int) -> None:
        self.current_step = n
        if self.on_step:
            self.on_step(n)

    def cost(self, value):
        return self._record("cost", "cost", value)

    def grad(self, name: str, value, terms=None):
        """The gradient of ``name``; ``terms``, where the reference knows them, the
        magnitude of the terms each element is summed from (``|dZ| @ |A|.T`` for
        ``dZ @ A.T``, the sum of ``|dZ|`` for a bias): its rounding is relative to them,
        not to the sum, which can cancel (``parity.py``)."""
        return self._record("grad", name, value, terms=terms)

    def param(self, name: str, value):
        return self._record("param", name, value)

    @property
    def printed(self) -> bool:
        """Whether the source prints intermediates at the current step."""
        return self.printed_at(self.current_step)

    def value(self, name: str, value, scale=None):
        if self.printed_steps is not None and self.current_step not in self.printed_steps:
            return value  # (self.printed, inline: called for every intermediate of every step)
        return self._record("value", name, value, scale)

    def values(self, **named) -> None:
        """Several printed intermediates at once, in the order given."""
        if self.printed:
            for name, value in named.items():
                self._record("value", name, value)

    def finding(self, name: str, value):
        return self._record("finding", name, value)

    def _record(self, kind: str, name: str, value, scale=None, terms=None):
        if self.keep is not KEEP_ALL and not (self.keep.step(self.current_step) and
                                              self.keep.quantity(quantity_name(kind, name))):
            return value
        # the common case, a quantity recorded before in the same way: one copy into place
        # (and one of its terms, where it has them: its first terms make their array)
        plan = (self._plans.get((kind, name)) if self.rounding is None and scale is None
                else None)
        if plan is not None:
            record, transpose, held, fit = plan
            array = self.as_array(value)
            if transpose:
                array = array.T
            k, step = record.count, self.current_step
            if (array.shape == held and k < len(record.values) and step > record.last
                    and (terms is None or record.terms is not None)):
                record.values[k] = array if fit is None else array.reshape(fit)
                if terms is not None:
                    terms = self.as_array(terms)
                    terms = terms.T if transpose else terms
                    record.terms[k] = terms if fit is None else terms.reshape(fit)
                record.steps[k], record.order[k] = step, self._count  # scale, terms: NaN
                record.count, record.last = k + 1, step
                self._count += 1
                return value
        quantity = quantity_name(kind, name)
        if self.rounding is not None:
            decimals = self.rounding(self.current_step, quantity)
            if decimals is not None:
                value = round_by_hand(value, decimals)
        array = self.as_array(value)
        held = array.shape  # as the framework holds it
        array = self.in_source_layout(name, array)
        # a quantity recorded at step 0 is likely recorded at every step
        capacity = self.expected_steps + 1 if kind != "value" or self.current_step else 1
        record = self._storage(quantity, kind, array.shape, max(capacity, 1))
        try:
            record.append(self.current_step, self._count, array,
                          np.nan if scale is None else float(np.max(np.abs(self.as_array(scale)))),
                          None if terms is None else self.in_source_layout(name, self.as_array(terms)))
        except ValueError as error:
            raise ValueError(f"'{quantity}' {error}") from None
        self._count += 1
        shape, transpose = self.shapes.get(name), name in self.transposed
        if shape is None or shape == record.shape:  # in the source's shape, or not given one
            held = held[::-1] if transpose else held
            # next time: an array held as this one is put in the source's shape as it was
            self._plans[(kind, name)] = (record, transpose, held,
                                         None if held == record.shape else record.shape)
        return value

    def recording(self) -> Recording:
        """The record so far, as one array per quantity."""
        return Recording({quantity: g.series() for quantity, g in self._quantities.items()})


def labels(shape: tuple) -> np.ndarray:
    """The index label of every element of an array of ``shape``, in C order."""
    return np.array([index_label(i) for i in np.ndindex(shape)], dtype=object)
