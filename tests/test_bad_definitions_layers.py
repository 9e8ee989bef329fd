"""Broken image networks and [init] draws: each is refused before anything runs, in one
line naming the field, what it should be and what it is; `repro check` exits 2 with that
line and writes nothing. Each case breaks the generic README's image network (section
"Image layers", run as shown by tests/test_generic_layers.py) in one place."""

import pytest

from reproductions import cli, spec
from reproductions.spec import DefinitionError
from test_generic_layers import readme_image_network

CNN = readme_image_network()
CONV = '{ type = "conv2d", filters = 2, kernel = 3, padding = 1, activation = "relu" }'
POOL = '{ type = "max_pool2d", window = 2 }'
FLATTEN = '{ type = "flatten" }'
W4 = '{ name = "W4", linear = [8, 2], part = "weight", shape = [8, 2], order = "columns" }'

# (what is wrong, text replaced, replacement, what the line must say)
BROKEN = [
    ("a kernel larger than its padded input", "kernel = 3, padding = 1",
     "kernel = 9, padding = 1",
     "network.layers.0.kernel: 9 x 9 is larger than its padded input 6 x 6 (input 4 x 4, "
     "padding 1, 1)"),
    ("an unknown layer type", '{ type = "max_pool2d"', '{ type = "max_pool3d"',
     "network.layers.1.type: expected one of 'conv2d', 'max_pool2d', 'avg_pool2d', 'flatten', "
     "'dense', found 'max_pool3d'"),
    ("a stride of 0", "kernel = 3, padding = 1", "kernel = 3, stride = 0, padding = 1",
     "network.layers.0.stride: expected a stride of 1 or more, or [height, width] of them, "
     "found 0"),
    ("'same' padding with an even kernel", "kernel = 3, padding = 1",
     'kernel = 2, padding = "same"',
     "network.layers.0.padding: 'same' is (f - 1) / 2 on each side, for stride 1 and an odd "
     "kernel; with kernel [2, 2]"),
    ("a flatten before the conv", f"  {CONV}", f"  {FLATTEN},\n  {CONV}",
     "network.layers.1: a conv2d takes images, (C, H, W) each; its input is rows of 16 features"),
    ("a dense layer on images", f"  {FLATTEN},", "",
     "network.layers.2: a dense layer takes rows of features; its input is images of shape "
     "(2, 2, 2): put a flatten before it"),
    ("an image network ending in a flatten", '  { units = 2, activation = "softmax" },', "",
     "network.layers.2: an image network with a cost ends with a dense layer, its output; "
     "found a flatten"),
    ("a key no conv has", "kernel = 3,", "kernel_size = 3,",
     "network.layers.0.kernel_size: not a key of this layer"),
    ("a pool padded by more than half its window", '"max_pool2d", window = 2',
     '"max_pool2d", window = 2, padding = 2',
     "network.layers.1.padding: at most half the window on each side (1 for a window of 2"),
    ("a conv in a network of rows", 'layout = "channels_first"', 'layout = "rows"',
     "network.layers.0: a conv2d takes images, and network.layout 'rows' holds rows of "
     "features: give layout 'channels_last' or 'channels_first' and input = one example's shape"),
    ("no input shape", "input = [1, 4, 4]", "",
     "network.input: missing (one example's shape, [C, H, W] in layout 'channels_first')"),
    ("an input shape of two sizes", "input = [1, 4, 4]", "input = [4, 4]",
     "network.input: expected one example's shape (C, H, W) of sizes 1 or more in layout "
     "'channels_first', found [4, 4]"),
    ("images of another shape than input", "input = [1, 4, 4]", "input = [1, 5, 5]",
     "data.X: expected shape (m, 1, 5, 5) in layout 'channels_first' (one example per row, "
     "network.input = [1, 5, 5]), found (2, 1, 4, 4)"),
    ("an L2 penalty on an image network", 'cost = "multiclass_nll_mean"',
     'cost = "multiclass_nll_mean"\nl2 = 0.1',
     "network.l2: not for an image network (the engines add it to dense networks only)"),
    ("a kernel drawn in the other layout", '{ name = "W1", conv2d = [1, 2, 3], part = "weight" }',
     '{ name = "W1", conv2d = [1, 2, 3], part = "weight", shape = [3, 3, 1, 2] }',
     "init.params.W1: expected shape (2, 1, 3, 3) in layout 'channels_first', found (3, 3, 1, 2)"),
    ("an unknown generator", 'generator = "torch"', 'generator = "jax"',
     "init: generator 'jax' is none of numpy_legacy, numpy_generator, python_random, torch"),
    ("a draw not of that generator", 'generator = "torch"', 'generator = "numpy_legacy"',
     "init: parameter 'W1': conv2d is not a method of generator 'numpy_legacy' (its methods: "
     "randn, rand, random, normal, uniform, randint, permutation; any generator: value, zeros, "
     "linspace)"),
    ("a layer's bias not drawn after its weight",
     '{ name = "b4", linear = [8, 2], part = "bias" },', "", "init: parameter 'W4': nn.Linear(8, 2) draws its bias right after its weight"),
    ("draws without a seed", "seed = 0\n", "",
     "init: start values ['W1', 'b1', 'W4', 'b4'] are drawn, so [init] needs a seed"),
    ("a draw kept as data", W4, W4.replace(" }", ', use = "data" }'),
     "init.params.W4: missing (the network's start values are W1, b1, W4, b4)"),
    ("a claim on a pool's Z", 'quantity = "A2"', 'quantity = "Z2"',
     "claims.quantity: 'Z2' (the pool's output, first image, first channel, top left) is not "
     "recorded; the engines record cost, W1, b1, W4, b4, grad.W1, grad.b1, grad.W4, grad.b4, "
     "Z1, A1, dZ1, A2, A3, Z4, A4, dZ4"),
    ("a claim outside an image", "index = [0, 0, 0, 0]", "index = [0, 2, 0, 0]",
     "claims.index: A2[0, 2, 0, 0] (the pool's output, first image, first channel, top left) "
     "is outside its shape (2, 2, 2, 2)"),
]


def broken(tmp_path, old, new):
    assert CNN.count(old) == 1, old
    path = tmp_path / "cnn.toml"
    path.write_text(CNN.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,says", [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_a_broken_image_network_is_one_line_naming_the_field(tmp_path, old, new, says):
    path = broken(tmp_path, old, new)
    with pytest.raises(DefinitionError) as caught:
        spec.load(path)
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"{path}: "), line
    assert says in line, line


@pytest.mark.parametrize("old,new,says", [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_repro_check_refuses_it_with_exit_2_and_writes_nothing(tmp_path, capsys, old, new, says):
    path, out = broken(tmp_path, old, new), tmp_path / "out"
    assert cli.main(["check", "--spec", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"repro: {path}: ") and says in err, err
    assert not out.exists()


def test_the_readme_shows_lines_these_cases_give():
    from test_generic_layers import README

    text = README.read_text(encoding="utf-8")
    shown = text[text.index("## Image layers"):]
    for case in ("a kernel larger than its padded input", "a flatten before the conv",
                 "a draw not of that generator"):
        (says,) = [c[3] for c in BROKEN if c[0] == case]
        assert f"cnn.toml: {says}" in shown, says
