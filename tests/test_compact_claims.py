"""Compact claims: a print format, a printed block as one string, a series table, and
expected values imported from a JSON or CSV file beside the definition."""

import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from reproductions import claims, harness, spec
from reproductions.printed import holds_block, parse_block
from reproductions.spec import Claim, DefinitionError, Example

REPO = Path(__file__).resolve().parents[1]
XOR = REPO / "tests" / "definitions" / "xor_2_3_1.toml"


# the parser

def test_numpy_print_with_its_column_padding():
    A = np.array([[0.5, 0.6456563062257954, 0.549834], [0.5, 0.598687660112452, 1.0]])
    assert str(A) == "[[0.5        0.64565631 0.549834  ]\n [0.5        0.59868766 1.        ]]"
    assert parse_block(str(A)) == [["0.5", "0.64565631", "0.549834"], ["0.5", "0.59868766", "1."]]


def test_numpy_scientific_notation():
    v = np.array([1.2345e-05, 0.25, -3.0])
    assert str(v) == "[ 1.2345e-05  2.5000e-01 -3.0000e+00]"
    assert parse_block(str(v)) == ["1.2345e-05", "2.5000e-01", "-3.0000e+00"]


def test_numpy_repr_python_list_and_three_dimensions():
    assert parse_block("array([[0.5, 0.6456], [0.5, 0.5987]])") == [["0.5", "0.6456"], ["0.5", "0.5987"]]
    assert parse_block(repr(np.array([[0.5, 0.25]]))) == [["0.5", "0.25"]]
    assert parse_block("array([1., 2.], dtype=float32)") == ["1.", "2."]
    assert parse_block("[0.5, 0.25]") == ["0.5", "0.25"]
    cube = np.arange(8.0).reshape(2, 2, 2)
    assert parse_block(str(cube)) == [[["0.", "1."], ["2.", "3."]], [["4.", "5."], ["6.", "7."]]]


def test_plain_rows_are_a_matrix():
    rows = "\n".join(" ".join("%.8f" % x for x in row) for row in [[0.5, 0.25], [1 / 3, 2]])
    assert parse_block(rows) == [["0.50000000", "0.25000000"], ["0.33333333", "2.00000000"]]
    assert parse_block("0.5, 0.25") == [["0.5", "0.25"]]


def test_which_strings_are_blocks():
    assert not holds_block("0.5") and not holds_block(" 0.5\n")  # a scalar claim, as today
    assert not holds_block("about ten")  # left to the scalar check ("not a finite number")
    assert holds_block("[0.5]") and holds_block("0.5 0.25") and holds_block("0.5\n0.25")


@pytest.mark.parametrize("text, message", [
    ("[[1, 2], [3]]", "the block is ragged (rows of different lengths)"),
    ("[1, [2]]", "the block is ragged (rows of different lengths)"),
    ("1 2\n3", "the block is ragged (rows of different lengths)"),
    ("[1, nan]", "'nan' is not a finite number"),
    ("[1 inf]", "'inf' is not a finite number"),
    ("[0.5 1+1]", "'1+1' is not a finite number"),
    ("[1 2", "a '[' is never closed"),
    ("[1 2]]", "text after the last ']'"),
    ("[]", "the block is empty"),
])
def test_the_parser_refuses(text, message):
    with pytest.raises(ValueError) as error:
        parse_block(text)
    assert str(error.value) == message


# precision per format

def claim(printed, **extra):
    return Claim(where="test", quantity="x", printed=printed, **extra)


@pytest.mark.parametrize("printed, format, half, places", [
    ("0.5", None, "0.05", 1),
    ("0.5", "repr", "0.05", 1),
    ("0.64565631", "repr", "5e-9", 8),
    ("0.5", "numpy", "5e-9", 8),  # maxprec: trailing zeros dropped, still 8 decimals
    ("1.", "numpy", "5e-9", 8),
    ("1.2345e-05", "numpy", "5e-14", None),  # 8 mantissa decimals
    ("2.5000e+02", "numpy", "5e-7", None),
    ("0.12", "%.3f", "5e-4", 3),  # N decimals whatever is shown
    ("2", "%.0f", "0.5", 0),
    ("0.500000", "%f", "5e-7", 6),
    ("1.235e-05", "%.3e", "5e-9", None),
    ("0.25", "%g", "5e-7", None),  # 6 significant digits, trailing zeros dropped
    ("1.5e-05", "%.2g", "5e-7", None),
    ("120", "%.3g", "0.5", None),
])
def test_half_unit_and_decimals_honour_the_format(printed, format, half, places):
    c = claim(printed, format=format)
    assert claims.half_unit(c) == Decimal(half)
    assert claims.decimals(c) == places


