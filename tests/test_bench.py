"""The benchmark's building blocks: each bare loop computes what its mirror computes,
bit for bit, and the scale case passes parity like any example."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import CATALOGUE, result_of
from reproductions import bench, harness, spec
from reproductions.bench.scale import FOLDER, scale_example

REPO = Path(__file__).resolve().parents[1]


def example_of(loop: str) -> spec.Example:
    return scale_example(16) if loop == "scale_mlp" else CATALOGUE[loop]


def last_params(recording, steps: int) -> dict[str, np.ndarray]:
    """The parameters after the last update."""
    return {name: series.at(steps - 1) for name, series in recording.series.items()
            if series.kind == "param"}


def mirror_run(loop: str, framework: str):
    """The mirror's recording: the session's run of a catalogue example, or the scale case's."""
    if loop in CATALOGUE:
        return result_of(loop, "float64").traces[framework]
    example = example_of(loop)
    return harness.run_framework(example, framework, "float64", example.steps)


# a bare loop for every framework its example has a mirror in
PAIRS = [(loop, framework) for loop in bench.LOOPS for framework in harness.frameworks_of(example_of(loop))]


def test_every_loop_runs_in_numpy_torch_and_tensorflow_and_where_it_has_one_jax():
    assert {loop for loop, framework in PAIRS if framework == "jax"} >= {"xor_hidden_layer", "scale_mlp"}
    for loop in bench.LOOPS:
        assert {"numpy", "torch", "tensorflow"} <= {f for l, f in PAIRS if l == loop}, loop


STEPS = 300  # of the 1,000-5,000 an example takes: every kind of step each loop makes


@pytest.mark.parametrize("example_id, framework", PAIRS)
def test_bare_loop_is_where_its_mirror_is(example_id, framework):
    """After STEPS steps (or all of them, if fewer), bit for bit: the mirror's parameters
    are recorded at every step."""
    loop, example = example_id, example_of(example_id)
    steps = min(example.steps, STEPS)
    mirror = last_params(mirror_run(loop, framework), steps)
    bare = bench.run(loop, bench.context(example, framework, "float64", steps=steps))
    assert set(bare) == set(mirror)
    for name, value in bare.items():
        assert value.dtype == np.float64
        assert value.shape == example.initial_parameters()[name].shape  # the source's layout
        assert np.array_equal(value, mirror[name]), f"{loop} {framework} {name}"


def test_context_is_the_harness_context():
    example = CATALOGUE["test_scores"]
    ctx = bench.context(example, "numpy", "float32")
    assert isinstance(ctx, harness.Context)
    assert ctx.steps == example.steps and ctx.dtype == np.float32
    assert ctx.data("X").dtype == np.float32
    assert all(np.array_equal(ctx.init[name], value)
               for name, value in example.initial_parameters().items())
    assert bench.context(example, "numpy", "float64", steps=3).steps == 3


def test_tensorflow_and_jax_loops_refuse_an_import_before_setup():
    """TensorFlow fixes its kernels (oneDNN) when first imported, JAX its XLA flags when its
    backend starts: the adapter's setup must come first, so importing the bare loops
    without it fails instead of importing the framework."""
    code = (
        "import sys\n"
        "try:\n"
        "    import reproductions.bench.bare_tensorflow\n"
        "except ImportError as error:\n"
        "    assert 'context' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('imported')\n"
        "assert 'tensorflow' not in sys.modules\n"
        "from reproductions import bench\n"
        "from reproductions.bench.scale import scale_example\n"
        "ctx = bench.context(scale_example(16), 'numpy', 'float64', steps=1)\n"
        "assert set(bench.run('scale_mlp', ctx)) == {'W1', 'b1', 'W2', 'b2'}\n"
        "try:\n"
        "    import reproductions.bench.bare_jax\n"
        "except ImportError as error:\n"
        "    assert 'context' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('imported')\n"
        "loaded = [m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_scale_case_is_a_valid_definition_outside_the_catalogue():
    assert spec.load(FOLDER).id == "scale_mlp"
    assert "scale_mlp" not in CATALOGUE
    example = scale_example(64, seed=1)
    shapes = {name: value.shape for name, value in example.initial_parameters().items()}
    assert shapes == {"W1": (784, 64), "b1": (1, 64), "W2": (64, 10), "b2": (1, 10)}
    X, Y = example.array("X"), example.array("Y")
    assert X.shape == (128, 784) and Y.shape == (128, 10)
    assert np.array_equal(Y.sum(axis=1), np.ones(128)) and set(np.unique(Y)) == {0.0, 1.0}
    assert np.array_equal(X, scale_example(16, seed=1).array("X"))  # data do not depend on W
    assert not np.array_equal(X, scale_example(64, seed=0).array("X"))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_scale_case_passes_parity(dtype):
    result = harness.run_example(scale_example(16), None, dtype)  # every framework with a mirror
    assert result.frameworks == ["numpy", "torch", "tensorflow", "jax"]
    for parity in result.parities:
        assert not parity.missing, parity.missing[:3]
        assert parity.first_divergence is None, parity.first_divergence.describe(parity.framework)
        assert {q.quantity for q in parity.quantities} == {"cost", "grad.W1", "grad.b1", "grad.W2",
                                                 "grad.b2", "W1", "b1", "W2", "b2"}
    assert result.parity_passed


def test_the_profile_puts_imports_and_every_engine_in_their_phases():
    """Where a sample's time goes: a package's module body is an import wherever it runs
    (a mirror's first line, an optimizer's first use), and a graph engine's or a generic
    engine's ``reproduce`` is its framework's training, as a mirror's is."""
    from reproductions.bench.profile import phase_of

    packages = "/venv/lib/python3.11/site-packages"
    assert phase_of("<module>", f"{packages}/torch/__init__.py") == "imports"
    assert phase_of("<module>", f"{packages}/torch/_dynamo/__init__.py") == "imports"
    assert phase_of("<module>", "/repo/reproductions/examples/or_batch/torch_impl.py") is None
    for path in ("examples/or_batch/jax_impl.py", "generic/jax.py", "engines/jax/graph.py"):
        assert phase_of("reproduce", f"/repo/reproductions/{path}") == "training: jax", path
    assert phase_of("numerical_column", "/repo/reproductions/numerical.py") == "numerical column"


@pytest.mark.parametrize("example_id", ["mazur_backprop", "d2l_momentum"])
def test_the_floor_runs_a_definition_as_a_run_sees_it(example_id):
    """A catalogue example without mirrors (a [network], a [graph] with an [optimizer])
    runs in the floor's bare loop through the generic engine's view, as in a run."""
    from reproductions.bench import floor

    floor.run_bare(CATALOGUE[example_id], "torch", "float64", 3)  # torch holds X as rows
