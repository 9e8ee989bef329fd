"""Hours studied in JAX: one dense neuron as a pure function of a dict of parameters,
the MSE ``optax.losses.squared_error`` averaged, the MAE ``jnp.abs`` averaged (optax
has no absolute loss), ``jax.value_and_grad`` and ``optax.sgd``, the training step one
``jax.jit``.

Layout: JAX holds the weights as (in, out), as the chapter and a Dense kernel do, and
the biases as (out,) where the chapter's are (1, out). ``ctx.load`` returns the start
values and the harness gives what is recorded the chapter's shapes (``[layout]``: the
MAE section's slopes are held as the weights and biases are).
"""

import jax
import jax.numpy as jnp
import optax


# %% data
def new_model(ctx):
    """The neuron's parameters at their start values, as JAX holds them."""
    return ctx.load(weights=jax.ShapeDtypeStruct((1, 1), ctx.dtype),
                    biases=jax.ShapeDtypeStruct((1,), ctx.dtype))


def forward(params, X):
    """yhat = X w + b, one example per row."""
    return X @ params["weights"] + params["biases"]


# %% cost
def cost_of(params, X, y):
    return jnp.mean(optax.losses.squared_error(forward(params, X), y))


# %% check
def numerical_slope(params, name, cost, EPS):
    """Nudge up, nudge down, restore each time, as the chapter's code does. Arrays are
    immutable, so the parameters as restored (which need not be the start bits) are
    returned with the slope."""
    x2 = params[name] + EPS
    cost2 = cost({**params, name: x2})
    x1 = x2 - EPS - EPS
    cost1 = cost({**params, name: x1})
    restored = {**params, name: x1 + EPS}
    return ((cost2 - cost1) / (x2 - x1)).reshape(()), restored


def nudge_against(params, name, slope, EPS):
    return {**params, name: params[name] + (EPS if slope < 0 else -EPS)}


def numerical_derivative_section(ctx, X, y):
    trace, EPS = ctx.trace, ctx.hyper.eps
    trace.value("eps", jnp.asarray(EPS, dtype=ctx.dtype))
    cost = lambda params: cost_of(params, X, y)  # noqa: E731

    params = new_model(ctx)
    og_cost = cost(params)
    slope_w, params = numerical_slope(params, "weights", cost, EPS)
    trace.value("slope_w", slope_w, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    params = nudge_against(params, "weights", slope_w, EPS)
    new_cost = trace.value("cost_after_w_nudge", cost(params))
    trace.value("change_after_w_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_w_nudge", og_cost - new_cost, scale=og_cost)

    params = new_model(ctx)
    og_cost = cost(params)
    slope_w, params = numerical_slope(params, "weights", cost, EPS)
    params = nudge_against(params, "weights", slope_w, EPS)
    slope_b, params = numerical_slope(params, "biases", cost, EPS)
    trace.value("slope_b", slope_b, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    params = nudge_against(params, "biases", slope_b, EPS)
    new_cost = trace.value("cost_after_wb_nudge", cost(params))
    trace.value("change_after_wb_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_wb_nudge", og_cost - new_cost, scale=og_cost)

    # the text's linear reading of a step of 1: the cost falls by -slope * 1
    trace.value("linear_decrease_w", -slope_w * 1.0, scale=og_cost / (2 * EPS))
    trace.value("linear_decrease_b", -slope_b * 1.0, scale=og_cost / (2 * EPS))

    params = new_model(ctx)
    params = {**params, "weights": params["weights"] + 1.0}
    trace.value("decrease_for_w_plus_1", og_cost - cost(params))
    params = {**params, "biases": params["biases"] + 1.0}
    trace.value("decrease_for_wb_plus_1", og_cost - cost(params))


# %% autodiff
def mae_backward_section(ctx, X, y):
    """The MAE's gradient with respect to the outputs, then back through the neuron to
    its weights and biases, by autodiff: ``jax.vjp`` one stage back at a time."""
    trace = ctx.trace
    params = new_model(ctx)
    outputs, neuron_pullback = jax.vjp(lambda params: forward(params, X), params)
    mae, dinputs = jax.value_and_grad(lambda outputs: jnp.mean(jnp.abs(outputs - y)))(outputs)
    (slopes,) = neuron_pullback(dinputs)
    trace.values(mae_cost=mae, mae_dinputs=dinputs, mae_slope_w=slopes["weights"],
                 mae_slope_b=slopes["biases"])


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace

    trace.step(0)
    numerical_derivative_section(ctx, X, y)
    mae_backward_section(ctx, X, y)

    params = new_model(ctx)
    trace.watch(**params)  # [layout] says how they map
    optimizer = optax.sgd(learning_rate=ctx.hyper.learning_rate)
    opt_state = optimizer.init(params)

    @jax.jit
    def training_step(params, opt_state):
        """One step, compiled once: the cost, the slopes and the updated parameters."""
        cost, slopes = jax.value_and_grad(cost_of)(params, X, y)
        updates, opt_state = optimizer.update(slopes, opt_state, params)
        return cost, slopes, optax.apply_updates(params, updates), opt_state

    def step(carry, _):  # one step as jax.lax.scan runs it: the state in, its values out
        cost, slopes, params, opt_state = training_step(*carry)
        return (params, opt_state), (cost, slopes, params)

    # every step in one compiled loop: each one's cost, slopes and parameters, stacked
    (params, opt_state), (costs, slopes, updated) = jax.lax.scan(
        step, (params, opt_state), length=ctx.steps)
    trace.training(costs, slopes, updated)  # by name: the updated parameters, from now on the mirror's
