"""Start values as the source draws them (reproductions/engines/draws.py).

Each generator and method against the library called directly; the draws of the
researched sources, written as [init] tables, bit for bit; every [init] of the
repository's definitions as spec draws it today; bad tables refused in one line;
and the draws no CPU feature changes, checked on a simulated CPU without FMA.
"""

import hashlib
import json
import re
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from reproductions import spec
from reproductions.engines.draws import cpu_dependent, draw_values, read_init

REPO = Path(__file__).resolve().parents[2]



@pytest.fixture(autouse=True)
def torch_as_a_source_starts():
    """torch's default dtype as a source's script has it, float32, whatever a framework
    setup run earlier in this process left (the harness sets float64 for float64 runs)."""
    if "torch" not in sys.modules:
        yield
        return
    import torch
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(default)


def table(text: str) -> dict:
    return tomllib.loads(text)["init"]


def drawn(init: dict) -> dict:
    """Every kept array (start values and data), by name."""
    values = draw_values(read_init(init))
    return {**values.start, **values.data}


def same_bits(found: np.ndarray, expected) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert found.dtype == np.float64, found.dtype
    assert found.shape == expected.shape, (found.shape, expected.shape)
    assert found.tobytes() == expected.tobytes(), (found, expected)


@pytest.fixture
def numpy_global():
    """NumPy's and Python's global generators, put back as they were."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(numpy_state)
    random.setstate(python_state)


# --- each generator and method against the library ---------------------------------------

def test_numpy_legacy_draws_as_the_global_functions_in_order(numpy_global):
    found = drawn(table("""
        [init]
        seed = 3
        params = [
          { name = "a", randn = [2, 3] },
          { name = "b", rand = [3] },
          { name = "c", random = [2, 2] },
          { name = "d", normal = [0.5, 2], shape = [4] },
          { name = "e", uniform = [-1, 1], shape = [2, 2] },
          { name = "f", randint = [0, 10], shape = [5] },
          { name = "g", permutation = 7 },
          { name = "h", randn = [] },
          { name = "i", randn = [3, 2], order = "columns" },
        ]"""))
    np.random.seed(3)
    expected = [np.random.randn(2, 3), np.random.rand(3), np.random.random((2, 2)),
                np.random.normal(0.5, 2, 4), np.random.uniform(-1, 1, (2, 2)),
                np.random.randint(0, 10, 5), np.random.permutation(7), np.random.randn(),
                np.random.randn(2, 3).T]
    for name, value in zip("abcdefghi", expected):
        same_bits(found[name], value)


def test_numpy_generator_draws_as_default_rng_in_order():
    found = drawn(table("""
        [init]
        generator = "numpy_generator"
        seed = 12345
        params = [
          { name = "a", standard_normal = [2, 3] },
          { name = "b", random = [4] },
          { name = "c", normal = [1, 0.1], shape = [3] },
          { name = "d", uniform = [-2, 2], shape = [2, 2] },
          { name = "e", integers = [0, 100], shape = [6] },
          { name = "f", permutation = 5 },
        ]"""))
    rng = np.random.default_rng(12345)
    expected = [rng.standard_normal((2, 3)), rng.random(4), rng.normal(1, 0.1, 3),
                rng.uniform(-2, 2, (2, 2)), rng.integers(0, 100, 6), rng.permutation(5)]
    for name, value in zip("abcdef", expected):
        same_bits(found[name], value)


def test_python_random_draws_one_call_a_number_and_keeps_gauss_second_value(numpy_global):
    """gauss makes numbers in pairs and keeps the second for the next call: the next
    entry's first gauss is that kept number, as in the source's next call."""
    found = drawn(table("""
        [init]
        generator = "python_random"
        seed = 1337
        params = [
          { name = "a", gauss = [0, 1], shape = [3] },
          { name = "b", gauss = [1, 2], shape = [1] },
          { name = "c", uniform = [-1, 1], shape = [2, 2] },
          { name = "d", random = [3] },
        ]"""))
    random.seed(1337)
    expected = [[random.gauss(0, 1) for _ in range(3)], [random.gauss(1, 2)],
                [[random.uniform(-1, 1) for _ in range(2)] for _ in range(2)],
                [random.random() for _ in range(3)]]
    for name, value in zip("abcd", expected):
        same_bits(found[name], value)


def test_a_seed_entry_seeds_again_and_drops_the_kept_gauss(numpy_global):
    found = drawn(table("""
        [init]
        generator = "python_random"
        seed = 5
        params = [{ name = "a", gauss = [0, 1], shape = [1] }, { seed = 5 },
                  { name = "b", gauss = [0, 1], shape = [1] }]"""))
    random.seed(5)
    first = random.gauss(0, 1)
    random.seed(5)
    assert random.gauss(0, 1) == first  # random.seed drops the kept value
    same_bits(found["a"], [first])
    same_bits(found["b"], [first])


def test_torch_draws_as_the_source_calls_torch_after_manual_seed():
    import torch
    before = torch.get_rng_state()
    found = drawn(table("""
        [init]
        generator = "torch"
        seed = 2
        params = [
          { name = "a", randn = [2, 3] },
          { name = "b", rand = [4] },
          { name = "c", normal = [0, 0.5], shape = [20] },
          { name = "d", uniform = [-2, 3], shape = [3] },
          { name = "e", randint = [0, 5], shape = [6] },
          { name = "f", randperm = 9 },
          { name = "g", xavier_normal = [2, 3] },
          { name = "h", xavier_uniform = [3, 4] },
          { name = "W1", linear = [3, 4], part = "weight" },
          { name = "b1", linear = [3, 4], part = "bias" },
          { name = "K", conv2d = [2, 3, 3], part = "weight" },
          { name = "k", conv2d = [2, 3, 3], part = "bias" },
          { name = "W2", linear = [5, 2], part = "weight", bias = false },
          { name = "K2", conv2d = [1, 2, 2, 3], part = "weight" },
          { name = "k2", conv2d = [1, 2, 2, 3], part = "bias", use = "none" },
          { name = "order", dataloader_shuffle = [3, 5], use = "data" },
        ]"""))
    assert torch.equal(torch.get_rng_state(), before)  # the global generator is as it was
    torch.manual_seed(2)
    a, b = torch.randn(2, 3), torch.rand(4)
    c, d = torch.empty(20).normal_(0, 0.5), torch.empty(3).uniform_(-2, 3)
    e, f = torch.randint(0, 5, (6,)), torch.randperm(9)
    g, h = torch.nn.init.xavier_normal_(torch.empty(2, 3)), torch.nn.init.xavier_uniform_(
        torch.empty(3, 4))
    layer, conv = torch.nn.Linear(3, 4), torch.nn.Conv2d(2, 3, 3)
    unbiased, conv2 = torch.nn.Linear(5, 2, bias=False), torch.nn.Conv2d(1, 2, (2, 3))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(5)), 1,
                                         shuffle=True)
    orders = [[int(batch[0]) for batch in loader] for _ in range(3)]
    expected = dict(a=a, b=b, c=c, d=d, e=e, f=f, g=g, h=h, W1=layer.weight, b1=layer.bias,
                    K=conv.weight, k=conv.bias, W2=unbiased.weight, K2=conv2.weight, order=orders)
    assert set(found) == set(expected)  # k2 drawn and kept nowhere
    for name, value in expected.items():
        same_bits(found[name], torch.as_tensor(value).detach().double().numpy())


def test_torch_float64_draws_in_float64():
    import torch
    found = drawn(table("""
        [init]
        generator = "torch"
        torch_dtype = "float64"
        seed = 0
        params = [{ name = "a", randn = [3] }, { name = "W", linear = [2, 2], part = "weight" },
                  { name = "b", linear = [2, 2], part = "bias" }]"""))
    torch.manual_seed(0)
    a, layer = torch.randn(3, dtype=torch.float64), torch.nn.Linear(2, 2, dtype=torch.float64)
    same_bits(found["a"], a.numpy())
    same_bits(found["W"], layer.weight.detach().numpy())
    same_bits(found["b"], layer.bias.detach().numpy())


def test_the_global_generators_are_left_alone(numpy_global):
    np.random.seed(9)
    random.seed(9)
    numpy_next, python_next = np.random.get_state()[1].copy(), random.getstate()
    for generator in ("numpy_legacy", "python_random", "numpy_generator"):
        method = "uniform = [0, 1], shape = [3]"
        drawn(table(f'[init]\ngenerator = "{generator}"\nseed = 1\nparams = '
                    f'[{{ name = "a", {method} }}]'))
    assert np.array_equal(np.random.get_state()[1], numpy_next)
    assert random.getstate() == python_next


def test_a_table_draws_the_same_bits_every_time():
    init = read_init(table("""
        [init]
        generator = "python_random"
        seed = 3
        [[init.params]]
        names = ["W", "b"]
        shapes = [[3, 4], [4]]
        uniform = [-1, 1]
        each = "column"
        """))
    first, again = draw_values(init), draw_values(init)
    for name in ("W", "b"):
        same_bits(again.start[name], first.start[name])


def test_a_table_is_drawn_once_a_process_and_each_caller_has_copies_of_its_own(monkeypatch):
    from reproductions.engines import draws

    init = read_init(table("""
        [init]
        seed = 11
        params = [{ name = "W", randn = [2, 3] }]
        """))
    made = []
    monkeypatch.setattr(draws, "_drawn", {})
    monkeypatch.setattr(draws, "drawn_once", lambda table: made.append(table) or
                        draws.Drawn({"W": np.arange(6.0).reshape(2, 3)}, {}))
    first = draw_values(init)
    first.start["W"][0, 0] = 99.0  # a caller's own copy
    again = draw_values(init)
    assert len(made) == 1
    assert again.start["W"][0, 0] == 0.0


# --- order, layout and scale --------------------------------------------------------------

def test_columns_fill_the_first_index_fastest():
    """A layer's (out, in) weight held (in, out); a draw of (3, 2) held as its transpose."""
    import torch
    found = drawn(table("""
        [init]
        generator = "torch"
        seed = 4
        params = [
          { name = "W", linear = [2, 3], part = "weight", shape = [2, 3], order = "columns" },
          { name = "b", linear = [2, 3], part = "bias", shape = [3, 1] },
        ]"""))
    torch.manual_seed(4)
    layer = torch.nn.Linear(2, 3)
    same_bits(found["W"], layer.weight.detach().double().numpy().T)
    same_bits(found["b"], layer.bias.detach().double().numpy().reshape(3, 1))


