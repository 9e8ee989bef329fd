"""The columnar trace: one array per quantity, and the rules a record must keep."""

import numpy as np
import pytest

from reproductions.table import long_table, side_by_side
from reproductions.trace import Trace


def test_each_quantity_is_one_array_over_its_steps_whatever_the_room_made():
    trace = Trace(expected_steps=2)  # fewer than recorded: the storage grows
    for step in range(5):
        trace.step(step)
        trace.cost(float(step))
        trace.grad("W", np.full((2, 3), step))
    recording = trace.recording()
    assert recording["grad.W"].values.shape == (5, 2, 3)
    assert recording["cost"].steps.tolist() == [0, 1, 2, 3, 4]
    assert recording.at("grad.W", 3)[1, 2] == 3 and recording.at("grad.W", 9) is None
    assert recording.elements == 5 * (1 + 6)


# Until this test, storage grown for more records took its scales and terms from
# np.empty: a record that gave neither (the common, fast path) kept what memory held
# there, and parity sized its bound on it (a value's bound 1e248 times too wide in one
# run of car_price_l2, a different one in the next).
def test_a_record_without_a_scale_or_terms_has_nan_there_however_the_storage_grew():
    trace = Trace(expected_steps=1)
    for step in range(300):  # the value's storage starts at one record and doubles
        trace.step(step)
        trace.value("x", float(step))
        trace.grad("W", np.ones(2), terms=np.ones(2) if step < 3 else None)
    recording = trace.recording()
    assert np.isnan(recording["x"].scale).all()
    assert np.isnan(recording["grad.W"].scale).all()
    terms = recording["grad.W"].terms
    assert (terms[:3] == 1).all() and np.isnan(terms[3:]).all()


def test_terms_are_kept_in_the_sources_layout_at_every_step_they_are_given():
    """Terms go the common path of their gradient (one copy into place), transposed as
    the gradient is, from the first step that gives them; NaN where a step gives none."""
    trace = Trace(transposed=frozenset({"W"}))
    given = {1: np.arange(6.0).reshape(2, 3), 2: None, 3: -np.arange(6.0).reshape(2, 3)}
    for step in range(4):  # as the framework holds W: (2, 3); the source: (3, 2)
        trace.step(step)
        trace.grad("W", np.full((2, 3), float(step)), terms=given.get(step))
    series = trace.recording()["grad.W"]
    assert series.values.shape == series.terms.shape == (4, 3, 2)
    assert np.isnan(series.terms[[0, 2]]).all()
    assert (series.terms[1] == given[1].T).all() and (series.terms[3] == given[3].T).all()


