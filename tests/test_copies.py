"""Code shared between examples is marked where it is copied, and stays identical.

A definition preceded by ``# Copied from reproductions/examples/<id>/<file>.py:<name>``
must read exactly as the definition it names (the style of Hugging Face's
``# Copied from``): a reader of one mirror sees the whole of it, and a fix made in one
place cannot silently miss its copies.
"""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^# Copied from (\S+\.py):(\w+)\s*$")


def definitions(path: Path) -> dict[str, tuple[int, str]]:
    """Top-level functions and classes of a file: name -> (first line, source)."""
    source = path.read_text()
    return {node.name: (node.lineno, ast.get_source_segment(source, node))
            for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def copies(root: Path) -> list[tuple[str, str, str]]:
    """(copy, original, problem or "") for every marked definition below ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text().splitlines()
        here = {line: (name, text) for name, (line, text) in definitions(path).items()}
        for number, line in enumerate(lines, start=1):
            mark = MARK.match(line.strip())
            if not mark:
                continue
            copy = f"{path.relative_to(root)}:{number}"
            original_file, original_name = REPO / mark.group(1), mark.group(2)
            if number + 1 not in here:
                found.append((copy, mark.group(0), "the mark is not right above a definition"))
                continue
            name, text = here[number + 1]
            originals = definitions(original_file) if original_file.is_file() else {}
            if original_name not in originals:
                found.append((copy, mark.group(0), "names no definition"))
            elif originals[original_name][1].replace(original_name, name, 1) != text:
                found.append((copy, mark.group(0), "differs from the original"))
            else:
                found.append((copy, mark.group(0), ""))
    return found


def test_every_marked_copy_reads_as_its_original():
    marked = copies(REPO / "reproductions")
    assert len(marked) >= 10  # the XOR trio and the OR pair share their translations
    assert [(copy, problem) for copy, _, problem in marked if problem] == []


def test_a_copy_that_drifts_is_found(tmp_path):
    original = REPO / "reproductions/examples/xor_hidden_layer/torch_impl.py"
    drifted = tmp_path / "copy.py"
    text = definitions(original)["to_blog"][1]
    drifted.write_text("# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:to_blog\n"
                       + text.replace("return tensor.T", "return tensor") + "\n")
    assert [problem for _, _, problem in copies(tmp_path)] == ["differs from the original"]
