"""Car prices without biases (chapter 3) in TensorFlow.

Three bias-free ``keras.layers.Dense`` layers with tanh activations. A Dense kernel
is (in, out), the chapter's own layout for W^l, so nothing is transposed.
"""

import keras
import tensorflow as tf


# %% data
def new_layer(ctx, name):
    n_in, n_out = ctx.init[name].shape
    dense = keras.layers.Dense(n_out, use_bias=False, dtype=ctx.dtype)
    dense.build((None, n_in))
    ctx.load(**{name: dense.kernel})
    return dense


# %% forward
def forward(X, layer1, layer2, layer3):
    """Every Z and a of the network, for all the cars X at once."""
    Z2 = layer1(X)  # all five cars through the whole network
    a2 = tf.tanh(Z2)
    Z3 = layer2(a2)
    a3 = tf.tanh(Z3)
    Z4 = layer3(a3)
    return dict(Z2=Z2, a2=a2, Z3=Z3, a3=a3, Z4=Z4, a4=tf.tanh(Z4))


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X = ctx.data("X")
    layer1, layer2, layer3 = (new_layer(ctx, name) for name in ("W1", "W2", "W3"))

    trace.step(0)
    Z2_car1 = layer1(X[:1])  # one car: the first hidden layer only
    trace.values(Z2_car1=Z2_car1, a2_car1=tf.tanh(Z2_car1))

    trace.values(**forward(X, layer1, layer2, layer3))