SPEC_FORMS = ["0.1", '"1/sqrt(3)"', '"sqrt(1/3)"', '"3**-0.5"', '"sqrt(2)"', '"1 / sqrt(2.0)"',
              '"2**-1"', "1"]


# How spec drew an [init] before it read engines/draws.py (randn or rand from
# np.random.seed, then the scale in one of four written forms), kept here as the record
# of the bits every earlier definition was committed with.
OLD_SCALES = {
    re.compile(r"1\s*/\s*sqrt\((\d+(?:\.\d*)?)\)"): lambda draw, n: draw / np.sqrt(n),
    re.compile(r"sqrt\((\d+(?:\.\d*)?)\)"): lambda draw, n: draw * np.sqrt(n),
    re.compile(r"sqrt\(1\s*/\s*(\d+(?:\.\d*)?)\)"): lambda draw, n: draw * np.sqrt(1 / n),
    re.compile(r"(\d+(?:\.\d*)?)\s*\*\*\s*(-?\d+(?:\.\d*)?)"): lambda draw, n, p: draw * n ** p,
}


def drawn_before(raw: dict) -> dict:
    state, values = np.random.RandomState(raw.get("seed")), {}
    for param in raw.get("params", []):
        if "value" in param:
            values[param["name"]] = np.array(param["value"], dtype=np.float64)
            continue
        draw = state.randn(*param["randn"]) if "randn" in param else state.rand(*param["rand"])
        scale = param.get("scale", 1.0)
        if isinstance(scale, str):
            (apply, numbers), = [(apply, [float(n) for n in match.groups()])
                                 for pattern, apply in OLD_SCALES.items()
                                 if (match := pattern.fullmatch(scale.strip()))]
            values[param["name"]] = apply(draw, *numbers)
        else:
            values[param["name"]] = scale * draw
    return values


