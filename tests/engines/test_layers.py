"""Convolution, pooling and flatten layers (reproductions/engines/layers.py, and layers.py
in engines/numpy, torch, tensorflow and jax):

- every framework's forward values and gradients (with respect to the input, the kernel
  and the bias, given an upstream gradient) agree with the NumPy reference under the
  parity policy, |other - numpy| <= 128 eps * size, in float64 and float32: conv2d with
  strides 1 and 2, padding 0, 1, 2 and 'same', several channels and filters, both
  activation layouts, both kernel layouts and every bias form; max and average pooling;
  flatten in both orders;
- a max-pool window whose largest value occurs twice routes its gradient by convention:
  the tied elements are a finding, the rest is compared;
- the NumPy reference reproduces what the sources print, at the precision they print it:
  deeplearning.ai's "Convolution model - Step by Step" and CS231n's naive conv and pool;
- a wrong derivative in a NumPy backward is caught, and named;
- a layer entry that cannot be is refused in one line naming the field;
- the network LAYERS.md annotates has the shapes it states.

Each framework is set up once per dtype (a module-scoped fixture, so pytest runs every
float64 test before the float32 ones: JAX's x64 is a global switch its adapter flips).
"""

import functools
import importlib
import re
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest

from frameworks import require
from reproductions.engines import layers
from reproductions.engines.layers import LayerError, infer_shapes, parse_layers
from reproductions.engines.numpy import layers as reference
from reproductions.parity import POLICY

FRAMEWORKS = ("torch", "tensorflow", "jax")
REPO = Path(__file__).resolve().parents[2]
NUMPY_LAYERS = REPO / "reproductions" / "engines" / "numpy" / "layers.py"
LAYERS_MD = REPO / "reproductions" / "engines" / "LAYERS.md"


@pytest.fixture(scope="module", params=["float64", "float32"])
def dtype(request):
    for name in FRAMEWORKS:
        require(name).setup(request.param)
    return request.param


@functools.cache
def engine(name):
    return importlib.import_module(f"reproductions.engines.{name}.layers")


def run(framework, dtype, function, *arrays, layer):
    """``function`` of a framework's layers module on ``arrays`` (NumPy, None for no bias),
    its results back as float64 NumPy arrays (exact from float32), a tuple."""
    adapter = require(framework)
    held = framework_dtype(framework, dtype)
    given = [None if a is None else adapter.from_numpy(a, held) for a in arrays]
    results = getattr(engine(framework), function)(*given, layer=layer)
    results = results if isinstance(results, tuple) else (results,)
    return tuple(None if r is None else adapter.to_numpy(r) for r in results)


@functools.cache
def framework_dtype(framework, dtype):
    """The framework's dtype object (its adapter's setup, once; the fixture switches dtypes)."""
    return require(framework).setup(dtype)


def beyond_tolerance(expected: dict, found: dict, dtype: str) -> dict:
    """The quantities of ``found`` that differ from ``expected`` by more than the policy
    allows (128 eps of the quantity's largest |value|; where that is 0, only 0 agrees),
    each with the share of the bound it used; and shapes that differ."""
    rtol, failing = POLICY[dtype].rtol, {}
    for name, ref in expected.items():
        other = found[name]
        if (ref is None) != (other is None):
            failing[name] = "missing on one side"
            continue
        if ref is None:
            continue
        if other.shape != ref.shape:
            failing[name] = f"shape {other.shape}, expected {ref.shape}"
            continue
        bound = rtol * float(np.max(np.abs(ref), initial=0.0))
        difference = float(np.max(np.abs(np.asarray(other, np.float64) - ref), initial=0.0))
        if difference > bound:
            failing[name] = difference / bound if bound else np.inf
    return failing


def drawn(rng, shape, dtype):
    return rng.normal(size=shape).astype(dtype)


def images(layer, N, H, W, C):
    """The shape of N images (H, W, C) in the layer's layout."""
    return (N, H, W, C) if layer.layout == "channels_last" else (N, C, H, W)


# --- conv2d ----------------------------------------------------------------------------

