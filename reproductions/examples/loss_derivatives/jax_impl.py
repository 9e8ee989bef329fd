"""Loss derivatives in JAX: optax losses where optax has them, differentiated by autodiff.

Each loss is a function of one pair (a, y); ``jax.vmap`` maps it over the grid for the
values (``per_pair``), and ``jax.vmap(jax.value_and_grad(loss))`` gives each pair's loss
and its derivative with respect to the guess.

Optax has a square loss (``optax.losses.squared_error``) and crossentropies on logits
only (``softmax_cross_entropy``, ``sigmoid_binary_cross_entropy``). The absolute loss
and the NLL on probabilities are written out, as a JAX user writes them
(``absolute_error``, ``binary_cross_entropy``: no clipping, so the edge point a = 1e-9
keeps the notes' formula). Optax's crossentropy given log(a) as its logits takes a
log_softmax of them, which renormalises a: the loss is unchanged on the simplex, but
the gradient with respect to a gains 1/sum(a) in every component (finding
``d_nllm_da_library``), as Keras's does. So the compared d/da is written out.

Multiclass: optax wants one case per row, (N, C); the notes write one case per column,
so Z, Y and every multiclass value are transposed (``[layout]`` in example.toml: the
harness translates them both ways).
"""

import jax
import jax.numpy as jnp
import optax


# %% cost
def absolute_error(a, y):
    return jnp.abs(a - y)  # optax has no absolute loss


def binary_cross_entropy(a, y):
    return -(y * jnp.log(a) + (1 - y) * jnp.log(1 - a))  # on probabilities, unclipped


def per_pair(loss):
    """The loss of each pair (a[i], y[i]), as a function of a and y."""
    return jax.vmap(loss)


# %% autodiff
def loss_and_derivative(loss, a, y):
    """Each pair's loss and its derivative in a."""
    return jax.vmap(jax.value_and_grad(loss))(a, y)


def gradient(f, x):
    """The gradient of f(x), a loss summed over the cases, with respect to x."""
    return jax.grad(f)(x)


# %% check
# Copied from reproductions/examples/loss_derivatives/numpy_impl.py:central_difference
def central_difference(L, a, y, h):
    return (L(a + h, y) - L(a - h, y)) / (2 * h)


# %% record
@jax.jit  # one compiled program for the regression losses' values below
def regression_values(a, y, smooth, kink, h):
    """Square and absolute losses of each pair and their derivatives in a (the absolute
    one's at the smooth pairs ``smooth``, at the kink ``kink`` apart as a finding), central
    differences with the scale they cancel over, and the one-sided slopes at the kink."""
    values, scales, findings = {}, {}, {}
    values["loss_sq"], values["d_sq"] = loss_and_derivative(optax.losses.squared_error, a, y)
    L_sq = per_pair(optax.losses.squared_error)
    values["fd_sq"] = central_difference(L_sq, a, y, h)
    scales["fd_sq"] = L_sq(a + h, y) / (2 * h)
    values["loss_abs"], d = loss_and_derivative(absolute_error, a, y)
    values["d_abs"] = d[smooth]
    findings["d_abs_at_kink"] = d[kink]
    L_lin = per_pair(absolute_error)
    a_s, y_s = a[smooth], y[smooth]
    values["fd_abs"] = central_difference(L_lin, a_s, y_s, h)
    scales["fd_abs"] = L_lin(a_s + h, y_s) / (2 * h)
    a_k, y_k = a[kink], y[kink]
    values["abs_slope_right_of_kink"] = (L_lin(a_k + h, y_k) - L_lin(a_k, y_k)) / h
    scales["abs_slope_right_of_kink"] = L_lin(a_k + h, y_k) / h
    values["abs_slope_left_of_kink"] = (L_lin(a_k, y_k) - L_lin(a_k - h, y_k)) / h
    scales["abs_slope_left_of_kink"] = L_lin(a_k - h, y_k) / h
    return values, scales, findings


@jax.jit  # one compiled program for the NLL's values
def nll_values(a, y, a_edge, y_edge, h):
    """The NLL of each pair and its derivative in a, central differences with their scale,
    and at the edge point (a = 1e-9) the loss and derivative as findings."""
    values, scales, findings = {}, {}, {}
    values["loss_nll"], values["d_nll"] = loss_and_derivative(binary_cross_entropy, a, y)
    L_NLL = per_pair(binary_cross_entropy)
    values["fd_nll"] = central_difference(L_NLL, a, y, h)
    scales["fd_nll"] = L_NLL(a + h, y) / (2 * h)
    findings["loss_nll_edge"], findings["d_nll_edge"] = loss_and_derivative(
        binary_cross_entropy, a_edge, y_edge)
    return values, scales, findings


@jax.jit  # one compiled program for the multiclass values
def multiclass_values(Z, Y):
    """Softmax, the multiclass NLL and its derivatives in a and in z: written out, the
    library's crossentropy on log(a) (a finding), the fused crossentropy on the logits,
    and the same loss taken apart, so autodiff carries -y/a back through softmax."""
    target = jnp.argmax(Y, axis=1)  # the integer-label crossentropy takes each row's class
    A = jax.nn.softmax(Z, axis=1)

    # d/da: -sum_j y_j log(a_j), written out (optax's crossentropy renormalises a, see above)
    def nllm(A):
        return -jnp.sum(Y * jnp.log(A), axis=1)

    values = {"A": A, "loss_nllm": nllm(A),
              "d_nllm_da": gradient(lambda A: jnp.sum(nllm(A)), A),
              # d/dz: optax's crossentropy on the logits (the fused softmax + NLL) ...
              "d_nllm_dz": gradient(lambda Z: jnp.sum(optax.losses.softmax_cross_entropy(Z, Y)), Z),
              # ... and the same loss taken apart
              "d_nllm_dz_chain": gradient(lambda Z: jnp.sum(nllm(jax.nn.softmax(Z, axis=1))), Z)}
    findings = {"d_nllm_da_library": gradient(lambda A: jnp.sum(
        optax.losses.softmax_cross_entropy_with_integer_labels(jnp.log(A), target)), A)}
    return values, findings


def record(trace, values, scales, findings):
    for name, value in values.items():
        trace.value(name, value, scale=scales.get(name))
    for name, value in findings.items():
        trace.finding(name, value)


def reproduce(ctx):
    trace = ctx.trace
    h = jnp.asarray(ctx.hyper.h, dtype=ctx.dtype)
    trace.step(0)

    a, y = ctx.data("a_reg"), ctx.data("y_reg")
    smooth, kink = jnp.nonzero(a != y)[0], jnp.nonzero(a == y)[0]  # the pairs, by index
    record(trace, *regression_values(a, y, smooth, kink, h))
    record(trace, *nll_values(ctx.data("a_nll"), ctx.data("y_nll"), ctx.data("a_nll_edge"),
                              ctx.data("y_nll_edge"), h))
    values, findings = multiclass_values(ctx.data("Z"), ctx.data("Y"))  # one case per row
    record(trace, values, {}, findings)
