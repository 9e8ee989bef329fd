"""Expression graphs in NumPy: the reference, forward and backward written out by hand.

The forward pass computes every node of the graph in the order the parser made them
(each node's arguments come before it). The backward pass is reverse-mode
differentiation by hand: it starts at the output with the upstream gradient
d L / d output (1 for a number), and walks the nodes from the last to the first.
When it reaches a node, every node that uses it has already passed its share back,
so the node's gradient is complete; the node then passes to each of its arguments
its gradient times its local derivative with respect to that argument (the chain
rule), and where an argument is used more than once, the shares add up (the
multivariate chain rule). Each op's local derivative is one small function below.

Broadcasting: where NumPy stretched an argument to the shape of the result (a bias
(3, 1) added to a (3, 4) matrix), each of its elements was used once per copy, so its
share is the result's gradient summed over the stretched axes (``unbroadcast``).

Kinks, the convention of this reference (GRAPHS.md): relu'(0) = 0, abs'(0) = 0 (the
sign of 0), a max or min of two arguments at a tie gives each half, a max or min over
elements shares the gradient evenly among the tied extremes, and a computed exponent's
derivative at a base <= 0 (where log(base) is not a real number) is 0 (at a base of 0
every framework agrees; below, it is a kink). Where one of
these decides a gradient, the evaluation says so (``Evaluation.on_kink``) and the
record makes it a finding, not a comparison.
"""

from __future__ import annotations

import sys

import numpy as np

from reproductions.engines import expressions as ex
from reproductions.engines.numpy.optimizers import Optimizer

# --- forward: what each op computes --------------------------------------------------


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(x, 0)


FORWARD = {
    "identity": lambda x: x,
    "neg": np.negative,
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "matmul": np.matmul,
    "pow": np.power,  # x ** a number (the number as an array of the run's dtype)
    "pow_general": np.power,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "max": np.max,
    "min": np.min,
    "sum": np.sum,
    "mean": np.mean,
}


def compute(node: ex.Node, args: list, dtype):
    """One node's value from its arguments' values."""
    if node.op == "const":
        return np.asarray(node.constant, dtype=dtype)
    if node.op == "pow":
        return np.power(args[0], np.asarray(node.constant, dtype=dtype))
    return FORWARD[node.op](*args)


# --- backward: what each node passes back to its arguments ------------------------------
#
# Each function takes g (d L / d node, the node's complete gradient), the node's own
# value `out` and its arguments' values, and returns one share per argument: g times
# the local derivative d node / d argument.


def unbroadcast(share, shape):
    """A share summed back to an argument's shape, over the axes broadcasting added
    (in front) or stretched (from length 1)."""
    share = np.asarray(share)
    if share.shape == tuple(shape):
        return share
    added = share.ndim - len(shape)
    stretched = tuple(added + i for i, n in enumerate(shape)
                      if n == 1 and share.shape[added + i] != 1)
    return np.sum(share, axis=tuple(range(added)) + stretched, keepdims=True).reshape(shape)


def identity_backward(g, out, x):
    return (g,)  # d x / d x = 1


def neg_backward(g, out, x):
    return (-g,)  # d(-x)/dx = -1


def add_backward(g, out, a, b):
    # d(a + b)/da = 1 and d(a + b)/db = 1: the gradient passes to both unchanged
    return unbroadcast(g, np.shape(a)), unbroadcast(g, np.shape(b))


def sub_backward(g, out, a, b):
    # d(a - b)/da = 1, d(a - b)/db = -1
    return unbroadcast(g, np.shape(a)), unbroadcast(-g, np.shape(b))


def mul_backward(g, out, a, b):
    # d(a * b)/da = b and d(a * b)/db = a: each factor's share is scaled by the other
    return unbroadcast(g * b, np.shape(a)), unbroadcast(g * a, np.shape(b))


def div_backward(g, out, a, b):
    # d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2
    return unbroadcast(g / b, np.shape(a)), unbroadcast(-g * a / b ** 2, np.shape(b))


