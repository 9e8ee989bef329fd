"""The translation page and notes (reproductions/translate.py), ``repro translate``, and
the plots beside each report (difference.png, boundary.png)."""

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import frameworks
from reproductions import harness, plots, report, spec, translate
from reproductions.generic import tables
from conftest import repro

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = spec.catalogue()
DEFINITION = REPO / "tests" / "definitions" / "xor_2_3_1.toml"
MIRRORS = ("numpy", "torch", "tensorflow", "jax")
CLASSIFIERS = ["or_batch", "or_single_example", "xor_feature_cross", "xor_hidden_layer",
               "xor_training_loop", "logistic_nll", "sgd_neural_net"]


class Rows(HTMLParser):
    """The page's table: its header cells {framework: text} and its rows, (the row's
    section, {framework: the cell's code or ""})."""

    def __init__(self):
        super().__init__()
        self.rows, self.headers, self.cell, self.header, self.links = [], {}, None, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-section" in attrs:
            self.rows.append((attrs["data-section"], {}))
        elif tag == "td" and self.rows and "data-framework" in attrs:
            self.cell = attrs["data-framework"]
            self.rows[-1][1][self.cell] = ""
        elif tag == "th" and "data-framework" in attrs:
            self.header = attrs["data-framework"]
            self.headers[self.header] = ""
        elif tag == "a" and self.header:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        elif tag == "th":
            self.header = None

    def handle_data(self, data):
        if self.cell:
            self.rows[-1][1][self.cell] += data
        elif self.header:
            self.headers[self.header] += data


def parsed(page: bytes) -> Rows:
    rows = Rows()
    rows.feed(page.decode())
    return rows


def full_rows(rows: Rows, mirrors) -> float:
    """The share of the section rows that hold code from every one of ``mirrors``."""
    held = [all(cells.get(name, "").strip() for name in mirrors) for _, cells in rows.rows]
    return sum(held) / len(held)


@pytest.mark.parametrize("example_id", sorted(CATALOGUE))
def test_every_mirror_of_an_example_declares_the_same_sections(example_id):
    example = CATALOGUE[example_id]
    declared = {name: translate.sequence(translate.cells(path))
                for name, path in translate.implementation_files(example).items()}
    assert declared["numpy"], "no # %% section declared"
    assert all(sections == declared["numpy"] for sections in declared.values()), declared
    assert set(declared["numpy"]) <= set(translate.SECTIONS)


@pytest.mark.parametrize("example_id", sorted(CATALOGUE) + ["xor_2_3_1"])
def test_each_page_holds_every_mirror_in_its_rows_and_jax_beside_the_others(example_id, tmp_path):
    """The measure of the pages: in every example at least 95 % of the section rows hold
    code from every framework that has a mirror, and JAX has its column, its file's link
    and its caption as NumPy, PyTorch and TensorFlow do."""
    example = spec.load(DEFINITION) if example_id == "xor_2_3_1" else CATALOGUE[example_id]
    path = translate.write(example, tmp_path)
    rows = parsed(path.read_bytes())
    files = translate.implementation_files(example)
    mirrors = [name for name in files if not harness.runs_generic(example, name)] or list(files)
    assert full_rows(rows, mirrors) >= 0.95, [(s, list(c)) for s, c in rows.rows]
    assert list(rows.headers) == list(MIRRORS)
    for name, text in rows.headers.items():
        assert frameworks.TITLES[name] in text and files[name].name in text
    assert [(path.parent / link).resolve() for link in rows.links] == list(files.values())
    page = path.read_text()
    assert "<script" not in page and page.count("<style>") == 1 and "pre.hl .k" in page
    assert "{{" not in page and "{%" not in page


def test_the_page_zips_the_sections_of_xor_hidden_layer():
    rows = parsed(translate.page(CATALOGUE["xor_hidden_layer"])).rows
    assert [section for section, _ in rows] == ["module", "data", "forward", "cost", "backward",
                                                "record"]
    cells = dict(rows)
    assert "np.sum" in cells["cost"]["numpy"] and "MSELoss" in cells["cost"]["torch"] \
        and "MeanSquaredError" in cells["cost"]["tensorflow"] and "l2_loss" in cells["cost"]["jax"]
    assert "torch.autograd.grad" in cells["backward"]["torch"] \
        and "GradientTape" in cells["backward"]["tensorflow"] and "jax.grad" in cells["backward"]["jax"]
    assert all("def reproduce(ctx)" in cells["record"][n] for n in MIRRORS)
    assert "optimizer.step()" in cells["record"]["torch"] and "apply_gradients" in \
        cells["record"]["tensorflow"] and "optax.apply_updates" in cells["record"]["jax"]