@pytest.mark.parametrize("scale", SPEC_FORMS)
def test_the_scales_of_today_keep_their_bits(scale):
    """spec's draws before draws.py made these; the same entry draws the same bits."""
    text = f'[init]\nseed = 11\nparams = [{{ name = "W", randn = [40, 30], scale = {scale} }}]'
    raw = table(text)
    same_bits(drawn(raw)["W"], drawn_before(raw)["W"])
    same_bits(spec.Initialisation(**raw) and draw_values(spec.Initialisation(**raw)).start["W"],
              drawn_before(raw)["W"])


NEW_FORMS = [
    ('"sqrt(2/3)"', lambda r: r.randn(40, 30) * np.sqrt(2 / 3)),       # He: * np.sqrt(2 / n)
    ('"np.sqrt(2./3)"', lambda r: r.randn(40, 30) * np.sqrt(2. / 3)),
    ('"* 0.01"', lambda r: r.randn(40, 30) * 0.01),
    ('"/ sqrt(3)"', lambda r: r.randn(40, 30) / np.sqrt(3)),
    ('"* 2 / sqrt(3)"', lambda r: r.randn(40, 30) * 2 / np.sqrt(3)),
    ('"* (2 / sqrt(3))"', lambda r: r.randn(40, 30) * (2 / np.sqrt(3))),
    ('"* 2 - 1"', lambda r: r.randn(40, 30) * 2 - 1),
    ('"1/100"', lambda r: r.randn(40, 30) / 100),
    ('"sqrt(2./(3+2))"', lambda r: r.randn(40, 30) * np.sqrt(2. / (3 + 2))),
]


@pytest.mark.parametrize("scale, numpy_draw", NEW_FORMS, ids=[form for form, _ in NEW_FORMS])
def test_a_scale_is_computed_as_the_source_writes_it(scale, numpy_draw):
    raw = table(f'[init]\nseed = 11\n'
                f'params = [{{ name = "W", randn = [40, 30], scale = {scale} }}]')
    same_bits(drawn(raw)["W"], numpy_draw(np.random.RandomState(11)))