CONV_CASES = {  # id: (entry, (N, H, W, C_in), bias shape or None)
    "nhwc-hwio-k3-s1-p0": (dict(filters=3, kernel=3), (2, 5, 5, 2), (3,)),
    "nhwc-hwio-k3-s2-p1": (dict(filters=4, kernel=3, stride=2, padding=1), (2, 7, 6, 3), (4,)),
    "nchw-oihw-k2x3-s1-p2": (dict(filters=2, kernel=[2, 3], padding=2, layout="channels_first"),
                             (2, 4, 5, 3), (2,)),
    "nchw-oihw-k4-s2-p1": (dict(filters=3, kernel=4, stride=2, padding=1, layout="channels_first"),
                           (2, 4, 4, 3), (3,)),
    "nhwc-oihw-k3-s2-p2": (dict(filters=3, kernel=3, stride=2, padding=2, kernel_layout="oihw"),
                           (2, 5, 5, 2), (3,)),
    "nchw-hwio-k3-same": (dict(filters=2, kernel=3, padding="same", layout="channels_first",
                               kernel_layout="hwio"), (2, 4, 4, 2), (2,)),
    "nhwc-k3x2-s2x1-p1x0": (dict(filters=3, kernel=[3, 2], stride=[2, 1], padding=[1, 0]),
                            (2, 6, 5, 2), (1, 1, 1, 3)),
    "per-product-exact": (dict(filters=4, kernel=2, padding=2, bias_counted="per_product"),
                          (2, 4, 4, 3), (1, 1, 1, 4)),
    "per-product-as-if-once": (dict(filters=4, kernel=2, stride=2, padding=1,
                                    bias_counted="per_product", bias_gradient="as_if_once"),
                               (2, 4, 4, 3), (1, 1, 1, 4)),
    "no-bias": (dict(filters=2, kernel=3, padding=1, bias="none", layout="channels_first"),
                (2, 5, 4, 2), None),
}


def conv_case(case, dtype, seed):
    """The layer, and X, W, b and an upstream dZ drawn for it in ``dtype``."""
    entry, (N, H, W, C), bias_shape = CONV_CASES[case]
    layer, = parse_layers([dict(entry, type="conv2d")], entry.get("layout", "channels_last"))
    shapes, = infer_shapes(images(layer, 1, H, W, C)[1:], [layer])
    rng = np.random.default_rng(seed)
    X = drawn(rng, images(layer, N, H, W, C), dtype)
    Wk = drawn(rng, shapes.parameters["W"], dtype)
    b = None if bias_shape is None else drawn(rng, bias_shape, dtype)
    dZ = drawn(rng, (N, *shapes.output), dtype)
    return layer, X, Wk, b, dZ


def conv_results(results):
    return dict(zip(("Z", "dX", "dW", "db"), results))


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_agrees_with_numpy(dtype, case):
    layer, X, W, b, dZ = conv_case(case, dtype, seed=list(CONV_CASES).index(case))
    Z = reference.conv2d_forward(X, W, b, layer)
    expected = conv_results((Z, *reference.conv2d_backward(X, W, b, dZ, layer)))
    assert Z.shape == dZ.shape and Z.dtype == np.dtype(dtype)
    for framework in FRAMEWORKS:
        found = conv_results(run(framework, dtype, "conv2d_forward", X, W, b, layer=layer)
                             + run(framework, dtype, "conv2d_backward", X, W, b, dZ, layer=layer))
        assert beyond_tolerance(expected, found, dtype) == {}, framework


def test_the_bias_forms_differ_as_documented():
    """per_product adds fh * fw * C_in * b; its exact db is that many times as_if_once's."""
    layer, X, W, b, dZ = conv_case("per-product-exact", "float64", seed=0)
    once = layer.model_copy(update={"bias_counted": "once"})
    as_if_once = layer.model_copy(update={"bias_gradient": "as_if_once"})
    count = 2 * 2 * 3
    extra = reference.conv2d_forward(X, W, b, layer) - reference.conv2d_forward(X, W, b, once)
    np.testing.assert_allclose(extra, np.broadcast_to((count - 1) * b.reshape(-1), extra.shape),
                               rtol=0, atol=1e-12)
    exact_db = reference.conv2d_backward(X, W, b, dZ, layer)[2]
    once_db = reference.conv2d_backward(X, W, b, dZ, as_if_once)[2]
    np.testing.assert_allclose(exact_db, count * once_db, rtol=1e-15)
    np.testing.assert_allclose(once_db.reshape(-1), dZ.sum(axis=(0, 1, 2)), rtol=1e-12)


