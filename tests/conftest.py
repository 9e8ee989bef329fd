"""Shared fixtures: real runs of the real frameworks, each run once per test process.

Under ``pytest -n auto`` (pytest-xdist) every test of one example goes to the same
worker (``--dist loadgroup``, set in pyproject.toml), so no example is run twice.
"""

import functools

import numpy as np
import pytest

from reproductions import harness, spec
from reproductions.parity import sizes

CATALOGUE = spec.catalogue()
EXAMPLE_IDS = sorted(CATALOGUE)


@functools.cache
def result_of(example_id: str, dtype: str) -> harness.ExampleResult:
    return harness.run_example(CATALOGUE[example_id], None, dtype)  # every framework it has


@pytest.fixture
def run_result():
    return result_of


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
    """Group the tests of one example, so that one worker runs it once for all of them
    (tests written for one example mark themselves ``xdist_group(<id>)``)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        example_id = callspec.params.get("example_id") if callspec else None
        if example_id is not None:
            item.add_marker(pytest.mark.xdist_group(example_id))