def test_dividing_by_a_root_is_not_multiplying_by_its_inverse():
    """Why the scale is computed as written: the two differ in some last bits."""
    divided = drawn(table('[init]\nseed = 11\nparams = [{ name = "W", randn = [40, 30], '
                          'scale = "/ sqrt(3)" }]'))["W"]
    multiplied = drawn(table('[init]\nseed = 11\nparams = [{ name = "W", randn = [40, 30], '
                             'scale = "* (1 / sqrt(3))" }]'))["W"]
    assert not np.array_equal(divided, multiplied)
    np.testing.assert_allclose(divided, multiplied, rtol=1e-15)


# --- the researched sources' draws --------------------------------------------------------

MICROGRAD = """
[init]  # micrograd demo.ipynb: random.seed(1337); MLP(2, [16, 16, 1])
generator = "python_random"
seed = 1337
params = [  # each neuron draws its weights in turn: a column of W in the (in, out) layout
  { name = "W1", uniform = [-1, 1], shape = [2, 16], order = "columns" },
  { name = "b1", zeros = [16] },
  { name = "W2", uniform = [-1, 1], shape = [16, 16], order = "columns" },
  { name = "b2", zeros = [16] },
  { name = "W3", uniform = [-1, 1], shape = [16, 1], order = "columns" },
  { name = "b3", zeros = [1] },
]
"""


def micrograd_start(sizes, bias_drawn: bool) -> list:
    """The start weights (and biases) drawn neuron by neuron, layer by layer, with
    random.uniform(-1, 1) as a micrograd MLP draws them: (W as (out, in), b)."""
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        weights, biases = [], []
        for _ in range(n_out):
            weights.append([random.uniform(-1, 1) for _ in range(n_in)])
            biases.append(random.uniform(-1, 1) if bias_drawn else 0.0)
        layers.append((np.array(weights), np.array(biases)))
    return layers


def test_micrograd_mlp_start_weights(numpy_global):
    found = drawn(table(MICROGRAD))
    random.seed(1337)
    for k, (weights, biases) in enumerate(micrograd_start([2, 16, 16, 1], False), 1):
        same_bits(found[f"W{k}"], weights.T)
        same_bits(found[f"b{k}"], biases)
    assert sum(value.size for value in found.values()) == 337  # "number of parameters 337"


def test_a_neuron_drawing_its_weights_then_its_bias(numpy_global):
    """The variant whose neurons draw a bias too: column k of W, then b[k], then column
    k + 1 of W."""
    found = drawn(table("""
        [init]
        generator = "python_random"
        seed = 42
        params = [
          { names = ["W1", "b1"], shapes = [[3, 4], [4]], uniform = [-1, 1], each = "column" },
          { names = ["W2", "b2"], shapes = [[4, 4], [4]], uniform = [-1, 1], each = "column" },
          { names = ["W3", "b3"], shapes = [[4, 1], [1]], uniform = [-1, 1], each = "column" },
        ]"""))
    random.seed(42)
    for k, (weights, biases) in enumerate(micrograd_start([3, 4, 4, 1], True), 1):
        same_bits(found[f"W{k}"], weights.T)
        same_bits(found[f"b{k}"], biases)


def test_rows_of_several_names_in_turn(numpy_global):
    """each = 'row' with NumPy: W[0], b[0], W[1], b[1], ..., one call a slice."""
    found = drawn(table("""
        [init]
        seed = 8
        params = [{ names = ["W", "b"], shapes = [[3, 2], [3, 1]], normal = [0, 1], each = "row" }]
        """))
    np.random.seed(8)
    rows = [(np.random.normal(0, 1, 2), np.random.normal(0, 1, 1)) for _ in range(3)]
    same_bits(found["W"], [w for w, _ in rows])
    same_bits(found["b"], [b for _, b in rows])


RASBT_CH12_LINREG = """
[init]  # ch12_part2: torch.manual_seed(1); (a) weight = torch.randn(1), 200 epochs of
        # DataLoader(batch_size=1, shuffle=True); (b) nn.Linear(1, 1), 200 epochs more
generator = "torch"
seed = 1
params = [
  { name = "weight_a", randn = [1], use = "data" },
  { name = "orders_a", dataloader_shuffle = [200, 10], use = "data" },
  { name = "W", linear = [1, 1], part = "weight" },
  { name = "b", linear = [1, 1], part = "bias" },
  { name = "orders_b", dataloader_shuffle = [200, 10], use = "data" },
]
"""


