"""Bad training keys of a definition file: `repro check --spec` refuses each with one
line naming the field, what it should be and what it is, exits 2 and writes nothing.

Each case edits one of the training definitions of tests/definitions (an [optimizer]
table, network.shuffle, a smaller last batch, the hinge and probability costs, l2_on)
by exact replacement of a string that occurs once.
"""

import re
from pathlib import Path

import pytest

from conftest import repro

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
ADAM = "adam_shuffled_probabilities.toml"
MOMENTUM = "momentum_hinge_l2_all.toml"
RMSPROP = "rmsprop_dataloader_l2_named.toml"

CASES = [  # (what is wrong, definition, text replaced, replacement, what the line says)
    ("unknown optimizer option", ADAM, 'learning_rate = 0.05', 'learning_rate = 0.05\nbetas = [0.9, 0.99]',
     "optimizer.betas: unknown option; 'adam' takes: learning_rate, schedule, beta1, beta2"),
    ("beta out of range", ADAM, 'learning_rate = 0.05', 'learning_rate = 0.05\nbeta1 = 1.0',
     "optimizer.beta1: expected a number in [0, 1), found 1.0"),
    ("an option of another kind", ADAM, 'learning_rate = 0.05', 'learning_rate = 0.05\nmomentum = 0.9',
     "optimizer.momentum: not an option of kind 'adam' (it is one of momentum, nesterov)"),
    ("unknown optimizer kind", ADAM, 'kind = "adam"', 'kind = "adamw"',
     "optimizer.kind: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, found 'adamw'"),
    ("momentum without its form", MOMENTUM, 'form = "mu_v_minus_lr_g"', '',
     "optimizer.form: missing (kind 'momentum' needs it)"),
    ("a schedule factor below 0", MOMENTUM, 'factor = 0.5', 'factor = -0.5',
     "optimizer.schedule.factor: expected a number above 0, found -0.5"),
    ("an optimizer table beside network.optimizer", ADAM, 'inputs = 2',
     'inputs = 2\noptimizer = "gradient_descent"',
     "network.optimizer: 'gradient_descent' and an [optimizer] table both say how to update"),
    ("a network rate beside an optimizer table", ADAM, 'inputs = 2', 'inputs = 2\nlearning_rate = 0.1',
     "network.learning_rate: not with an [optimizer] table"),
    ("shuffle without batch_size", ADAM, 'batch_size = 3 ', '# ',
     "network: shuffle: needs a batch_size"),
    ("shuffle by an unknown generator", ADAM, 'generator = "numpy_legacy"', 'generator = "python_random"',
     "network.shuffle.generator: Input should be 'numpy_legacy', 'numpy_generator' or 'torch', found 'python_random'"),
    ("shuffle without a seed", ADAM, ', seed = 1 }', ' }', "network.shuffle.seed: Field required"),
    ("a batch larger than the data", ADAM, 'batch_size = 3 ', 'batch_size = 8 ',
     "network.batch_size: 8 is more than the 7 examples"),
    ("hinge with labels not -1 or 1", MOMENTUM, 'Y = [[-1.0], [-1.0], [-1.0]', 'Y = [[0.0], [-1.0], [-1.0]',
     "data.Y: the hinge cost needs labels -1 or 1, found 0.0 at [0, 0]"),
    ("probabilities without a sigmoid output", ADAM, '{ units = 1, activation = "sigmoid" }',
     '{ units = 1, activation = "identity" }',
     "network.cost: 'binary_nll_probabilities' needs a sigmoid output layer, found 'identity'"),
    ("l2_on naming an unknown parameter", RMSPROP, 'l2_on = ["weights1", "b2"]', 'l2_on = ["W1", "b2"]',
     "network.l2_on: 'W1' is not a trained parameter of the network (they are weights1, b1, W2, b2)"),
    ("l2_on without l2", MOMENTUM, 'l2 = 0.01\n', '',
     "network: l2_on: 'all' given without an l2 above 0"),
    ("a claim on an unknown state", MOMENTUM, '[data]',
     '[[claims]]\nwhere = "nowhere"\nquantity = "m.W1"\nstep = 0\nprinted = "0.1"\n\n[data]',
     "claims.quantity: 'm.W1' (nowhere) is not recorded; the engines record"),
    ("a claim on Z at a smaller batch", ADAM, '[data]',
     '[[claims]]\nwhere = "epoch 1, batch 3"\nquantity = "Z1"\nstep = 2\nindex = [0, 0]\n'
     'printed = "0.1"\n\n[data]',
     "claims.step: Z1 (epoch 1, batch 3) at step 2, whose mini-batch is smaller than the others"),
]


def test_there_are_at_least_8_distinct_cases():
    assert len({case[0] for case in CASES}) == len(CASES) >= 8


@pytest.mark.parametrize("name,definition,old,new,says", CASES, ids=[case[0] for case in CASES])
def test_a_bad_training_key_exits_2_with_one_line_and_writes_nothing(tmp_path, name, definition,
                                                                    old, new, says):
    text = (DEFINITIONS / definition).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / definition
    path.write_text(text.replace(old, new), encoding="utf-8")
    out = tmp_path / "results"

    done = repro("check", "--spec", path, "--out", out, cwd=tmp_path)

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("repro: "), done.stderr
    assert re.sub(r"\s+", " ", says) in lines[0], lines[0]
    assert str(path) in lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [definition]
