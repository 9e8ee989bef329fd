"""Car prices without biases (chapter 3) in PyTorch.

Three bias-free ``torch.nn.Linear`` layers with ``torch.tanh`` between them.
``nn.Linear`` keeps its weight as (out, in), the transpose of the chapter's W^l
(in, out): ``[layout]`` in example.toml says so, and ``ctx.load`` sets the weights.
"""

import torch


# %% data
def new_layer(ctx, name):
    n_in, n_out = ctx.init[name].shape
    linear = torch.nn.Linear(n_in, n_out, bias=False, dtype=ctx.dtype)
    ctx.load(**{name: linear.weight})
    return linear


# %% forward
def forward(X, layer1, layer2, layer3):
    """Every Z and a of the network, for all the cars X at once."""
    Z2 = layer1(X)  # all five cars through the whole network
    a2 = torch.tanh(Z2)
    Z3 = layer2(a2)
    a3 = torch.tanh(Z3)
    Z4 = layer3(a3)
    return dict(Z2=Z2, a2=a2, Z3=Z3, a3=a3, Z4=Z4, a4=torch.tanh(Z4))


# %% record
@torch.no_grad()
def reproduce(ctx):
    trace = ctx.trace
    X = ctx.data("X")
    layer1, layer2, layer3 = (new_layer(ctx, name) for name in ("W1", "W2", "W3"))

    trace.step(0)
    Z2_car1 = layer1(X[:1])  # one car: the first hidden layer only
    trace.values(Z2_car1=Z2_car1, a2_car1=torch.tanh(Z2_car1))

    trace.values(**forward(X, layer1, layer2, layer3))