def test_rasbt_ch12_linear_regression_draws():
    import torch
    values = draw_values(read_init(table(RASBT_CH12_LINREG)))
    assert values.data["weight_a"].tolist() == [0.6613521575927734]
    assert values.start["W"].tolist() == [[-0.45058882236480713]]
    assert values.start["b"].tolist() == [-0.12512242794036865]
    assert values.data["orders_a"][0].tolist() == [4, 8, 1, 5, 0, 2, 3, 6, 9, 7]
    assert values.data["orders_b"][0].tolist() == [0, 2, 3, 9, 1, 6, 5, 8, 7, 4]
    torch.manual_seed(1)  # the source's calls, with its loader of batches of one
    torch.randn(1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(10)), 1,
                                         shuffle=True)
    orders = [[int(batch[0]) for batch in loader] for _ in range(200)]
    layer = torch.nn.Linear(1, 1)
    same_bits(values.data["orders_a"], orders)
    same_bits(values.start["W"], layer.weight.detach().double().numpy())


def test_rasbt_ch12_iris_model_start_values():
    import torch
    found = drawn(table("""
        [init]  # torch.manual_seed(1); DataLoader (draws nothing yet); Model(4, 16, 3)
        generator = "torch"
        seed = 1
        params = [
          { name = "W1", linear = [4, 16], part = "weight" },
          { name = "b1", linear = [4, 16], part = "bias" },
          { name = "W2", linear = [16, 3], part = "weight" },
          { name = "b2", linear = [16, 3], part = "bias" },
        ]"""))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Sigmoid(), torch.nn.Linear(16, 3))
    for name, value in zip(["W1", "b1", "W2", "b2"], model.parameters()):
        same_bits(found[name], value.detach().double().numpy())


def test_rasbt_ch13_xavier_normal():
    import torch
    found = drawn(table("""
        [init]
        generator = "torch"
        seed = 1
        params = [{ name = "w", xavier_normal = [2, 3] }]"""))
    torch.manual_seed(1)
    same_bits(found["w"], torch.nn.init.xavier_normal_(torch.empty(2, 3)).double().numpy())
    printed = [[0.4183, 0.1688, 0.0390], [0.3930, -0.2858, -0.1051]]  # cell 19
    assert np.round(found["w"], 4).tolist() == printed


DLAI_UPDATE_RULES = """
[init]  # testCases.py: np.random.seed(1), then W1, b1, W2, b2, dW1, db1, dW2, db2
seed = 1
params = [
  { name = "W1", randn = [2, 3] }, { name = "b1", randn = [2, 1] },
  { name = "W2", randn = [3, 3] }, { name = "b2", randn = [3, 1] },
  { name = "dW1", randn = [2, 3], use = "data" }, { name = "db1", randn = [2, 1], use = "data" },
  { name = "dW2", randn = [3, 3], use = "data" }, { name = "db2", randn = [3, 1], use = "data" },
]
"""


def test_deeplearning_ai_test_case_draws(numpy_global):
    values = draw_values(read_init(table(DLAI_UPDATE_RULES)))
    assert list(values.start) == ["W1", "b1", "W2", "b2"]
    assert list(values.data) == ["dW1", "db1", "dW2", "db2"]
    assert values.start["W1"][0, 0] == 1.6243453636632417
    np.random.seed(1)
    for name in ["W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2"]:
        shape = values.start.get(name, values.data.get(name)).shape
        same_bits({**values.start, **values.data}[name], np.random.randn(*shape))


def test_deeplearning_ai_mini_batch_test_seeds_again(numpy_global):
    """X and Y after seed 1, then random_mini_batches(seed=0)'s permutation."""
    found = drawn(table("""
        [init]
        seed = 1
        params = [
          { name = "X", randn = [12288, 148], use = "data" },
          { name = "Y_draw", randn = [1, 148], use = "data" },
          { seed = 0 },
          { name = "permutation", permutation = 148, use = "data" },
        ]"""))
    np.random.seed(1)
    X, Y = np.random.randn(12288, 148), np.random.randn(1, 148)
    np.random.seed(0)
    same_bits(found["X"], X)
    same_bits(found["Y_draw"], Y)
    same_bits(found["permutation"], np.random.permutation(148))