def matmul_backward(g, out, a, b):
    """C = A @ B, C[i, j] = sum_k A[i, k] B[k, j]: dC[i, j]/dA[i, k] = B[k, j], so
    dA = g @ B^T; dC[i, j]/dB[k, j] = A[i, k], so dB = A^T @ g. A vector on either side
    is a matrix of one row (on the left) or one column (on the right) that the product
    drops, hence the outer products."""
    if a.ndim == 1 and b.ndim == 1:  # a dot product, a number
        return g * b, g * a
    if a.ndim == 1:  # (k,) @ (k, m) -> (m,)
        return b @ g, np.outer(a, g)
    if b.ndim == 1:  # (n, k) @ (k,) -> (n,)
        return np.outer(g, b), a.T @ g
    return g @ b.T, a.T @ g


def pow_backward(g, out, x, exponent):
    # d(x^p)/dx = p x^(p - 1), for a number p
    return (g * exponent * x ** (exponent - 1),)


def pow_general_backward(g, out, x, y):
    """d(x^y)/dx = y x^(y - 1); d(x^y)/dy = x^y log(x), which exists for x > 0 only:
    at a base of 0 or less this reference takes 0 (below 0 a kink, reported)."""
    log_x = np.log(np.where(x > 0, x, 1))  # log(1) = 0 where x <= 0
    return unbroadcast(g * y * x ** (y - 1), np.shape(x)), unbroadcast(g * out * log_x, np.shape(y))


def exp_backward(g, out, x):
    return (g * out,)  # d e^x / dx = e^x, the node's own value


def log_backward(g, out, x):
    return (g / x,)  # d log(x)/dx = 1 / x


def sqrt_backward(g, out, x):
    return (g / (2 * out),)  # d sqrt(x)/dx = 1 / (2 sqrt(x))


def abs_backward(g, out, x):
    return (g * np.sign(x),)  # d|x|/dx = sign(x): -1, 1, and 0 at the kink x = 0


def tanh_backward(g, out, x):
    return (g * (1 - out ** 2),)  # d tanh(x)/dx = 1 - tanh(x)^2


def sigmoid_backward(g, out, x):
    return (g * out * (1 - out),)  # d s(x)/dx = s(x) (1 - s(x))


def relu_backward(g, out, x):
    return (g * (x > 0),)  # 1 where x > 0, 0 where x < 0, and 0 at the kink x = 0


def tie_shares(g, a, b, a_wins):
    """The shares of a max or min of two: all of g to the winner, half to each at a tie."""
    zero = np.zeros_like(g)
    to_a = np.where(a_wins, g, np.where(a == b, g / 2, zero))
    to_b = np.where(a_wins | (a == b), np.where(a == b, g / 2, zero), g)
    return unbroadcast(to_a, np.shape(a)), unbroadcast(to_b, np.shape(b))


def maximum_backward(g, out, a, b):
    return tie_shares(g, a, b, a > b)  # d max(a, b)/da = 1 where a is larger, 0 where smaller


def minimum_backward(g, out, a, b):
    return tie_shares(g, a, b, a < b)


def extreme_backward(g, out, x):
    """max(x) or min(x) over all elements: the element that is the extreme passes the
    gradient, the others 0; tied extremes share it evenly."""
    chosen = x == out
    return (g * chosen / int(np.count_nonzero(chosen)),)  # a Python int keeps float32 float32


def sum_backward(g, out, x):
    return (np.ones_like(x) * g,)  # d sum(x) / d x_i = 1 for every element


def mean_backward(g, out, x):
    return (np.ones_like(x) * (g / np.size(x)),)  # d mean(x) / d x_i = 1 / n


