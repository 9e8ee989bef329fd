"""The translation page and notes (reproductions/translate.py), ``repro translate``, and
the plots beside each report (difference.png, boundary.png)."""

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from reproductions import harness, plots, report, spec, translate
from conftest import repro

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = spec.catalogue()
DEFINITION = REPO / "tests" / "definitions" / "xor_2_3_1.toml"
MIRRORS = ("numpy", "torch", "tensorflow")
CLASSIFIERS = ["or_batch", "or_single_example", "xor_feature_cross", "xor_hidden_layer",
               "xor_training_loop", "logistic_nll", "sgd_neural_net"]


class Rows(HTMLParser):
    """The page's table rows: (the row's section, {framework: (cell's section, its code)})."""

    def __init__(self):
        super().__init__()
        self.rows, self.headers, self.cell, self.header = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-section" in attrs:
            self.rows.append((attrs["data-section"], {}))
        elif tag == "td" and self.rows and "data-framework" in attrs:
            self.cell = attrs["data-framework"]
            self.rows[-1][1][self.cell] = [attrs.get("data-section"), "", 0]
        elif tag == "th" and "data-framework" in attrs:
            self.header = attrs["data-framework"]
            self.headers.append([self.header, ""])
        elif tag == "span" and self.cell and attrs.get("class", "").split()[0] not in (
                "l", "ln", "ws"):
            self.rows[-1][1][self.cell][2] += 1  # a Pygments token class: highlighted

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        elif tag == "th":
            self.header = None

    def handle_data(self, data):
        if self.cell:
            self.rows[-1][1][self.cell][1] += data
        elif self.header:
            self.headers[-1][1] += data


def parsed(page: bytes) -> Rows:
    rows = Rows()
    rows.feed(page.decode())
    return rows


def check_aligned(example) -> Rows:
    """Three highlighted columns; in every row each filled cell has the row's section."""
    page = translate.page(example)
    text = page.decode()
    assert "<script" not in text and "http" not in text.split("</style>")[0]  # no JS, no network
    assert text.count("<style>") == 1 and "pre.hl .k" in text  # one stylesheet, Pygments' classes
    rows = parsed(page)
    assert [name for name, _ in rows.headers][:3] == list(MIRRORS)
    for name, header in rows.headers[:3]:
        assert translate.implementation_files(example)[name].name in header
    for section, cells in rows.rows:
        assert section in translate.SECTIONS
        for framework, (cell_section, code, _) in cells.items():
            assert cell_section in (None, section), (section, framework, code[:80])
            assert (cell_section is None) == (code.strip() == ""), (section, framework)
    full = [(section, cells) for section, cells in rows.rows
            if all(cells[n][1].strip() for n in MIRRORS)]
    # the same step in one row for all three: cost, data, recording and the module at least
    assert {"module", "data", "cost", "recording"} <= {section for section, _ in full}
    for section, cells in full:
        assert all(cells[n][2] > 0 for n in MIRRORS), section  # highlighted in every column
    return rows


def test_the_page_aligns_xor_hidden_layer_by_section():
    rows = check_aligned(CATALOGUE["xor_hidden_layer"])
    cost_rows = [cells for section, cells in rows.rows if section == "cost"
                 and all(cells[n][1].strip() for n in MIRRORS)]
    # compute_cost, by name, in one row: NumPy's sum / (2m), torch's and Keras's losses
    shared = next(cells for cells in cost_rows if "def compute_cost" in cells["torch"][1])
    assert "np.sum" in shared["numpy"][1] and "MSELoss" in shared["torch"][1] \
        and "MeanSquaredError" in shared["tensorflow"][1]
    # autodiff against the hand-written backward pass: one row holds both
    backward = [cells for section, cells in rows.rows if section == "backward"
                and cells["numpy"][1].strip() and cells["torch"][1].strip()]
    assert any(".backward(" in cells["numpy"][1] and "cost.backward()" in cells["torch"][1]
               for cells in backward)
    # the training loop's first lines side by side
    assert any(all("for epoch in range(ctx.steps)" in cells[n][1] for n in MIRRORS)
               for _, cells in rows.rows)