def test_deeplearning_ai_conv_and_planar_and_he_draws(numpy_global):
    conv = drawn(table("""
        [init]  # conv_forward test: A_prev, then W and b
        seed = 1
        params = [{ name = "A_prev", randn = [10, 4, 4, 3], use = "data" },
                  { name = "W", randn = [2, 2, 3, 8] }, { name = "b", randn = [1, 1, 1, 8] }]"""))
    np.random.seed(1)
    for name, shape in [("A_prev", (10, 4, 4, 3)), ("W", (2, 2, 3, 8)), ("b", (1, 1, 1, 8))]:
        same_bits(conv[name], np.random.randn(*shape))
    planar = drawn(table("""
        [init]  # initialize_parameters: np.random.seed(2), randn(n_h, n_x) * 0.01
        seed = 2
        params = [{ name = "W1", randn = [4, 2], scale = "* 0.01" },
                  { name = "b1", zeros = [4, 1] },
                  { name = "W2", randn = [1, 4], scale = "* 0.01" },
                  { name = "b2", zeros = [1, 1] }]
        """))
    np.random.seed(2)
    same_bits(planar["W1"], np.random.randn(4, 2) * 0.01)
    same_bits(planar["W2"], np.random.randn(1, 4) * 0.01)
    same_bits(planar["b1"], np.zeros((4, 1)))
    he = drawn(table("""
        [init]  # initialize_parameters_he([2, 10, 5, 1]): np.random.seed(3)
        seed = 3
        params = [{ name = "W1", randn = [10, 2], scale = "* np.sqrt(2 / 2)" },
                  { name = "W2", randn = [5, 10], scale = "sqrt(2 / 10)" },
                  { name = "W3", randn = [1, 5], scale = "* np.sqrt(2 / 5)" }]"""))
    np.random.seed(3)
    for k, (n_out, n_in) in enumerate([(10, 2), (5, 10), (1, 5)], 1):
        same_bits(he[f"W{k}"], np.random.randn(n_out, n_in) * np.sqrt(2 / n_in))


def test_cs231n_linspace_start_values():
    found = drawn(table("""
        [init]  # w = np.linspace(-0.4, 0.6, num=N*D).reshape(N, D), N, D = 4, 5
        params = [{ name = "w", linspace = [-0.4, 0.6], shape = [4, 5] },
                  { name = "v", linspace = [0.6, 0.9], shape = [4, 5], use = "data" }]"""))
    same_bits(found["w"], np.linspace(-0.4, 0.6, num=20).reshape(4, 5))
    same_bits(found["v"], np.linspace(0.6, 0.9, num=20).reshape(4, 5))


def test_the_examples_of_the_documentation_draw():
    text = (REPO / "reproductions" / "engines" / "DRAWS.md").read_text(encoding="utf-8")
    blocks = [block.split("```")[0] for block in text.split("```toml\n")[1:]]
    assert len(blocks) >= 8
    for block in blocks:
        values = draw_values(read_init(tomllib.loads(block)["init"]))
        assert values.start or values.data, block


# --- the repository's definitions keep their bits ----------------------------------------

def written_before(init: dict) -> bool:
    """An [init] spec could read before draws.py: a seed, value / randn / rand entries and
    scales of its four forms."""
    params = init.get("params", [])
    return set(init) <= {"seed", "params"} and all(
        set(param) <= {"name", "value", "randn", "rand", "scale"} and (
            not isinstance(param.get("scale"), str)
            or any(p.fullmatch(param["scale"].strip()) for p in OLD_SCALES))
        for param in params)


def init_tables() -> dict:
    tables = {}
    for path in sorted(REPO.glob("**/*.toml")):
        if ".venv" in path.parts:
            continue
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        if "init" in raw and written_before(raw["init"]):
            tables[str(path.relative_to(REPO))] = raw["init"]
    return tables


def test_every_definition_of_the_repository_draws_as_spec_did_before():
    tables = init_tables()
    assert "reproductions/examples/hours_studied/example.toml" in tables
    for where, raw in tables.items():
        expected = drawn_before(raw)
        found = draw_values(read_init(raw)).start
        assert list(found) == list(expected), where
        for name, value in expected.items():
            assert found[name].tobytes() == np.asarray(value, float).tobytes(), (where, name)


def test_hours_studied_and_xor_training_loop_start_values():
    examples = REPO / "reproductions" / "examples"
    hours = draw_values(read_init(tomllib.loads(
        (examples / "hours_studied" / "example.toml").read_text())["init"])).start
    assert hours["weights"].tolist() == [[0.017640523459676642]]  # printed 0.01764052
    same_bits(hours["weights"], 0.01 * np.random.RandomState(0).randn(1, 1))
    xor = draw_values(read_init(tomllib.loads(
        (examples / "xor_training_loop" / "example.toml").read_text())["init"])).start
    draws = np.random.RandomState(48)
    same_bits(xor["W1"], 0.7071067811865475 * draws.randn(3, 2))
    same_bits(xor["W2"], 0.5773502691896258 * draws.randn(1, 3))


# --- bad tables, one line each ------------------------------------------------------------