BACKWARD = {
    "identity": identity_backward, "neg": neg_backward, "add": add_backward,
    "sub": sub_backward, "mul": mul_backward, "div": div_backward,
    "matmul": matmul_backward, "pow": pow_backward, "pow_general": pow_general_backward,
    "exp": exp_backward, "log": log_backward, "sqrt": sqrt_backward, "abs": abs_backward,
    "tanh": tanh_backward, "sigmoid": sigmoid_backward, "relu": relu_backward,
    "maximum": maximum_backward, "minimum": minimum_backward, "max": extreme_backward,
    "min": extreme_backward, "sum": sum_backward, "mean": mean_backward,
}


def shares(node: ex.Node, g, values: list):
    """What ``node`` passes back to each of its arguments, given its gradient ``g``."""
    args = [values[a] for a in node.args]
    if node.op == "pow":
        args.append(np.asarray(node.constant, dtype=np.asarray(g).dtype))
    return BACKWARD[node.op](g, values[node.id], *args)


# --- the passes --------------------------------------------------------------------------


def forward(graph: ex.Graph, leaves: dict, dtype, record=None) -> list:
    """Every node's value, in order; ``record`` (an ``expressions.Recorder``) sees each
    named one and gives back the value to go on with."""
    values = []
    for node in graph.nodes:
        if node.op == "input":
            value = np.array(leaves[node.name], dtype=dtype)
        else:
            value = compute(node, [values[a] for a in node.args], dtype)
        if record is not None and node.name is not None:
            value = record.value(node.name, value)
        values.append(value)
    return values


def backward(graph: ex.Graph, values: list, output: int, upstream, record=None):
    """d output / d node for every node, by the walk of the module docstring; and the
    kinks it passed (``expressions.find_kinks``'s rule, applied as it goes, so that
    ``record`` knows, as each named gradient is complete, whether it is a finding)."""
    pending = {output: upstream}  # shares received so far, by node
    grads, kinks, affected = [None] * len(graph.nodes), {}, set()
    for node in reversed(graph.nodes):
        g = pending.pop(node.id, None)
        if g is None:  # no path from this node to the output
            g = np.zeros_like(values[node.id])
        if record is not None and node.name is not None:
            g = record.grad(node.name, g, node.id in affected)
        grads[node.id] = g
        if not node.args or node.id > output:
            continue
        why = ex.kink_at(node, [np.asarray(values[a]) for a in node.args], g)
        if why is not None:
            kinks[node.id] = why
        if why is not None or node.id in affected:
            affected.update(node.args)
        for arg, share in zip(node.args, shares(node, g, values)):
            pending[arg] = share if arg not in pending else pending[arg] + share
    return grads, kinks, frozenset(affected)


def statement_value(graph: ex.Graph, statement: ex.Statement, given: dict, dtype):
    """A statement's result computed again from ``given`` values of the names it reads."""
    known = dict(given)
    for node_id in statement.nodes:
        node = graph.nodes[node_id]
        known[node_id] = compute(node, [known[a] for a in node.args], dtype)
    return known[statement.node]


def statement_backward(graph: ex.Graph, values: list, statement: ex.Statement, seed) -> dict:
    """The backward walk over one statement's own nodes, from ``seed`` at its result:
    the share each name it reads gets, the other names held as they are (a partial
    derivative of that one line)."""
    pending = {statement.node: seed}
    for node_id in reversed(statement.nodes):
        node = graph.nodes[node_id]
        g = pending.pop(node_id, None)
        if g is None or not node.args:
            continue
        for arg, share in zip(node.args, shares(node, g, values)):
            pending[arg] = share if arg not in pending else pending[arg] + share
    return {read: pending.get(read, np.zeros_like(values[read])) for read in statement.reads}


