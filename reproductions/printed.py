"""Printed numbers as text: a printed block, a series, a file of expected values.

Pure text processing, nothing is evaluated: every element stays the string the source
printed, so its digits keep setting its precision. Errors are ValueErrors of one line
that say what is wrong; the claim that reads them names itself in front.
"""

import csv
import json
import re
from pathlib import Path

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # no nan, no inf
TOKEN = re.compile(r"\[|\]|[^\s,\[\]]+")  # brackets, and what commas and spaces separate
PRINT_FORMAT = re.compile(r"numpy|repr|%(?:\.(\d+))?([feg])")  # a claim's format
ARRAY = re.compile(r"array\((.*?)(,\s*dtype=\w+)?\)", re.DOTALL)  # NumPy's repr


def number(text) -> str:
    if not isinstance(text, str) or not NUMBER.fullmatch(text):
        raise ValueError(f"'{text}' is not a finite number")
    return text


def step_of(key) -> int:
    """A step given as text (a TOML or JSON key, a CSV cell)."""
    if not isinstance(key, str) or not re.fullmatch(r"[0-9]+", key):
        raise ValueError(f"'{key}' is not a step (a non-negative integer)")
    return int(key)


def series_of(table) -> dict:
    """A series table (TOML's, JSON's) by step: each key a step, once."""
    if not isinstance(table, dict) or not table:
        raise ValueError("expected a table of step = printed, of one step or more")
    series = {step_of(key): printed for key, printed in table.items()}
    if len(series) < len(table):
        raise ValueError("a step is given twice")
    return series


def shape_of(block) -> tuple:
    """The shape of a nested list of number strings; refuses ragged, empty, non-numbers."""
    if not isinstance(block, list):
        number(block)
        return ()
    shapes = {shape_of(item) for item in block}
    if len(shapes) != 1:
        raise ValueError("the block is empty" if not block else
                         "the block is ragged (rows of different lengths)")
    return (len(block), *shapes.pop())


def holds_block(text: str) -> bool:
    """Whether a printed string is a block: brackets, several lines, or several numbers."""
    tokens = re.findall(r"[^\s,]+", text)
    return "[" in text or "\n" in text.strip() or \
        len(tokens) > 1 and all(NUMBER.fullmatch(token) for token in tokens)


def nested(tokens) -> list:
    """The list a '[' opens, up to its ']'."""
    items = []
    for token in tokens:
        if token == "]":
            return items
        items.append(nested(tokens) if token == "[" else number(token))
    raise ValueError("a '[' is never closed")


def parse_block(text: str) -> list:
    """A printed matrix or vector as nested lists of its element strings: NumPy's print
    (``[[0.5        0.64565631] ...]``), its repr (``array([[0.5, 0.6456], ...])``), a
    Python list, or plain rows of numbers, one row per line (always a matrix)."""
    body = text.strip()
    wrapped = ARRAY.fullmatch(body)
    if wrapped:
        body = wrapped[1]
    if "[" not in body:
        block = [[number(t) for t in re.findall(r"[^\s,]+", line)]
                 for line in body.splitlines() if line.strip()]
    else:
        tokens = iter(TOKEN.findall(body))
        if next(tokens) != "[":
            raise ValueError("text before the first '['")
        block = nested(tokens)
        if next(tokens, None) is not None:
            raise ValueError("text after the last ']'")
    shape_of(block)
    return block


def unique_keys(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    twice = [key for key in keys if keys.count(key) > 1]
    if twice:
        raise ValueError(f"key '{twice[0]}' twice")
    return dict(pairs)


def read_json(text: str, name: str):
    value = json.loads(text, parse_float=str, parse_int=str, parse_constant=str,
                       object_pairs_hook=unique_keys)
    if isinstance(value, list):
        shape_of(value)
        return value, lambda position: f"{name} [{', '.join(map(str, position))}]"
    if isinstance(value, dict):
        series = {step: number(printed) for step, printed in series_of(value).items()}
        return series, lambda step: f"{name} step {step}"
    raise ValueError("holds neither a list (a block) nor an object (a series)")


def read_csv(text: str, name: str):
    reader = csv.reader(text.splitlines(), skipinitialspace=True)
    rows = [([cell.strip() for cell in row], reader.line_num) for row in reader if row]
    header = rows[0][0] == ["step", "printed"] if rows else False
    series, lines = {}, {}
    for row, line in rows[header:]:
        try:
            if header:
                if len(row) != 2:
                    raise ValueError("expected step,printed")
                step = step_of(row[0])
                if step in series:
                    raise ValueError(f"step {step} twice")
                series[step], lines[step] = number(row[1]), line
            elif len(row) != len(rows[0][0]):
                raise ValueError(f"{len(row)} values, where line {rows[0][1]} has "
                                 f"{len(rows[0][0])}")
            else:
                shape_of(row)
        except ValueError as error:
            raise ValueError(f"line {line}: {error}") from None
    if header:
        if not series:
            raise ValueError("no step after the header step,printed")
        return series, lambda step: f"{name} line {lines[step]}"
    block = [row for row, _ in rows]
    shape_of(block)  # an empty file
    return block, lambda position: f"{name} line {rows[position[0]][1]}"


def read_printed_file(path: Path) -> tuple:
    """The expected values of a ``.json`` or ``.csv`` file, and where each is in it:
    ``(block, cite)``, a nested list of number strings and a function of an element's
    position, or ``(series, cite)``, a dict step -> number string and a function of
    the step. ``cite`` gives ``costs.csv line 3``, ``a1.json [1, 2]``, ``c.json step 100``."""
    path = Path(path)
    if path.suffix not in (".json", ".csv"):
        raise ValueError("not a .json or .csv file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"cannot be read: {error.strerror or error}") from None
    return (read_json if path.suffix == ".json" else read_csv)(text, path.name)