def test_agreement_at_the_format_precision():
    assert claims.agrees(claim("0.5", format="numpy"), 0.5 + 4e-9)
    assert not claims.agrees(claim("0.5", format="numpy"), 0.5 + 6e-9)
    assert claims.agrees(claim("0.5"), 0.5 + 6e-9)  # without the format: one decimal
    assert not claims.agrees(claim("1.2345e-05", format="numpy"), 1.2345e-05 + 1e-13)
    assert claims.agrees(claim("0.12", format="%.3f"), 0.1204)
    assert not claims.agrees(claim("0.12", format="%.3f"), 0.1206)


def test_the_replay_rounds_fixed_formats_only():
    example = minimal([{"where": "a", "quantity": "A", "format": "numpy", "printed": "[0.5 1.5e-05]"},
                       {"where": "b", "quantity": "B", "format": "numpy", "printed": "[0.5 0.25]"},
                       {"where": "c", "quantity": "C", "format": "%.4e", "printed": "1.2500e-01"}])
    places = claims.printed_precision(example)
    assert places(0, "A") == {(0,): 8}  # scientific: left unrounded, as significant_digits
    assert places(0, "B") == {(0,): 8, (1,): 8}
    assert places(0, "C") is None


# expansion

def minimal(claim_list, folder=Path(".")) -> Example:
    return Example(id="t", title="t", steps=3, source={"seed": "s", "section": "s"},
                   folder=folder, claims=claim_list)


def expanded(example):
    return [(c.where, c.step, c.index, c.printed) for c in example.claims]


def test_a_printed_string_is_expanded_as_the_nested_list_is():
    text = "[[0.5        0.64565631]\n [0.5        0.59868766]]"
    as_string = minimal([{"where": "F", "quantity": "A", "index": [1], "printed": text,
                          "format": "numpy"}])
    as_list = minimal([{"where": "F", "quantity": "A", "index": [1], "format": "numpy",
                        "printed": [["0.5", "0.64565631"], ["0.5", "0.59868766"]]}])
    assert as_string.claims == as_list.claims
    assert expanded(as_string) == [("F", 0, [1, 0, 0], "0.5"), ("F", 0, [1, 0, 1], "0.64565631"),
                                   ("F", 0, [1, 1, 0], "0.5"), ("F", 0, [1, 1, 1], "0.59868766")]
    assert {c.format for c in as_string.claims} == {"numpy"}


def test_errata_name_elements_of_a_printed_string():
    example = Example(id="t", title="t", steps=0, source={"seed": "s", "section": "s"},
                      folder=Path("."), errata={"slip": {"explanation": "x", "kind": "refuted"}},
                      claims=[{"where": "F", "quantity": "A", "printed": "[0.5, 0.25]\n",
                               "errata": {"1": "slip"}}])
    assert [(c.index, c.erratum) for c in example.claims] == [([0], None), ([1], "slip")]


def test_a_single_number_stays_a_scalar_claim():
    example = minimal([{"where": "F", "quantity": "cost", "printed": "0.145"}])
    assert expanded(example) == [("F", 0, [], "0.145")]


def test_a_series_table():
    example = minimal([{"where": "log", "quantity": "cost", "format": "%.4f",
                        "series": {"0": "0.2503", "100": "0.2499", "2": "0.2501"}}])
    assert expanded(example) == [("log", 0, [], "0.2503"), ("log", 100, [], "0.2499"),
                                 ("log", 2, [], "0.2501")]
    assert {c.format for c in example.claims} == {"%.4f"}


def test_a_json_block_cites_each_element(tmp_path):
    (tmp_path / "a1.json").write_text('[[0.5, 0.64565631], [0.50, 1.2e-05]]\n')
    example = minimal([{"where": "Fig 79", "quantity": "A1", "printed_file": "a1.json"}], tmp_path)
    assert expanded(example) == [("Fig 79, a1.json [0, 0]", 0, [0, 0], "0.5"),
                                 ("Fig 79, a1.json [0, 1]", 0, [0, 1], "0.64565631"),
                                 ("Fig 79, a1.json [1, 0]", 0, [1, 0], "0.50"),  # digits kept
                                 ("Fig 79, a1.json [1, 1]", 0, [1, 1], "1.2e-05")]


def test_a_json_series(tmp_path):
    (tmp_path / "costs.json").write_text('{"0": "0.25", "100": 0.2400}')
    example = minimal([{"where": "log", "quantity": "cost", "printed_file": "costs.json"}], tmp_path)
    assert expanded(example) == [("log, costs.json step 0", 0, [], "0.25"),
                                 ("log, costs.json step 100", 100, [], "0.2400")]


