"""[data] read from files and made by generators (reproductions/datasets.py): each format
loaded as written and hashed into the provenance, the scalings computed as NumPy (and
scikit-learn) compute them, a generated data set split into a training and a test set,
and a test set's accuracy judged as a derived claim."""

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import repro
from reproductions import claims, harness, spec

HEAD = '''id = "{id}"
title = "a 2-3-1 network on data from files"
steps = {steps}

[source]
seed = "none"
section = "a test"

[network]
layout = "columns"
inputs = 2
cost = "binary_nll"
layers = [
  {{ units = 3, activation = "tanh" }},
  {{ units = 1, activation = "sigmoid" }},
]

[hyper]
learning_rate = 0.5

[init]
seed = 1
params = [
  {{ name = "W1", randn = [3, 2], scale = 0.1 }},
  {{ name = "b1", value = [[0.0], [0.0], [0.0]] }},
  {{ name = "W2", randn = [1, 3], scale = 0.1 }},
  {{ name = "b2", value = [[0.0]] }},
]
'''

POINTS = np.array([[0.5, 1.5], [2.0, -1.0], [-0.5, 0.25], [1.0, 1.0], [3.0, 0.5], [-2.0, 2.5]])
LABELS = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])


def written(folder: Path) -> None:
    """The same six points and labels in every format."""
    rows = "\n".join(f"{x},{y},{label:g}" for (x, y), label in zip(POINTS, LABELS))
    (folder / "points.csv").write_text("x1,x2,label\n" + rows + "\n")
    np.save(folder / "points.npy", POINTS)
    np.savez(folder / "points.npz", points=POINTS, labels=LABELS)
    with h5py.File(folder / "points.h5", "w") as file:
        file.create_dataset("train/points", data=POINTS)
        file.create_dataset("train/labels", data=LABELS)


