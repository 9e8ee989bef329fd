"""Bad input for derived claims, data files and generators, errata files, the gradient
check and the sensitivity ensemble, one table: each case edits one good definition (or
one of its files), and ``repro check --spec <file>`` refuses it with exit 2, one line on
stderr naming the field and what is wrong, and writes nothing: the --out folder that
existed before is as it was."""

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import repro

BASE = '''id = "base"
title = "a 2-3-1 network on points from files, with derived claims"
steps = 2

[source]
seed = "none"
section = "a test"

[network]
layout = "columns"
inputs = 2
cost = "binary_nll"
layers = [
  { units = 3, activation = "tanh" },
  { units = 1, activation = "sigmoid" },
]

[hyper]
learning_rate = 0.5

[data]
X = { file = "points.csv", header = 1, columns = [0, 1], transpose = true }
Y = { file = "points.npz", key = "labels", reshape = [1, -1] }
X_test = { file = "points.h5", key = "test/points", transpose = true }
Y_test = { generator = "make_moons", args = { n_samples = 4, random_state = 0 }, part = "y", reshape = [1, -1] }

[init]
params = [
  { name = "W1", value = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]] },
  { name = "b1", value = [[0.0], [0.0], [0.0]] },
  { name = "W2", value = [[0.1, 0.2, 0.3]] },
  { name = "b2", value = [[0.0]] },
]

[[claims]]
where = "the sum of W1's start values"
expression = "sum(init.W1)"
printed = "1.3"

[[claims]]
where = "the same, printed with a minus sign"
expression = "sum(init.W1)"
printed = "-1.3"
erratum = "sign_slip"

[errata.sign_slip]
kind = "typo"
'''

ERRATA = '''def sign_slip(example, values):
    """The sum with its sign flipped."""
    return -values.get("sum(init.W1)")
'''


def files(folder: Path) -> None:
    (folder / "points.csv").write_text("x1,x2\n0.5,1.5\n2.0,-1.0\n-0.5,0.25\n1.0,1.0\n")
    np.savez(folder / "points.npz", labels=np.array([1.0, 0.0, 1.0, 1.0]))
    with h5py.File(folder / "points.h5", "w") as file:
        file.create_dataset("test/points", data=np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0],
                                                          [-1.0, 0.5]]))
    (folder / "base.errata.py").write_text(ERRATA)


def replaced(old, new):
    def edit(text):
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def appended(more):
    return lambda text: text + more


def claim(keys):
    return appended(f'\n[[claims]]\nwhere = "a claim"\n{keys}\n')


def expression(text, more='printed = "1"'):
    return claim(f'expression = "{text}"\n{more}')


def data(name, entry):
    old = next(line for line in BASE.splitlines() if line.startswith(f"{name} = "))
    return replaced(old, f"{name} = {entry}")


def errata_file(text):
    return lambda folder: (folder / "base.errata.py").write_text(text)


def no_file(name):
    return lambda folder: (folder / name).unlink()


MOONS = 'generator = "make_moons", args = { n_samples = 4, random_state = 0 }, part = "y"'

