"""Run an example on each framework, compare them step by step, judge the claims.

Nothing here knows any example. An example is a definition (``spec.load``: a catalogue
folder's ``example.toml``, or a definition file), and each framework runs it with one
implementation defining ``reproduce(ctx)`` (``implementations``, the one place that
chooses): the folder's mirror, ``<framework>_impl.py``, where it has one, else the
generic engine's module for its ``[network]``. NumPy, the reference, always runs.
"""

import dataclasses
import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import frameworks
from frameworks._layout import fitted

from . import claims as claims_
from .numerical import numerical_column
from .parity import Parity, compare, drift, shared_records
from .runs import Runs
from .generic.definition import (EngineView, examples_axis, expected_shapes, network_of,
                                 value_names)
from .spec import Example, has_mirror
from .trace import KEEP_ALL, Keep, Recording, Trace


class ImplementationError(RuntimeError):
    """An implementation that raised: the message names the framework and the step."""


class ClaimError(ValueError):
    """A claim on a quantity no implementation records."""


class Hyper(Mapping):
    """An example's hyperparameters, read as ``ctx.hyper.learning_rate``."""

    def __init__(self, values: dict):
        self._values = dict(values)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(f"the example defines no hyperparameter '{name}'") from None

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass
class Context:
    """What an implementation gets: the example, its start values and a trace."""

    example: Example
    framework: str
    dtype: Any  # the framework's own dtype object
    steps: int
    init: dict[str, np.ndarray]  # NumPy arrays in the source's layout
    trace: Trace
    tensor: Callable[[Any], Any]  # NumPy array -> the framework's array, in dtype
    assign: Callable[[Any, np.ndarray], None] = None  # the adapter's, set by run_framework
    reference: Recording | None = None  # NumPy's run, for a step-local run
    restarted: bool = False  # the implementation asked for NumPy's parameters (step-local)

    @property
    def hyper(self) -> Hyper:
        return Hyper(self.example.hyper)

    def data(self, name: str):
        """A data entry as the framework's array, in the framework's layout."""
        return self.tensor(self.framework_layout(name, self.example.array(name)))

    def load(self, **parameters) -> dict:
        """Set each parameter, as the framework holds it, to the source's start value
        of the same name, translated into the framework's layout ([layout]); returns
        them by name, as the framework now holds them. Where parameters are immutable
        (JAX), each is given as an array or ``jax.ShapeDtypeStruct`` of the shape and
        dtype the mirror holds it in, and the returned dict holds the start values:
        ``params = ctx.load(W=jax.ShapeDtypeStruct((2, 3), ctx.dtype), ...)``."""
        loaded = {}
        for name, parameter in parameters.items():
            if name not in self.init:
                raise KeyError(f"no start value named '{name}' to load")
            try:
                loaded[name] = self.assign(parameter, self.framework_layout(name, self.init[name]))
            except ValueError as error:
                raise ValueError(f"loading '{name}': {error}") from None
        return loaded

    def start_from_reference(self, step: int, **parameters) -> dict:
        """In a step-local run, set each parameter to NumPy's value at the start of
        ``step`` (its start value, or NumPy's after step - 1), so that what the step
        computes differs from NumPy's by this step's rounding alone. In a free-running
        run it changes nothing. Returns the parameters by name as the framework now
        holds them, which a JAX mirror goes on with (``params =
        ctx.start_from_reference(step, **params)``)."""
        if self.reference is None:
            return dict(parameters)
        self.restarted = True
        restarted = {}
        for name, parameter in parameters.items():
            value = self.init[name] if step == 0 else self.reference.at(name, step - 1)
            restarted[name] = self.assign(parameter, self.framework_layout(name, value))
        return restarted

    def references(self, first: int, count: int, **parameters) -> list:
        """For a loop the framework compiles, ``start_from_reference`` for the steps
        ``first .. first + count - 1`` at once: in a step-local run, NumPy's value of each
        parameter at the start of each step, stacked over the steps (one row a step) as the
        framework's arrays, in its layout, one per parameter in the order given; the loop
        starts step k from row k. In a free-running run, an empty list."""
        if self.reference is None:
            return []
        self.restarted = True
        stacked = []
        for name, parameter in parameters.items():
            shape = tuple(parameter.shape)
            rows = [fitted(self.framework_layout(name, self.init[name] if step == 0 else
                                                 self.reference.at(name, step - 1)), shape)
                    for step in range(first, first + count)]
            stacked.append(self.tensor(np.stack(rows) if rows else np.zeros((0, *shape))))
        return stacked

    def framework_layout(self, name: str, array: np.ndarray) -> np.ndarray:
        return array.T if name in self.trace.transposed else array


