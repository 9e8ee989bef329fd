"""Code shared between examples is marked where it is copied, and stays identical.

A definition preceded by ``# Copied from reproductions/examples/<id>/<file>.py:<name>``
(``<name>`` a function or class, or ``Class.method``) must read exactly as the
definition it names (the style of Hugging Face's
``# Copied from``): a reader of one mirror sees the whole of it, and a fix made in one
place cannot silently miss its copies.
"""

import ast
import functools
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^# Copied from (\S+\.py):([\w.]+)\s*$")
DEFINITION = (ast.FunctionDef, ast.ClassDef)


@functools.cache  # an original is named by many copies: parsed once
def definitions(path: Path) -> dict[str, tuple[int, str]]:
    """Top-level functions and classes of a file, and the methods of its classes as
    ``Class.method``: name -> (first line, source without its indentation)."""
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if not isinstance(node, DEFINITION):
            continue
        found[node.name] = (node.lineno, ast.get_source_segment(source, node))
        for member in node.body if isinstance(node, ast.ClassDef) else []:
            if isinstance(member, DEFINITION):
                text = ast.get_source_segment(source, member, padded=False)
                found[f"{node.name}.{member.name}"] = (member.lineno, text)
    return found


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
            short = lambda qualified: qualified.rsplit(".", 1)[-1]  # noqa: E731
            if original_name not in originals:
                found.append((copy, mark.group(0), "names no definition"))
            elif originals[original_name][1].replace(short(original_name), short(name), 1) != text:
                found.append((copy, mark.group(0), "differs from the original"))
            else:
                found.append((copy, mark.group(0), ""))
    return found


def test_every_marked_copy_reads_as_its_original():
    marked = copies(REPO / "reproductions")
    assert len(marked) >= 10  # the XOR trio, the car price trio and the OR pair share code
    assert [(copy, problem) for copy, _, problem in marked if problem] == []


def test_a_copy_that_drifts_is_found(tmp_path):
    original = REPO / "reproductions/examples/xor_hidden_layer/torch_impl.py"
    drifted = tmp_path / "copy.py"
    text = definitions(original)["compute_cost"][1]
    drifted.write_text("# Copied from reproductions/examples/xor_hidden_layer/torch_impl.py:compute_cost\n"
                       + text.replace("0.5 *", "0.25 *") + "\n")
    assert [problem for _, _, problem in copies(tmp_path)] == ["differs from the original"]


def test_a_method_copy_that_drifts_is_found(tmp_path):
    original = REPO / "reproductions/examples/xor_hidden_layer/torch_impl.py"
    drifted = tmp_path / "copy.py"
    text = definitions(original)["TwoLayerNet.blog_parameters"][1]
    drifted.write_text("class Net:\n    # Copied from reproductions/examples/xor_hidden_layer/"
                       "torch_impl.py:TwoLayerNet.blog_parameters\n    "
                       + text.replace('"b2": self.layer2.bias', '"b2": self.layer1.bias') + "\n")
    assert [problem for _, _, problem in copies(tmp_path)] == ["differs from the original"]