def test_a_vector_goes_the_common_path_into_the_sources_column_at_every_step():
    """A framework's (3,) bias, which the source keeps as a (3, 1) column, is put in that
    shape at every step (one copy into place after the first), terms as well; an array
    held in another shape is still refused in the source's words."""
    trace = Trace(shapes={"b": (3, 1)}, expected_steps=3)  # room made at once: no growing
    for step in range(3):
        trace.step(step)
        trace.grad("b", np.arange(3.0) + step, terms=np.full(3, float(step)))
    series = trace.recording()["grad.b"]
    assert series.values.shape == series.terms.shape == (3, 3, 1)
    assert series.values[:, :, 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert series.terms[:, :, 0].tolist() == [[0.0] * 3, [1.0] * 3, [2.0] * 3]
    trace.step(3)
    with pytest.raises(ValueError, match=r"'grad.b' recorded as grad \(4,\) at step 3, as grad \(3, 1\) before"):
        trace.grad("b", np.zeros(4))


def test_a_record_is_a_copy_not_a_view_of_the_callers_array():
    trace, weights = Trace(), np.zeros(2)
    for step in range(2):
        trace.step(step)
        trace.param("w", weights)
        weights += 1.0  # an update in place, as optimisers do
    assert trace.recording()["w"].values.tolist() == [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("second, message", [
    (lambda t: (t.step(0), t.value("x", 2.0)), "'x' recorded twice at step 0"),
    (lambda t: (t.step(1), t.value("x", [1.0, 2.0])), "'x' recorded as value (2,) at step 1, as value () before"),
    (lambda t: (t.step(1), t.param("x", 1.0)), "'x' recorded as param () at step 1, as value () before"),
])
def test_a_quantity_keeps_its_kind_and_shape_and_is_recorded_once_a_step(second, message):
    trace = Trace()
    trace.step(0)
    trace.value("x", 1.0)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        second(trace)


def test_steps_only_go_forward_for_a_quantity():
    trace = Trace()
    trace.step(5)
    trace.cost(1.0)
    trace.step(3)
    with pytest.raises(ValueError, match="'cost' recorded at step 3 after step 5"):
        trace.cost(2.0)


def test_the_long_table_has_one_row_per_element_in_the_order_recorded():
    trace = Trace()
    trace.step(0)
    trace.value("A", np.array([[1.0, 2.0]]))
    trace.cost(0.5)
    table = long_table(trace.recording())
    assert table[["step", "quantity", "index", "value"]].values.tolist() == [
        [0, "A", "0,0", 1.0], [0, "A", "0,1", 2.0], [0, "cost", "", 0.5]]
    other = Trace()
    other.step(0)
    other.cost(0.25)
    columns = side_by_side({"numpy": trace.recording(), "torch": other.recording()})
    assert columns["quantity"].tolist() == ["A", "A", "cost"]
    assert np.isnan(columns["torch"][:2]).all() and columns["torch"][2] == 0.25


def test_values_are_recorded_only_at_the_printed_steps_and_pass_through_elsewhere():
    trace = Trace(printed_steps=frozenset({0, 3}))
    for step in range(4):
        trace.step(step)
        assert trace.value("A", float(step)) == float(step)  # returned either way
        trace.values(B=2.0 * step, C=3.0 * step)
        trace.cost(float(step))  # costs, gradients, parameters: every step
        assert trace.printed == (step in (0, 3))
    recording = trace.recording()
    assert {q: recording[q].steps.tolist() for q in ("A", "B", "C", "cost")} == {
        "A": [0, 3], "B": [0, 3], "C": [0, 3], "cost": [0, 1, 2, 3]}
    assert recording.at("C", 3) == 9.0


def test_every_step_is_printed_by_default():
    trace = Trace()
    trace.step(7)
    assert trace.printed and trace.value("A", 1.0) == 1.0 and "A" in trace.recording()


def test_the_null_recorder_returns_what_it_is_given():
    from reproductions.trace import no_record

    value = np.ones(3)
    assert no_record("A", value) is value and no_record("A", value, scale=2.0) is value


def test_gradients_and_parameters_by_name_as_a_functional_framework_gives_them():
    """JAX hands a dict of gradients and of updated parameters (its keys sorted, not in
    the order watched): each is recorded under its name, and the updated dict becomes
    the watched parameters, which the harness reads once the run ends."""
    trace = Trace()
    start = {"W2": np.array([1.0]), "b2": np.array([2.0])}
    trace.watch(**start)
    trace.step(0)
    trace.gradients(0.5, {"b2": np.array([20.0]), "W2": np.array([10.0])})
    updated = {"b2": np.array([3.0]), "W2": np.array([4.0])}
    trace.parameters(updated)
    recording = trace.recording()
    assert list(recording.series) == ["cost", "grad.W2", "grad.b2", "W2", "b2"]
    assert recording.at("grad.W2", 0).tolist() == [10.0] and recording.at("b2", 0).tolist() == [3.0]
    assert list(trace.watched) == ["W2", "b2"] and trace.watched["W2"] is updated["W2"]
    trace.step(1)
    with pytest.raises(ValueError, match="a gradient for each of W2, b2: given W2"):
        trace.gradients(0.25, {"W2": np.array([1.0])})


def recorded_both_ways(tmp_path, record) -> tuple:
    """What ``record(trace)`` records in memory, and with every quantity in a file."""
    from reproductions import trace as trace_module

    kept = trace_module.SPILL_BYTES
    in_memory, in_files = Trace(expected_steps=2), Trace(expected_steps=2, spill=str(tmp_path))
    record(in_memory)
    trace_module.SPILL_BYTES = -1  # every quantity goes to a file
    try:
        record(in_files)
    finally:
        trace_module.SPILL_BYTES = kept
    return in_memory.recording(), in_files.recording()


def a_run(trace: Trace) -> None:
    """Records made one by one (the fast path after the first), transposed, and a
    compiled loop's stacked rows at once, past the room first made."""
    trace.transposed = frozenset({"W"})
    trace.watch(W=np.zeros((3, 2)))
    for step in range(3):
        trace.step(step)
        trace.cost(float(step) / 3)
        trace.grad("W", np.arange(6.0).reshape(3, 2) * step)
        trace.param("W", np.arange(6.0).reshape(3, 2) + step)
    costs, grads = np.arange(3, 7) / 7.0, [np.random.default_rng(0).standard_normal((4, 3, 2))]
    trace.step(3)
    trace.training(costs, grads, [grads[0] + 1.0])


def test_records_written_to_files_as_they_come_are_the_records_kept_in_memory(tmp_path):
    from reproductions.runs import from_disk, to_disk

    in_memory, in_files = recorded_both_ways(tmp_path, a_run)
    assert all(isinstance(s.values, np.memmap) for s in in_files.series.values())
    crossed = from_disk(to_disk(in_files, str(tmp_path)))  # as a worker's run reaches this process
    assert list(crossed.series) == list(in_memory.series)
    for quantity, series in in_memory.series.items():
        other = crossed[quantity]
        assert type(other.values) is np.ndarray and other.values.shape == (7, *series.shape)
        assert other.values.tobytes() == series.values.tobytes(), quantity
        assert other.steps.tolist() == series.steps.tolist()
        assert other.order.tolist() == series.order.tolist()
    assert list(tmp_path.iterdir()) == []  # each file read once, then removed


def test_a_large_array_a_worker_kept_in_memory_crosses_through_a_file_too(tmp_path):
    from reproductions.runs import OnDisk, from_disk, to_disk

    trace = Trace(expected_steps=1)
    trace.step(0)
    trace.grad("W", np.arange(300_000.0).reshape(600, 500))  # 2.4 MB: above the threshold
    trace.grad("b", np.ones(3))
    written = to_disk(trace.recording(), str(tmp_path))
    assert isinstance(written["grad.W"].values, OnDisk)
    assert isinstance(written["grad.b"].values, np.ndarray)  # a small one goes through the pipe
    read = from_disk(written)
    assert read["grad.W"].values[0, 599, 499] == 299_999.0 and list(tmp_path.iterdir()) == []