# (name, edit of BASE, edit of the folder or None, what the line says after "repro: <file>: ")
CASES = [
    # errata files
    ("an erratum without its errata file", None, no_file("base.errata.py"),
     "errata.sign_slip: base.errata.py defines no sign_slip(example, values) to recompute it "
     "(there is no base.errata.py beside the definition)"),
    ("an erratum its errata file does not define", None,
     errata_file(ERRATA.replace("def sign_slip", "def other")),
     "errata.sign_slip: base.errata.py defines no sign_slip(example, values)"),
    ("an errata file that is not Python", None, errata_file("def sign_slip(:\n"),
     "base.errata.py: not Python that parses: invalid syntax"),
    ("an erratum explained by nothing", None,
     errata_file('def sign_slip(example, values):\n    return -1.3\n'),
     "errata.sign_slip: explains nothing: give it an explanation or base.errata.py's "
     "sign_slip() a docstring"),
    # derived claims
    ("an unknown function", expression("softmax(A2)"), None,
     "`softmax(A2)`: unknown function 'softmax' (the functions are sum, mean, max, min"),
    ("a builtin is no function of a claim", expression("__import__(A2)"), None,
     "`__import__(A2)`: unknown function '__import__'"),
    ("a lambda", expression("(lambda: 1)()"), None,
     "calls something that is not a function's name"),
    ("an attribute of a value", expression("A2.sum()"), None,
     "`A2.sum()` calls something that is not a function's name"),
    ("a slice bound out of range", expression("A1[0, :7]", 'printed = ["1", "1", "1", "1"]'),
     None, "`A1[0, :7]`: slice bound 7 is outside axis 1 of length 4"),
    ("an index out of range", expression("A1[5, 0]"), None,
     "`A1[5, 0]`: index 5 is outside axis 0 of length 3"),
    ("a name not recorded", expression("mean(A9)"), None,
     "reads 'A9', which is not recorded; the engines record cost, W1"),
    ("an accuracy on a network with no classes",
     lambda t: expression("accuracy(A2, Y)")(t.replace('{ units = 1, activation = "sigmoid" }',
                                                       '{ units = 1, activation = "identity" }')
                                              .replace('cost = "binary_nll"',
                                                       'cost = "half_mean_squares"')),
     None, "accuracy() needs a network whose output gives classes (a sigmoid or softmax output "
           "layer); its output layer is 'identity'"),
    ("shapes that do not fit", expression("W1 @ W1"), None,
     "`W1 @ W1`: matmul: Input operand 1 has a mismatch in its core dimension 0"),
    ("a gradient check without its table", expression("relative_difference(grad.W1, numerical.W1)"),
     None, "reads 'numerical.W1': a gradient check's estimate needs a [gradient_check] table"),
    ("a quantity and an expression", claim('quantity = "cost"\nexpression = "mean(A2)"\n'
                                           'printed = "1"'), None,
     "quantity and expression both say what is printed: give one"),
    ("an index outside a derived value", expression("mean(A2)", 'index = [0]\nprinted = "1"'),
     None, "claims.index: mean(A2)[0] (a claim) is outside its shape ()"),
    ("an axis that is no integer", expression("sum(A1, 0.5)"), None,
     "`sum(A1, 0.5)`: sum()'s argument 2 is an integer constant"),
    ("an axis out of range", expression("sum(A1, 2)"), None,
     "`sum(A1, 2)`: axis 2 of an array of 2 dimensions"),
    # data
    ("a file outside the folder", data("X", '{ file = "../points.csv", transpose = true }'), None,
     "data.X: file '../points.csv' must be a path inside the definition's folder"),
    ("a missing file", data("X", '{ file = "missing.csv", transpose = true }'), None,
     "data.X: file 'missing.csv' is not in"),
    ("a missing npz key", data("Y", '{ file = "points.npz", key = "y", reshape = [1, -1] }'),
     None, "data.Y: key: 'y' is not in 'points.npz' (it holds labels)"),
    ("a missing HDF5 key", data("X_test", '{ file = "points.h5", key = "test/x", transpose = true }'),
     None, "data.X_test: key: 'test/x' is not a data set of 'points.h5' (it holds test/points)"),
    ("an HDF5 file without a key", data("X_test", '{ file = "points.h5", transpose = true }'),
     None, "data.X_test: key: missing (the array's name in 'points.h5')"),
    ("a CSV header read as numbers", data("X", '{ file = "points.csv", transpose = true }'), None,
     "data.X: file 'points.csv', line 1: not numbers (header = N skips the lines before them)"),
    ("an unknown file format", data("X", '{ file = "base.errata.py", transpose = true }'), None,
     "data.X: file 'base.errata.py': not one of .csv, .npy, .npz, .h5, .hdf5"),
    ("a generator without its seed",
     data("Y_test", '{ generator = "make_moons", args = { n_samples = 4 }, part = "y" }'), None,
     "data.Y_test: args.random_state: missing (an integer, the seed the source gives"),
    ("a generator's unknown argument",
     data("Y_test", '{ generator = "make_moons", args = { n_samples = 4, random_state = 0, '
                    'spread = 2 }, part = "y", reshape = [1, -1] }'), None,
     "data.Y_test: make_moons(n_samples=4, random_state=0, spread=2): got an unexpected "
     "keyword argument 'spread'"),
    ("an unknown generator", data("Y_test", '{ generator = "load_iris", part = "y" }'), None,
     "data.Y_test.generator: Input should be 'make_moons', 'make_circles'"),
    ("a generator without its part",
     data("Y_test", '{ generator = "make_moons", args = { n_samples = 4, random_state = 0 } }'),
     None, "data.Y_test: part: missing (the generator's X or y)"),
    ("a file and a generator", data("Y_test", '{ file = "points.csv", ' + MOONS + ' }'), None,
     "data.Y_test: give a file or a generator (one of them)"),
    ("rows out of range", data("X", '{ file = "points.csv", header = 1, rows = [2, 9], '
                                    'transpose = true }'), None,
     "data.X: rows: [2, 9] is not a span of the 4 rows"),
    ("a reshape that does not fit", data("Y", '{ file = "points.npz", key = "labels", '
                                              'reshape = [3, -1] }'), None,
     "data.Y: reshape: [3, -1] does not fit shape (4,)"),
    ("scale_by an entry that is not read", data("X_test", '{ file = "points.h5", key = '
                                                          '"test/points", scale = "standardise", '
                                                          'scale_by = "Z", transpose = true }'),
     None, "data.X_test.scale_by: 'Z' is no [data] entry read from a file or a generator"),
    ("data the network cannot take", data("X", '{ file = "points.csv", header = 1, '
                                               'transpose = false }'), None,
     "data.X: expected shape (2, m) in layout 'columns' (one example per column, network.inputs "
     "= 2), found (4, 2)"),
    ("a test set of other features", data("X_test", '{ file = "points.h5", key = "test/points" }'),
     None, "data.X_test: examples of shape (4, 2) beside the training set's (2, 4): a test set "
           "holds its examples as the training set does"),
    ("a test set's targets without its inputs",
     replaced('X_test = { file = "points.h5", key = "test/points", transpose = true }\n', ""),
     None, "data.Y_test: a test set's targets without its inputs data.X_test"),
    # the gradient check and the ensemble
    ("a gradient check of epsilon 0", appended("\n[gradient_check]\nepsilon = 0.0\n"), None,
     "gradient_check.epsilon: Input should be greater than 0"),
    ("a one-sided check spelt otherwise",
     appended('\n[gradient_check]\nepsilon = 1e-7\ndifference = "centered"\n'), None,
     "gradient_check.difference: Input should be 'two_sided' or 'one_sided'"),
    ("a sensitivity ensemble with no training",
     lambda t: appended("\n[sensitivity]\nmembers = 8\n")(t.replace("steps = 2", "steps = 0")),
     None, "sensitivity: steps = 0, no training: a start value moved by one ulp moves by one ulp"),
    ("an ensemble of one", appended("\n[sensitivity]\nmembers = 1\n"), None,
     "sensitivity.members: Input should be greater than or equal to 2"),
]


@pytest.mark.parametrize("edit, change, says", [case[1:] for case in CASES],
                         ids=[c[0] for c in CASES])
def test_a_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, edit, change, says):
    files(tmp_path)
    if change is not None:
        change(tmp_path)
    path = tmp_path / "base.toml"
    path.write_text((edit or (lambda text: text))(BASE), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("results that were here before\n")
    done = repro("check", "--spec", path, "--out", out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    line = done.stderr
    assert line.count("\n") == 1 and line.startswith(f"repro: {path}: "), line
    assert says in line, line
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text() == "results that were here before\n"


def test_the_definition_they_break_runs(tmp_path):
    """Each case breaks one thing: the definition itself is read, and its claims hold."""
    files(tmp_path)
    path = tmp_path / "base.toml"
    path.write_text(BASE, encoding="utf-8")
    done = repro("check", "--spec", path, "--out", tmp_path / "out", "--frameworks", "numpy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"claims: 1 confirmed, 1 erratum \(typo\)", done.stdout), done.stdout
    assert len(CASES) >= 20
