"""Expression graphs in JAX: jax.numpy forward, ``jax.vjp`` backward, one ``jax.jit``.

JAX differentiates functions, not tensors, so every node other than an input or
parameter gets a zero added to it (its shift): the gradient of the output with
respect to a node's shift is d output / d node. One ``jax.vjp`` of the graph as a
function of (inputs and parameters, shifts), pulled back from the upstream gradient,
gives every gradient at once. A statement's local derivatives are ``jax.vjp`` (the
share through it) and ``jax.jacrev`` (its Jacobian) of that statement alone, as a
function of one name it reads. The whole evaluation is one jitted program per graph;
ascent and descent are ``optax.sgd`` (for ascent it is handed the negated
gradients), the step jitted with it.

At kinks JAX agrees with the NumPy reference on relu'(0) = 0, half each at a tie of a
max or min of two, and an even share among tied extremes; its abs'(0) is 1 (NumPy: 0),
and a computed exponent at a base below 0 gets NaN (NumPy: 0). A gradient that depends
on one is a finding either way (``Evaluation.on_kink``).
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import optax

from frameworks import jax_adapter
from reproductions.engines import expressions as ex
from reproductions.engines.jax import optimizers

FORWARD = {
    "identity": lambda x: x,  # its shift makes it a value of its own
    "neg": jnp.negative,
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "div": jnp.divide,
    "matmul": jnp.matmul,
    "pow": jnp.power,
    "pow_general": jnp.power,
    "exp": jnp.exp,
    "log": jnp.log,
    "sqrt": jnp.sqrt,
    "abs": jnp.abs,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu,
    "maximum": jnp.maximum,
    "minimum": jnp.minimum,
    "max": jnp.max,
    "min": jnp.min,
    "sum": jnp.sum,
    "mean": jnp.mean,
}


def compute(node: ex.Node, args: list, dtype):
    if node.op == "const":
        return jnp.asarray(node.constant, dtype=dtype)
    if node.op == "pow":
        return jnp.power(args[0], jnp.asarray(node.constant, dtype=dtype))
    return FORWARD[node.op](*args)


def forward(graph: ex.Graph, leaves: dict, dtype, shifts: dict | None = None) -> list:
    """Every node's value, in order, each but the leaves plus its shift (a zero)."""
    values = []
    for node in graph.nodes:
        if node.op == "input":
            value = leaves[node.name]
        else:
            value = compute(node, [values[a] for a in node.args], dtype)
            if shifts is not None:
                value = value + shifts[node.id]
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
        held = {r: values[r] for r in statement.reads}

        def result_of(x, statement=statement, read=read, held=held):
            return statement_value(graph, statement, {**held, read: x}, dtype)

        result, pull_back = jax.vjp(result_of, values[read])
        (share,) = pull_back(grads[statement.node])
        jacobian = jax.jacrev(result_of)(values[read])
        derivative_name, share_name = ex.local_names(graph, statement, read)
        local[derivative_name] = ex.jacobian_matrix(
            jacobian, result.shape, values[read].shape, layout, jnp.reshape, jnp.transpose)
        local[share_name] = share
    return local


@functools.lru_cache(maxsize=64)
def program(graph: ex.Graph, output: int, local: bool, layout: str):
    """The jitted evaluation of ``graph``: (leaves, upstream) -> (every value, every
    gradient, the local derivatives)."""

    def evaluation(leaves: dict, upstream):
        dtype = upstream.dtype
        shapes = ex.infer_shapes(graph, {name: value.shape for name, value in leaves.items()})
        shifts = {node.id: jnp.zeros(shapes[node.id], dtype)
                  for node in graph.nodes if node.op != "input"}

        def output_of(leaves, shifts):
            values = forward(graph, leaves, dtype, shifts)
            return values[output], values

        _, pull_back, values = jax.vjp(output_of, leaves, shifts, has_aux=True)
        leaf_grads, shift_grads = pull_back(upstream)
        grads = [leaf_grads[node.name] if node.op == "input" else shift_grads[node.id]
                 for node in graph.nodes]
        derivatives = local_derivatives(graph, values, grads, dtype, layout) if local else {}
        return values, grads, derivatives

    return jax.jit(evaluation)