@dataclass
class ExampleResult:
    example: Example
    dtype: str
    steps: int
    frameworks: list[str]
    traces: dict[str, Recording]
    parities: list[Parity]
    claims: list[claims_.ClaimResult]
    replay: Recording | None = None
    numerical: Recording | None = None
    versions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the run shows, said, not judged

    @property
    def parity_passed(self) -> bool:
        return all(p.passed for p in self.parities)

    @property
    def claims_passed(self) -> bool:
        return all(c.passed for c in self.claims)

    @property
    def passed(self) -> bool:
        return self.parity_passed and self.claims_passed


GENERIC = Path(__file__).parent / "generic"  # the generic engines, a module per framework


def implementations(example: Example) -> dict[str, Path]:
    """The file each framework runs the example with, NumPy (the reference) first: the
    folder's mirror (``has_mirror``), else the generic engine's module where the example
    has a ``[network]``; a framework with neither is not one of the example's."""
    found = {}
    for name in frameworks.NAMES:
        if has_mirror(example, name):
            found[name] = example.folder / f"{name}_impl.py"
        elif example.network is not None:
            found[name] = GENERIC / f"{name}.py"
    return found


def frameworks_of(example: Example) -> list[str]:
    """The frameworks an example runs in (``implementations``), NumPy first."""
    return list(implementations(example))


def runs_generic(example: Example, framework: str) -> bool:
    return implementations(example).get(framework, GENERIC).parent == GENERIC