def test_the_page_of_a_definition_shows_the_three_engine_modules_aligned():
    example = spec.load(DEFINITION)
    rows = check_aligned(example)
    assert [h for _, h in rows.headers[:3]] == ["NumPy" + "numpy.py", "PyTorch" + "torch.py",
                                                "TensorFlow" + "tensorflow.py"]
    # Net.forward by name in one row, in the forward section
    assert any(section == "forward" and all("def forward" in cells[n][1] for n in MIRRORS)
               for section, cells in rows.rows)


def test_a_definition_only_one_file_has_sits_in_its_own_row():
    rows = parsed(translate.page(CATALOGUE["xor_hidden_layer"]))
    alone = [cells for _, cells in rows.rows if "def cost_at" in cells["numpy"][1]]
    assert len(alone) == 1 and not alone[0]["torch"][1].strip() and not alone[0]["tensorflow"][1].strip()


def notes_of(example, topic, framework):
    return " ".join(n.text for n in translate.notes(example) if n.topic == topic
                    and n.framework == framework)


def test_the_notes_state_the_transposes_layout_declares():
    example = CATALOGUE["xor_hidden_layer"]
    for framework in ("torch", "tensorflow"):
        text = notes_of(example, "layout", framework)
        for name in example.layout[framework]:
            assert name in text, (framework, name)
    assert "parameters W1, W2" in notes_of(example, "layout", "tensorflow")
    assert "W1 (3, 2) as `self.layer1.kernel` (2, 3) (transposed)" in notes_of(example, "layout",
                                                                                "tensorflow")
    assert "b1 (3, 1) as `self.layer1.bias` (3,)" in notes_of(example, "biases", "torch")
    assert "nothing transposed" in notes_of(example, "layout", "numpy")
    for note in translate.notes(example):
        assert note.source  # each note says where it comes from


def test_the_notes_state_the_loss_reduction_and_the_update():
    hours = CATALOGUE["hours_studied"]
    assert "np.mean" in notes_of(hours, "cost", "numpy")
    assert "`MSELoss`" in notes_of(hours, "cost", "torch")
    assert "reduction `mean` (the default)" in notes_of(hours, "cost", "torch")
    assert "`MeanSquaredError`" in notes_of(hours, "cost", "tensorflow")
    assert "torch.optim.SGD" in notes_of(hours, "update", "torch")
    assert "learning_rate = 0.04" in notes_of(hours, "update", "torch")
    xor = CATALOGUE["xor_hidden_layer"]
    assert "times `0.5`" in notes_of(xor, "cost", "torch")
    assert "divided by `2 * m`" in notes_of(xor, "cost", "numpy")
    assert "a hand-written update" in notes_of(xor, "update", "numpy")
    car = CATALOGUE["car_price"]
    assert "reduction `sum`" in notes_of(car, "cost", "torch")
    assert "folded into W" in notes_of(car, "biases", "numpy")


def test_the_notes_of_a_definition_come_from_its_network():
    example = spec.load(DEFINITION)
    assert "`half_mean_squares`: sum E^2 / (2m)" in notes_of(example, "cost", None)
    assert "0.5 * n * torch.nn.MSELoss()" in notes_of(example, "cost", "torch")
    assert "network.layout `columns`: Z = W @ A + b" in notes_of(example, "layout", None)
    assert "parameters W1, W2" in notes_of(example, "layout", "tensorflow")
    assert "Dense bias (3,)" in notes_of(example, "biases", "tensorflow")


def test_repro_translate_prints_the_notes_and_writes_the_page(tmp_path):
    done = repro("translate", "xor_hidden_layer", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Weight layout and transposes" in done.stdout and "MSELoss" in done.stdout
    page = tmp_path / "xor_hidden_layer" / "translation.html"
    assert page.is_file() and page.read_bytes() == translate.page(CATALOGUE["xor_hidden_layer"],
                                                                  page.parent)
    assert not list(tmp_path.rglob(".*.*"))  # written atomically: no temporary file left
    for link in ("numpy_impl.py", "torch_impl.py", "tensorflow_impl.py"):
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
    hours = spec.load(DEFINITION.with_name("hours_studied.toml"))
    assert engine.predict(hours, hours.initial_parameters(), np.zeros((3, 1))) is None
