"""A wrong derivative in a NumPy layer's hand-written backward is caught, and named.

As tests/test_mutants.py does for the harness: ``reproductions/`` and ``frameworks/`` are
copied whole into a temporary folder, one line of ``engines/numpy/layers.py`` is changed
(the string must occur exactly once), and ``repro check --spec
tests/definitions/conv_pool_dense.toml`` runs in a new process importing the project
from there (``fresh_process``) against PyTorch, whose autograd
knows the right derivative. The mutant is killed when the check exits 1 and its first
divergence names the framework, step 0 and the quantity the wrong derivative reaches
first. The unchanged copy passes in the same way.
"""

import re

import pytest

from fresh_process import repro_process
from test_mutants import REPO, harness_copy, normalized

DEFINITION = REPO / "tests" / "definitions" / "conv_pool_dense.toml"
LAYERS = "reproductions/engines/numpy/layers.py"

# (id, what, old, new, the first divergence: quantity and index[, the definition])
MUTANTS = [
    ("max_pool_routes_to_the_corner",
     "a max pool's gradient goes to each window's top-left element, not to its largest",
     "    first = np.argmax(largest.reshape(N, fh * fw, C), axis=1)  # argmax: the first True\n",
     "    first = np.zeros((N, C), dtype=int)\n",
     r"dZ1\[[0-9,]+\]"),
    ("conv_dW_of_the_first_example",
     "a conv's dW from the first example of the batch alone, not summed over all of them",
     "        dW += np.sum(window[..., None] * g[:, None, None, None, :], axis=0)\n",
     "        dW += window[0, ..., None] * g[0, None, None, None, :]\n",
     r"grad\.W1\[[0-9,]+\]"),
    ("avg_pool_shares_over_one_element",
     "an average pool's gradient passed whole to each element of its window, not a share",
     "        share = dA[:, i, j, :] / (fh * fw)  # (N, C)\n",
     "        share = dA[:, i, j, :]  # (N, C)\n",
     r"dZ1\[[0-9,]+\]", "conv_avgpool_dense"),
]


def check(tmp_path, old=None, new=None, definition=DEFINITION):
    project = harness_copy(tmp_path, LAYERS if old is not None else None, old, new)
    return repro_process("check", "--spec", definition, "--frameworks", "numpy,torch",
                         "--jobs", "1", "--steps", "2", "--out", tmp_path / "results",
                         cwd=project, harness=project)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_wrong_layer_derivative_is_killed_and_named(tmp_path, mutant):
    old, new, first = mutant[2:5]
    name = mutant[5] if len(mutant) > 5 else "conv_pool_dense"
    done = check(tmp_path, old, new, DEFINITION.with_name(f"{name}.toml"))
    output = normalized(done.stdout)
    assert done.returncode == 1 and output.startswith(f"{name} FAILED"), (
        f"SURVIVED (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    expected = rf"first divergence {name} torch: step 0, {first}: numpy \S+ vs torch "
    assert re.search(expected, output), output[:3000]


def test_the_unchanged_copy_passes(tmp_path):
    done = check(tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("conv_pool_dense passed"), (
        done.stdout[-3000:] + done.stderr[-2000:])