# --- pooling and flatten ---------------------------------------------------------------

POOL_CASES = {  # id: (entry without its type, (N, H, W, C))
    "nhwc-w2-s2": (dict(window=2), (2, 4, 6, 3)),
    "nchw-w3-s1": (dict(window=3, stride=1, layout="channels_first"), (2, 5, 5, 2)),
    "nhwc-w2x3-s1x2-p1": (dict(window=[2, 3], stride=[1, 2], padding=1), (2, 5, 7, 2)),
    "nchw-w2-s2-p1-odd": (dict(window=2, padding=1, layout="channels_first"), (2, 5, 5, 3)),
}


@pytest.mark.parametrize("kind", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_agrees_with_numpy(dtype, case, kind):
    entry, (N, H, W, C) = POOL_CASES[case]
    layer, = parse_layers([dict(entry, type=kind)], entry.get("layout", "channels_last"))
    rng = np.random.default_rng(list(POOL_CASES).index(case))
    X = drawn(rng, images(layer, N, H, W, C), dtype)
    A = getattr(reference, f"{kind}_forward")(X, layer)
    dA = drawn(rng, A.shape, dtype)
    expected = {"A": A, "dX": getattr(reference, f"{kind}_backward")(X, dA, layer)}
    assert not layers.tied_maxima(X, layer).any()  # drawn numbers: every maximum is one
    for framework in FRAMEWORKS:
        found = {"A": run(framework, dtype, f"{kind}_forward", X, layer=layer)[0],
                 "dX": run(framework, dtype, f"{kind}_backward", X, dA, layer=layer)[0]}
        assert beyond_tolerance(expected, found, dtype) == {}, framework


@pytest.mark.parametrize("layout", layers.LAYOUTS)
@pytest.mark.parametrize("order", layers.LAYOUTS)
def test_flatten_agrees_with_numpy(dtype, layout, order):
    layer, = parse_layers([dict(type="flatten", order=order)], layout)
    rng = np.random.default_rng(7)
    X = drawn(rng, images(layer, 2, 3, 4, 5), dtype)
    A = reference.flatten_forward(X, layer)
    H, W, C = 3, 4, 5
    element = (1, 1, 2, 3) if layout == "channels_last" else (1, 3, 1, 2)  # h 1, w 2, c 3
    feature = (1 * W + 2) * C + 3 if order == "channels_last" else (3 * H + 1) * W + 2
    assert A.shape == (2, 60) and A[1, feature] == X[element]
    dA = drawn(rng, A.shape, dtype)
    expected = {"A": A, "dX": reference.flatten_backward(X, dA, layer)}
    assert expected["dX"][element] == dA[1, feature]
    for framework in FRAMEWORKS:
        found = {"A": run(framework, dtype, "flatten_forward", X, layer=layer)[0],
                 "dX": run(framework, dtype, "flatten_backward", X, dA, layer=layer)[0]}
        assert beyond_tolerance(expected, found, dtype) == {}, framework


# --- max-pool ties ---------------------------------------------------------------------

def test_a_tie_in_a_max_pool_is_a_finding(dtype):
    """Small integers tie within windows. Every framework's dX splits at the ties into a
    compared part, which agrees with NumPy, and a finding; where each puts a tied window's
    gradient is its own convention, but the first and the split both hand it out once,
    and deeplearning.ai's 'every' hands it to each tied element in full."""
    layer, = parse_layers([dict(type="max_pool2d", window=2)], "channels_first")
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(2, 3, 4, 6)).astype(dtype)
    tied = layers.tied_maxima(X, layer)
    assert tied.sum() > 10
    dA = drawn(rng, reference.max_pool2d_forward(X, layer).shape, dtype)

    def window_sums(dX):  # each 2 x 2 window's gradient, summed
        return dX.reshape(2, 3, 2, 2, 3, 2).sum(axis=(3, 5))

    every = layer.model_copy(update={"ties": "every"})
    handed_out = window_sums(reference.max_pool2d_backward(X, dA, every))
    winners = window_sums(tied.astype(int)) + (window_sums(tied.astype(int)) == 0)
    np.testing.assert_allclose(handed_out, winners * dA, rtol=1e-6)

    compared, finding = layers.split_at_ties(reference.max_pool2d_backward(X, dA, layer), tied)
    np.testing.assert_allclose(window_sums(reference.max_pool2d_backward(X, dA, layer)), dA,
                               rtol=1e-6)
    assert finding.shape == X.shape and np.array_equal(np.isnan(finding), ~tied)
    for framework in FRAMEWORKS:
        dX, = run(framework, dtype, "max_pool2d_backward", X, dA, layer=layer)
        their_compared, their_finding = layers.split_at_ties(dX, tied)
        assert beyond_tolerance({"dX": compared}, {"dX": their_compared}, dtype) == {}, framework
        assert np.array_equal(np.isnan(their_finding), ~tied), framework
        np.testing.assert_allclose(window_sums(dX), dA, rtol=1e-6, err_msg=framework)


