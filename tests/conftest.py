"""Shared fixtures: real runs of the real frameworks, cached per session."""

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
