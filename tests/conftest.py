"""Shared fixtures: real runs of the real frameworks, each run once per test process.

Under ``pytest -n auto`` (pytest-xdist) every test of one example goes to the same
worker (``--dist loadgroup``, set in pyproject.toml), so no example is run twice.
"""

import functools

import pytest

from reproductions import harness, spec

CATALOGUE = spec.catalogue()
EXAMPLE_IDS = sorted(CATALOGUE)


@functools.cache
def result_of(example_id: str, dtype: str) -> harness.ExampleResult:
    return harness.run_example(CATALOGUE[example_id], ["numpy", "torch", "tensorflow"], dtype)


@pytest.fixture
def run_result():
    return result_of


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist writes the groups into the test ids
def pytest_collection_modifyitems(items):
    """Group the tests of one example, so that one worker runs it once for all of them
    (tests written for one example mark themselves ``xdist_group(<id>)``)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        example_id = callspec.params.get("example_id") if callspec else None
        if example_id is not None:
            item.add_marker(pytest.mark.xdist_group(example_id))
