"""The calculus warm-ups of chapters 5-6 in JAX, by autodiff: ``jax.nn.sigmoid``
differentiated at x = 2 by ``jax.grad``, the gradient of x^2 + y^3 by
``jax.value_and_grad`` and the steps by ``optax.sgd`` (learning rate 1 for the whole
gradient, 0.01 for the text's step), and the chain rule's three derivatives by
``jax.grad`` of each stage and of their composition.
"""

import jax
import jax.numpy as jnp
import optax


# %% forward
def z(point):
    return point[0] ** 2 + point[1] ** 3


# %% autodiff
def gradient_step(start, learning_rate, dtype):
    """One step of SGD on z from ``start``: z there, its gradient, the point after the step."""
    point = jnp.asarray(start, dtype=dtype)
    optimizer = optax.sgd(learning_rate=learning_rate)
    opt_state = optimizer.init(point)
    z_before, F = jax.value_and_grad(z)(point)
    updates, opt_state = optimizer.update(F, opt_state, point)
    return z_before, F, optax.apply_updates(point, updates)


# %% record
def reproduce(ctx):
    trace, hyper = ctx.trace, ctx.hyper
    trace.step(0)

    x = jnp.asarray(hyper.sigmoid_x, dtype=ctx.dtype)
    trace.value("sigmoid_slope", jax.grad(jax.nn.sigmoid)(x))

    start = [hyper.point_x, hyper.point_y]
    _, F, full_step = gradient_step(start, 1.0, ctx.dtype)  # the whole gradient subtracted
    trace.values(gradient=F, full_step=full_step)
    z_before, _, new_point = gradient_step(start, hyper.learning_rate, ctx.dtype)
    trace.values(descent_step=new_point, z_before=z_before, z_after=z(new_point))

    x = jnp.asarray(hyper.chain_x, dtype=ctx.dtype)
    g_of = lambda x: 2 * x ** 2 + 8  # noqa: E731  (the inner function g(x))
    f_of = lambda g: g ** 3  # noqa: E731  (the outer function f(g))
    g = g_of(x)
    df_dg = jax.grad(f_of)(g)
    dg_dx = jax.grad(g_of)(x)
    df_dx = jax.grad(lambda x: f_of(g_of(x)))(x)
    trace.values(g=g, dg_dx=dg_dx, df_dg=df_dg, df_dx=df_dx)
