"""Expression graphs in PyTorch: torch ops forward, autograd backward.

Every node is a tensor: the inputs, parameters and numbers are leaf tensors that
require a gradient, every other node keeps its own (``retain_grad``), and one
``backward`` from the output, seeded with the upstream gradient, fills them all.
A statement's local derivatives are autograd's on that statement alone: it is
computed again from detached copies of the names it reads, and differentiated with
``torch.autograd.grad`` (the share through it) and
``torch.autograd.functional.jacobian`` (its Jacobian). Ascent and descent are
``torch.optim.SGD`` (``maximize=True`` for ascent).

At kinks torch's conventions agree with the NumPy reference's (relu'(0) = abs'(0) = 0,
half each at a tie of max or min of two, an even share among tied extremes); a
computed exponent at a base below 0 gets NaN from torch where NumPy takes 0. Either
way a gradient that depends on one is a finding (``Evaluation.on_kink``).
"""

from __future__ import annotations

import sys

import torch

from frameworks import torch_adapter
from reproductions.engines import expressions as ex
from reproductions.engines.torch import optimizers

FORWARD = {
    "identity": torch.clone,  # a tensor of its own, with a gradient of its own
    "neg": torch.neg,
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "matmul": torch.matmul,
    "pow": torch.pow,
    "pow_general": torch.pow,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "max": torch.max,
    "min": torch.min,
    "sum": torch.sum,
    "mean": torch.mean,
}


def compute(node: ex.Node, args: list, dtype):
    if node.op == "const":  # a leaf of its own: d output / d number is a gradient too
        return torch.tensor(node.constant, dtype=dtype, requires_grad=True)
    if node.op == "pow":
        return torch.pow(args[0], torch.tensor(node.constant, dtype=dtype))
    return FORWARD[node.op](*args)


def forward(graph: ex.Graph, leaves: dict, dtype) -> list:
    """Every node's tensor, in order; each keeps its gradient once the output is
    backward. ``leaves``: the inputs and parameters as tensors that require a gradient."""
    values = []
    for node in graph.nodes:
        if node.op == "input":
            value = leaves[node.name]
        else:
            value = compute(node, [values[a] for a in node.args], dtype)
            if not value.is_leaf:
                value.retain_grad()
        values.append(value)
    return values


def statement_value(graph: ex.Graph, statement: ex.Statement, given: dict, dtype):
    """A statement's result computed again from ``given`` values of the names it reads."""
    known = dict(given)
    for node_id in statement.nodes:
        node = graph.nodes[node_id]
        known[node_id] = compute(node, [known[a] for a in node.args], dtype)
    return known[statement.node]


def local_derivatives(graph: ex.Graph, values: list, grads: list, dtype, layout: str) -> dict:
    """For each statement and each name it reads, its local derivative (Jacobian) and the
    share of the name's gradient through it (``expressions.local_names``)."""
    local = {}
    for statement, read in ex.local_pairs(graph):
        held = {r: values[r].detach() for r in statement.reads}

        def result_of(x, statement=statement, read=read, held=held):
            return statement_value(graph, statement, {**held, read: x}, dtype)

        x = values[read].detach().requires_grad_()
        (share,) = torch.autograd.grad(result_of(x), x, grad_outputs=grads[statement.node],
                                       allow_unused=True)
        jacobian = torch.autograd.functional.jacobian(result_of, values[read].detach())
        derivative_name, share_name = ex.local_names(graph, statement, read)
        local[derivative_name] = ex.jacobian_matrix(
            jacobian, tuple(values[statement.node].shape), tuple(values[read].shape), layout,
            torch.reshape, lambda m: m.T)
        local[share_name] = torch.zeros_like(x) if share is None else share
    return local


def held_leaves(table_leaves: dict, dtype) -> dict:
    """The start values as leaf tensors that require a gradient."""
    return {name: torch.tensor(value, dtype=dtype, requires_grad=True)
            for name, value in table_leaves.items()}


def evaluate_held(graph: ex.Graph, held: dict, dtype, output: str | None = None, upstream=None,
                  local: bool = False, layout: str = "numerator") -> ex.Evaluation:
    """``evaluate`` on leaf tensors the caller holds (an optimizer's parameters): their
    ``.grad`` must be None or zero before."""
    values = forward(graph, held, dtype)
    out = values[ex.output_node(graph, output)]
    seed = torch.ones_like(out) if upstream is None else torch.tensor(upstream, dtype=dtype)
    out.backward(seed)
    grads = [torch.zeros_like(v) if v.grad is None else v.grad.detach().clone() for v in values]
    values = [v.detach().clone() for v in values]  # as they are now, whatever moves later
    evaluation = ex.Evaluation(values, grads)
    if local:
        evaluation.local = {name: v.detach() for name, v in
                            local_derivatives(graph, values, grads, dtype, layout).items()}
    return ex.with_kinks(graph, evaluation, torch_adapter.to_numpy, local)


def evaluate(graph: ex.Graph, leaves: dict, dtype, output: str | None = None, upstream=None,
             local: bool = False, layout: str = "numerator") -> ex.Evaluation:
    """Every node's value and d output / d node as tensors (``leaves``: the start values
    as NumPy arrays), as NumPy's ``evaluate``."""
    return evaluate_held(graph, held_leaves(leaves, dtype), dtype, output, upstream, local, layout)


def run(table: ex.GraphTable, dtype, steps: int | None = None, record=None, spec=None):
    """The table's run, one ``expressions.Step`` at a time, as NumPy's ``run``; the
    update is ``torch.optim.SGD`` on the moved inputs and parameters, or the [optimizer]
    ``spec`` as engines/torch/optimizers.py builds it. ``record`` (an
    ``expressions.Recorder``) records each step's evaluation and update."""
    graph, moves, steps = table.graph, table.moves, ex.steps_of(table, steps)
    held = held_leaves(table.leaves, dtype)
    moved = {} if moves is None else {name: held[name] for name in moves.names}
    if moves is None:
        optimizer = None
    elif spec is not None:
        optimizer = optimizers.build(spec, moved)
    else:
        optimizer = torch.optim.SGD(list(moved.values()), lr=moves.learning_rate,
                                    maximize=moves.sign > 0)
    for step in range(steps + 1):
        if record is not None:
            record.start(step)
        for leaf in held.values():
            leaf.grad = None
        evaluation = evaluate_held(graph, held, dtype, table.output, table.upstream_array,
                                   table.local_derivatives, table.jacobian_layout)
        if record is not None:
            record.evaluation(evaluation)
        if step == steps:
            yield ex.Step(step, evaluation)
            return
        optimizer.step()
        updated = {name: held[name].detach().clone() for name in moves.names}
        if record is not None:
            record.updated(updated)
            if spec is not None:
                record.state(optimizers.state(spec, optimizer, moved))
        yield ex.Step(step, evaluation, updated)


# %% record
def reproduce(ctx):
    """A definition's ``[graph]`` (``ctx.example.graph``): its run, in ``ctx.dtype``, with
    ``ctx.steps`` updates where it has ascent or descent, recorded into ``ctx.trace`` by
    the graph's names (GRAPHS.md)."""
    table = ex.GraphTable.model_validate(ctx.example.graph)
    ex.run_into(ctx.trace, table, sys.modules[__name__], ctx.dtype, ctx.steps,
                ex.optimizer_of(ctx.example))
