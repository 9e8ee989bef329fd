"""An erratum's code belongs to its definition: ``errata.py`` beside a catalogue folder's
``example.toml``, ``<name>.errata.py`` beside a definition file ``<name>.toml`` (a folder
may hold many). An erratum whose code is missing is refused when the definition is read,
before anything runs; the file is parsed there, never run."""

import pytest

from conftest import repro
from reproductions import spec

CIRCUIT = '''id = "{id}"
title = "f = (x + y) * z"
steps = 0

[source]
seed = "cs231n"
section = "backpropagation, a simple example"

[graph]
expression = """
q = x + y
f = q * z
"""
inputs = {{ x = -2, y = 5, z = -4 }}

[[claims]]
where = "df/dx = z, printed without its minus sign"
quantity = "grad.x"
printed = "4"
erratum = "sign_dropped"

[errata.sign_dropped]
kind = "typo"
'''

SIGN_DROPPED = '''def sign_dropped(example, values):
    """The gradient's magnitude: its minus sign dropped."""
    return -values.get("grad.x")
'''


def test_a_definition_file_s_own_errata_file_demonstrates_its_erratum(tmp_path):
    (tmp_path / "circuit.toml").write_text(CIRCUIT.format(id="circuit"))
    (tmp_path / "circuit.errata.py").write_text(SIGN_DROPPED)
    done = repro("check", "--spec", tmp_path / "circuit.toml", "--out", tmp_path / "out",
                 "--frameworks", "numpy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "erratum (typo)" in done.stdout and "its minus sign dropped" in done.stdout
    summary = (tmp_path / "out" / "circuit" / "summary.json").read_text()
    assert '"circuit.errata.py"' in summary  # hashed in the provenance with the definition


def test_errata_code_is_not_shared_by_the_definitions_of_a_folder(tmp_path):
    """Another definition beside circuit.toml declaring the same erratum has no code: its
    neighbour's errata file, or a folder's errata.py, is not its own."""
    (tmp_path / "circuit.errata.py").write_text(SIGN_DROPPED)
    (tmp_path / "errata.py").write_text(SIGN_DROPPED)
    other = tmp_path / "other.toml"
    other.write_text(CIRCUIT.format(id="other"))
    out = tmp_path / "out"
    done = repro("check", "--spec", other, "--out", out)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"repro: {other}: errata.sign_dropped: other.errata.py defines no "
                           "sign_dropped(example, values) to recompute it (there is no "
                           "other.errata.py beside the definition)\n")
    assert not out.exists()


def test_an_errata_file_is_parsed_not_run(tmp_path):
    """Reading the definition, or refusing it, runs no code of its errata file."""
    path = tmp_path / "circuit.toml"
    path.write_text(CIRCUIT.format(id="circuit"))
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()\n\n"
    (tmp_path / "circuit.errata.py").write_text(code + SIGN_DROPPED)
    assert spec.load(path).errata_file == tmp_path / "circuit.errata.py"
    (tmp_path / "circuit.errata.py").write_text(code + SIGN_DROPPED.replace("sign_dropped", "other"))
    with pytest.raises(spec.DefinitionError, match="circuit.errata.py defines no sign_dropped"):
        spec.load(path)
    assert not marker.exists()
