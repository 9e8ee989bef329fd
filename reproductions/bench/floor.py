"""The floor a run is measured against: the frameworks' own work and nothing else.

A floor process imports and sets up one framework, then runs the mirror (or generic
engine) of every example it is given with :class:`NullTrace`, a recorder that keeps
nothing: ``trace.value`` hands its value back, ``trace.printed`` is False (so the
display-only passes a mirror guards with it are skipped), and gradients, parameters and
whole trainings are dropped where they are handed over. What remains is the training
as the framework computes it, with whatever a mirror computes only to hand to the
recorder (the values a compiled step returns) still computed: a floor that is, if
anything, a little high.

``repro bench`` starts one floor process per framework at once, the arrangement
``repro check`` runs its frameworks in, and takes the wall time until the last ends:
the floor of the check (every example) and of one long definition. The start values are
drawn before the floor processes start (``save_draws``), as a check draws them before
its workers start. Run as ``python -m reproductions.bench.floor FRAMEWORK DTYPE
DRAWS_FILE (--spec FILE | EXAMPLE ...)``; it prints the seconds it took, imports
included.
"""

import pickle
import sys
import time
from pathlib import Path


class NullTrace:
    """A recorder that keeps nothing, with the methods and attributes mirrors use."""

    printed = False
    transposed = frozenset()
    shapes: dict = {}

    def __init__(self):
        self.current_step = 0
        self.watched = {}

    def step(self, n):
        self.current_step = n

    def watch(self, **parameters):
        self.watched.update(parameters)

    def value(self, name, value, scale=None):
        return value

    def cost(self, value):
        return value

    def grad(self, name, value, terms=None):
        return value

    def param(self, name, value):
        return value

    def finding(self, name, value):
        return value

    def values(self, **named):
        pass

    def gradients(self, cost, grads=None):
        pass

    def parameters(self, values=None):
        pass

    def training(self, *args, **kwargs):
        pass

    def spans(self, steps, printed_alone=True):
        return [(0, steps)] if steps else []

    def printed_at(self, step):
        return False


def bare_context(example, framework: str, dtype: str, steps: int):
    """The ctx an implementation gets from the harness, with a NullTrace."""
    import frameworks

    from ..harness import Context

    adapter = frameworks.require(framework)
    framework_dtype = adapter.setup(dtype)
    trace = NullTrace()
    trace.transposed, trace.shapes = example.framework_layout(framework)
    return Context(example=example, framework=framework, dtype=framework_dtype, steps=steps,
                   init=example.initial_parameters(), trace=trace,
                   tensor=lambda array: adapter.from_numpy(array, framework_dtype),
                   assign=adapter.assign)


def run_bare(example, framework: str, dtype: str, steps: int | None = None) -> None:
    """One implementation run on a NullTrace, on the example as that implementation sees
    it in a run (a definition's view for the generic engine)."""
    from ..execute import as_run

    steps = example.steps if steps is None else steps
    _, seen, module = as_run(example, framework)
    module.reproduce(bare_context(seen, framework, dtype, steps))


def examples_named(argv: list[str]) -> list:
    from .. import spec

    if argv[0] == "--spec":
        return [spec.load(Path(argv[1]))]
    return [spec.load_example(spec.folders()[name]) for name in argv]


def save_draws(framework_args: dict[str, list[str]], path: Path) -> None:
    """The draws (start values and drawn arrays) of the floor processes' examples, by
    example id, in ``path``: made here, before they start, as ``repro check`` draws them in
    its own process and hands each run its example's (``runs.py``)."""
    from ..engines import draws

    drawn = {example.id: draws.draw_values(example.init)
             for args in framework_args.values() for example in examples_named(args)}
    with open(path, "wb") as file:
        pickle.dump(drawn, file)


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    framework, dtype, draws_file, *rest = argv
    import frameworks

    frameworks.require(framework).setup(dtype)  # the import, once
    from ..engines import draws

    with open(draws_file, "rb") as file:
        drawn = pickle.load(file)
    for example in examples_named(rest):
        from ..harness import frameworks_of

        if framework in frameworks_of(example):
            draws.remember(example.init, drawn[example.id])  # as a check's worker is handed them
            run_bare(example, framework, dtype)
    print(time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