BAD = [
    ("an unknown generator", {"generator": "numpy", "seed": 1},
     "init: generator 'numpy' is none of numpy_legacy, numpy_generator, python_random, torch"),
    ("an unknown method", {"seed": 1, "params": [{"name": "W", "randm": [2, 2]}]},
     "init.params.0: parameter 'W': unknown key 'randm' (the keys are name, names, shapes, each, "
     "seed, value, zeros, randn, rand, random, standard_normal, xavier_normal, xavier_uniform, "
     "linspace, normal, uniform, gauss, randint, integers, permutation, randperm, linear, conv2d, "
     "dataloader_shuffle, part, bias, shape, order, scale, use)"),
    ("a method of another generator",
     {"generator": "python_random", "seed": 1, "params": [{"name": "W", "randn": [2]}]},
     "init: parameter 'W': randn is not a method of generator 'python_random' (its methods: "
     "random, uniform, gauss; any generator: value, zeros, linspace)"),
    ("a size of 0", {"seed": 1, "params": [{"name": "W", "randn": [2, 0]}]},
     "init.params.0: parameter 'W': randn sizes must be 1 or more, found [2, 0]"),
    ("a size that is not whole", {"seed": 1, "params": [{"name": "W", "rand": [2.5]}]},
     "init.params.0: parameter 'W': rand must be a list of sizes (whole numbers 1 or more), "
     "found [2.5]"),
    ("a range without a shape", {"seed": 1, "params": [{"name": "W", "uniform": [-1, 1]}]},
     "init.params.0: parameter 'W': uniform = [-1, 1] needs shape (the sizes it fills)"),
    ("a range of one number", {"seed": 1, "params": [{"name": "W", "normal": [0], "shape": [2]}]},
     "init.params.0: parameter 'W': normal must be two finite numbers [mean, standard "
     "deviation], found [0]"),
    ("a scale not understood",
     {"seed": 1, "params": [{"name": "W", "randn": [2], "scale": "1/sqrt(n_in)"}]},
     "init.params.0: parameter 'W': scale '1/sqrt(n_in)' is not understood ('n_in' is not a "
     "number): it is a number, an expression of numbers with + - * / ** and sqrt() such as "
     "1/sqrt(2) or sqrt(2/3), or one applied to the draw such as '* 0.01' or '/ sqrt(2)'"),
    ("a scale dividing by zero",
     {"seed": 1, "params": [{"name": "W", "randn": [2], "scale": "/ (2 - 2)"}]},
     "init.params.0: parameter 'W': scale '/ (2 - 2)' is not understood (it divides by zero): "
     "it is a number, an expression of numbers with + - * / ** and sqrt() such as 1/sqrt(2) or "
     "sqrt(2/3), or one applied to the draw such as '* 0.01' or '/ sqrt(2)'"),
    ("a draw without a seed", {"params": [{"name": "weights", "randn": [1, 1]}]},
     "init: start values ['weights'] are drawn, so [init] needs a seed: without one every "
     "framework would start elsewhere"),
    ("a numpy seed out of range", {"seed": 2 ** 32, "params": []},
     "init: seed 4294967296 is not a seed of numpy_legacy (np.random.seed(seed)): a whole number "
     "0 or more below 4294967296"),
    ("a torch layer's shape that does not fit",
     {"generator": "torch", "seed": 1, "params": [
         {"name": "W", "linear": [2, 16], "part": "weight", "shape": [3, 16]},
         {"name": "b", "linear": [2, 16], "part": "bias"}]},
     "init.params.0: parameter 'W': shape [3, 16] holds 48 numbers, but linear = [2, 16]'s "
     "weight has 32 (shape (16, 2))"),
    ("a torch layer without its bias",
     {"generator": "torch", "seed": 1,
      "params": [{"name": "W", "linear": [2, 16], "part": "weight"}]},
     "init: parameter 'W': nn.Linear(2, 16) draws its bias right after its weight: give it as the "
     "next entry (part = 'bias', use = 'none' to keep it nowhere), or bias = false for a layer "
     "built with bias=False"),
    ("a bias before its weight",
     {"generator": "torch", "seed": 1, "params": [
         {"name": "b", "linear": [2, 16], "part": "bias"},
         {"name": "W", "linear": [2, 16], "part": "weight", "bias": False}]},
     "init: parameter 'b': nn.Linear(2, 16)'s bias is drawn right after its weight: put this "
     "entry just after the weight's"),
    ("a layer without its part", {"generator": "torch", "seed": 1,
                                  "params": [{"name": "W", "linear": [2, 16]}]},
     "init.params.0: parameter 'W': linear = [2, 16] needs part = 'weight' or 'bias', found None"),
    ("two methods", {"seed": 1, "params": [{"name": "W", "randn": [2], "rand": [2]}]},
     "init.params.0: parameter 'W' needs exactly one of value or a method (zeros, randn, rand, "
     "random, standard_normal, xavier_normal, xavier_uniform, linspace, normal, uniform, gauss, "
     "randint, integers, permutation, randperm, linear, conv2d, dataloader_shuffle), found randn "
     "and rand"),
    ("a name filled twice", {"seed": 1, "params": [{"name": "W", "randn": [2]},
                                                   {"name": "W", "rand": [2]}]},
     "init: parameter 'W' is filled twice: each array is one entry (or one of an entry's names)"),
    ("an unknown order", {"seed": 1, "params": [{"name": "W", "randn": [2], "order": "diagonal"}]},
     "init.params.0: parameter 'W': order must be 'rows' or 'columns', found 'diagonal'"),
    ("slices of unequal counts",
     {"generator": "python_random", "seed": 1, "params": [
         {"names": ["W", "b"], "shapes": [[2, 3], [4]], "uniform": [-1, 1], "each": "column"}]},
     "init.params.0: parameter 'W, b': each column of every name is drawn in turn, so they need "
     "as many columns: shapes [[2, 3], [4]]"),
    ("a seed entry with more", {"seed": 1, "params": [{"seed": 2, "name": "W"}]},
     "init.params.0: a seed entry (the source seeding again) holds seed alone, found also name"),
    ("a torch dtype on numpy", {"seed": 1, "torch_dtype": "float64"},
     "init: torch_dtype is a key of generator 'torch', not of 'numpy_legacy'"),
]


