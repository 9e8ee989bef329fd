"""Car prices without biases (chapter 3) in JAX.

Three bias-free layers, each a weight matrix applied as ``X @ W``, with ``jnp.tanh``
between them. JAX holds W as (in, out), the chapter's own layout for W^l, so nothing
is transposed (``[layout]``); ``ctx.load`` returns the start weights.
"""

import jax
import jax.numpy as jnp


# %% data
def new_layer(ctx, name):
    """The layer's weights W^l at their start values, (in, out)."""
    return ctx.load(**{name: jax.ShapeDtypeStruct(ctx.init[name].shape, ctx.dtype)})[name]


# %% forward
def forward(X, W1, W2, W3):
    """Every Z and a of the network, for all the cars X at once."""
    Z2 = X @ W1  # all five cars through the whole network
    a2 = jnp.tanh(Z2)
    Z3 = a2 @ W2
    a3 = jnp.tanh(Z3)
    Z4 = a3 @ W3
    return dict(Z2=Z2, a2=a2, Z3=Z3, a3=a3, Z4=Z4, a4=jnp.tanh(Z4))


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X = ctx.data("X")
    W1, W2, W3 = (new_layer(ctx, name) for name in ("W1", "W2", "W3"))

    trace.step(0)
    Z2_car1 = X[:1] @ W1  # one car: the first hidden layer only
    trace.values(Z2_car1=Z2_car1, a2_car1=jnp.tanh(Z2_car1))

    trace.values(**forward(X, W1, W2, W3))
