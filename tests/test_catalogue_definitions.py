"""The generic engines and the hand-written mirrors agree, on the catalogue itself.

Every catalogue example that is a network declares it (``[network]`` in its
``example.toml``, named in the source's names); the generic engines then run it in any
framework it has no mirror of. Here each engine runs every such example in every
framework (``harness.run_framework(..., engine="generic")``), and its float64 trace of
every quantity the catalogue's mirrors record too (the cost, every trained parameter and
its gradient, and the Z, A and dZ the example names) equals the catalogue's NumPy trace
and its mirror of the same framework, at every step, within 1e-12 of the quantity's size.
Every catalogue example is a network, an expression graph, or named with why it is
neither.
"""

import functools
import json

import numpy as np
import pytest

from conftest import CATALOGUE, within
from reproductions import harness
from reproductions.spec import has_mirror
from reproductions.trace import Series

FRAMEWORKS = ["numpy", "torch", "tensorflow", "jax"]
RTOL = 1e-12
NETWORKS = sorted(i for i, example in CATALOGUE.items() if example.network is not None)

# What an engine records of the cost, parameters and gradients that the mirrors do not, and why.
UNMAPPED: dict[str, dict[str, str]] = {}

# The example whose NumPy mirror does the generic NumPy engine's arithmetic, held to RTOL of
# every element as well.
ELEMENTWISE = {"xor_hidden_layer"}

# Catalogue examples that are expression graphs: [graph] (tests/test_graph_definitions.py).
GRAPHS = sorted(i for i, example in CATALOGUE.items() if example.graph is not None)

# Catalogue examples with neither a [network] nor a [graph], and why.
NEITHER = {
    "calculus_warmups": "four computations in one step-0 run (a sigmoid slope, a gradient with "
                        "a step of rate 1 and one of 0.01, the chain rule) where a graph has one "
                        "output and one update: each part is a graph of its own in "
                        "tests/definitions/calculus_warmups",
    "activation_derivatives": "six activations and their derivatives, each on its own, against "
                              "finite differences at the kinks: no network, and no one graph "
                              "(the step function and softmax are no graph functions)",
    "loss_derivatives": "four losses and their derivatives, each on its own, against finite "
                        "differences at the kink: no network, and no one graph",
}

CASES = [pytest.param(example_id, framework, id=f"{example_id}-{framework}",
                      marks=pytest.mark.xdist_group(example_id))
         for example_id in NETWORKS for framework in FRAMEWORKS]


@functools.cache
def generic_run(example_id: str, framework: str):
    example = CATALOGUE[example_id]
    return harness.run_framework(example, framework, "float64", example.steps, engine="generic")


def cut(series: Series, n: int) -> Series:
    return Series(series.kind, series.steps[:n], series.order[:n], series.values[:n],
                  series.scale[:n])


