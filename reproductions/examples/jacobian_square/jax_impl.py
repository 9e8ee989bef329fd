"""The Notation 17 example in JAX: f'(z) with ``jax.vjp``, the full Jacobian with
``jax.jacrev``.

Layout: ``jacrev`` returns the numerator layout, J[i, ., j, .] = d a_i / d z_j, of
shape a.shape + z.shape = (3, 1, 3, 1), read as a 3 x 3 matrix. The notes use the
denominator layout (eq 7.50: row i for z_i, column j for a_j), its transpose, taken here.
"""

import jax
import jax.numpy as jnp


# %% forward
def f(z):
    return jnp.square(z)  # f(z) = z^2


# %% autodiff
def derivatives(z):
    """a = f(z), f'(z) and the full Jacobian of f at z, by autodiff."""
    a, f_vjp = jax.vjp(f, z)
    # A vector-Jacobian product with ones: for an element-wise f this is f'(z).
    (f_prime,) = f_vjp(jnp.ones_like(a))
    jacobian = jax.jacrev(f)(z)
    return a, f_prime, jacobian


# %% record
def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z")

    trace.step(0)
    a, f_prime, jacobian = derivatives(z)
    trace.value("a", a)
    trace.grad("z", f_prime)
    trace.value("da/dz", jacobian.reshape(a.size, z.size).T)  # the notes' layout
