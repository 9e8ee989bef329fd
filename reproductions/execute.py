"""One implementation of an example, run: the context ``reproduce(ctx)`` gets, the file
each framework runs it with (``implementations``, the one place that chooses: the
folder's mirror, ``<framework>_impl.py``, where it has one, else the generic engine's
module for its ``[network]``, or the graph engine's for its ``[graph]``), and the checks
of what it recorded. ``runs.py`` runs these in worker processes; ``harness.py``
compares what they record.
"""

import dataclasses
from dataclasses import dataclass
import importlib
import importlib.util
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import frameworks
from frameworks._layout import fitted

from . import claims as claims_, derived
from .engines import expressions
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



GENERIC = Path(__file__).parent / "generic"  # the generic engines, a module per framework
ENGINES = Path(__file__).parent / "engines"  # the graph engines: <framework>/graph.py


def implementations(example: Example) -> dict[str, Path]:
    """The file each framework runs the example with, NumPy (the reference) first: the
    folder's mirror (``has_mirror``), else the generic engine's module where the example
    has a ``[network]``, or the graph engine's where it has a ``[graph]``; a framework
    with none is not one of the example's."""
    found = {}
    for name in frameworks.NAMES:
        if has_mirror(example, name):
            found[name] = example.folder / f"{name}_impl.py"
        elif example.network is not None:
            found[name] = GENERIC / f"{name}.py"
        elif example.graph is not None:
            found[name] = ENGINES / name / "graph.py"
    return found


def frameworks_of(example: Example) -> list[str]:
    """The frameworks an example runs in (``implementations``), NumPy first."""
    return list(implementations(example))


def runs_generic(example: Example, framework: str) -> bool:
    return implementations(example).get(framework, GENERIC).parent == GENERIC


def runs_graph(example: Example, framework: str) -> bool:
    """Whether a framework runs the example's ``[graph]`` on the graph engine."""
    return implementations(example).get(framework) == ENGINES / framework / "graph.py"


def engine_of(example: Example, framework: str) -> str:
    """What a framework runs: "mirror", "generic" (the [network]) or "graph"."""
    return "generic" if runs_generic(example, framework) else \
        "graph" if runs_graph(example, framework) else "mirror"


def implementation(example: Example, framework: str, engine: str | None = None):
    """The module a framework runs the example with (``implementations``), or, with
    ``engine="generic"``, the generic engine's."""
    if engine == "generic" or runs_generic(example, framework):
        return importlib.import_module(f"reproductions.generic.{framework}")
    if runs_graph(example, framework):
        return importlib.import_module(f"reproductions.engines.{framework}.graph")
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
                  keep: Keep = KEEP_ALL, engine: str | None = None,
                  spill: str | None = None) -> Recording:
    """One run of one implementation (``implementations``; ``engine="generic"``: the generic
    engine's, whatever the example's); returns what it recorded (what ``keep`` keeps; its
    large records left in files in the folder ``spill``, where one is given). With
    NumPy's ``reference`` run, the run is step-local (``Context.start_from_reference``). The
    generic engine runs on the example in its own names (``EngineView``), renamed back; the
    graph engine records in the graph's names, the source's."""
    view, seen, module = as_run(example, framework, engine)
    if view is not None:
        recording = run_module(seen, module, framework, dtype, steps, view.rounding(rounding),
                               on_step, view.recording_to_engine(reference), view.keep(keep),
                               spill)
        return view.recording_to_source(recording)
    return run_module(seen, module, framework, dtype, steps, rounding, on_step, reference, keep,
                      spill)


def as_run(example: Example, framework: str, engine: str | None = None):
    """What runs ``example`` in ``framework`` and how it sees it: (the generic engine's
    view, or None), the example as the module takes it, the module. The generic engine
    runs the example in its own names; the graph engine in the source's layout ([layout]
    is the mirrors'); a mirror as it is."""
    if engine == "generic" or runs_generic(example, framework):
        view = EngineView(example)
        return view, view.example, implementation(example, framework, "generic")
    if runs_graph(example, framework):
        return None, example.model_copy(update={"layout": {}}), implementation(example, framework)
    return None, example, implementation(example, framework)


def run_module(example: Example, module, framework: str, dtype: str, steps: int, rounding,
               on_step, reference: Recording | None, keep: Keep,
               spill: str | None = None) -> Recording:
    adapter = frameworks.require(framework)
    framework_dtype = adapter.setup(dtype)
    init = example.initial_parameters()
    transposed, shapes = example.framework_layout(framework)
    trace = Trace(as_array=adapter.view, rounding=rounding, on_step=on_step, expected_steps=steps,
                  transposed=transposed, shapes=shapes,
                  stored_gradient=adapter.stored_gradient,
                  printed_steps=example.value_steps(steps), keep=keep,
                  loop_steps=loop_steps(example, steps), spill=spill)
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
    unknown = sorted({name for c in example.claims for name in derived.reads(c)
                      if not name.startswith(derived.COMPUTED) and name not in recording
                      and name not in example.data})
    if unknown:
        raise ClaimError(f"claims name {', '.join(map(repr, unknown))}, which the numpy "
                         "implementation never records")


def rounded_replay(example: Example, steps: int, keep: Keep = KEEP_ALL) -> Recording:
    """The NumPy reference run again in float64 with every intermediate the source prints
    rounded to its printed precision before it is used (``claims.printed_precision``)."""
    return run_framework(example, "numpy", "float64", steps,
                         rounding=claims_.printed_precision(example), keep=keep)


def numbers_a_step(example: Example, steps: int) -> int:
    """About how many numbers a run records at a step: each parameter's value and
    gradient and the cost, a definition's Z, A and dZ where recorded every step, and a
    graph's every node and its gradient."""
    sizes = [int(np.prod(shape, dtype=np.int64)) for shape in example.init.shapes().values()]
    per_step = 1 + 2 * sum(sizes)
    if example.network is not None and example.value_steps(steps) is None:
        network = network_of(example)
        X = np.shape(example.data.get(network.data.get("X", "X"), []))
        m = max(X[examples_axis(network.layout)] if len(X) >= 2 else 1, 1)
        shapes = expected_shapes(network, m)
        per_step += sum(int(np.prod(shapes[name][0])) for name in value_names(network))
    if example.graph is not None:  # every node's value and gradient
        shapes = expressions.GraphTable.model_validate(example.graph).shapes
        per_step += 2 * sum(int(np.prod(shape, dtype=np.int64)) for shape in shapes)
    return per_step


LOOP_NUMBERS = 1 << 22  # numbers a compiled loop stacks at once (32 MB in float64)


def loop_steps(example: Example, steps: int) -> int:
    """The most steps a compiled loop runs at once (``Trace.spans``): all of them for a
    small network, a few for a large one, so that what it stacks stays bounded."""
    return max(1, LOOP_NUMBERS // numbers_a_step(example, steps))