FORMATS = {
    "csv": ('X = { file = "points.csv", header = 1, columns = [0, 1], transpose = true }\n'
            'Y = { file = "points.csv", header = 1, columns = [2], transpose = true }\n'),
    "npy": ('X = { file = "points.npy", transpose = true }\n'
            'Y = [[1, 0, 1, 1, 0, 1]]\n'),
    "npz": ('X = { file = "points.npz", key = "points", transpose = true }\n'
            'Y = { file = "points.npz", key = "labels", reshape = [1, -1] }\n'),
    "hdf5": ('X = { file = "points.h5", key = "train/points", transpose = true }\n'
             'Y = { file = "points.h5", key = "train/labels", reshape = [1, -1] }\n'),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_each_format_is_read_as_written_and_hashed(tmp_path, kind):
    written(tmp_path)
    path = tmp_path / f"{kind}.toml"
    total = '\n[[claims]]\nwhere = "the sum of the points"\nexpression = "sum(X)"\nprinted = "8.75"\n'
    path.write_text(HEAD.format(id=kind, steps=3) + "\n[data]\n" + FORMATS[kind] + total)
    example = spec.load(path)
    assert np.array_equal(example.array("X"), POINTS.T)
    assert np.array_equal(example.array("Y"), LABELS.reshape(1, -1))
    files = {origin.file for origin in example.data_origins.values()}
    for name, origin in example.data_origins.items():
        assert origin.sha256 == hashlib.sha256((tmp_path / origin.file).read_bytes()).hexdigest()
    frameworks = "numpy,torch" if kind == "csv" else "numpy"  # torch reads the same arrays
    done = repro("check", "--spec", path, "--out", tmp_path / "out", "--frameworks", frameworks)
    assert done.returncode == 0, done.stdout + done.stderr
    provenance = json.loads((tmp_path / "out" / kind / "summary.json").read_text())["provenance"]
    assert {origin["file"] for origin in provenance["data"].values()} == files
    assert files <= set(provenance["example"]["files"])  # in the definition's files' hash too


def test_scalings_are_computed_as_the_source_computes_them(tmp_path):
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    written(tmp_path)
    path = tmp_path / "scaled.toml"
    data = ('X = { file = "points.npy", rows = [0, 4], scale = "standardise", transpose = true }\n'
            'X_test = { file = "points.npy", rows = [4, 6], scale = "standardise", scale_by = "X", transpose = true }\n'
            'X_min_max = { file = "points.npy", scale = "min_max" }\n'
            'X_255 = { file = "points.npy", scale = 255 }\n'
            'Y = [[1, 0, 1, 1]]\n')
    path.write_text(HEAD.format(id="scaled", steps=1) + "\n[data]\n" + data)
    example = spec.load(path)
    scaler = StandardScaler().fit(POINTS[:4])
    np.testing.assert_allclose(example.array("X"), scaler.transform(POINTS[:4]).T, rtol=0, atol=1e-15)
    np.testing.assert_allclose(example.array("X_test"), scaler.transform(POINTS[4:]).T, rtol=0,
                               atol=1e-15)
    np.testing.assert_allclose(example.array("X_min_max"), MinMaxScaler().fit_transform(POINTS),
                               rtol=0, atol=1e-15)
    assert np.array_equal(example.array("X_255"), POINTS / 255)


MOONS = '''
[data]
X = { generator = "make_moons", args = { n_samples = 120, noise = 0.2, random_state = 3 }, part = "X", rows = [0, 90], transpose = true }
Y = { generator = "make_moons", args = { n_samples = 120, noise = 0.2, random_state = 3 }, part = "y", rows = [0, 90], reshape = [1, -1] }
X_test = { generator = "make_moons", args = { n_samples = 120, noise = 0.2, random_state = 3 }, part = "X", rows = [90, 120], transpose = true }
Y_test = { generator = "make_moons", args = { n_samples = 120, noise = 0.2, random_state = 3 }, part = "y", rows = [90, 120], reshape = [1, -1] }

[[claims]]
where = "test accuracy after training"
expression = "accuracy(test.A2, Y_test)"
step = 300
printed = "{printed}"
format = "%.2f"
'''


def test_a_generated_data_set_its_test_set_and_a_test_accuracy(tmp_path):
    """make_moons as sklearn makes it, split 90 / 30; the test accuracy is the trained
    network's forward pass on the held-out 30, computed here again from the trace."""
    from sklearn.datasets import make_moons

    path = tmp_path / "moons.toml"
    path.write_text(HEAD.format(id="moons", steps=300) + MOONS.replace("{printed}", "0.00"))
    example = spec.load(path)
    X, y = make_moons(n_samples=120, noise=0.2, random_state=3)
    assert np.array_equal(example.array("X_test"), X[90:].T)
    assert np.array_equal(example.array("Y"), y[:90].reshape(1, -1))
    result = harness.run_example(example, [])
    trace = result.traces["numpy"]
    W1, b1, W2, b2 = (trace.at(name, 299) for name in ("W1", "b1", "W2", "b2"))
    A2 = 1 / (1 + np.exp(-(W2 @ np.tanh(W1 @ X[90:].T + b1) + b2)))
    accuracy = np.mean((A2[0] > 0.5) == (y[90:] > 0.5))
    (claim,) = result.claims
    assert claim.exact == accuracy and 0.5 < accuracy < 1
    assert claim.verdict == claims.FAILED  # 0.00 printed
    path.write_text(HEAD.format(id="moons", steps=300) + MOONS.replace("{printed}", f"{accuracy:.2f}"))
    (claim,) = harness.run_example(spec.load(path), []).claims
    assert claim.verdict == claims.CONFIRMED


def test_a_seeded_draw_is_data_as_the_source_draws_it(tmp_path):
    """np.random.seed(1); X = np.random.randn(2, 6) drawn before the weights: use = 'data'."""
    path = tmp_path / "drawn.toml"
    text = HEAD.format(id="drawn", steps=2).replace(
        'params = [\n', 'params = [\n  { name = "X", randn = [2, 6], use = "data" },\n')
    path.write_text(text + "\n[data]\nY = [[1, 0, 1, 1, 0, 1]]\n")
    example = spec.load(path)
    state = np.random.RandomState(1)
    X = state.randn(2, 6)
    assert np.array_equal(example.array("X"), X)
    assert np.array_equal(example.initial_parameters()["W1"], state.randn(3, 2) * 0.1)


def test_generated_data_are_kept_and_read_back_as_scikit_learn_made_them(tmp_path, monkeypatch):
    """The first read makes the data and keeps them, keyed by the call and scikit-learn's
    version; the next reads them back, the same bytes, without making them again."""
    from sklearn.datasets import make_moons

    from reproductions import datasets

    monkeypatch.setenv("REPRO_CACHE", str(tmp_path / "cache"))
    source = datasets.DataSource(generator="make_moons", part="X",
                                 args={"n_samples": 30, "noise": 0.1, "random_state": 5})
    first = datasets.generated(source)
    (kept,) = (tmp_path / "cache" / "datasets").iterdir()
    stamp = kept.stat().st_mtime_ns
    monkeypatch.setattr(datasets, "made", lambda source: pytest.fail("made again"))
    again = datasets.generated(source)
    assert kept.stat().st_mtime_ns == stamp and not list(kept.parent.glob("*.tmp*"))
    assert np.array_equal(first, again) and np.array_equal(first, make_moons(30, noise=0.1, random_state=5)[0])
    kept.write_bytes(b"not an npz")  # a damaged file is made again
    monkeypatch.undo()
    monkeypatch.setenv("REPRO_CACHE", str(tmp_path / "cache"))
    assert np.array_equal(datasets.generated(source), first)