def first_non_finite(series: Series) -> int:
    """The first record holding a value that is not finite (len(steps) if none)."""
    bad = ~np.isfinite(series.values.reshape(len(series.steps), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else len(series.steps)


def aligned(generic: Series, reference: Series, quantity: str, steps: int) -> Series:
    """The generic series at the catalogue's steps, in the catalogue's shape. They must
    record the same steps, but for the cost after the last update (step ``steps``), which
    the generic engines always record and some catalogue examples do not; the shapes may
    differ only by dimensions of one (a catalogue (1,) against (1, 1))."""
    if generic.kind == "value" and np.isin(reference.steps, generic.steps).all():
        held = np.isin(generic.steps, reference.steps)  # the engine may record more steps
        generic = Series(generic.kind, generic.steps[held], generic.order[held],
                         generic.values[held], generic.scale[held])
    if not np.array_equal(generic.steps, reference.steps):
        extra_final_cost = (quantity == "cost" and len(generic.steps) == len(reference.steps) + 1
                            and generic.steps[-1] == steps
                            and np.array_equal(generic.steps[:-1], reference.steps))
        assert extra_final_cost, (f"{quantity}: steps {generic.steps[:3]}..{generic.steps[-3:]} "
                                  f"against the catalogue's {reference.steps[:3]}.."
                                  f"{reference.steps[-3:]}")
        generic = cut(generic, len(reference.steps))
    squeezed = [tuple(n for n in shape if n != 1) for shape in (generic.shape, reference.shape)]
    assert squeezed[0] == squeezed[1], f"{quantity}: shape {generic.shape} against {reference.shape}"
    return Series(generic.kind, generic.steps, generic.order,
                  generic.values.reshape(reference.values.shape), generic.scale)


def agreement(generic: Series, reference: Series, quantity: str, diverges: bool) -> tuple[bool, float]:
    """within() on the records before the first value that is not finite; a definition
    that declares its divergence must stop being finite at the same record in the same
    way (the same elements +inf, -inf and NaN), any other must stay finite."""
    n = first_non_finite(reference)
    assert first_non_finite(generic) == n, (f"{quantity}: first not finite at record "
                                            f"{first_non_finite(generic)}, the catalogue at {n}")
    if n < len(reference.steps):
        assert diverges, f"{quantity}: not finite at step {reference.steps[n]}"
        a, b = generic.values[n], reference.values[n]
        assert (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(np.isposinf(a), np.isposinf(b))
                and np.array_equal(np.isneginf(a), np.isneginf(b))), \
            f"{quantity}: not finite in another way at step {reference.steps[n]}: {a} against {b}"
    return within(cut(generic, n), cut(reference, n), RTOL)


@pytest.mark.parametrize("example_id,framework", CASES)
def test_the_generic_engines_give_the_hand_written_trace(run_result, example_id, framework):
    """Against the catalogue's NumPy trace, and against its mirror of the same framework,
    to 1e-12 of each quantity's size (parity's size: the largest magnitude so far) at
    every step. Relative to each element would not do for torch and TensorFlow against
    NumPy: biases start at 0 and gradients fall towards 0 (xor_hidden_layer: 2e-11
    relative, 1e-14 of their size)."""
    example = CATALOGUE[example_id]
    generic = generic_run(example_id, framework)
    catalogue = run_result(example_id, "float64").traces
    assert catalogue["numpy"].series and generic.series

    trained = {q for q, s in generic.series.items() if s.kind in ("cost", "grad", "param")}
    unmapped = trained - set(catalogue["numpy"].series) - set(UNMAPPED.get(example_id, {}))
    assert not unmapped, f"recorded by the engine, not by the mirrors: {sorted(unmapped)}"
    shared = [q for q, s in generic.series.items() if s.kind != "finding" and q in catalogue["numpy"]]
    assert trained - set(UNMAPPED.get(example_id, {})) <= set(shared)
    for quantity in shared:
        for reference in ("numpy", framework):
            theirs = catalogue[reference][quantity]
            ours = aligned(generic[quantity], theirs, quantity, example.steps)
            ok, used = agreement(ours, theirs, quantity, example.diverges)
            assert ok, f"{quantity} against the catalogue's {reference}: {used:.3g} of its size"
            if framework == "numpy" and example_id in ELEMENTWISE:
                np.testing.assert_allclose(ours.values, theirs.values, rtol=RTOL, atol=0,
                                           err_msg=quantity)


def test_every_catalogue_example_is_a_network_a_graph_or_says_why_not():
    assert not set(NETWORKS) & set(NEITHER) and not set(GRAPHS) & set(NEITHER)
    assert set(CATALOGUE) - set(NETWORKS) - set(GRAPHS) - set(NEITHER) == set(), \
        "catalogue examples with no [network] or [graph], not named in NEITHER"
    assert len(NETWORKS) >= 13
    mirrored = [i for i in GRAPHS if has_mirror(CATALOGUE[i], "numpy")]
    assert mirrored == ["computational_graph", "jacobian_square"]
    assert all(CATALOGUE[i].source.outside for i in set(GRAPHS) - set(mirrored))


def test_repro_check_runs_a_catalogue_folder_as_a_definition(tmp_path):
    """--spec takes a catalogue folder: the frameworks with a mirror run it, the others
    (here: a copy without its torch mirror) the generic engine."""
    import shutil

    from conftest import repro

    folder = tmp_path / "xor_hidden_layer"
    shutil.copytree(CATALOGUE["xor_hidden_layer"].folder, folder)
    (folder / "torch_impl.py").unlink()
    done = repro("check", "--spec", folder, "--steps", "20", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    files = json.loads((tmp_path / "out" / "xor_hidden_layer" / "summary.json").read_text()
                       )["provenance"]["example"]["files"]
    assert "torch.py" in files and "torch_impl.py" not in files and "jax_impl.py" in files
