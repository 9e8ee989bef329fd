"""Expression graphs in TensorFlow: tf ops forward under a ``tf.GradientTape``, and the
tape's gradients of the output with respect to every node's tensor.

The inputs and parameters are ``tf.Variable``s, the numbers constants the tape
watches; ``tape.gradient(output, [every node], output_gradients=upstream)`` gives
d output / d node for the intermediate tensors as for the variables. A statement's
local derivatives are a fresh tape's over that statement alone, computed again from
the values of the names it reads (``tape.gradient`` with the result's gradient for the
share, ``tape.jacobian`` for its Jacobian). Ascent and descent are
``keras.optimizers.SGD`` (for ascent it is handed the negated gradients).

At kinks TensorFlow agrees with the NumPy reference on relu'(0) = abs'(0) = 0 and on
an even share among tied extremes of a max or min over elements; at a tie of a max or
min of two it gives the whole gradient to the first argument (NumPy: half each), and a
computed exponent at a negative base gets 0, as in NumPy. A gradient that depends on a
kink is a finding either way (``Evaluation.on_kink``).
"""

from __future__ import annotations

import sys

import keras
import tensorflow as tf

from frameworks import tensorflow_adapter
from reproductions.engines import expressions as ex
from reproductions.engines.tensorflow import optimizers


def matmul(a, b):
    """``@`` of vectors and matrices, as NumPy's: tf.linalg.matmul takes matrices only."""
    if a.shape.rank == 1 and b.shape.rank == 1:
        return tf.tensordot(a, b, axes=1)
    if a.shape.rank == 1:  # (k,) @ (k, m): B^T a
        return tf.linalg.matvec(b, a, transpose_a=True)
    if b.shape.rank == 1:
        return tf.linalg.matvec(a, b)
    return tf.linalg.matmul(a, b)


FORWARD = {
    "identity": tf.identity,
    "neg": tf.negative,
    "add": tf.add,
    "sub": tf.subtract,
    "mul": tf.multiply,
    "div": tf.divide,
    "matmul": matmul,
    "pow": tf.pow,
    "pow_general": tf.pow,
    "exp": tf.exp,
    "log": tf.math.log,
    "sqrt": tf.sqrt,
    "abs": tf.abs,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "relu": tf.nn.relu,
    "maximum": tf.maximum,
    "minimum": tf.minimum,
    "max": tf.reduce_max,
    "min": tf.reduce_min,
    "sum": tf.reduce_sum,
    "mean": tf.reduce_mean,
}


def compute(node: ex.Node, args: list, dtype):
    if node.op == "const":
        return tf.constant(node.constant, dtype=dtype)
    if node.op == "pow":
        return tf.pow(args[0], tf.constant(node.constant, dtype=dtype))
    return FORWARD[node.op](*args)


def forward(graph: ex.Graph, leaves: dict, dtype, watch=None) -> list:
    """Every node's tensor, in order (the inputs and parameters: ``leaves``, variables);
    ``watch`` (a tape's) is given each number, so the tape differentiates it too."""
    values = []
    for node in graph.nodes:
        if node.op == "input":
            value = leaves[node.name]
        else:
            value = compute(node, [values[a] for a in node.args], dtype)
            if node.op == "const" and watch is not None:
                watch(value)
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
        x = tf.identity(values[read])  # a tensor of its own, which only the new tape watches
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            held = {r: values[r] for r in statement.reads}
            result = statement_value(graph, statement, {**held, read: x}, dtype)
        share = tape.gradient(result, x, output_gradients=grads[statement.node],
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        jacobian = tape.jacobian(result, x, unconnected_gradients=tf.UnconnectedGradients.ZERO,
                                 experimental_use_pfor=False)  # small: a loop beats tracing pfor
        del tape
        derivative_name, share_name = ex.local_names(graph, statement, read)
        local[derivative_name] = ex.jacobian_matrix(
            jacobian, tuple(result.shape), tuple(x.shape), layout, tf.reshape, tf.transpose)
        local[share_name] = share
    return local


def held_leaves(table_leaves: dict, dtype) -> dict:
    """The start values as variables."""
    return {name: tf.Variable(value, dtype=dtype, name=name)
            for name, value in table_leaves.items()}


def evaluate_held(graph: ex.Graph, held: dict, dtype, output: str | None = None, upstream=None,
                  local: bool = False, layout: str = "numerator") -> ex.Evaluation:
    """``evaluate`` on variables the caller holds (an optimizer's)."""
    with tf.GradientTape() as tape:
        values = forward(graph, held, dtype, tape.watch)
    out = values[ex.output_node(graph, output)]
    seed = tf.ones_like(out) if upstream is None else tf.constant(upstream, dtype=dtype)
    grads = tape.gradient(out, values, output_gradients=seed,
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    values = [tf.identity(v) for v in values]  # a variable's value as it is now
    evaluation = ex.Evaluation(values, list(grads))
    if local:
        evaluation.local = local_derivatives(graph, values, evaluation.grads, dtype, layout)
    return ex.with_kinks(graph, evaluation, tensorflow_adapter.to_numpy, local)


def evaluate(graph: ex.Graph, leaves: dict, dtype, output: str | None = None, upstream=None,
             local: bool = False, layout: str = "numerator") -> ex.Evaluation:
    """Every node's value and d output / d node as tensors (``leaves``: the start values
    as NumPy arrays), as NumPy's ``evaluate``."""
    return evaluate_held(graph, held_leaves(leaves, dtype), dtype, output, upstream, local, layout)


def run(table: ex.GraphTable, dtype, steps: int | None = None, record=None, spec=None):
    """The table's run, one ``expressions.Step`` at a time, as NumPy's ``run``; the
    update is ``keras.optimizers.SGD`` on the moved variables, or the [optimizer]
    ``spec`` as engines/tensorflow/optimizers.py builds it."""
    graph, moves, steps = table.graph, table.moves, ex.steps_of(table, steps)
    held = held_leaves(table.leaves, dtype)
    moved = {} if moves is None else {name: held[name] for name in moves.names}
    if moves is None:
        optimizer = None
    elif spec is not None:
        optimizer = optimizers.build(spec, moved)
    else:
        optimizer = keras.optimizers.SGD(learning_rate=moves.learning_rate)
    for step in range(steps + 1):
        if record is not None:
            record.start(step)
        evaluation = evaluate_held(graph, held, dtype, table.output, table.upstream_array,
                                   table.local_derivatives, table.jacobian_layout)
        if record is not None:
            record.evaluation(evaluation)
        if step == steps:
            yield ex.Step(step, evaluation)
            return
        grads = [evaluation.grad(graph, name) for name in moves.names]
        if moves.sign > 0:  # SGD descends: ascent hands it the negated gradients
            grads = [tf.negative(g) for g in grads]
        optimizer.apply_gradients(zip(grads, [held[name] for name in moves.names]))
        updated = {name: tf.identity(held[name]) for name in moves.names}
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
