"""Activation derivatives in JAX: ``jax.nn`` activations, differentiated by autodiff.

Every derivative is ``jax.grad`` of the activation at each grid point (``jax.vmap`` over
the grid), and softmax's Jacobian is ``jax.jacrev``.

Step: ``jnp.heaviside(z, 1)`` gives the notes' values (step(0) = 1), and JAX
differentiates it as it is: it is a ``where`` of constants, so its derivative is 0
everywhere (PyTorch has no derivative for heaviside and differentiates a ``where``).
ReLU: ``jax.nn.relu`` defines its derivative at 0 as 0 (its custom JVP).

Layout: ``jacrev`` returns d s_i / d z_j at [i, j] (shape (3, 1, 3, 1) for a column,
read as a 3 x 3 matrix); the notes' denominator layout is its transpose, [i, j] =
d s_j / d z_i (``[layout]`` in example.toml: the harness translates it).
"""

import jax
import jax.numpy as jnp


# %% forward
def step(z):
    return jnp.heaviside(z, jnp.ones_like(z))  # step(0) = 1, as the notes define it


ACTIVATIONS = {
    "step": step,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "identity": jax.nn.identity,
    "tanh": jax.nn.tanh,
}
KINKED = ("step", "relu")


# %% autodiff
def derivative(f, z):
    """d/dz f(z) at every point of the grid, by autodiff."""
    return jax.vmap(jax.grad(f))(z)


# %% check
# Copied from reproductions/examples/activation_derivatives/numpy_impl.py:central_difference
def central_difference(f, z, h):
    return (f(z + h) - f(z - h)) / (2 * h)


# %% record
@jax.jit  # one compiled program for every value below, as JAX runs a function of arrays
def activation_values(z, smooth, kink, z_vec, h):
    """Each activation on the grid z, its derivative (at the smooth points ``smooth``, and
    at the kink ``kink`` apart, as findings), the slope seen from outside by central
    differences with the scale they cancel over, the exponential form of the sigmoid's
    derivative, the one-sided slopes at the kink, and softmax with its Jacobian."""
    values, scales, findings = {}, {}, {}
    zs = z[smooth]
    for name, f in ACTIVATIONS.items():
        values[name] = f(z)
        d = derivative(f, z)
        if name in KINKED:
            values[f"d_{name}"] = d[smooth]
            findings[f"d_{name}_at_0"] = d[kink]
        else:
            values[f"d_{name}"] = d
        values[f"fd_{name}"] = central_difference(f, zs, h)
        scales[f"fd_{name}"] = f(zs + h) / (2 * h)
    values["d_sigmoid_exp_form"] = derivative(jax.nn.sigmoid, z)

    zero = z[kink]
    for name in KINKED:
        f = ACTIVATIONS[name]
        values[f"{name}_slope_right_of_0"] = (f(zero + h) - f(zero)) / h
        scales[f"{name}_slope_right_of_0"] = f(zero + h) / h
        values[f"{name}_slope_left_of_0"] = (f(zero) - f(zero - h)) / h
        scales[f"{name}_slope_left_of_0"] = f(zero) / h

    n = z_vec.shape[0]
    softmax = lambda v: jax.nn.softmax(v, axis=0)  # noqa: E731  (a column: classes on axis 0)
    values["softmax"] = softmax(z_vec)
    values["d_softmax"] = jax.jacrev(softmax)(z_vec).reshape(n, n)
    return values, scales, findings


def reproduce(ctx):
    trace = ctx.trace
    h = jnp.asarray(ctx.hyper.h, dtype=ctx.dtype)
    z = ctx.data("z")
    smooth, kink = jnp.nonzero(z != 0)[0], jnp.nonzero(z == 0)[0]  # the points, by index

    trace.step(0)
    values, scales, findings = activation_values(z, smooth, kink, ctx.data("z_softmax"), h)
    for name, value in values.items():
        trace.value(name, value, scale=scales.get(name))
    for name, value in findings.items():
        trace.finding(name, value)
