"""Building blocks of a benchmark of the harness: bare training loops and a scale case.

``bare_numpy``, ``bare_torch``, ``bare_tensorflow`` and ``bare_jax`` each define the
same loops, ``hours_studied``, ``xor_hidden_layer``, ``test_scores`` and ``scale_mlp``
(a bare loop is timed and tested for every framework its example has a mirror in,
``harness.frameworks_of``): the training loop of that example's mirror in that
framework, the same layers, losses, optimizers and
arithmetic in the same order, without the trace, the layout conversions made for
recording and the step-0 sections that only print intermediates. Each takes the ``ctx``
the mirrors get (``context`` builds it, ``run`` runs a loop on it) and returns the final
parameters as NumPy float64 arrays in the source's layout, so timing a bare loop against
``harness.run_framework`` shows what the harness costs, and comparing their final
parameters shows that both compute the same thing. ``scale.scale_example(width)`` is
the scale case, a 784-W-10 network on synthetic data, as an example the harness runs
like any other.
"""

from importlib import import_module

import frameworks

from ..harness import Context
from ..spec import Example
from ..trace import Trace

LOOPS = ("hours_studied", "xor_hidden_layer", "test_scores", "scale_mlp")


def context(example: Example, framework: str, dtype: str, steps: int | None = None,
            on_step=None) -> Context:
    """The ctx ``harness.run_framework`` hands an implementation, built the same way.
    The bare loops record nothing; they only mark the start of each step
    (``trace.step``), which calls ``on_step`` as the harness's progress does."""
    adapter = frameworks.require(framework)
    framework_dtype = adapter.setup(dtype)
    return Context(
        example=example,
        framework=framework,
        dtype=framework_dtype,
        steps=example.steps if steps is None else steps,
        init=example.initial_parameters(),
        trace=Trace(as_array=adapter.view, on_step=on_step),
        tensor=lambda array: adapter.from_numpy(array, framework_dtype),
    )


def run(loop: str, ctx: Context) -> dict:
    """The bare loop ``loop`` of ctx's framework, run on ctx: its final parameters.

    It takes the ctx rather than a framework's name so that the framework is set up
    (``context``) before its loops are first imported, as ``harness.run_framework``
    sets it up before it imports a mirror: TensorFlow reads its kernel options once,
    when it is first imported."""
    if loop not in LOOPS:
        raise ValueError(f"unknown bare loop '{loop}' (known: {', '.join(LOOPS)})")
    bare = import_module(f"{__name__}.bare_{ctx.framework}")
    if not hasattr(bare, loop):
        raise ValueError(f"no bare {ctx.framework} loop for '{loop}' (it has no "
                         f"{ctx.framework} mirror)")
    return getattr(bare, loop)(ctx)
