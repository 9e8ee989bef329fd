"""Hours studied in TensorFlow: ``keras.layers.Dense``, Keras MSE and MAE losses,
``tf.GradientTape`` and ``keras.optimizers.SGD``, the training step compiled once as a
``tf.function``.

Layout: a Dense layer's kernel is (in, out), as the chapter's weights are; its
bias is (out,) where the chapter's biases are (1, out). ``ctx.load`` sets the start
values and the harness gives what is recorded the chapter's shapes (``[layout]``: the
MAE section's slopes are held as the weights and biases are).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
def new_model(ctx):
    dense = keras.layers.Dense(1, dtype=ctx.dtype)
    dense.build((None, 1))
    ctx.load(weights=dense.kernel, biases=dense.bias)
    return dense


# %% cost
def cost_of(dense, X, y):
    return keras.losses.MeanSquaredError(dtype=X.dtype)(y, dense(X))


# %% check
def numerical_slope(variable, cost, EPS):
    """Nudge up, nudge down, restore each time, as the chapter's code does."""
    variable.assign_add(tf.fill(variable.shape, tf.constant(EPS, variable.dtype)))
    x2 = tf.identity(variable)
    cost2 = cost()
    variable.assign_sub(tf.fill(variable.shape, tf.constant(EPS, variable.dtype)))
    variable.assign_sub(tf.fill(variable.shape, tf.constant(EPS, variable.dtype)))
    x1 = tf.identity(variable)
    cost1 = cost()
    variable.assign_add(tf.fill(variable.shape, tf.constant(EPS, variable.dtype)))
    return tf.reshape((cost2 - cost1) / (x2 - x1), [])


def nudge_against(variable, slope, EPS):
    step = EPS if slope < 0 else -EPS
    variable.assign_add(tf.fill(variable.shape, tf.constant(step, variable.dtype)))


def numerical_derivative_section(ctx, X, y):
    trace, EPS = ctx.trace, ctx.hyper.eps
    trace.value("eps", tf.constant(EPS, ctx.dtype))

    dense = new_model(ctx)
    og_cost = cost_of(dense, X, y)
    slope_w = numerical_slope(dense.kernel, lambda: cost_of(dense, X, y), EPS)
    trace.value("slope_w", slope_w, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    nudge_against(dense.kernel, slope_w, EPS)
    new_cost = trace.value("cost_after_w_nudge", cost_of(dense, X, y))
    trace.value("change_after_w_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_w_nudge", og_cost - new_cost, scale=og_cost)

    dense = new_model(ctx)
    og_cost = cost_of(dense, X, y)
    slope_w = numerical_slope(dense.kernel, lambda: cost_of(dense, X, y), EPS)
    nudge_against(dense.kernel, slope_w, EPS)
    slope_b = numerical_slope(dense.bias, lambda: cost_of(dense, X, y), EPS)
    trace.value("slope_b", slope_b, scale=og_cost / (2 * EPS))  # costs cancel over 2 eps
    nudge_against(dense.bias, slope_b, EPS)
    new_cost = trace.value("cost_after_wb_nudge", cost_of(dense, X, y))
    trace.value("change_after_wb_nudge", new_cost - og_cost, scale=og_cost)
    trace.value("decrease_after_wb_nudge", og_cost - new_cost, scale=og_cost)

    # the text's linear reading of a step of 1: the cost falls by -slope * 1
    trace.value("linear_decrease_w", -slope_w * 1.0, scale=og_cost / (2 * EPS))
    trace.value("linear_decrease_b", -slope_b * 1.0, scale=og_cost / (2 * EPS))

    dense = new_model(ctx)
    dense.kernel.assign_add(tf.ones_like(dense.kernel))
    trace.value("decrease_for_w_plus_1", og_cost - cost_of(dense, X, y))
    dense.bias.assign_add(tf.ones_like(dense.bias))
    trace.value("decrease_for_wb_plus_1", og_cost - cost_of(dense, X, y))


# %% autodiff
def mae_backward_section(ctx, X, y):
    trace = ctx.trace
    dense = new_model(ctx)
    with tf.GradientTape(persistent=True) as tape:
        outputs = dense(X)
        mae = keras.losses.MeanAbsoluteError(dtype=X.dtype)(y, outputs)
    dinputs = tape.gradient(mae, outputs)
    slope_w, slope_b = tape.gradient(mae, [dense.kernel, dense.bias])
    trace.values(mae_cost=mae, mae_dinputs=dinputs, mae_slope_w=slope_w, mae_slope_b=slope_b)


# %% record
def reproduce(ctx):
    X, y = ctx.data("X"), ctx.data("y")
    trace = ctx.trace

    trace.step(0)
    numerical_derivative_section(ctx, X, y)
    mae_backward_section(ctx, X, y)

    dense = new_model(ctx)
    variables = [dense.kernel, dense.bias]
    trace.watch(weights=dense.kernel, biases=dense.bias)  # [layout] says how they map
    mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    optimizer.build(variables)  # its variables exist before tracing

    @tf.function
    def training_step():
        """One step, compiled once: the cost, the slopes and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = mse(y, dense(X))
        slopes = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(slopes, variables))
        updated = [tf.identity(v) for v in variables]  # read after the update
        return cost, slopes, updated

    training = graph_loop(training_step)  # every step inside one graph
    costs, slopes, updated = training(ctx.steps)  # each step's values, stacked
    trace.training(costs, slopes, updated)
