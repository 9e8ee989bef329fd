"""Shared fixtures: real runs of the real frameworks, each run once per test process.

Every run a test asks for goes through one :class:`reproductions.runs.Runs` for the
whole session (``RUNS``), the one the pytest plugin's items of tests/definitions use
too: the same example, frameworks, dtype and steps are computed once, whichever test
or item asks first. Under ``pytest -n auto`` (pytest-xdist) every test of one example
or definition goes to the same worker (``--dist loadgroup``, set in pyproject.toml).

``repro(...)`` runs the command line in this process, as a user's shell would show it
(exit status, stdout, stderr), with the frameworks the session has already imported:
only a test of what a separate process does (a kill, the import of a framework, the
README's commands as a user types them) starts one.
"""

import atexit
import contextlib
import functools
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _pytest import pytester as _pytester

from reproductions import cli, harness, pytest_plugin, spec
from reproductions.parity import sizes

pytest_plugins = ["pytester"]  # pytest run in this process, on the files a test makes


def _keeping_installed_modules(init):
    """pytester forgets every module first imported while a test of it runs, so that the
    test's own files are imported afresh next time; but TensorFlow, like other compiled
    extensions, aborts the process when it is imported a second time. Forget only the
    modules of a pytester folder (under the temporary directory); keep the rest."""
    def kept(name):
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        return not path.startswith(tempfile.gettempdir())

    def __init__(self, preserve=None):
        init(self, lambda name: kept(name) or (preserve is not None and preserve(name)))
    return __init__


_pytester.SysModulesSnapshot.__init__ = _keeping_installed_modules(_pytester.SysModulesSnapshot.__init__)

CATALOGUE = spec.catalogue()
EXAMPLE_IDS = sorted(CATALOGUE)
RUNS = pytest_plugin.shared_runs()  # every run of the session, in this process


@functools.cache
def result_of(example_id: str, dtype: str) -> harness.ExampleResult:
    return run_example(CATALOGUE[example_id], None, dtype)  # every framework it has


def run_example(example, framework_names=None, dtype="float64", steps=None, gradient_steps=None):
    """``harness.run_example`` sharing the session's runs."""
    return harness.run_example(example, framework_names, dtype, steps, gradient_steps, RUNS)


@functools.cache
def without_mirrors(example_id: str) -> spec.Example:
    """A catalogue network example as a definition file of its own would give it: the
    generic engines run it in every framework, and its claims are those on what they
    record (a mirror records more)."""
    from reproductions.generic.definition import network_of, recorded_names, source_names

    example = CATALOGUE[example_id]
    network = network_of(example)
    shown = source_names(network)
    recorded = {shown.get(name, name) for name in recorded_names(network)}
    starts = set(example.init.shapes())
    claims = [c for c in example.claims
              if (c.quantity.removeprefix("init.") in starts if c.quantity.startswith("init.")
                  else c.quantity in recorded)]
    errata = {key: e for key, e in example.errata.items() if any(c.erratum == key for c in claims)}
    folder = Path(tempfile.mkdtemp(prefix=f"{example_id}-as-a-file-"))
    atexit.register(shutil.rmtree, folder, True)
    file = folder / f"{example_id}.toml"  # its errata code then is <id>.errata.py beside it
    shutil.copyfile(example.file, file)
    if example.errata_file.is_file():
        shutil.copyfile(example.errata_file, folder / f"{example_id}.errata.py")
    return example.model_copy(update={"file": file, "folder": folder, "layout": {},
                                      "claims": claims, "errata": errata})


@pytest.fixture
def run_result():
    return result_of


RUNNING = ("run", "check")


def repro(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    """``repro ARGS`` in this process: its exit status and what it printed. A run or check
    runs with ``--jobs 1`` unless the arguments say otherwise, so it uses the frameworks
    this process has set up instead of starting workers that import them again."""
    args = [str(a) for a in args]
    command = next((a for a in args if a in cli.COMMANDS), None)
    if command in RUNNING and not any(a in ("--jobs", "-j") or a.startswith("--jobs=") for a in args):
        args += ["--jobs", "1"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            contextlib.chdir(cwd or Path.cwd()), environment(env):
        code = cli.main(args)
    return subprocess.CompletedProcess(["repro", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def environment(changes: dict | None):
    """``os.environ`` with ``changes`` (a value of None removes the variable) for a block."""
    saved = dict(os.environ)
    for name, value in (changes or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def within(generic, reference, rtol):
    """Largest |generic - reference| over reference's size so far (parity's size), and
    whether that is at most rtol; both series at the same steps. Where the size is 0
    (a gradient that is exactly zero so far) only an exact zero agrees."""
    assert np.array_equal(generic.steps, reference.steps)
    size = sizes(reference).reshape(-1, *([1] * len(reference.shape)))
    difference = np.abs(generic.values - reference.values)
    with np.errstate(divide="ignore", invalid="ignore"):
        used = float(np.max(np.where(difference == 0, 0.0, difference / size)))
    return used <= rtol, used


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist writes the groups into the test ids
def pytest_collection_modifyitems(items):
    """Group the tests of one example or definition, so that one worker runs it once for
    all of them: tests parametrized by ``example_id`` or ``definition`` (a file of
    tests/definitions) by its value, the items the plugin collects from a definition
    file by the file's name, and tests of one example or definition that are not
    parametrized by it mark themselves ``xdist_group(<id>)``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        example_id = params.get("example_id", params.get("definition"))
        if example_id is not None:
            item.add_marker(pytest.mark.xdist_group(example_id))
        elif isinstance(item, pytest_plugin.DefinitionItem):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
