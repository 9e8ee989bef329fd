"""pytest collects definitions: `pytest path/to/specs` runs every ``*.toml`` with a
``[network]`` or a ``[graph]`` table, and every catalogue folder's ``example.toml`` (``pytest
reproductions/examples/xor_hidden_layer``), as test items, one per (example, framework
other than NumPy, dtype), each comparing that framework with NumPy at every step and
judging the claims.

Registered as a ``pytest11`` entry point, so installing the package is enough. It
imports no framework when pytest loads it: the harness is imported when an item runs.
A failing item's message is the first divergence, or the claims that failed.
"""

import functools
import tomllib
from pathlib import Path

import pytest

from frameworks import NAMES

FRAMEWORKS = tuple(name for name in NAMES if name != "numpy")  # each compared with NumPy
DTYPES = ("float64", "float32")


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".toml" and is_definition(file_path):
        return DefinitionFile.from_parent(parent, path=file_path)
    return None


def is_definition(path: Path) -> bool:
    """A definition has a [network] or a [graph] table, or is a catalogue folder's
    example.toml beside its NumPy mirror (pyproject.toml and the like are none of these)."""
    if path.name == "example.toml" and (path.parent / "numpy_impl.py").is_file():
        return True
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return any(isinstance(raw.get(table), dict) for table in ("network", "graph"))


class DefinitionFile(pytest.File):
    def collect(self):
        from reproductions import harness, spec

        try:
            present = harness.frameworks_of(spec.load(self.path))
        except spec.DefinitionError as error:
            raise DefinitionFailure(str(error)) from None
        for dtype in DTYPES:
            for framework in FRAMEWORKS:
                if framework in present:
                    yield DefinitionItem.from_parent(self, name=f"{framework}-{dtype}",
                                                     framework=framework, dtype=dtype)

    def repr_failure(self, excinfo):
        """A definition that cannot be read: its one line, no traceback."""
        if isinstance(excinfo.value, DefinitionFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


@functools.cache
def shared_runs():
    """The session's runs: the items of one definition share its NumPy runs (the
    reference of each dtype, the float64 run the claims are judged on, the replay)."""
    from reproductions.runs import Runs

    return Runs()


@functools.cache
def run(path: str, framework: str, dtype: str):
    from reproductions import harness, spec

    return harness.run_example(spec.load(Path(path)), [framework], dtype, runs=shared_runs())


class DefinitionFailure(Exception):
    """What a failing definition reports: its first divergence, or its failed claims."""


class DefinitionItem(pytest.Item):
    def __init__(self, *, framework: str, dtype: str, **kwargs):
        super().__init__(**kwargs)
        self.framework, self.dtype = framework, dtype

    def runtest(self):
        from reproductions import report

        r = report.summary(run(str(self.path), self.framework, self.dtype))
        problems = [f"{p.framework}: {m.label}: {m.text}" for p in r.parity
                    for m in p.messages(r.bound) if m.bad]
        problems += [f"claim failed: {c.line()}" for c in r.failed_claims()]
        if problems:
            raise DefinitionFailure("\n".join(problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DefinitionFailure):
            return f"{self.path.name} [{self.framework}, {self.dtype}]:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::{self.name}"