def test_a_csv_block_and_series_cite_their_lines(tmp_path):
    (tmp_path / "w.csv").write_text("0.1, 0.25\n\n-3,4.0\n")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "costs.csv").write_text("step,printed\n0,0.2503\n100,0.2499\n")
    example = minimal([{"where": "Fig 2", "quantity": "W", "step": 1, "printed_file": "w.csv"},
                       {"where": "log", "quantity": "cost", "printed_file": "logs/costs.csv"}],
                      tmp_path)
    assert expanded(example) == [("Fig 2, w.csv line 1", 1, [0, 0], "0.1"),
                                 ("Fig 2, w.csv line 1", 1, [0, 1], "0.25"),
                                 ("Fig 2, w.csv line 3", 1, [1, 0], "-3"),
                                 ("Fig 2, w.csv line 3", 1, [1, 1], "4.0"),
                                 ("log, costs.csv line 2", 0, [], "0.2503"),
                                 ("log, costs.csv line 3", 100, [], "0.2499")]


# invalid definitions: one line each, naming the claim and the field

def xor_copy(tmp_path, claim_text: str, files: dict | None = None) -> Path:
    path = tmp_path / "xor_2_3_1.toml"
    path.write_text(XOR.read_text() + "\n[[claims]]\n" + claim_text)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    return path


INVALID = [
    ('where = "R"\nquantity = "A1"\nprinted = """\n[[0.5 0.6]\n [0.5]]\n"""\n', {},
     "claims: claim 'R': printed: the block is ragged (rows of different lengths)"),
    ('where = "N"\nquantity = "A1"\nprinted = "[[0.5, nan]]"\n', {},
     "claims: claim 'N': printed: 'nan' is not a finite number"),
    ('where = "S"\nquantity = "cost"\n[claims.series]\n0 = "0.145"\n-1 = "0.2"\n', {},
     "claims: claim 'S': series: '-1' is not a step (a non-negative integer)"),
    ('where = "T"\nquantity = "cost"\nstep = 3\nseries = { 0 = "0.145" }\n', {},
     "claims: claim 'T': a series gives its steps and printed values: drop step, steps and printed"),
    ('where = "F"\nquantity = "cost"\nformat = "%d"\nprinted = "0.145"\n', {},
     "format: claim 'F': format '%d' is not numpy, repr, %.Nf, %.Ne, %.Ng or %g"),
    ('where = "G"\nquantity = "cost"\nformat = "%g"\nsignificant_digits = 2\nprinted = "0.145"\n', {},
     "claim 'G': format and significant_digits both set its precision: give one"),
    ('where = "M"\nquantity = "cost"\nprinted_file = "missing.csv"\n', {},
     "claims: claim 'M': printed_file 'missing.csv': cannot be read: No such file or directory"),
    ('where = "U"\nquantity = "cost"\nprinted_file = "../costs.csv"\n', {},
     "claims: claim 'U': printed_file '../costs.csv' must be a path inside the example's folder"),
    ('where = "A"\nquantity = "cost"\nprinted_file = "/etc/passwd"\n', {},
     "claims: claim 'A': printed_file '/etc/passwd' must be a path inside the example's folder"),
    ('where = "X"\nquantity = "cost"\nprinted_file = "costs.txt"\n', {"costs.txt": "0.1\n"},
     "claims: claim 'X': printed_file 'costs.txt': not a .json or .csv file"),
    ('where = "C"\nquantity = "cost"\nprinted_file = "costs.csv"\n',
     {"costs.csv": "step,printed\n0,0.145\nten,0.1\n"},
     "claims: claim 'C': printed_file 'costs.csv': line 3: 'ten' is not a step (a non-negative integer)"),
    ('where = "D"\nquantity = "Z1"\nprinted_file = "z1.csv"\n', {"z1.csv": "0,0.6\n0,0.4,1\n"},
     "claims: claim 'D': printed_file 'z1.csv': line 2: 3 values, where line 1 has 2"),
    ('where = "J"\nquantity = "Z1"\nprinted_file = "z1.json"\n', {"z1.json": "[[0, NaN]]"},
     "claims: claim 'J': printed_file 'z1.json': 'NaN' is not a finite number"),
    ('where = "K"\nquantity = "cost"\nprinted_file = "c.json"\n', {"c.json": '{"0": "0.1", "0": "0.2"}'},
     "claims: claim 'K': printed_file 'c.json': key '0' twice"),
    ('where = "B"\nquantity = "cost"\nprinted_file = "c.json"\nprinted = "0.145"\n', {"c.json": "[]"},
     "claims: claim 'B': printed_file replaces printed, series and steps: give one"),
]


