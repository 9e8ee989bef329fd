"""Bad input, one table: every case exits 2 with one line, and writes nothing.

Each case is a command line and, for a broken definition, an edit of a copy of
hours_studied. For every one: exit status 2, exactly one line on stderr starting
``repro: `` (and naming what is wrong), no ``Traceback`` anywhere, and a results
folder that existed before (a file in it, a result folder, an ``README.md``) is byte
for byte what it was, with no file or folder added: the command is given it as
``--out`` wherever it takes one.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import repro

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "reproductions" / "examples" / "hours_studied"


def first_printed_as(text, printed):
    start = text.index('printed = "') + len('printed = "')
    return text[:start] + printed + text[text.index('"', start):]


def claim(**fields):
    """A [[claims]] entry appended to the definition."""
    lines = "".join(f"{name} = {value}\n" for name, value in fields.items())
    return lambda t: t + f"\n[[claims]]\n{lines}"


def replaced(old, new):
    def edit(text):
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def on_folder(edit):
    """An edit of the example's folder rather than of its example.toml's text."""
    edit.on_folder = True
    return edit


def without_network_and(mirror):
    """No such mirror, and no [network] for the generic engines to run in its place."""
    def edit(folder):
        (folder / mirror).unlink()
        toml = folder / "example.toml"
        toml.write_text(re.sub(r"\n\[network\]\n.*?\n(?=\[)", "\n", toml.read_text(), flags=re.S))
        assert "[network]" not in toml.read_text()
    return edit


def delete(name):
    return on_folder(lambda folder: (folder / name).unlink())


@on_folder
def encode_latin1(folder: Path):
    toml = folder / "example.toml"
    toml.write_bytes(toml.read_text().replace("[source]", "# caf\u00e9\n[source]").encode("latin-1"))


# (name, arguments, edit of the copied example, what the line says)
# {out} is the results folder that existed before; {examples} the folder of the copy.
# An edit is of example.toml's text, or (marked on_folder) of the copied folder.
ON_COPY = ["--examples-dir", "{examples}", "run", "hours_studied", "--frameworks", "numpy",
           "--out", "{out}"]
CASES = [
    # the command line
    ("unknown example", ["run", "nope", "--out", "{out}"], None, "unknown example 'nope'"),
    ("unknown framework", ["run", "hours_studied", "--frameworks", "caffe", "--out", "{out}"], None,
     "unknown framework 'caffe'"),
    ("unknown framework in a list", ["check", "hours_studied", "--frameworks", "numpy,torch,mxnet",
                                     "--out", "{out}"], None, "unknown framework 'mxnet'"),
    ("a framework the example has no mirror in", [*ON_COPY[:4], "--frameworks", "numpy,jax",
                                                  "--out", "{out}"],
     on_folder(without_network_and("jax_impl.py")),
     "example 'hours_studied' has no jax implementation (jax_impl.py or a [network] or "
     "[graph] the engines run)"),
    ("no framework", ["run", "hours_studied", "--frameworks", "", "--out", "{out}"], None,
     "--frameworks needs at least one framework"),
    ("only commas for frameworks", ["run", "hours_studied", "--frameworks", ",,", "--out", "{out}"],
     None, "--frameworks needs at least one framework"),
    ("dtype float16", ["run", "hours_studied", "--dtype", "float16", "--out", "{out}"], None,
     "invalid choice: 'float16'"),
    ("unknown dtype", ["check", "--dtype", "double", "--out", "{out}"], None,
     "invalid choice: 'double'"),
    ("negative steps", ["run", "hours_studied", "--steps", "-3", "--out", "{out}"], None,
     "--steps must be a whole number of 1 or more"),
    ("steps not a number", ["run", "hours_studied", "--steps", "many", "--out", "{out}"], None,
     "--steps must be a whole number of 1 or more"),
    ("zero steps", ["check", "car_price", "--steps", "0", "--out", "{out}"], None,
     "--steps must be a whole number of 1 or more, not '0'"),
    ("fractional steps", ["run", "hours_studied", "--steps", "1.5", "--out", "{out}"], None,
     "--steps must be a whole number of 1 or more, not '1.5'"),
    ("negative gradient step", ["run", "hours_studied", "--gradient-steps=-3,999", "--out", "{out}"],
     None, "--gradient-steps takes step numbers of 0 or more separated by commas, not '-3,999'"),
    ("gradient step not a number", ["run", "hours_studied", "--gradient-steps", "one",
                                    "--out", "{out}"], None, "--gradient-steps takes step numbers"),
    ("no gradient step", ["run", "hours_studied", "--gradient-steps", ",", "--out", "{out}"], None,
     "--gradient-steps takes step numbers"),
    ("gradient step past a shortened run", ["run", "hours_studied", "--steps", "10",
                                            "--gradient-steps=0,999", "--out", "{out}"], None,
     "--gradient-steps 999: the last step of 'hours_studied' (10 training steps) is 9"),
    ("gradient step past the example's run", ["check", "car_price", "--gradient-steps", "0,1",
                                              "--out", "{out}"], None,
     "--gradient-steps 1: the last step of 'car_price' (1 training step) is 0"),
    ("no example to run", ["run", "--out", "{out}"], None,
     "the following arguments are required: EXAMPLE"),
    ("unknown command", ["fly"], None, "invalid choice: 'fly'"),
    ("unknown option", ["run", "hours_studied", "--colour", "--out", "{out}"], None,
     "unrecognized arguments: --colour"),
    ("an argument list does not take", ["list", "hours_studied"], None,
     "unrecognized arguments: hours_studied"),
    ("no job", ["run", "hours_studied", "--jobs", "0", "--out", "{out}"], None,
     "--jobs takes a number of processes of 1 or more, or 'auto', not '0'"),
    ("jobs not a number", ["check", "hours_studied", "--jobs", "many", "--out", "{out}"], None,
     "--jobs takes a number of processes of 1 or more, or 'auto', not 'many'"),
    ("negative jobs", ["run", "hours_studied", "--jobs", "-1", "--out", "{out}"], None,
     "--jobs takes a number of processes of 1 or more, or 'auto', not '-1'"),
    ("--out is a file", ["run", "hours_studied", "--frameworks", "numpy", "--out", "{out}/README.md"],
     None, "cannot write to output directory"),
    ("--out inside a file", ["check", "hours_studied", "--out", "{out}/README.md/results"], None,
     "cannot write to output directory"),
    ("examples folder missing", ["--examples-dir", "/no/such/folder", "check", "--out", "{out}"],
     None, "examples folder '/no/such/folder' does not exist"),
    ("examples folder missing, list", ["--examples-dir", "/no/such/folder", "list"], None,
     "examples folder '/no/such/folder' does not exist"),
    ("examples folder is a file", ["--examples-dir", "{out}/README.md", "check", "--out", "{out}"],
     None, "README.md' is not a folder"),
    ("examples folder without examples", ["--examples-dir", "tests", "check", "--out", "{out}"],
     None, "examples folder 'tests' has no example"),
    ("steps too many to record", ["run", "hours_studied", "--steps", "1000000000000", "--out",
                                  "{out}"], None, "would take about 280 TB of memory"),
    ("steps past any memory", ["check", "hours_studied", "--steps", "1" + "0" * 30, "--out", "{out}"],
     None, "of memory, more than the"),
    ("a run that compares nothing", ["check", "--spec", "reproductions/bench/definitions/sigmoid_2_2_2.toml",
                                     "--frameworks", "numpy", "--steps", "5", "--out", "{out}"], None,
     "'sigmoid_2_2_2' would compare nothing: only NumPy runs (--frameworks numpy) and it claims no "
     "printed number"),
    ("record every 0th step", ["run", "hours_studied", "--record-every", "0", "--out", "{out}"],
     None, "--record-every must be a whole number of 1 or more"),
    ("gradient elements not elements", ["run", "hours_studied", "--gradient-elements", "W1",
                                        "--out", "{out}"], None,
     "--gradient-elements takes elements such as"),
    ("bench: no repeat", ["bench", "--repeat", "0", "--out", "{out}"], None,
     "--repeat must be a whole number of 1 or more"),
    ("bench: no width", ["bench", "--widths", "0", "--out", "{out}"], None,
     "--widths takes hidden widths of 1 or more"),
    # the definition (a copy of hours_studied, run by name)
    ("not TOML", ON_COPY, replaced("steps = 1100", "steps = = 1100"), "example.toml: "),
    ("not UTF-8", ON_COPY, encode_latin1, "example.toml: not UTF-8 text"),
    ("printed Infinity", ON_COPY, lambda t: first_printed_as(t, "Infinity"),
     "printed value 'Infinity' is not a finite number"),
    ("printed NaN", ON_COPY, lambda t: first_printed_as(t, "NaN"),
     "printed value 'NaN' is not a finite number"),
    ("printed words", ON_COPY, lambda t: first_printed_as(t, "about ten"),
     "printed value 'about ten' is not a finite number"),
    ("printed nothing", ON_COPY, lambda t: first_printed_as(t, ""),
     "printed value '' is not a finite number"),
    ("printed a number, not a string", ON_COPY, claim(where='"x"', quantity='"cost"', printed="1.5"),
     "printed: Input should be a valid string"),
    ("ragged data", ON_COPY, replaced("[data]", "[data]\nragged = [[1, 2], [3]]"),
     "data 'ragged' is not a rectangular array of numbers"),
    ("no draw", ON_COPY, replaced("randn = [1, 1]", "randn = [1, -1]"), "randn sizes must be 1 or more"),
    ("a draw without a seed", ON_COPY, replaced("[init]\nseed = 0", "[init]"),
     "start values ['weights'] are drawn, so [init] needs a seed"),
    ("a claim before the start", ON_COPY,
     claim(where='"x"', quantity='"cost"', step="-1", printed='"1"'),
     ".step: Input should be greater than or equal to 0"),
    ("a claim outside a start value", ON_COPY,
     claim(where='"x"', quantity='"init.weights"', index="[3, 0]", printed='"1"'),
     "claim index [3, 0] is outside 'init.weights' of shape (1, 1)"),
    ("a claim outside the cost", ON_COPY,
     claim(where='"x"', quantity='"cost"', index="[7, 7]", printed='"1"'),
     "claim index [7, 7] is outside 'cost' of shape ()"),
    ("a claim outside a gradient", ON_COPY,
     claim(where='"x"', quantity='"grad.biases"', index="[0, 5]", printed='"1"'),
     "claim index [0, 5] is outside 'grad.biases' of shape (1, 1)"),
    ("a claim on an unknown start value", ON_COPY,
     claim(where='"x"', quantity='"init.nothing"', printed='"1"'),
     "claim on unknown start value 'init.nothing'"),
    ("a claim with an unknown field", ON_COPY,
     claim(where='"x"', quantity='"cost"', printed='"1"', page="3"),
     "page: Extra inputs are not permitted"),
    ("a claim with a field twice", ON_COPY,
     lambda t: t + '\n[[claims]]\nwhere = "x"\nquantity = "cost"\nprinted = "1"\nprinted = "2"\n',
     "example.toml: "),
    ("two contradictory errata for one printed number", ON_COPY,
     claim(where='"again"', quantity='"decrease_for_w_plus_1"', printed='"610"', significant_digits="2",
           erratum='"linear_extrapolation_wb"'),
     "'610' for decrease_for_w_plus_1[] at step 0 is explained twice, by 'linear_extrapolation_w' "
     "and 'linear_extrapolation_wb': one printed number has at most one explanation"),
    ("a claim naming an unknown erratum", ON_COPY,
     claim(where='"x"', quantity='"cost"', printed='"1"', erratum='"nowhere"'),
     "claims name unknown errata: ['nowhere']"),
    ("an erratum no claim uses", ON_COPY, lambda t: t + '\n[errata.unused]\nexplanation = "x"\ncause = "slip"\n',
     "errata no claim uses: ['unused']"),
    ("an erratum of an unknown kind", ON_COPY,
     replaced("[errata.linear_extrapolation_w]", "[errata.linear_extrapolation_w]\nkind = \"guess\""),
     "kind: Input should be"),
    ("an unknown framework's layout", ON_COPY, replaced("[layout]", "[layout]\nmxnet = [\"weights\"]"),
     "layout.mxnet"),
    ("a misspelt field", ON_COPY, replaced("steps = ", "stepz = 3\nsteps = "),
     "stepz: Extra inputs are not permitted"),
    ("negative steps in the definition", ON_COPY, replaced("steps = 1100", "steps = -1"),
     "steps: Input should be greater than or equal to 0"),
    ("steps that are text", ON_COPY, replaced("steps = 1100", 'steps = "many"'),
     "steps: Input should be a valid integer"),
    ("no title", ON_COPY, replaced('title = "', 'subtitle = "'),
     "subtitle: Extra inputs are not permitted"),  # the misspelt key, before the field it leaves out
    ("an id that is not the folder's", ON_COPY, replaced('id = "hours_studied"', 'id = "hours"'),
     "id 'hours' differs from its folder name"),
    ("a hyperparameter that is a list", ON_COPY, replaced("[hyper]", "[hyper]\nsizes = [1, 2]"),
     "hyper.sizes"),
    ("printed steps that are words", ON_COPY,
     replaced("steps = 1100", "steps = 1100\nprinted_steps = [\"first\"]"), "printed_steps"),
    ("a value claimed at a step not printed", ON_COPY,
     replaced("steps = 1100", "steps = 1100\nprinted_steps = [5]"),
     "claim on 'eps' at step 0, which printed_steps [5] does not record"),
    ("a ragged printed block", ON_COPY,
     claim(where='"ragged"', quantity='"cost"', printed='[["1", "2"], ["3"]]'),
     "claim 'ragged': printed must be a string or a rectangular array of strings"),
    ("a printed block of numbers", ON_COPY,
     claim(where='"numbers"', quantity='"cost"', printed="[1.5, 2.5]"),
     "claim 'numbers': printed must be a string or a rectangular array of strings"),
    ("an erratum outside a printed block", ON_COPY,
     claim(where='"block"', quantity='"cost"', printed='["1", "2"]', errata='{ "5" = "x" }'),
     "claim 'block': errata name elements outside the block: ['5']"),
    ("a series of two lengths", ON_COPY,
     claim(where='"series"', quantity='"cost"', steps="[0, 1]", printed='["1"]'),
     "claim 'series': steps and printed must be lists of one length"),
    ("no NumPy implementation", ON_COPY, on_folder(without_network_and("numpy_impl.py")),
     "network: missing (a [network] or a [graph] table, or a numpy_impl.py beside an "
     "example.toml)"),
    ("no NumPy mirror, a claim the engines do not record", ON_COPY, delete("numpy_impl.py"),
     "claims.quantity: 'eps' (Numerical Derivative, first output: 'EPSILON:') is not recorded"),
    ("a requested mirror missing", [*ON_COPY[:4], "--frameworks", "numpy,tensorflow", "--out", "{out}"],
     on_folder(without_network_and("tensorflow_impl.py")),
     "example 'hours_studied' has no tensorflow implementation (tensorflow_impl.py or a "
     "[network] or [graph] the engines run)"),
    # the same broken definitions, reached through the whole catalogue and the list
    ("a broken definition, checked with the catalogue",
     ["--examples-dir", "{examples}", "check", "--frameworks", "numpy", "--out", "{out}"],
     replaced("steps = 1100", "steps = -1"), "steps: Input should be greater than or equal to 0"),
    ("a broken definition, named to check",
     ["--examples-dir", "{examples}", "check", "hours_studied", "--out", "{out}"],
     lambda t: t + '\n[errata.unused]\nexplanation = "x"\ncause = "slip"\n', "errata no claim uses: ['unused']"),
    ("a broken definition, listed", ["--examples-dir", "{examples}", "list"],
     claim(where='"x"', quantity='"cost"', printed='"1"', erratum='"nowhere"'),
     "claims name unknown errata: ['nowhere']"),
]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def test_the_table_has_at_least_25_distinct_inputs():
    names = [case[0] for case in CASES]
    inputs = [(tuple(case[1]), case[2]) for case in CASES]
    assert len(set(names)) == len(names) >= 25
    assert len(set(map(repr, inputs))) == len(inputs)


@pytest.mark.parametrize("name, arguments, edit, message", CASES, ids=[case[0] for case in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, name, arguments, edit, message):
    out = tmp_path / "results"  # a results folder from an earlier run
    (out / "hours_studied").mkdir(parents=True)
    (out / "hours_studied" / "summary.json").write_text('{"id": "hours_studied"}\n')
    (out / "hours_studied" / "report.md").write_text("# an earlier report\n")
    (out / "README.md").write_text("# Results\n\n| example | status |\n")
    (out / "notes.txt").write_bytes(b"kept \x00 as it is\n")
    before = snapshot(out)
    examples = tmp_path / "examples"
    if edit is not None:
        folder = examples / "hours_studied"
        shutil.copytree(EXAMPLE, folder)
        toml = folder / "example.toml"
        if getattr(edit, "on_folder", False):
            edit(folder)
        else:
            toml.write_text(edit(toml.read_text()))
    argv = [a.format(out=out, examples=examples) for a in arguments]

    done = repro(*argv, cwd=REPO)

    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("repro: "), done.stderr
    assert message in lines[0], lines[0]
    if edit is not None and "{examples}" in arguments and "example.toml" in message:
        assert str(examples / "hours_studied" / "example.toml") in lines[0]
    assert snapshot(out) == before
    assert not list(tmp_path.glob("results*/.staging-*"))


@pytest.mark.parametrize("name", ["unknown example", "zero steps", "not TOML"])
def test_bad_input_from_a_shell_is_one_line_and_exit_2(tmp_path, name):
    """The same from a separate process, as a user's shell shows it: the one line alone."""
    case = next(case for case in CASES if case[0] == name)
    examples = tmp_path / "examples"
    if case[2] is not None:
        shutil.copytree(EXAMPLE, examples / "hours_studied")
        toml = examples / "hours_studied" / "example.toml"
        toml.write_text(case[2](toml.read_text()))
    argv = [a.format(out=tmp_path / "results", examples=examples) for a in case[1]]
    done = subprocess.run([sys.executable, "-m", "reproductions.cli", *argv], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()] and case[3] in done.stderr