def implementation(example: Example, framework: str, engine: str | None = None):
    """The module a framework runs the example with (``implementations``), or, with
    ``engine="generic"``, the generic engine's."""
    if engine == "generic" or runs_generic(example, framework):
        return importlib.import_module(f"reproductions.generic.{framework}")
    path = example.folder / f"{framework}_impl.py"
    spec = importlib.util.spec_from_file_location(f"{example.id}_{framework}_impl", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_function(example: Example, name: str):
    """One of the NumPy reference's optional functions, ``cost_at(example, step, params)``
    (the numerical column) or ``predict(example, params, X)`` (the boundary plot), taking
    the example's own names; None where it has none (no ``cost_at`` for a network without
    a cost)."""
    function = getattr(implementation(example, "numpy"), name, None)
    if function is None or not runs_generic(example, "numpy"):
        return function
    view = EngineView(example)  # the engine's, in its names
    if name == "cost_at":
        if view.network.cost is None:  # a forward pass only: no cost to differentiate
            return None
        return lambda _, step, params: function(view.example, step, view.params(params))
    return lambda _, params, *rest: function(view.example, view.params(params), *rest)


def run_framework(example: Example, framework: str, dtype: str, steps: int,
                  rounding=None, on_step=None, reference: Recording | None = None,
                  keep: Keep = KEEP_ALL, engine: str | None = None) -> Recording:
    """One run of one implementation (``implementations``; ``engine="generic"``: the generic
    engine's, whatever the example's); returns what it recorded (what ``keep`` keeps). With
    NumPy's ``reference`` run, the run is step-local (``Context.start_from_reference``). The
    generic engine runs on the example in its own names (``EngineView``), renamed back."""
    if engine == "generic" or runs_generic(example, framework):
        view = EngineView(example)
        recording = run_module(view.example, implementation(example, framework, "generic"),
                               framework, dtype, steps, view.rounding(rounding), on_step,
                               view.recording_to_engine(reference), view.keep(keep))
        return view.recording_to_source(recording)
    return run_module(example, implementation(example, framework), framework, dtype, steps,
                      rounding, on_step, reference, keep)


def run_module(example: Example, module, framework: str, dtype: str, steps: int, rounding,
               on_step, reference: Recording | None, keep: Keep) -> Recording:
    adapter = frameworks.require(framework)
    framework_dtype = adapter.setup(dtype)
    init = example.initial_parameters()
    transposed, shapes = example.framework_layout(framework)
    trace = Trace(as_array=adapter.view, rounding=rounding, on_step=on_step, expected_steps=steps,
                  transposed=transposed, shapes=shapes,
                  stored_gradient=adapter.stored_gradient,
                  printed_steps=example.value_steps(steps), keep=keep,
                  loop_steps=loop_steps(example, steps))
    ctx = Context(
        example=example,
        framework=framework,
        dtype=framework_dtype,
        steps=steps,
        init=init,
        trace=trace,
        tensor=lambda array: adapter.from_numpy(array, framework_dtype),
        assign=adapter.assign,
        reference=reference,
    )
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported, not warned
            module.reproduce(ctx)
    except Exception as error:
        raise ImplementationError(f"the {framework} implementation raised {type(error).__name__}"
                                  f" at step {trace.current_step}: {error}") from error
    if reference is not None and not ctx.restarted:
        raise ImplementationError(f"the {framework} implementation does not start its steps "
                                  "from NumPy's parameters (ctx.start_from_reference, "
                                  "ctx.references): it cannot be judged step by step")
    recording = dataclasses.replace(trace.recording(), restarted=ctx.restarted)
    check_final_parameters(trace, recording, framework)
    return recording


def check_final_parameters(trace: Trace, recording: Recording, framework: str) -> None:
    """Each watched parameter as the implementation left it must be its last recorded
    value: an update after the last record would otherwise go unseen."""
    for name, parameter in trace.watched.items():
        series = recording.series.get(name)
        if series is None or not len(series.steps):
            continue
        final = trace.in_source_layout(name, np.asarray(trace.as_array(parameter), dtype=np.float64))
        if not np.array_equal(final, series.values[-1], equal_nan=True):
            raise RuntimeError(f"{framework}: '{name}' changed after its last record "
                               f"(step {series.steps[-1]}): an update that was not recorded")


def check_every_step_is_recorded(recording: Recording, steps: int, keep: Keep = KEEP_ALL) -> None:
    """The reference records its cost, gradients and parameters at every training step:
    a step no side records would otherwise go uncompared (a mirror that skips one is
    found by the comparison, as recorded by one side only)."""
    expected = np.array([step for step in range(steps) if keep.step(step)], dtype=np.int64)
    for quantity, series in recording.series.items():
        if series.kind not in ("cost", "grad", "param"):
            continue
        missing = np.setdiff1d(expected, series.steps)
        if missing.size:
            shown = ", ".join(map(str, missing[:5])) + (", ..." if missing.size > 5 else "")
            raise ImplementationError(f"the numpy implementation recorded '{quantity}' at "
                                      f"{expected.size - missing.size} of {expected.size} "
                                      f"training steps{' kept' if keep.every != 1 else ''} "
                                      f"(not at {shown})")
    if steps and keep.quantity("cost") and not any(s.kind == "cost" for s in recording.series.values()):
        raise ImplementationError("the numpy implementation recorded no cost: nothing says "
                                  "what the training minimises")


def check_claims_are_recorded(example: Example, recording: Recording) -> None:
    """Before any other framework runs: every claim names a quantity the reference
    records (a misspelt name would otherwise be found only after every run)."""
    unknown = sorted({c.quantity for c in example.claims
                      if not c.quantity.startswith("init.") and c.quantity not in recording})
    if unknown:
        raise ClaimError(f"claims name {', '.join(map(repr, unknown))}, which the numpy "
                         "implementation never records")


def rounded_replay(example: Example, steps: int, keep: Keep = KEEP_ALL) -> Recording:
    """The NumPy reference run again in float64 with every intermediate the source prints
    rounded to its printed precision before it is used (``claims.printed_precision``)."""
    return run_framework(example, "numpy", "float64", steps,
                         rounding=claims_.printed_precision(example), keep=keep)


def kept_records(example: Example, steps: int, record: Keep) -> Keep:
    """What a run keeps: ``record``'s choice (every k-th step, named quantities), and
    always the steps the claims print, the first, the last of training and the one after
    it, and every quantity a claim names."""
    if record == KEEP_ALL:
        return KEEP_ALL
    claimed = {claim.step for claim in example.claims if not claim.quantity.startswith("init.")}
    named = None if record.quantities is None else frozenset(
        record.quantities | {c.quantity for c in example.claims})
    return Keep(record.every, named,
                frozenset(claimed | {0, max(steps - 2, 0), max(steps - 1, 0), steps}))


def numbers_a_step(example: Example, steps: int) -> int:
    """About how many numbers a run records at a step: each parameter's value and
    gradient and the cost, and a definition's Z, A and dZ where recorded every step."""
    sizes = [int(np.prod(shape, dtype=np.int64)) for shape in example.init.shapes().values()]
    per_step = 1 + 2 * sum(sizes)
    if example.network is not None and example.value_steps(steps) is None:
        network = network_of(example)
        X = np.shape(example.data.get(network.data.get("X", "X"), []))
        m = max(X[examples_axis(network.layout)] if len(X) >= 2 else 1, 1)
        shapes = expected_shapes(network, m)
        per_step += sum(int(np.prod(shapes[name][0])) for name in value_names(network))
    return per_step


LOOP_NUMBERS = 1 << 24  # numbers a compiled loop stacks at once (128 MB in float64)


def loop_steps(example: Example, steps: int) -> int:
    """The most steps a compiled loop runs at once (``Trace.spans``): all of them for a
    small network, a few for a large one, so that what it stacks stays bounded."""
    return max(1, LOOP_NUMBERS // numbers_a_step(example, steps))


def recording_bytes(example: Example, framework_names: list[str] | None, steps: int,
                    dtype: str = "float64", every: int = 1) -> int:
    """About how much memory a run of ``example`` keeps: every run's records (8 bytes a
    number, ``numbers_a_step`` at every recorded step), and the results table, which
    holds them again."""
    names = list(dict.fromkeys(["numpy", *(framework_names or frameworks_of(example))]))
    per_step = numbers_a_step(example, steps)
    runs = len(names) + bool(example.claims and example.replay) + (dtype != "float64")
    runs += (len(names) - 1) * (example.parity == "step_local")
    recorded_steps = steps // max(every, 1) + 1
    return 8 * per_step * recorded_steps * (runs + 2)


def numerical_steps(steps: int, chosen: list[int] | None) -> list[int]:
    """Steps for the numerical-gradient column: the first and the last by default."""
    if chosen is not None:
        return sorted({s for s in chosen if 0 <= s < max(steps, 1)})
    return sorted({0, max(steps - 1, 0)})


class ExampleRun:
    """One example's run under way. Made, it hands its frameworks' runs to ``runs``
    (which may start them in worker processes at once); ``finish`` then runs NumPy, waits
    for the frameworks, compares them with NumPy at every step and judges the claims in
    float64. The frameworks are those named (each must be one the example has), by
    default every one it has (``frameworks_of``)."""

    def __init__(self, example: Example, framework_names: list[str] | None = None,
                 dtype: str = "float64", steps: int | None = None,
                 gradient_steps: list[int] | None = None, runs: Runs | None = None,
                 record: Keep = KEEP_ALL, gradient_elements: dict | None = None):
        self.example, self.dtype = example, dtype
        self.steps = example.steps if steps is None else steps
        self.gradient_steps, self.gradient_elements = gradient_steps, gradient_elements
        self.runs = Runs() if runs is None else runs
        self.keep = kept_records(example, self.steps, record)
        available = frameworks_of(example)
        if framework_names is None:
            framework_names = available
        missing = [name for name in ["numpy", *framework_names] if name not in available]
        if missing:
            raise ValueError(f"example '{example.id}' has no {missing[0]} implementation "
                             f"({missing[0]}_impl.py)")
        self.names = list(dict.fromkeys(["numpy", *framework_names]))
        self.free, self.local = {}, {}  # each framework's free-running and step-local runs
        self._prepared = False
        if example.parity != "step_local":  # a step-local run waits for NumPy's
            self.free = {name: self.runs.run(example, name, dtype, self.steps, keep=self.keep)
                         for name in self.names[1:]}

    def prepare(self) -> None:
        """NumPy's part, in this process: the reference run and its checks, the float64
        run the claims are judged on, the rounded replay and the numerical column; then
        the step-local runs, which start from the reference. Done once; ``finish`` calls
        it if nobody has."""
        if self._prepared:
            return
        example, dtype, steps, runs = self.example, self.dtype, self.steps, self.runs
        keep = self.keep
        self.reference = runs.run(example, "numpy", dtype, steps, keep=keep).result()
        if example.steps:  # an example that trains
            check_every_step_is_recorded(self.reference, steps, keep)
        if steps == example.steps:
            check_claims_are_recorded(example, self.reference)
        if example.parity == "step_local":  # the verdict from step-local runs; drift from free ones
            self.local = {name: runs.run(example, name, dtype, steps, reference=self.reference,
                                         keep=keep) for name in self.names[1:]}
            self.free = {name: runs.run(example, name, dtype, steps, keep=keep)
                         for name in self.names[1:]}
        self.exact = self.reference if dtype == "float64" else runs.run(
            example, "numpy", "float64", steps, keep=keep).result()
        self.replay = (runs.replay(example, steps, keep).result()
                       if example.claims and example.replay else None)
        cost_at = reference_function(example, "cost_at")
        with np.errstate(all="ignore"):  # a diverged run's estimates are what they are
                self.numerical = None if cost_at is None or self.gradient_steps == [] else \
                numerical_column(cost_at, example, self.exact, example.initial_parameters(),
                                 numerical_steps(steps, self.gradient_steps),
                                 self.gradient_elements)
        self._prepared = True

    def finish(self) -> ExampleResult:
        """Wait for every framework, compare each with NumPy, judge the claims."""
        self.prepare()
        example, dtype, steps, reference = self.example, self.dtype, self.steps, self.reference
        others = self.names[1:]
        traces = {"numpy": reference}
        traces.update({name: (self.local or self.free)[name].result() for name in others})
        parities = [compare_runs(example, reference, traces[name], name, dtype,
                                 shortened=steps < example.steps) for name in others]
        if self.local:
            parities = [dataclasses.replace(parity, mode="step_local", drift=drift(
                reference, self.free[parity.framework].result(), dtype)) for parity in parities]
        else:  # where the trajectories part, is every step right on its own?
            parities = [self.step_by_step(parity, traces) if parted(parity) else parity
                        for parity in parities]
        init = example.initial_parameters()
        verdicts = claims_.judge(example, claims_.Values(self.exact, init),
                                 claims_.Values(self.replay, init) if self.replay is not None
                                 else None, steps)
        versions = {name: frameworks.adapter(name).version() for name in self.names}
        return ExampleResult(example, dtype, steps, self.names, traces, parities, verdicts,
                             self.replay, self.numerical, versions, growth(example, reference))


def compare_runs(example: Example, reference: Recording, other: Recording, framework: str,
                 dtype: str, shortened: bool) -> Parity:
    """``parity.compare``; a generic engine against a NumPy mirror (or the other way
    round) on the intermediates both record (``parity.shared_records``), saying which
    were left out."""
    if runs_generic(example, framework) == runs_generic(example, "numpy"):
        return compare(reference, other, framework, dtype, example.diverges, shortened)
    reference, other, cut = shared_records(reference, other, framework)
    parity = compare(reference, other, framework, dtype, example.diverges, shortened)
    return dataclasses.replace(parity, not_compared=cut)


GROWTH = 6  # decades: a cost that grows by more, finite or not, is a training that diverges


def growth(example: Example, reference: Recording) -> list[str]:
    """A cost that grows by more than GROWTH decades where the example does not declare that
    its training diverges: every framework may agree on it, and a reader should still know."""
    series = reference.series.get("cost")
    if example.diverges or series is None or len(series.steps) < 2:
        return []
    costs = np.abs(series.values.reshape(-1))
    start = costs[0]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        grown = np.flatnonzero(~(costs <= start * 10.0 ** GROWTH)) if start > 0 else []
    if not len(grown):
        return []
    at = int(grown[0])
    finite = costs[np.isfinite(costs)]
    largest = f"{finite.max():.3g}" if finite.size else "a value that is not finite"
    return [f"the cost grows from {start:.4g} at step {int(series.steps[0])} past "
            f"{10.0 ** GROWTH:.0e} times that at step {int(series.steps[at])} (to {largest}): "
            "the training diverges; declare diverges = true where the source's does"]


def parted(parity: Parity) -> bool:
    """A free-running comparison that failed on values alone (every record on both sides,
    every value finite): the trajectories may have parted by accumulated rounding."""
    return (parity.first_divergence is not None and not parity.missing and not parity.diverged
            and not parity.divergence_expected)


def step_by_step_of(run: ExampleRun, parity: Parity, traces: dict) -> Parity:
    """A failed free-running comparison, judged again step by step: each step of the
    framework started from NumPy's parameters (a step-local run, asked for only now). If
    every step agrees on its own, the trajectories parted by accumulated rounding: the
    verdict is the step-local one, unless the example wants free-running parity, whose
    failure then says that every step agrees on its own. An implementation that cannot
    restart its steps keeps its free-running verdict, which says so."""
    example, reference = run.example, traces["numpy"]
    try:
        local = run.runs.run(example, parity.framework, run.dtype, run.steps,
                             reference=reference, keep=run.keep).result()
    except ImplementationError as error:
        return dataclasses.replace(parity, step_local=f"not available: {error}")
    checked = compare_runs(example, reference, local, parity.framework, run.dtype,
                           shortened=run.steps < example.steps)
    if not checked.passed:
        return dataclasses.replace(parity, step_local="fails too: " + (
            checked.first_divergence.describe(parity.framework) if checked.first_divergence
            else "; ".join(checked.problems())))
    if example.parity == "free_running":
        return dataclasses.replace(parity, step_local="holds at every step")
    return dataclasses.replace(checked, mode="step_local", parted=parity.first_divergence,
                               drift=drift(reference, traces[parity.framework], run.dtype))


ExampleRun.step_by_step = step_by_step_of


def run_example(example: Example, framework_names: list[str] | None = None,
                dtype: str = "float64", steps: int | None = None,
                gradient_steps: list[int] | None = None, runs: Runs | None = None) -> ExampleResult:
    """Run, compare with NumPy at every step, and judge the claims (``ExampleRun``);
    ``runs`` shares runs with other calls (by default the example's own)."""
    return ExampleRun(example, framework_names, dtype, steps, gradient_steps, runs).finish()
