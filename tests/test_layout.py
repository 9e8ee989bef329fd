"""[layout] is applied by the harness, both ways, in every framework: start values
and data go in transposed where the example lists a name, and come back in the
source's layout when recorded. Real torch and TensorFlow parameters, and JAX arrays,
which ctx.load hands back as new arrays of the shape and dtype asked for."""

import numpy as np
import pytest

from reproductions import harness, spec

DEFINITION = """
id = "layout_probe"
title = "A (1, 3) weight row and a (1, 1) bias held as a framework holds them"
steps = 1
[source]
seed = "none.txt"
section = "a probe of the harness, no source"
[data]
X = [[1, 2], [3, 4], [5, 6]]
[layout]
torch = ["X"]
tensorflow = ["X", "W"]
jax = ["X", "W"]
[init]
params = [{ name = "W", value = [[0.5, -1.0, 2.0]] }, { name = "b", value = [[0.25]] }]
"""

MIRRORS = {
    "numpy": '''
def reproduce(ctx):  # the reference a definition without a [network] needs
    ctx.trace.step(0)
    ctx.trace.value("X", ctx.data("X"))
''',
    "torch": '''
import torch

def reproduce(ctx):
    linear = torch.nn.Linear(3, 1, dtype=ctx.dtype)
    ctx.load(W=linear.weight, b=linear.bias)
    X = ctx.data("X")
    ctx.trace.watch(W=linear.weight, b=linear.bias)
    ctx.trace.step(0)
    ctx.trace.value("X", X)
    ctx.trace.value("W_as_held", linear.weight)
    ctx.trace.value("b_as_held", linear.bias)
    ctx.trace.parameters()
''',
    "tensorflow": '''
import keras

def reproduce(ctx):
    dense = keras.layers.Dense(1, dtype=ctx.dtype)
    dense.build((None, 3))
    ctx.load(W=dense.kernel, b=dense.bias)
    X = ctx.data("X")
    ctx.trace.watch(W=dense.kernel, b=dense.bias)
    ctx.trace.step(0)
    ctx.trace.value("X", X)
    ctx.trace.value("W_as_held", dense.kernel)
    ctx.trace.value("b_as_held", dense.bias)
    ctx.trace.parameters()
''',
    "jax": '''
import jax

def reproduce(ctx):
    params = ctx.load(W=jax.ShapeDtypeStruct((3, 1), ctx.dtype), b=jax.ShapeDtypeStruct((1,), ctx.dtype))
    X = ctx.data("X")
    ctx.trace.watch(**params)
    ctx.trace.step(0)
    ctx.trace.value("X", X)
    ctx.trace.value("W_as_held", params["W"])
    ctx.trace.value("b_as_held", params["b"])
    ctx.trace.parameters(params)
''',
}


@pytest.fixture
def example(tmp_path):
    folder = tmp_path / "layout_probe"
    folder.mkdir()
    (folder / "example.toml").write_text(DEFINITION)
    for framework, code in MIRRORS.items():
        (folder / f"{framework}_impl.py").write_text(code)
    return spec.load(folder)


@pytest.mark.parametrize("framework, held", [("torch", (1, 3)), ("tensorflow", (3, 1)),
                                             ("jax", (3, 1))])
def test_start_values_and_data_go_in_as_the_framework_holds_them_and_come_back(
        example, framework, held):
    recording = harness.run_framework(example, framework, "float64", 1)
    X = np.array([[1, 2], [3, 4], [5, 6]], dtype=float)
    assert recording.at("X", 0).tolist() == X.tolist()  # transposed in, transposed back
    assert recording.at("W_as_held", 0).shape == held  # not listed: recorded as held
    assert recording.at("W_as_held", 0).ravel().tolist() == [0.5, -1.0, 2.0]
    assert recording.at("b_as_held", 0).shape == (1,)  # a vector is fitted only for a start value's name
    assert recording.at("W", 0).tolist() == [[0.5, -1.0, 2.0]]  # the source's (1, 3)
    assert recording.at("b", 0).tolist() == [[0.25]]  # (1,) given the source's (1, 1)


def test_loading_a_name_with_no_start_value_says_so(example):
    (example.folder / "torch_impl.py").write_text(MIRRORS["torch"].replace("ctx.load(W=", "ctx.load(V="))
    with pytest.raises(harness.ImplementationError,
                       match="the torch implementation raised KeyError at step 0: .*no start value named 'V'"):
        harness.run_framework(example, "torch", "float64", 1)


def test_a_start_value_that_does_not_fit_the_parameter_says_so(example):
    (example.folder / "torch_impl.py").write_text(MIRRORS["torch"].replace("Linear(3, 1", "Linear(2, 1"))
    with pytest.raises(harness.ImplementationError,
                       match=r"torch .* shape \(1, 3\) does not fit a parameter of shape \(1, 2\)"):
        harness.run_framework(example, "torch", "float64", 1)


def test_a_value_claim_at_a_step_printed_steps_leaves_out_is_refused(tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    definition = DEFINITION.replace("steps = 1\n", "steps = 1\nprinted_steps = [0]\n", 1)
    claim = '[[claims]]\nwhere = "a figure"\nquantity = "A"\nstep = 1\nprinted = "0.5"\n'
    (folder / "example.toml").write_text(definition + claim)
    with pytest.raises(spec.DefinitionError, match="claim on 'A' at step 1, which printed_steps"):
        spec.load(folder)


def test_a_value_held_as_a_start_value_is_given_its_layout(example):
    toml = example.folder / "example.toml"
    toml.write_text(toml.read_text().replace('torch = ["X"]', 'torch = { X = "transposed", b_as_held = "b", '
                                             'W_as_held = "W" }'))
    recording = harness.run_framework(spec.load(example.folder), "torch", "float64", 1)
    assert recording.at("b_as_held", 0).tolist() == [[0.25]]  # the (1,) bias given b's (1, 1)
    assert recording.at("W_as_held", 0).tolist() == [[0.5, -1.0, 2.0]]


def test_a_layout_that_names_no_start_value_is_refused(example):
    toml = example.folder / "example.toml"
    toml.write_text(toml.read_text().replace('torch = ["X"]', 'torch = { X = "transposed", g = "V" }'))
    with pytest.raises(spec.DefinitionError, match="layout.torch.g: 'V' is neither 'transposed' nor a start value"):
        spec.load(example.folder)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_jax_parameter_is_loaded_as_a_new_array_of_the_dtype_asked_for(example, dtype):
    import jax
    import jax.numpy as jnp

    from frameworks import jax_adapter

    jax_dtype = jax_adapter.setup(dtype)
    held = jnp.zeros((3, 1), jax_dtype)
    W = jax_adapter.assign(held, np.array([[0.5], [-1.0], [2.0]]))
    assert W is not held and W.dtype == jax_dtype and held.tolist() == [[0], [0], [0]]
    b = jax_adapter.assign(jax.ShapeDtypeStruct((1,), jax_dtype), np.array([[0.25]]))
    assert b.shape == (1,) and b.dtype == jax_dtype  # a (1, 1) start value fitted to (1,)
    recording = harness.run_framework(example, "jax", dtype, 1)
    assert recording.at("W", 0).tolist() == [[0.5, -1.0, 2.0]]
    with pytest.raises(TypeError, match="a JAX array keeps no gradient"):
        jax_adapter.stored_gradient(W)