def test_ties_are_found_through_padding_and_overlap():
    layer, = parse_layers([dict(type="max_pool2d", window=3, stride=1, padding=1)])
    X = np.array([[1.0, 5.0, 0.0], [0.0, 2.0, 5.0], [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    tied = layers.tied_maxima(X, layer)[0, :, :, 0]
    # the two 5s tie in the four windows that hold both; every other window, -inf padding
    # included, has one largest value
    assert tied.tolist() == [[False, True, False], [False, False, True], [False, False, False]]


# --- what the sources print ------------------------------------------------------------

def numpy_113(array) -> str:
    """An array as NumPy before 1.14 printed it: 8 decimals, the old spacing."""
    return " ".join(np.array2string(np.asarray(array), precision=8, legacy="1.13").split())


def g12(value) -> str:
    """A float64 as NumPy before 1.14 printed it: 12 significant digits."""
    return "%.12g" % value


DLAI_V1 = {  # Kulbear/deep-learning-coursera @ 997fdb2e2db67acd45d29ae418212463a54be06d,
    # "Convolutional Neural Networks/Convolution model - Step by Step - v1.ipynb", the
    # executed outputs of code cells 7 to 38 (the same strings as its Expected Output tables)
    "x.shape": "(4, 3, 3, 2)",
    "x_pad.shape": "(4, 7, 7, 2)",
    "x[1,1]": "[[ 0.90085595 -0.68372786] [-0.12289023 -0.93576943] [-0.26788808 0.53035547]]",
    "x_pad[1,1]": "[[ 0. 0.] [ 0. 0.] [ 0. 0.] [ 0. 0.] [ 0. 0.] [ 0. 0.] [ 0. 0.]]",
    "Z": "-23.1602122025",
    "Z's mean": "0.155859324889",
    "cache_conv[0][1][2][3]": "[-0.20075807 0.18656139 0.41005165]",
    "A (max)": "[[[[ 1.74481176 1.6924546 2.10025514]]] [[[ 1.19891788 1.51981682 2.18557541]]]]",
    "A (average)": "[[[[-0.09498456 0.11180064 -0.14263511]]] [[[-0.09525108 0.28325018 0.33035185]]]]",
    "dA_mean": "9.60899067587",
    "dW_mean": "10.5817412755",
    "db_mean": "76.3710691956",
    "x (mask test)": "[[ 1.62434536 -0.61175641 -0.52817175] [-1.07296862 0.86540763 -2.3015387 ]]",
    "mask": "[[ True False False] [False False False]]",
    "distributed value": "[[ 0.5 0.5] [ 0.5 0.5]]",
    "mean of dA": "0.145713902729",
    "dA_prev[1,1] (max)": "[[ 0. 0. ] [ 5.05844394 -1.68282702] [ 0. 0. ]]",
    "dA_prev[1,1] (average)": "[[ 0.08485462 0.2787552 ] [ 1.26461098 -0.25749373] [ 1.17975636 -0.53624893]]",
}


def test_the_numpy_reference_prints_what_deeplearning_ai_v1_prints():
    """Each test of the notebook re-seeds np.random.seed(1) and draws with randn. Its
    conv_single_step adds b to each of the window's products (bias_counted
    'per_product'), and its conv_backward returns the sum of dZ as db ('as_if_once')."""
    conv = lambda **keys: parse_layers([dict(type="conv2d", bias_counted="per_product",
                                             bias_gradient="as_if_once", **keys)])[0]
    found = {}
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = reference.pad_input(x, (2, 2))
    found.update({"x.shape": str(x.shape), "x_pad.shape": str(x_pad.shape),
                  "x[1,1]": numpy_113(x[1, 1]), "x_pad[1,1]": numpy_113(x_pad[1, 1])})

    np.random.seed(1)
    a, W, b = np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1)
    one_window = conv(filters=1, kernel=4)  # conv_single_step: one window, one filter
    found["Z"] = g12(reference.conv2d_forward(a[None], W[..., None], b, one_window).item())

    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    layer = conv(filters=8, kernel=2, padding=2)
    Z = reference.conv2d_forward(A_prev, W, b, layer)
    found.update({"Z's mean": g12(np.mean(Z)), "cache_conv[0][1][2][3]": numpy_113(A_prev[1, 2, 3])})
    dA, dW, db = reference.conv2d_backward(A_prev, W, b, Z, layer)  # dZ = Z, as the notebook
    found.update({"dA_mean": g12(np.mean(dA)), "dW_mean": g12(np.mean(dW)), "db_mean": g12(np.mean(db))})

    np.random.seed(1)
    A_prev = np.random.randn(2, 4, 4, 3)
    pool = lambda kind, **keys: parse_layers([dict(type=kind, **keys)])[0]
    found["A (max)"] = numpy_113(reference.max_pool2d_forward(A_prev, pool("max_pool2d", window=4, stride=1)))
    found["A (average)"] = numpy_113(reference.avg_pool2d_forward(A_prev, pool("avg_pool2d", window=4, stride=1)))

    np.random.seed(1)
    x = np.random.randn(2, 3)  # create_mask_from_window: the gradient 1 of the window's max
    mask = reference.max_pool2d_backward(x.reshape(1, 2, 3, 1), np.ones((1, 1, 1, 1)),
                                         pool("max_pool2d", window=[2, 3], ties="every"))
    found.update({"x (mask test)": numpy_113(x), "mask": numpy_113(mask.reshape(2, 3) == 1)})
    spread = reference.avg_pool2d_backward(np.zeros((1, 2, 2, 1)), np.full((1, 1, 1, 1), 2.0),
                                           pool("avg_pool2d", window=2))  # distribute_value(2, (2, 2))
    found["distributed value"] = numpy_113(spread.reshape(2, 2))

    np.random.seed(1)
    A_prev, dA = np.random.randn(5, 5, 3, 2), np.random.randn(5, 4, 2, 2)
    found["mean of dA"] = g12(np.mean(dA))
    found["dA_prev[1,1] (max)"] = numpy_113(reference.max_pool2d_backward(
        A_prev, dA, pool("max_pool2d", window=2, stride=1, ties="every"))[1, 1])
    found["dA_prev[1,1] (average)"] = numpy_113(reference.avg_pool2d_backward(
        A_prev, dA, pool("avg_pool2d", window=2, stride=1))[1, 1])
    assert found == {key: " ".join(printed.split()) for key, printed in DLAI_V1.items()}


def test_deeplearning_ai_v1_with_a_bias_added_once_prints_other_numbers():
    """The textbook form (b added once) does not give v1's printed numbers; the notebook's
    later revision, which adds b once and strides by 2, prints Z's mean = 0.0489952035289,
    Z[3,2,1] and the backward's means below, from the same draws."""
    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    once, = parse_layers([dict(type="conv2d", filters=8, kernel=2, padding=2)])
    assert g12(np.mean(reference.conv2d_forward(A_prev, W, b, once))) == "0.00281294628649"
    strided = once.model_copy(update={"stride": (2, 2)})
    Z = reference.conv2d_forward(A_prev, W, b, strided)
    assert g12(np.mean(Z)) == "0.0489952035289"
    assert numpy_113(Z[3, 2, 1]) == ("[-0.61490741 -6.7439236 -2.55153897 1.75698377 "
                                     "3.56208902 0.53036437 5.18531798 8.75898442]")
    dA, dW, db = reference.conv2d_backward(A_prev, W, b, Z, strided)
    assert [g12(np.mean(d)) for d in (dA, dW, db)] == ["1.45243777754", "1.72699145831",
                                                        "7.83923256462"]


CS231N_CONV = [  # Burton2000/CS231n-2017 @ 0a0bd0194d9d4606dc864272823c21dba7b0e0f9,
    # assignment2/ConvolutionalNetworks.ipynb, code cell 4: correct_out
    [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
     [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
     [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
    [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
     [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
     [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]]
CS231N_POOL = [  # the same notebook, code cell 10: correct_out
    [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
     [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
     [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
    [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
     [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
     [[0.32631579, 0.34105263], [0.38526316, 0.4]]]]


def eight_decimals(array) -> list[str]:
    return [f"{value:.8f}" for value in np.asarray(array).flat]


def cs231n_rel_error(x, y):
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def test_the_numpy_reference_prints_what_cs231n_prints():
    """NCHW activations, (F, C, HH, WW) kernels; its literal arrays are the exact results
    to 8 decimals, and its run printed their relative error ("difference: ...")."""
    conv, = parse_layers([dict(type="conv2d", filters=3, kernel=4, stride=2, padding=1)],
                         "channels_first")
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out = reference.conv2d_forward(x, w, b, conv)
    assert eight_decimals(out) == eight_decimals(CS231N_CONV)
    # the printed error is |out - literal| / (|out| + |literal|) at out[0, 0, 0, 0] =
    # -0.0876, 3.9e-9 from its literal: one rounding of it (1.4e-17) moves the error by
    # 3.6e-9 of itself, which is what ours differs by (the run summed a window's 48
    # products in another order); the digits before agree
    error = cs231n_rel_error(out, np.array(CS231N_CONV))
    assert abs(error - 2.21214764175e-08) <= 1e-7 * error

    pool, = parse_layers([dict(type="max_pool2d", window=2, stride=2)], "channels_first")
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out = reference.max_pool2d_forward(x, pool)
    assert eight_decimals(out) == eight_decimals(CS231N_POOL)
    assert g12(cs231n_rel_error(out, np.array(CS231N_POOL))) == "4.16666651573e-08"


# --- a wrong derivative is caught and named --------------------------------------------

MUTANTS = {  # id: (what, exact text in numpy/layers.py, its replacement, case, caught as)
    "conv-dX-flipped-kernel": (
        "dX through the kernel turned 180 degrees (a true convolution's backward)",
        "np.sum(W_hwio * g[", "np.sum(W_hwio[::-1, ::-1] * g[", ("conv2d", "nhwc-hwio-k3-s2-p1"),
        {"dX"}),
    "window-stride-off-by-one": (
        "windows start at i * (sh - 1): one less than the stride",
        "slice(i * sh, i * sh + fh)", "slice(i * (sh - 1), i * (sh - 1) + fh)",
        ("conv2d", "nhwc-hwio-k3-s2-p1"), {"Z", "dX", "dW"}),
    "conv-dW-averaged-over-examples": (
        "dW divided by the number of examples (a mean the cost did not take)",
        "g[:, None, None, None, :], axis=0)", "g[:, None, None, None, :], axis=0) / len(g)",
        ("conv2d", "nchw-oihw-k4-s2-p1"), {"dW"}),
    "conv-db-not-counted": (
        "per_product's db without its fh * fw * C_in",
        "db = bias_count(layer, input_channels(W, layer)) * db", "db = 1 * db",
        ("conv2d", "per-product-exact"), {"db"}),
    "max-pool-overwrites-overlaps": (
        "a max pool's window gradient written over, not added to, an overlapping window's",
        "dXp[:, rows, columns, :] += mask *", "dXp[:, rows, columns, :] = mask *",
        ("max_pool2d", "nchw-w3-s1"), {"dX"}),
    "avg-pool-spread-undivided": (
        "an average pool's gradient spread without dividing by the window's size",
        "share = dA[:, i, j, :] / (fh * fw)", "share = dA[:, i, j, :]",
        ("avg_pool2d", "nhwc-w2-s2"), {"dX"}),
    "flatten-back-without-its-transpose": (
        "flatten's gradient reshaped straight to the input, not moved back through the order",
        "return dA.transpose(permutation(ACTIVATION_AXES[layer.order], ACTIVATION_AXES[layer.layout]))",
        "return dA.reshape(X.shape)", ("flatten", "channels_first"), {"dX"}),
}


def mutated(old: str, new: str) -> types.ModuleType:
    """numpy/layers.py with ``old`` (which occurs exactly once) replaced by ``new``."""
    source = NUMPY_LAYERS.read_text(encoding="utf-8")
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
    module = types.ModuleType("mutated_numpy_layers")
    exec(compile(source.replace(old, new), str(NUMPY_LAYERS), "exec"), module.__dict__)
    return module


def mutant_case(kind, case):
    """The layer, its inputs, what each of a function's results is called, and which
    functions give them."""
    if kind == "conv2d":
        layer, X, W, b, dZ = conv_case(case, "float64", seed=list(CONV_CASES).index(case))
        return layer, ((X, W, b), (X, W, b, dZ)), ("Z",), ("dX", "dW", "db")
    rng = np.random.default_rng(11)
    if kind == "flatten":
        layer, = parse_layers([dict(type="flatten", order="channels_last")], case)
        X = drawn(rng, (2, 3, 4, 5), "float64")
    else:
        entry, (N, H, W, C) = POOL_CASES[case]
        layer, = parse_layers([dict(entry, type=kind)], entry.get("layout", "channels_last"))
        X = drawn(rng, images(layer, N, H, W, C), "float64")
    dA = drawn(rng, getattr(reference, f"{kind}_forward")(X, layer).shape, "float64")
    return layer, ((X,), (X, dA)), ("Z",), ("dX",)


@pytest.mark.parametrize("mutant", MUTANTS)
def test_a_wrong_derivative_is_caught_and_named(mutant):
    """Against PyTorch's autograd (float64): the mutant's wrong quantities, and only those."""
    _, old, new, (kind, case), caught_as = MUTANTS[mutant]
    layer, (forward_args, backward_args), forward_names, backward_names = mutant_case(kind, case)
    wrong = mutated(old, new)

    def results(compute):
        forward = compute(f"{kind}_forward", forward_args)
        backward = compute(f"{kind}_backward", backward_args)
        return dict(zip(forward_names + backward_names, forward + backward))

    as_tuple = lambda r: r if isinstance(r, tuple) else (r,)
    torch_found = results(lambda f, args: run("torch", "float64", f, *args, layer=layer))
    mutant_found = results(lambda f, args: as_tuple(getattr(wrong, f)(*args, layer)))
    right_found = results(lambda f, args: as_tuple(getattr(reference, f)(*args, layer)))
    assert beyond_tolerance(right_found, torch_found, "float64") == {}
    assert set(beyond_tolerance(mutant_found, torch_found, "float64")) == caught_as


# --- entries that cannot be ------------------------------------------------------------

CONV = dict(type="conv2d", filters=2, kernel=3)
BAD = {  # id: (layers, one example's input shape, the error)
    "no filters": ([dict(CONV, filters=0)], (5, 5, 1),
                   "layers.0.filters: Input should be greater than or equal to 1, found 0"),
    "negative padding": ([dict(CONV, padding=-1)], (5, 5, 1),
                         "layers.0.padding: expected a number of 0 or more per side, [rows, "
                         "columns] of them, 'valid' or 'same', found -1"),
    "a kernel of three sizes": ([dict(CONV, kernel=[3, 3, 3])], (5, 5, 1),
                                "layers.0.kernel: expected a size of 1 or more, or [height, "
                                "width] of them, found [3, 3, 3]"),
    "a stride of 0": ([dict(CONV, stride=0)], (5, 5, 1),
                      "layers.0.stride: expected a stride of 1 or more, or [height, width] "
                      "of them, found 0"),
    "a misspelt key": ([dict(CONV, kernel_size=3)], (5, 5, 1),
                       "layers.0.kernel_size: not a key of this layer"),
    "an unknown layer": ([dict(type="conv3d")], (5, 5, 1),
                         "layers.0.type: expected one of 'conv2d', 'max_pool2d', 'avg_pool2d', "
                         "'flatten', 'dense', found 'conv3d'"),
    "a kernel larger than its padded input": (
        [dict(CONV, kernel=5, padding=1)], (2, 2, 1),
        "layers.0.kernel: 5 x 5 is larger than its padded input 4 x 4 (input 2 x 2, padding 1, 1)"),
    "a pool window larger than its input": (
        [CONV, dict(type="max_pool2d", window=4)], (5, 5, 1),
        "layers.1.window: 4 x 4 is larger than its padded input 3 x 3 (input 3 x 3, padding 0, 0)"),
    "a pool padded by more than half its window": (
        [dict(type="avg_pool2d", window=2, padding=2)], (5, 5, 1),
        "layers.0.padding: at most half the window on each side (1 for a window of 2: a window "
        "of padding alone pools no input), found 2"),
    "'same' with an even kernel": (
        [dict(CONV, kernel=4, padding="same")], (5, 5, 1),
        "layers.0.padding: 'same' is (f - 1) / 2 on each side, for stride 1 and an odd kernel; "
        "with kernel [4, 4] and stride [1, 1] it is uneven and frameworks place it differently: "
        "give the padding as a number per side"),
    "a flatten into a dense layer of the wrong size": (
        [CONV, dict(type="flatten"), dict(type="dense", units=4, inputs=50)], (5, 5, 1),
        "layers.2.inputs: 18 features flow into it, found 50"),
    "a dense layer on images": (
        [CONV, dict(type="dense", units=4)], (5, 5, 1),
        "layers.1: a dense layer takes rows of features; its input is images of shape "
        "(3, 3, 2): put a flatten before it"),
    "a conv after a flatten": (
        [dict(type="flatten"), CONV], (5, 5, 1),
        "layers.1: a conv2d takes images, (H, W, C) each; its input is rows of 25 features"),
    "two layouts in one network": (
        [CONV, dict(type="max_pool2d", window=2, layout="channels_first")], (5, 5, 1),
        "layers.1.layout: the network holds its activations 'channels_last', found "
        "'channels_first': one layout for every layer"),
    "a bias gradient 'as_if_once' of a bias added once": (
        [dict(CONV, bias_gradient="as_if_once")], (5, 5, 1),
        "layers.0.bias_gradient: 'as_if_once' is 'exact' when bias_counted is 'once' (it "
        "differs only for bias_counted = 'per_product')"),
    "an input of two axes": ([CONV], (5, 5),
                             "input: expected one example's shape (H, W, C) of sizes 1 or more "
                             "in layout 'channels_last', found (5, 5)"),
}


@pytest.mark.parametrize("bad", BAD, ids=lambda bad: re.sub(r"\W+", "-", bad).strip("-"))
def test_an_entry_that_cannot_be_is_refused_in_one_line(bad):
    entries, input_shape, message = BAD[bad]
    with pytest.raises(LayerError) as refused:
        infer_shapes(input_shape, parse_layers(entries))
    assert str(refused.value) == message


def test_a_start_value_is_checked_against_its_layer():
    conv, = parse_layers([dict(CONV, layout="channels_first")], "channels_first")
    shapes, = infer_shapes((1, 5, 5), [conv])
    assert shapes.output == (2, 3, 3) and shapes.parameters == {"W": (2, 1, 3, 3), "b": (2,)}
    layers.check_parameter("layers.0", "b", (1, 2, 1, 1), shapes)  # ones elsewhere: fine
    with pytest.raises(LayerError, match=r"^layers\.0\.W: expected shape \(2, 1, 3, 3\), "
                                         r"found \(3, 3, 1, 2\)$"):
        layers.check_parameter("layers.0", "W", (3, 3, 1, 2), shapes)


def test_a_stride_that_does_not_fit_floors_and_says_what_it_leaves():
    conv, = parse_layers([dict(CONV, stride=2)])
    shapes, = infer_shapes((6, 7, 1), [conv])
    assert shapes.output == (2, 3, 2) and shapes.unread == (1, 0)  # floor((6 - 3) / 2) + 1


# --- the documentation's network ------------------------------------------------------

def test_the_documented_network_has_the_shapes_it_states():
    """LAYERS.md's annotated [network]: each layer's line states its output shape
    (``-> (...)``) and its parameters' (``W (...)``, ``b (...)``)."""
    text = LAYERS_MD.read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    network = tomllib.loads(block)["network"]
    shapes = infer_shapes(network["input"], parse_layers(network["layers"], network["layout"]))
    layer_lines = [line for line in block.splitlines() if line.lstrip().startswith("{ type")]
    assert len(layer_lines) == len(shapes)
    for line, layer_shapes in zip(layer_lines, shapes):
        stated = re.search(r"-> (\([\d, ]+\))", line).group(1)
        assert stated == str(layer_shapes.output), line
        for name, shape in layer_shapes.parameters.items():
            assert f"{name} {shape}" in line, line
