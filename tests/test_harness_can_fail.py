"""The harness catches real bugs: a wrong learning rate, a missing transpose.

Each test copies a real example, breaks one line of one mirror, and runs
`repro check` on the copy: it must exit 1 and name the example, the framework,
the step and the quantity of the first divergence.
"""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import repro

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "reproductions" / "examples"


def broken_copy(tmp_path, example_id, mirror, old, new):
    """A copy of an example with ``old`` replaced by ``new`` in ``<mirror>_impl.py``
    (or in the file named, such as ``example.toml``)."""
    folder = tmp_path / "examples" / example_id
    shutil.copytree(EXAMPLES / example_id, folder)
    path = folder / (mirror if "." in mirror else f"{mirror}_impl.py")
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {path.name}"
    path.write_text(text.replace(old, new))
    return folder.parent


def check(examples_dir, tmp_path, *args):
    return repro("--examples-dir", examples_dir, "check", "--out", tmp_path / "results", *args)


def test_a_wrong_learning_rate_is_caught_at_the_first_update(tmp_path):
    examples = broken_copy(tmp_path, "hours_studied", "torch",
                           'lr=ctx.hyper.learning_rate', 'lr=ctx.hyper.learning_rate * 1.001')
    done = check(examples, tmp_path, "--frameworks", "numpy,torch", "--steps", "3")
    assert done.returncode == 1
    assert re.search(r"first divergence\s+hours_studied torch: step 0, weights\[0,0\]", done.stdout)


def test_a_missing_transpose_is_caught_and_named(tmp_path):
    # nn.Linear keeps W1 as (out, in) = (3, 2); the series keeps it as (2, 3).
    examples = broken_copy(tmp_path, "test_scores", "example.toml",
                           'torch = { W1 = "transposed", W2 = "transposed" }',
                           'torch = { W2 = "transposed" }')
    done = check(examples, tmp_path, "--frameworks", "numpy,torch", "--steps", "2")
    assert done.returncode == 1
    assert ("test_scores: the torch implementation raised ValueError at step 0: loading 'W1': a "
            "start value of shape (2, 3) does not fit a parameter of shape (3, 2)") in " ".join(done.stdout.split())


def test_an_update_after_the_last_record_is_caught(tmp_path):
    # the watched parameters are read back when the mirror returns
    examples = broken_copy(tmp_path, "hours_studied", "torch",
                           "        trace.parameters()\n", "        trace.parameters()\n    optimizer.step()\n")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch", "--steps", "3")
    assert done.returncode == 1
    assert "torch: 'weights' changed after its last record (step 2)" in done.stdout


def test_training_that_diverges_fails_and_says_where(tmp_path):
    # hours_studied with a learning rate far past its stable limit: the cost reaches inf
    examples = broken_copy(tmp_path, "hours_studied", "example.toml",
                           "learning_rate = 0.04", "learning_rate = 1e6")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch", "--steps", "40")
    assert done.returncode == 1
    assert re.search(r"hours_studied torch:\s+numpy diverged at step \d+: ", done.stdout)
    assert re.search(r"hours_studied torch:\s+torch diverged at step \d+: ", done.stdout)


def test_a_run_that_compares_nothing_fails(tmp_path):
    # a torch mirror that records nothing: every NumPy record is one-sided, nothing compared
    examples = broken_copy(tmp_path, "jacobian_square", "torch", "def reproduce(ctx):",
                           "def reproduce(ctx):\n    return\n\n\ndef unused(ctx):")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch")
    assert done.returncode == 1
    assert "nothing was compared" in done.stdout


# Errors of whole percents that float32's former bound, 1e-4 * max(|numpy|, scale) + 1e-3,
# let through; each is caught in float64 and must be in float32 too (parity.py's policy).
FLOAT32_MUTANTS = [
    ("test_scores", "tensorflow", "learning_rate=ctx.hyper.learning_rate)",
     "learning_rate=ctx.hyper.learning_rate * 1.0001)", "W"),
    ("xor_hidden_layer", "torch", "lr=ctx.hyper.learning_rate", "lr=ctx.hyper.learning_rate * 1.0001",
     r"(grad\.)?[Wb]"),
    ("test_scores", "torch", "trace.gradients(cost)", "trace.gradients(cost + 5e-4)", "cost"),
    ("xor_hidden_layer", "torch", "trace.gradients(cost)", "trace.gradients(cost * 1.005)", "cost"),
    ("test_scores", "tensorflow", "trace.training(costs, gradients, updated)",
     "trace.training(costs, [gradients[0] * tf.cast(tf.range(ctx.steps) < 10, ctx.dtype)[:, None, None],"
     " gradients[1]], updated)", r"grad\.W1"),
]


