"""SGD-NEURAL-NET in PyTorch: ``nn.Linear`` layers with ``nn.Tanh``,
``nn.CrossEntropyLoss`` (softmax and the multiclass NLL in one, on the logits, with
one-hot targets), ``loss.backward()`` and ``torch.optim.SGD``, one stored data point
per step.

All gradients come from one backward pass at the step's start and the optimizer then
updates every layer: the reading of the pseudocode explained in example.toml. At step 0
the other reading (layer 1's gradient with layer 2 already updated) is computed by
autograd on that partially updated network, for the record.

Layout: the notes keep W^l as (m^l, n^l) with Z^l = W^l^T A^(l-1) + W_0^l, W_0^l as
(n^l, 1), and data points as columns; ``nn.Linear`` keeps its weight as
(out, in) = W^l^T, its bias as (n^l,), and takes points as rows. ``to_torch`` sets the
start values, the harness translates the watched parameters and their gradients back
(``[layout]`` in example.toml), ``to_notes`` translates the step-0 value, and ``.T`` on
X and Y is the only place that translates data.
"""

import torch


def to_torch(linear, W, W0):
    with torch.no_grad():
        linear.weight.copy_(W.T)
        linear.bias.copy_(W0.reshape(-1))


def to_notes(tensor, like):
    """A Linear weight (n, m) back to W (m, n); a bias (n,) back to W_0 (n, 1)."""
    return tensor.T if like == "W" else tensor.reshape(-1, 1)


def reproduce(ctx):
    trace = ctx.trace
    points, targets = ctx.data("X").T, ctx.data("Y").T   # one point per row
    order = ctx.example.data["order"]
    lr = ctx.hyper.learning_rate

    layers = {
        1: torch.nn.Linear(2, 4, dtype=ctx.dtype),
        2: torch.nn.Linear(4, 3, dtype=ctx.dtype),
    }
    for l, linear in layers.items():
        to_torch(linear, ctx.tensor(ctx.init[f"W{l}"]), ctx.tensor(ctx.init[f"W0_{l}"]))
    hidden = torch.nn.Sequential(layers[1], torch.nn.Tanh())
    nllm = torch.nn.CrossEntropyLoss()
    params = [p for l in (1, 2) for p in layers[l].parameters()]
    trace.watch(W2=layers[2].weight, W0_2=layers[2].bias,  # the notes' names; see [layout]
                W1=layers[1].weight, W0_1=layers[1].bias)
    optimizer = torch.optim.SGD(params, lr=lr)

    for t in range(ctx.steps):
        trace.step(t)
        i = int(order[t])
        x, y = points[i:i + 1], targets[i:i + 1]
        optimizer.zero_grad()
        logits = layers[2](hidden(x))
        cost = nllm(logits, y)
        if t == 0:
            (dL_dZ2,) = torch.autograd.grad(cost, logits, retain_graph=True)
        cost.backward()
        trace.gradients(cost)  # the cost, and each watched parameter's .grad
        if t == 0:
            # Layer 2 updated, layer 1 not; back-propagate the step's output error dL/dZ^2.
            W2_updated = (layers[2].weight - lr * layers[2].weight.grad).detach()
            logits_partial = torch.nn.functional.linear(hidden(x), W2_updated)
            (dW1,) = torch.autograd.grad(logits_partial, layers[1].weight, grad_outputs=dL_dZ2)
            trace.value("dL_dW1_with_updated_W2", to_notes(dW1, "W"))
        optimizer.step()
        trace.parameters()