@pytest.mark.parametrize("claim_text, files, message", INVALID, ids=[m[-1][:40] for m in INVALID])
def test_an_invalid_compact_claim_is_one_line(tmp_path, claim_text, files, message):
    path = xor_copy(tmp_path, claim_text, files)
    with pytest.raises(DefinitionError) as error:
        spec.load(path)
    line = str(error.value)
    assert "\n" not in line
    assert line.startswith(f"{path}: ") and line.endswith(message), line


def test_spec_load_names_the_claims_field(tmp_path):
    folder = tmp_path / "hours_studied"
    shutil.copytree(REPO / "reproductions" / "examples" / "hours_studied", folder)
    toml = folder / "example.toml"
    toml.write_text(toml.read_text() + '\n[[claims]]\nwhere = "x"\nquantity = "cost"\n'
                    'printed = "[1, 2"\n')
    from reproductions import spec
    with pytest.raises(DefinitionError) as error:
        spec.load(folder)
    assert str(error.value) == (f"{toml}: claims: claim 'x': printed: "
                                "a '[' is never closed")


# end to end, on the generic engines' XOR network

def numpy_run(path: Path) -> harness.ExampleResult:
    return harness.run_example(spec.load(path), ["numpy"])


@pytest.fixture(scope="module")
def xor_exact():
    return numpy_run(XOR).traces["numpy"]


def with_a1_printed(tmp_path, text: str) -> Path:
    """xor_2_3_1.toml with its A1 claim as one printed string, format = 'numpy'."""
    source = XOR.read_text()
    start = source.index('quantity = "A1"')
    end = source.index("[[claims]]", start)
    path = tmp_path / "xor_2_3_1.toml"
    path.write_text(source[:start] + f"quantity = \"A1\"\nformat = \"numpy\"\nprinted = '''\n"
                    f"{text}\n'''\n\n" + source[end:])
    return path


def verdicts(result, quantity):
    return {tuple(c.claim.index): c.verdict for c in result.claims if c.claim.quantity == quantity}


def test_a_numpy_printed_block_is_confirmed(tmp_path, xor_exact):
    text = str(xor_exact.at("A1", 0))
    assert "0.64565631" in text and "0.549834  " in text  # NumPy's own print, padding and all
    result = numpy_run(with_a1_printed(tmp_path, text))
    assert verdicts(result, "A1") == {(i, j): claims.CONFIRMED for i in range(3) for j in range(4)}
    # the replay now rounds A1 at NumPy's 8 decimals, not the book's 3, so the one Z2 the
    # book computed from its 3-decimal A1 is no longer reproduced: the format reached it
    assert verdicts(result, "Z2")[(0, 1)] == claims.FAILED
    assert [c for c in result.claims if not c.passed] == [
        c for c in result.claims if c.claim.quantity == "Z2" and c.claim.index == [0, 1]]


def test_a_numpy_printed_block_off_in_its_8th_decimal_fails(tmp_path, xor_exact):
    text = str(xor_exact.at("A1", 0))
    assert text.count("0.59868766") == 1
    result = numpy_run(with_a1_printed(tmp_path, text.replace("0.59868766", "0.59868767")))
    failed = {index for index, verdict in verdicts(result, "A1").items() if verdict == claims.FAILED}
    assert failed == {(1, 1)}


def test_a_csv_series_of_costs(tmp_path, xor_exact):
    steps = [0, 1, 100, 1000, 5000]
    lines = [f"{step},{'%.8f' % xor_exact.at('cost', step)}" for step in steps]
    (tmp_path / "costs.csv").write_text("step,printed\n" + "\n".join(lines) + "\n")
    path = xor_copy(tmp_path, 'where = "training log"\nquantity = "cost"\nformat = "%.8f"\n'
                              'printed_file = "costs.csv"\n')
    result = numpy_run(path)
    logged = [c for c in result.claims if c.claim.where.startswith("training log")]
    assert [(c.claim.step, c.claim.where, c.verdict) for c in logged] == [
        (step, f"training log, costs.csv line {n}", claims.CONFIRMED)
        for n, step in enumerate(steps, 2)]
    assert result.claims_passed

    lines[2] = lines[2][:-1] + str((int(lines[2][-1]) + 2) % 10)  # 2 units off in its 8th decimal
    (tmp_path / "costs.csv").write_text("step,printed\n" + "\n".join(lines) + "\n")
    failed = [c.claim.where for c in numpy_run(path).claims if not c.passed]
    assert failed == ["training log, costs.csv line 4"]