@pytest.mark.parametrize("example_id, framework, old, new, quantity", FLOAT32_MUTANTS,
                         ids=["lr_x1.0001_tf", "lr_x1.0001_torch", "cost_plus_5e-4", "cost_x1.005",
                              "grad_zeroed_from_step_10"])
def test_a_float32_run_sees_errors_the_former_floor_hid(tmp_path, example_id, framework, old, new,
                                                       quantity):
    examples = broken_copy(tmp_path, example_id, framework, old, new)
    done = check(examples, tmp_path, "--frameworks", f"numpy,{framework}", "--dtype", "float32",
                 "--steps", "30")
    assert done.returncode == 1
    assert re.search(rf"first divergence\s+{example_id} {framework}: step \d+, {quantity}",
                     done.stdout), done.stdout


@pytest.mark.parametrize("mirror, old, new, message", [
    ("example.toml", "diverges = true", "diverges = false", r"numpy diverged at step 46: cost = inf"),
    ("example.toml", "learning_rate = 50.0", "learning_rate = 0.04",
     r"declared to diverge, but neither side stopped being finite"),
    ("torch", "lr=ctx.hyper.learning_rate", "lr=ctx.hyper.learning_rate * 1.5",
     r"numpy diverged at step 46: cost = inf, torch at step \d+: .*not at the same step in the same way"),
])
def test_a_declared_divergence_is_compared_not_assumed(tmp_path, mirror, old, new, message):
    """learning_rate_too_high diverges at step 46 in every framework (Fig 31's alpha = 50)."""
    examples = broken_copy(tmp_path, "learning_rate_too_high", mirror, old, new)
    done = check(examples, tmp_path, "--frameworks", "numpy,torch")
    assert done.returncode == 1
    assert re.search(message, " ".join(done.stdout.split())), done.stdout


def test_a_run_shortened_before_the_declared_divergence_is_compared_as_usual(tmp_path):
    """--steps 10 ends before step 46: nothing diverged, and that is no failure; a
    shortened run that still reaches the divergence is held to it."""
    from reproductions import harness, spec

    example = spec.catalogue()["learning_rate_too_high"]
    short = harness.run_example(example, ["torch"], steps=10)
    assert short.parity_passed and not short.parities[0].diverged
    reaching = harness.run_example(example, ["torch"], steps=50)
    assert reaching.parity_passed and reaching.parities[0].diverged
    wrong = example.model_copy(update={"hyper": {"learning_rate": 0.04}})
    assert not harness.run_example(wrong, ["torch"]).parity_passed  # the full run must diverge


def test_a_step_no_side_records_is_found(tmp_path):
    # NumPy and torch both skip step 1: the comparison alone would not see it
    examples = broken_copy(tmp_path, "hours_studied", "numpy", "        trace.cost(mse.forward(yhat, y))\n",
                           "        if step != 1:\n            trace.cost(mse.forward(yhat, y))\n")
    done = check(examples, tmp_path, "--frameworks", "numpy", "--steps", "3")
    assert done.returncode == 1
    assert ("hours_studied: the numpy implementation recorded 'cost' at 2 of 3 training steps "
            "(not at 1)") in " ".join(done.stdout.split())


def test_an_integer_learning_rate_works_in_every_framework(tmp_path):
    # learning_rate = 1 once crashed Keras' SGD, which takes a float
    examples = broken_copy(tmp_path, "xor_feature_cross", "example.toml", "learning_rate = 1.0", "learning_rate = 1")
    done = check(examples, tmp_path, "--steps", "3")
    assert done.returncode == 0, done.stdout