@pytest.mark.parametrize("table_, message", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_a_bad_table_is_refused_in_one_line(table_, message):
    with pytest.raises(ValueError) as caught:
        read_init(table_)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


# --- which draws depend on the CPU --------------------------------------------------------

CPU_TABLES = {
    "micrograd": table(MICROGRAD),
    "linreg": table(RASBT_CH12_LINREG),
    "update_rules": table(DLAI_UPDATE_RULES),
    "uniforms": table("""
        [init]
        seed = 1
        params = [{ name = "u", uniform = [-0.37, 0.37], shape = [4000] },
                  { name = "i", randint = [0, 7], shape = [50] }]"""),
    "long_randn": table('[init]\nseed = 1\nparams = [{ name = "r", randn = [60000] }]'),
    "torch_layers": table("""
        [init]
        generator = "torch"
        seed = 1
        params = [
          { name = "W1", linear = [4, 16], part = "weight" },
          { name = "b1", linear = [4, 16], part = "bias" },
          { name = "W2", linear = [2, 16], part = "weight" },
          { name = "b2", linear = [2, 16], part = "bias" },
          { name = "order", randperm = 30 }, { name = "x", rand = [40] },
        ]"""),
}


def test_the_cpu_dependent_draws_are_named():
    assert cpu_dependent(read_init(CPU_TABLES["micrograd"])) == []
    assert cpu_dependent(read_init(CPU_TABLES["linreg"])) == ["weight_a"]  # Linear(1, 1): 1
    assert cpu_dependent(read_init(CPU_TABLES["update_rules"])) == [
        "W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2"]
    assert cpu_dependent(read_init(CPU_TABLES["torch_layers"])) == ["W2", "b2"]


DRAW_ALL = """
import hashlib, json, sys, torch
from reproductions.engines.draws import draw_values, read_init
tables = json.loads(sys.stdin.read())
print(torch.backends.cpu.get_cpu_capability())
hashes = {}
for key, raw in tables.items():
    drawn = draw_values(read_init(raw))
    hashes[key] = {name: hashlib.sha256(value.tobytes()).hexdigest()
                   for name, value in {**drawn.start, **drawn.data}.items()}
print(json.dumps(hashes))
"""


def cpu_has(*flags) -> bool:
    try:
        words = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return all(flag in words for flag in flags)


def test_draws_no_cpu_feature_changes_are_the_same_without_fma_and_avx2():
    """On a CPU without FMA and AVX2 (simulated: glibc's plain libm variants, torch's
    DEFAULT kernels), every draw cpu_dependent does not name keeps its bits."""
    env = dict(os.environ, PYTHONPATH=str(REPO), ATEN_CPU_CAPABILITY="default",
               GLIBC_TUNABLES="glibc.cpu.hwcaps=-AVX2,-FMA")
    done = subprocess.run([sys.executable, "-c", DRAW_ALL], input=json.dumps(CPU_TABLES),
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    capability, hashes = done.stdout.splitlines()
    assert capability == "DEFAULT"
    elsewhere = json.loads(hashes)
    differing = set()
    for key, raw in CPU_TABLES.items():
        init = read_init(raw)
        values = draw_values(init)
        dependent = set(cpu_dependent(init))
        for name, value in {**values.start, **values.data}.items():
            same = hashlib.sha256(value.tobytes()).hexdigest() == elsewhere[key][name]
            assert same or name in dependent, (key, name)
            differing |= set() if same else {name}
    # where this process is not itself held to the simulated CPU, that CPU is another:
    # glibc's libm (r, NumPy's randn) and torch's kernels (W2, a Linear's init) then differ
    if cpu_has("fma", "avx2"):
        assert "r" in differing, differing
        import torch

        if torch.backends.cpu.get_cpu_capability() != "DEFAULT":
            assert "W2" in differing, differing