def local_derivatives(graph: ex.Graph, values: list, grads: list, layout: str) -> dict:
    """For each statement and each name it reads: the local derivative (its Jacobian,
    one backward walk of the statement per element of its result, seeded with that
    element's unit vector: row j is d result_j / d name) and the share of the name's
    gradient that flows through the statement (one walk seeded with the result's
    gradient), named by ``expressions.local_names``."""
    local = {}
    for statement in graph.statements:
        result = np.asarray(values[statement.node])
        through = statement_backward(graph, values, statement, grads[statement.node])
        rows = []
        for j in range(result.size):
            unit = np.zeros_like(result)
            unit.flat[j] = 1
            rows.append(statement_backward(graph, values, statement, unit))
        for read in statement.reads:
            jacobian = np.stack([np.reshape(row[read], -1) for row in rows])
            derivative_name, share_name = ex.local_names(graph, statement, read)
            local[derivative_name] = ex.jacobian_matrix(jacobian, result.shape,
                                                        np.shape(values[read]), layout,
                                                        np.reshape, np.transpose)
            local[share_name] = through[read]
    return local


def evaluate(graph: ex.Graph, leaves: dict, dtype, output: str | None = None, upstream=None,
             local: bool = False, layout: str = "numerator", record=None) -> ex.Evaluation:
    """Every node's value and d output / d node (``output``: a node's name, by default
    the last statement's result; ``upstream``: d L / d output, by default 1), in
    ``dtype``; with ``local``, each statement's local derivatives and shares too."""
    out = ex.output_node(graph, output)
    values = forward(graph, leaves, dtype, record)
    if record is not None:
        record.cost(values[out])
    seed = np.ones_like(values[out]) if upstream is None else np.asarray(upstream, dtype=dtype)
    grads, kinks, on_kink = backward(graph, values, out, seed, record)
    evaluation = ex.Evaluation(values, grads, kinks, on_kink)
    if local:
        evaluation.local = local_derivatives(graph, values, grads, layout)
        evaluation.local_on_kink = ex.local_kinks(graph, values)
        if record is not None:
            record.local(evaluation)
    return evaluation


def run(table: ex.GraphTable, dtype, steps: int | None = None, record=None, spec=None):
    """The table's run, one ``expressions.Step`` at a time: without an update, one
    evaluation (step 0); with ascent or descent, each step's evaluation and the moved
    values after its update (x + rate * grad, or x - rate * grad, or the [optimizer] ``spec``'s
    rule written out, engines/numpy/optimizers.py), then the evaluation after the last
    update (step ``steps``). ``record`` (an ``expressions.Recorder``) records as it goes,
    and the run goes on with what it gives back."""
    graph, moves, steps = table.graph, table.moves, ex.steps_of(table, steps)
    leaves = {name: np.array(value, dtype=dtype) for name, value in table.leaves.items()}
    rule = None if spec is None or moves is None else Optimizer(
        spec, {name: leaves[name] for name in moves.names})
    for step in range(steps + 1):
        if record is not None:
            record.start(step)
        evaluation = evaluate(graph, leaves, dtype, table.output, table.upstream_array,
                              table.local_derivatives, table.jacobian_layout, record)
        if step == steps:
            yield ex.Step(step, evaluation)
            return
        grads = {name: evaluation.grad(graph, name) for name in moves.names}
        if rule is not None:  # the [optimizer]'s update, descending
            moved = rule.step({name: leaves[name] for name in moves.names}, grads)
        elif moves.sign > 0:  # ascent: up the gradient
            moved = {name: leaves[name] + moves.learning_rate * grads[name] for name in grads}
        else:  # descent: down it
            moved = {name: leaves[name] - moves.learning_rate * grads[name] for name in grads}
        updated = {name: value if record is None else record.param(name, value)
                   for name, value in moved.items()}
        if rule is not None and record is not None:
            record.state(rule.state())
        leaves.update(updated)
        yield ex.Step(step, evaluation, updated)


# %% record
def reproduce(ctx):
    """A definition's ``[graph]`` (``ctx.example.graph``): its run, in ``ctx.dtype``, with
    ``ctx.steps`` updates where it has ascent or descent, recorded into ``ctx.trace`` by
    the graph's names (GRAPHS.md)."""
    table = ex.GraphTable.model_validate(ctx.example.graph)
    ex.run_into(ctx.trace, table, sys.modules[__name__], ctx.dtype, ctx.steps,
                ex.optimizer_of(ctx.example))