def test_values_near_the_top_of_float64_are_published_with_a_verdict(tmp_path):
    """learning_rate_too_high at rate 5: the cost grows to about 1e300 and stays finite, so
    the declared divergence does not happen. Every example is published with its verdict,
    its plots draw what is drawable and say what they left out, and nothing is a traceback."""
    examples = broken_copy(tmp_path, "learning_rate_too_high", "example.toml",
                           "learning_rate = 50.0", "learning_rate = 5.0")
    shutil.copytree(EXAMPLES / "jacobian_square", examples / "jacobian_square")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done.stderr
    assert "declared to diverge, but neither side stopped being finite" in " ".join(done.stdout.split())
    out = tmp_path / "results"
    for example_id, passed in (("learning_rate_too_high", False), ("jacobian_square", True)):
        summary = json.loads((out / example_id / "summary.json").read_text())
        assert summary["passed"] is passed
    assert (out / "learning_rate_too_high" / "cost.png").is_file()
    assert "Plots not drawn" not in (out / "learning_rate_too_high" / "report.md").read_text()
    assert not list(out.glob(".staging-*"))


def test_a_folder_with_only_numpy_and_no_claim_compares_nothing_and_fails_only_itself(tmp_path):
    """A copy of jacobian_square with NumPy's implementation alone, no [graph] and no claim, beside
    the real one: in a check of the whole catalogue it is refused in one line (exit 2 at
    the end), and the other runs and is written."""
    examples = tmp_path / "examples"
    shutil.copytree(EXAMPLES / "jacobian_square", examples / "jacobian_square")
    lonely = examples / "lonely"
    lonely.mkdir()
    shutil.copy(EXAMPLES / "jacobian_square" / "numpy_impl.py", lonely)
    text = (EXAMPLES / "jacobian_square" / "example.toml").read_text()
    (lonely / "example.toml").write_text(text.split("\n[graph]")[0].replace(
        'id = "jacobian_square"', 'id = "lonely"') + "\n")
    done = check(examples, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    # a loaded machine may also print a progress line (every ten seconds off a terminal)
    assert [line for line in done.stderr.splitlines() if not line.startswith("progress ")] == [
        "repro: 'lonely' would compare nothing: only NumPy runs (it has no mirror but NumPy's) "
        "and it claims no printed number; name another framework or add the source's printed "
        "numbers as claims"]
    assert (tmp_path / "results" / "jacobian_square" / "summary.json").is_file()
    assert not (tmp_path / "results" / "lonely").exists()


def test_an_honest_training_from_another_seed_keeps_its_parity(tmp_path):
    """xor_training_loop from seed 49: a free-running trajectory that an honest run used to
    leave at step 611 (torch 1.1 times the bound, sized on the largest gradient so far)
    stays within it now that each gradient is judged against the terms it sums; its claims,
    printed for seed 48, fail as they must."""
    examples = broken_copy(tmp_path, "xor_training_loop", "example.toml", "seed = 48", "seed = 49")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch")
    text = " ".join(done.stdout.split())
    assert done.returncode == 1 and "DIVERGES" not in text and "claim failed" in text, text
    summary = json.loads((tmp_path / "results" / "xor_training_loop" / "summary.json").read_text())
    (parity,) = summary["parity"]
    assert parity["passed"] and parity["mode"] == "free_running" and parity["tolerance_used"] < 0.5


def test_an_undeclared_divergence_that_stays_finite_is_named(tmp_path):
    """hours_studied at rate 1: its cost grows from 4255 past 1e295 in 20 steps, every
    value finite and every framework agreeing. It passes, and the report and the terminal
    say the training diverges."""
    examples = broken_copy(tmp_path, "hours_studied", "example.toml", "learning_rate = 0.04",
                           "learning_rate = 1.0")
    done = check(examples, tmp_path, "--frameworks", "numpy,torch", "--steps", "20",
                 "--gradient-steps", "none")
    text = " ".join(done.stdout.split())
    assert "finding: the cost grows from 4256 at step 0 past 1e+06 times that at step" in text, text
    assert "the training diverges; declare diverges = true" in text
    report = (tmp_path / "results" / "hours_studied" / "report.md").read_text()
    assert "## What the run shows" in report and "the training diverges" in report