def seed(graph: ex.Graph, leaves: dict, output: int, upstream, dtype):
    """The upstream gradient as an array: the given one, or 1 for a number."""
    if upstream is not None:
        return jnp.asarray(upstream, dtype=dtype)
    shapes = ex.infer_shapes(graph, {name: value.shape for name, value in leaves.items()})
    return jnp.ones(shapes[output], dtype=dtype)


def finished(graph: ex.Graph, values, grads, derivatives, local: bool) -> ex.Evaluation:
    ordered = {name: derivatives[name] for name in ex.local_order(graph) if name in derivatives}
    evaluation = ex.Evaluation(list(values), list(grads), local=ordered)  # jit sorts dict keys
    return ex.with_kinks(graph, evaluation, jax_adapter.to_numpy, local)


def evaluate(graph: ex.Graph, leaves: dict, dtype, output: str | None = None, upstream=None,
             local: bool = False, layout: str = "numerator") -> ex.Evaluation:
    """Every node's value and d output / d node as arrays (``leaves``: the start values
    as NumPy arrays), as NumPy's ``evaluate``."""
    out = ex.output_node(graph, output)
    held = {name: jnp.asarray(value, dtype=dtype) for name, value in leaves.items()}
    values, grads, derivatives = program(graph, out, local, layout)(
        held, seed(graph, held, out, upstream, dtype))
    return finished(graph, values, grads, derivatives, local)


@functools.lru_cache(maxsize=64)
def training_step(graph: ex.Graph, output: int, local: bool, layout: str, moves: ex.Moves,
                  spec=None):
    """The jitted step: the evaluation, then one optax.sgd update of the moved values, or
    the [optimizer] ``spec`` as engines/jax/optimizers.py builds it (its state named)."""
    evaluation = program(graph, output, local, layout)
    optimizer = optax.sgd(moves.learning_rate) if spec is None else optimizers.build(spec)

    def step(leaves: dict, state, upstream):
        values, grads, derivatives = evaluation(leaves, upstream)
        moved = {name: leaves[name] for name in moves.names}
        descent = {name: grads[graph.named[name]] for name in moves.names}
        if moves.sign > 0:  # optax.sgd descends: ascent hands it the negated gradients
            descent = jax.tree.map(jnp.negative, descent)
        updates, state = optimizer.update(descent, state, moved)
        named = {} if spec is None else optimizers.state(spec, state)
        return values, grads, derivatives, optax.apply_updates(moved, updates), state, named

    return optimizer, jax.jit(step)


def run(table: ex.GraphTable, dtype, steps: int | None = None, record=None, spec=None):
    """The table's run, one ``expressions.Step`` at a time, as NumPy's ``run``; the
    update is ``optax.sgd`` on the moved inputs and parameters, or the [optimizer]
    ``spec``, in one jitted step."""
    graph, moves, steps = table.graph, table.moves, ex.steps_of(table, steps)
    out, local, layout = table.output_node, table.local_derivatives, table.jacobian_layout
    leaves = {name: jnp.asarray(value, dtype=dtype) for name, value in table.leaves.items()}
    upstream = seed(graph, leaves, out, table.upstream_array, dtype)
    if moves is not None:
        optimizer, step_of = training_step(graph, out, local, layout, moves, spec)
        state = optimizer.init({name: leaves[name] for name in moves.names})
    for step in range(steps + 1):
        if record is not None:
            record.start(step)
        if step == steps:
            evaluation = finished(graph, *program(graph, out, local, layout)(leaves, upstream),
                                  local)
            if record is not None:
                record.evaluation(evaluation)
            yield ex.Step(step, evaluation)
            return
        values, grads, derivatives, updated, state, named = step_of(leaves, state, upstream)
        evaluation = finished(graph, values, grads, derivatives, local)
        if record is not None:
            record.evaluation(evaluation)
            record.updated(updated)
            if spec is not None:
                record.state(named)
        leaves = {**leaves, **updated}
        yield ex.Step(step, evaluation, updated)


# %% record
def reproduce(ctx):
    """A definition's ``[graph]`` (``ctx.example.graph``): its run, in ``ctx.dtype``, with
    ``ctx.steps`` updates where it has ascent or descent, recorded into ``ctx.trace`` by
    the graph's names (GRAPHS.md)."""
    table = ex.GraphTable.model_validate(ctx.example.graph)
    ex.run_into(ctx.trace, table, sys.modules[__name__], ctx.dtype, ctx.steps,
                ex.optimizer_of(ctx.example))
