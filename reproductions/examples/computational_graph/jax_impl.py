"""The computational graph of Figs 51-53 in JAX: ``jax.grad`` does the backward pass.

The gradient along each path to b is ``jax.grad``'s too: holding the other branch
constant (``jax.lax.stop_gradient``) leaves only that path. A node's local gradients
are ``jax.grad`` of that node as a function of its inputs. Scalars throughout, as in
the blog.
"""

import jax
import jax.numpy as jnp


# %% forward
def nodes(d_offset):
    """The graph's nodes, each a function of its inputs: c = a * b, d = b + d_offset,
    e = c * d."""
    node_c = lambda a, b: a * b  # noqa: E731
    node_d = lambda b: b + d_offset  # noqa: E731
    node_e = lambda c, d: c * d  # noqa: E731
    return node_c, node_d, node_e


# %% autodiff
def backward(trace, node_c, node_d, node_e, a, b, c, d):
    """The backward pass by ``jax.grad`` of the nodes, from a, b and the forward pass's
    c and d."""
    de_dc, de_dd = jax.grad(node_e, argnums=(0, 1))(c, d)
    dc_db = jax.grad(node_c, argnums=1)(a, b)
    dd_db = jax.grad(node_d)(b)
    trace.values(**{"de/dc": de_dc, "de/dd": de_dd, "dc/db": dc_db, "dd/db": dd_db})

    stop = jax.lax.stop_gradient
    via_d = jax.grad(lambda b: node_e(stop(node_c(a, b)), node_d(b)))(b)  # only the path through d
    via_c = jax.grad(lambda b: node_e(node_c(a, b), stop(node_d(b))))(b)  # only the path through c
    trace.values(**{"grad.b.via.d": via_d, "grad.b.via.c": via_c})

    # both paths: jax.grad sums them at b
    de_da, de_db = jax.grad(lambda a, b: node_e(node_c(a, b), node_d(b)), argnums=(0, 1))(a, b)
    trace.grad("a", de_da)
    trace.grad("b", de_db)


# %% record
def reproduce(ctx):
    trace = ctx.trace
    a = ctx.tensor(ctx.init["a"])
    b = ctx.tensor(ctx.init["b"])
    d_offset = jnp.asarray(ctx.hyper.d_offset, dtype=ctx.dtype)

    trace.step(0)
    node_c, node_d, node_e = nodes(d_offset)
    c = node_c(a, b)
    d = node_d(b)
    e = node_e(c, d)
    trace.values(c=c, d=d, e=e)
    backward(trace, node_c, node_d, node_e, a, b, c, d)
