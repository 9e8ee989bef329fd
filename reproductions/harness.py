"""Run an example on each framework, compare them step by step, judge the claims.

Nothing here knows any example. An example is a definition (``spec.load``: a catalogue
folder's ``example.toml``, or a definition file), and each framework runs it with one
implementation defining ``reproduce(ctx)`` (``execute.implementations``, the one place
that chooses; what running one takes is in ``execute.py``, whose names are also
reachable from here). NumPy, the reference, always runs.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

import frameworks

from . import claims as claims_, derived
from .execute import (ENGINES, GENERIC, LOOP_NUMBERS, ClaimError, Context, Hyper,  # noqa: F401
                      ImplementationError, check_claims_are_recorded,
                      check_every_step_is_recorded, engine_of, frameworks_of, implementation,
                      implementations, loop_steps, numbers_a_step, reference_function,
                      rounded_replay, run_framework, run_module, runs_generic, runs_graph)
from .numerical import numerical_column
from .parity import Parity, compare, drift, shared_records
from .runs import Runs
from .engines.draws import Initialisation
from .spec import Example
from .trace import KEEP_ALL, Keep, Recording


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
    ensemble_runs: int = 0  # runs of the sensitivity ensemble it needed (claims.sensitivity)

    @property
    def parity_passed(self) -> bool:
        return all(p.passed for p in self.parities)

    @property
    def claims_passed(self) -> bool:
        return all(c.passed for c in self.claims)

    @property
    def passed(self) -> bool:
        return self.parity_passed and self.claims_passed


def kept_records(example: Example, steps: int, record: Keep) -> Keep:
    """What a run keeps: ``record``'s choice (every k-th step, named quantities), and
    always the steps the claims print, the first, the last of training and the one after
    it, and every quantity a claim names."""
    if record == KEEP_ALL:
        return KEEP_ALL
    claimed = {claim.step for claim in example.claims if not claim.quantity.startswith("init.")}
    claimed |= {claim.step - 1 for claim in example.claims if claim.step and any(
        name.startswith(("before.", "test.")) for name in derived.reads(claim))}
    named = None if record.quantities is None else frozenset(
        record.quantities | set(example.init.shapes()) |
        {name for claim in example.claims for name in derived.reads(claim)})
    return Keep(record.every, named,
                frozenset(claimed | {0, max(steps - 2, 0), max(steps - 1, 0), steps}))


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
        traces.update(self.runs.gather({name: (self.local or self.free)[name] for name in others}))
        parities = [compare_runs(example, reference, traces[name], name, dtype,
                                 shortened=steps < example.steps) for name in others]
        if self.local:
            parities = [dataclasses.replace(parity, mode="step_local", drift=drift(
                reference, self.free[parity.framework].result(), dtype)) for parity in parities]
        else:  # where the trajectories part, is every step right on its own?
            parities = [self.step_by_step(parity, traces) if parted(parity) else parity
                        for parity in parities]
        init = example.initial_parameters()
        cost_at = reference_function(example, "cost_at")
        verdicts = claims_.judge(example, claims_.Values(self.exact, init, example, cost_at),
                                 claims_.Values(self.replay, init, example, cost_at)
                                 if self.replay is not None else None, steps)
        members = []
        verdicts = claims_.sensitivity(example, verdicts,
                                       lambda: members.extend(ensemble(example, steps, self.keep))
                                       or members)
        versions = {name: frameworks.adapter(name).version() for name in self.names}
        return ExampleResult(example, dtype, steps, self.names, traces, parities, verdicts,
                             self.replay, self.numerical, versions, growth(example, reference),
                             len(members))


MEMBERS = 8  # runs of the sensitivity ensemble, unless [sensitivity] says otherwise


def moved_by_one_ulp(start: dict[str, np.ndarray], member: int) -> dict[str, np.ndarray]:
    """Every element of every start value moved to its next float64 up or down, the
    directions drawn from a generator seeded by the member's number."""
    signs = np.random.default_rng(member)
    return {name: np.nextafter(value, signs.choice((-np.inf, np.inf), np.shape(value)))
            for name, value in start.items()}


def ensemble(example: Example, steps: int, keep: Keep) -> list[claims_.Values]:
    """The NumPy reference in float64 from start values moved by one ulp, once a member
    (``[sensitivity] members``, MEMBERS by default): the spread a claim after training
    steps may lie in (claims.sensitivity)."""
    count = example.sensitivity.members if example.sensitivity is not None else MEMBERS
    members, drawn = [], example.initial_parameters()  # drawn once, moved per member
    for member in range(count):
        start = moved_by_one_ulp(drawn, member)
        literal = Initialisation(params=[{"name": name, "value": value.tolist()}
                                         for name, value in start.items()])
        moved = example.model_copy(update={"init": literal})
        recording = run_framework(moved, "numpy", "float64", steps, keep=keep)
        members.append(claims_.Values(recording, start, moved,
                                      reference_function(moved, "cost_at")))
    return members


def compare_runs(example: Example, reference: Recording, other: Recording, framework: str,
                 dtype: str, shortened: bool) -> Parity:
    """``parity.compare``; a generic or graph engine against a NumPy mirror (or the other
    way round) on the intermediates both record (``parity.shared_records``; for a graph,
    the gradients too: it records every node's), saying which were left out."""
    engines = {engine_of(example, framework), engine_of(example, "numpy")}
    if len(engines) == 1:
        return compare(reference, other, framework, dtype, example.diverges, shortened)
    partial = ("value", "grad") if "graph" in engines else ("value",)
    reference, other, cut = shared_records(reference, other, framework, partial)
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