def test_files_declaring_different_sections_are_merged_by_name(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import a\n# %% data\nx = 1\n# %% forward\ny = 2\n# %% record\nz = 3\n")
    b.write_text("import b\n# %% forward\ny = 2\n# %% autodiff\ng = 4\n# %% record\nz = 3\n")
    found = translate.rows({"numpy": a, "torch": b})
    assert [(row.section, {n: c and c.name for n, c in row.cells.items()}) for row in found] == [
        ("module", {"numpy": "module", "torch": "module"}),
        ("data", {"numpy": "data", "torch": None}),
        ("forward", {"numpy": "forward", "torch": "forward"}),
        ("backward", {"numpy": None, "torch": "autodiff"}),
        ("record", {"numpy": "record", "torch": "record"})]


def test_jupytext_opens_a_mirror_as_a_notebook(tmp_path):
    """The markers are jupytext's percent format: a mirror converts to a notebook whose
    code cells are its declared sections."""
    mirror = tmp_path / "torch_impl.py"
    shutil.copy(CATALOGUE["xor_hidden_layer"].folder / "torch_impl.py", mirror)
    done = subprocess.run([sys.executable, "-m", "jupytext", "--to", "notebook", str(mirror)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    notebook = json.loads(mirror.with_suffix(".ipynb").read_text())
    titles = [cell["source"][0] if isinstance(cell["source"], list) else cell["source"].split("\n")[0]
              for cell in notebook["cells"] if cell["cell_type"] == "code"]
    declared = translate.sequence(translate.cells(mirror))
    named = [t for t in titles if t.startswith("# %%") or t.strip()]
    assert len(notebook["cells"]) >= len(declared) + 1 and named


def test_the_readme_tables_are_written_from_the_declared_tables():
    readme = tables.README.read_text(encoding="utf-8")
    assert tables.written(readme) == readme, "run python -m reproductions.generic.tables"
    for name in tables.TABLES:
        assert f"<!-- table: {name} -->\n{tables.markdown(name)}\n" in readme
    from reproductions.generic.definition import Layer, Network
    import typing
    for field, table in (("cost", tables.COSTS), ("layout", tables.LAYOUTS),
                         ("optimizer", tables.OPTIMIZERS)):
        choices = {a for a in typing.get_args(Network.model_fields[field].annotation)
                   for a in (typing.get_args(a) or (a,)) if isinstance(a, str)}
        assert choices == set(table), field
    assert set(typing.get_args(Layer.model_fields["bias"].annotation)) == set(tables.BIASES)


def notes_of(example, topic, framework):
    return " ".join(n.text for n in translate.notes(example) if n.topic == topic
                    and n.framework == framework)


def test_the_notes_state_the_transposes_layout_declares():
    example = CATALOGUE["xor_hidden_layer"]
    for framework in ("torch", "tensorflow", "jax"):
        text = notes_of(example, "layout", framework)
        for name in example.layout[framework]:
            assert name in text, (framework, name)
    assert "parameters W1, W2" in notes_of(example, "layout", "tensorflow")
    assert "W1 (3, 2) as (2, 3) (transposed)" in notes_of(example, "layout", "jax")
    assert "nothing transposed" in notes_of(example, "layout", "numpy")
    assert "network.layout `columns`: Z = W @ A + b" in notes_of(example, "layout", None)
    for note in translate.notes(example):
        assert note.source  # each note says where it comes from


def test_the_notes_state_the_cost_the_update_and_the_biases():
    hours = CATALOGUE["hours_studied"]
    assert "`mse`: sum E^2 / N" in notes_of(hours, "cost", None)
    assert "`MSELoss()`" in notes_of(hours, "cost", "torch")
    assert "`# %% cost` section" in notes_of(hours, "cost", "torch")
    assert "`MeanSquaredError()`" in notes_of(hours, "cost", "tensorflow")
    assert "learning_rate = 0.04" in notes_of(hours, "update", None)
    assert "torch.optim.SGD" in notes_of(hours, "update", "torch")
    assert "optax.sgd" in notes_of(hours, "update", "jax")
    assert "`nn.Linear` bias (1,)" in notes_of(hours, "biases", "torch")
    car = CATALOGUE["car_price"]
    assert 'reduction="sum"' in notes_of(car, "cost", "torch")
    assert "the bias trick" in notes_of(car, "biases", "numpy")
    assert "l2 = " in notes_of(CATALOGUE["car_price_l2"], "cost", None)
    graph = CATALOGUE["computational_graph"]
    assert notes_of(graph, "cost", None) == "none: the example does not train"


def test_the_notes_of_a_definition_come_from_its_network():
    example = spec.load(DEFINITION)
    assert "`half_mean_squares`: sum E^2 / (2m)" in notes_of(example, "cost", None)
    assert notes_of(example, "cost", "torch") == "the generic engine: `0.5 * n * MSELoss()`"
    assert "network.layout `columns`: Z = W @ A + b" in notes_of(example, "layout", None)
    assert "parameters W1, W2" in notes_of(example, "layout", "tensorflow")
    assert "`Dense` bias (3,)" in notes_of(example, "biases", "tensorflow")


def test_the_notes_and_the_page_of_a_graph_definition(tmp_path):
    """A catalogue graph without its mirrors: the notes come from [graph] (its output, no
    update, nothing transposed), and the page zips the four graph modules' sections."""
    folder = tmp_path / "computational_graph"
    shutil.copytree(CATALOGUE["computational_graph"].folder, folder,
                    ignore=shutil.ignore_patterns("*_impl.py"))
    example = spec.load(folder)
    assert notes_of(example, "cost", None) == ("the graph's output `e`; gradients by each "
                                               "framework's autodiff, NumPy's written out")
    assert notes_of(example, "update", None) == "none: the graph is evaluated once"
    assert all("nothing transposed" in notes_of(example, "layout", name) for name in MIRRORS)
    files = translate.implementation_files(example)
    assert {tuple(translate.sequence(translate.cells(path))) for path in files.values()} == {
        ("record",)}
    rows = parsed(translate.write(example, tmp_path / "out").read_bytes())
    assert full_rows(rows, list(MIRRORS)) == 1
    descent = spec.load(REPO / "tests" / "definitions" / "calculus_warmups" / "descent_step.toml")
    assert "gradient descent on x, y at learning_rate = 0.01" in notes_of(descent, "update", None)


def test_repro_translate_prints_the_notes_and_writes_the_page(tmp_path):
    done = repro("translate", "xor_hidden_layer", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Weight layout and transposes" in done.stdout and "MSELoss" in done.stdout
    page = tmp_path / "xor_hidden_layer" / "translation.html"
    assert page.is_file() and page.read_bytes() == translate.page(CATALOGUE["xor_hidden_layer"],
                                                                  page.parent)
    assert not list(tmp_path.rglob(".*.*"))  # written atomically: no temporary file left
    for link in ("numpy_impl.py", "torch_impl.py", "tensorflow_impl.py", "jax_impl.py"):
        target = page.read_text().split(f'">{link}</a>')[0].rsplit('href="', 1)[1]
        assert (page.parent / target).resolve() == CATALOGUE["xor_hidden_layer"].folder / link


def test_repro_translate_a_definition_file(tmp_path):
    done = repro("translate", "--spec", str(DEFINITION), "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "half_mean_squares" in done.stdout
    assert (tmp_path / "xor_2_3_1" / "translation.html").is_file()


def test_repro_translate_a_bad_name_exits_2_with_one_line(tmp_path):
    done = repro("translate", "no_such_example", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == "repro: unknown example 'no_such_example' (see 'repro list')"
    assert not list(tmp_path.iterdir())


# --- the plots ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_xor():
    return harness.run_example(CATALOGUE["xor_hidden_layer"], list(MIRRORS), steps=30)


def test_difference_and_boundary_plots_are_written_and_byte_identical_twice(tmp_path, short_xor):
    first = report.write(short_xor, tmp_path / "a")
    second = report.write(short_xor, tmp_path / "b")
    for name in ("cost.png", "difference.png", "boundary.png"):
        data = (first / name).read_bytes()
        assert data[:4] == b"\x89PNG", name
        assert data == (second / name).read_bytes(), name
    assert not (first / "code.html").exists() and (first / "translation.html").is_file()
    assert "[translation.html](translation.html)" in (first / "report.md").read_text()


def test_no_boundary_without_a_two_input_classifier(tmp_path):
    result = harness.run_example(CATALOGUE["hours_studied"], ["numpy"], steps=3)
    folder = report.write(result, tmp_path)
    assert (folder / "cost.png").is_file() and not (folder / "boundary.png").exists()
    assert not (folder / "difference.png").exists()  # NumPy alone: nothing to differ from


def test_the_boundary_is_drawn_at_the_trained_parameters(short_xor):
    params = plots.trained_parameters(short_xor)
    numpy_trace = short_xor.traces["numpy"]
    assert np.array_equal(params["W1"], numpy_trace["W1"].values[-1])
    start = harness.run_example(CATALOGUE["car_price_no_bias"], ["numpy"])  # steps = 0
    assert all(np.array_equal(value, start.example.initial_parameters()[name])
               for name, value in plots.trained_parameters(start).items())


@pytest.mark.parametrize("example_id", CLASSIFIERS)
def test_each_two_input_classifier_predicts_on_a_grid(example_id):
    example = CATALOGUE[example_id]
    predict = harness.implementation(example, "numpy").predict
    points, _, axis, _ = plots.classifier_data(example)
    grid = np.array([[0.0, 0.0], [1.0, 0.5], [-1.0, 2.0]])
    output = np.asarray(predict(example, example.initial_parameters(),
                                grid.T if axis == 1 else grid))
    output = output.T if axis == 1 else output
    assert output.shape[0] == 3 and np.all((output >= 0) & (output <= 1))
    assert points.shape[1] == 2  # the data's first two inputs are what the plot draws


def test_the_generic_engine_predicts_for_two_input_classifiers_only():
    from reproductions.generic import numpy as engine

    xor = spec.load(DEFINITION)
    output = engine.predict(xor, xor.initial_parameters(), np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert output.shape == (1, 2)
    hours = CATALOGUE["hours_studied"]
    assert engine.predict(hours, hours.initial_parameters(), np.zeros((3, 1))) is None
