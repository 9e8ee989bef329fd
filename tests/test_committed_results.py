"""The committed results/ are what the code computes today (reproductions/committed.py)."""

from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLE_IDS, result_of
from reproductions import committed

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.mark.parametrize("example_id", EXAMPLE_IDS)
def test_the_committed_trace_is_what_a_fresh_run_computes(example_id):
    table = committed.read(RESULTS / example_id / "trace.parquet")
    assert committed.differences(result_of(example_id, "float64"), table) == []


@pytest.mark.xdist_group("test_scores")
@pytest.mark.parametrize("column", ["numpy", "torch", "tensorflow", "rounded_replay"])
@pytest.mark.parametrize("where, relative", [("largest", 1e-12), ("last", 1e-9)])
def test_a_planted_change_to_one_committed_value_is_found(column, where, relative):
    """1e-12 of the largest gradient element, or 1e-9 of one near the minimum (7.5e-5,
    from terms a hundred times larger), is outside the cross-CPU rule and is named."""
    example_id = "test_scores"
    table = committed.read(RESULTS / example_id / "trace.parquet")
    rows = np.flatnonzero(table["quantity"] == "grad.W1")
    row = int(rows[np.argmax(np.abs(table["numpy"][rows]))] if where == "largest" else rows[-1])
    table[column] = table[column].copy()
    table[column][row] *= 1 + relative
    found = committed.differences(result_of(example_id, "float64"), table)
    assert len(found) == 1 and found[0].startswith(f"{column} step {table['step'][row]} grad.W1[")
