"""SGD-NEURAL-NET in PyTorch: ``nn.Linear`` layers with ``torch.tanh``,
``nn.CrossEntropyLoss`` (softmax and the multiclass NLL in one, on the logits, with
one-hot targets), ``loss.backward()`` and ``torch.optim.SGD``, one stored data point
per step.

All gradients come from one backward pass at the step's start and the optimizer then
updates every layer: the reading of the pseudocode explained in example.toml. Where the
step's values are printed (step 0), the other reading (layer 1's gradient with layer 2
already updated) is computed before the step by autograd on that partially updated
network, for the record.

Layout: the notes keep W^l as (m^l, n^l) with Z^l = W^l^T A^(l-1) + W_0^l, W_0^l as
(n^l, 1), and data points as columns; ``nn.Linear`` keeps its weight as
(out, in) = W^l^T, its bias as (n^l,), and takes points as rows. ``[layout]`` in
example.toml declares it: ``ctx.data`` gives the points as rows, ``ctx.load`` sets the
start values, and the harness translates what is recorded back.
"""

import torch


# %% forward
def network_layers(dtype):
    """Layer 1 (2 inputs, 4 units, tanh applied to its output in the forward pass) and
    layer 2 (4 inputs, the 3 logits), by the notes' numbering."""
    return {
        1: torch.nn.Linear(2, 4, dtype=dtype),
        2: torch.nn.Linear(4, 3, dtype=dtype),
    }


# %% autodiff
def reading_with_updated_W2(layers, nllm, x, y, lr):
    """Layer 2 updated, layer 1 not: layer 1's gradient, back-propagating the step's
    output error dL/dZ^2 through the updated W^2 (the other reading, for the record)."""
    logits = layers[2](torch.tanh(layers[1](x)))
    cost = nllm(logits, y)
    dW2, dL_dZ2 = torch.autograd.grad(cost, [layers[2].weight, logits])
    W2_updated = layers[2].weight - lr * dW2
    logits_partial = torch.nn.functional.linear(torch.tanh(layers[1](x)), W2_updated)
    (dW1,) = torch.autograd.grad(logits_partial, layers[1].weight, grad_outputs=dL_dZ2)
    return dW1


# %% record
def reproduce(ctx):
    trace = ctx.trace
    points, targets = ctx.data("X"), ctx.data("Y")   # one point per row
    order = ctx.example.data["order"]
    lr = ctx.hyper.learning_rate

    layers = network_layers(ctx.dtype)
    nllm = torch.nn.CrossEntropyLoss()
    params = {"W2": layers[2].weight, "W0_2": layers[2].bias,  # the notes' names
              "W1": layers[1].weight, "W0_1": layers[1].bias}
    ctx.load(**params)
    trace.watch(**params)  # see [layout]
    optimizer = torch.optim.SGD(params.values(), lr=lr)

    for t in range(ctx.steps):
        trace.step(t)
        i = int(order[t])
        x, y = points[i:i + 1], targets[i:i + 1]
        if trace.printed:  # before the update: the other reading of the pseudocode
            dW1_literal = reading_with_updated_W2(layers, nllm, x, y, lr)
        optimizer.zero_grad()
        cost = nllm(layers[2](torch.tanh(layers[1](x))), y)
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if trace.printed:
            trace.value("dL_dW1_with_updated_W2", dW1_literal)
        optimizer.step()
        trace.parameters()
