"""Test scores in TensorFlow: two bias-free ``keras.layers.Dense`` layers with the
Keras sigmoid, ``0.5 * keras.losses.MeanSquaredError(reduction="sum")``,
``tf.GradientTape`` and ``keras.optimizers.SGD``, the training step compiled once as a
``tf.function``.

Layout: a Dense kernel is (in, out), as the series' W1 (2, 3) and W2 (3, 1) are, so
nothing is transposed; ``ctx.load`` sets the start values.
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% forward
class Neural_Network:
    def __init__(self, dtype):
        self.hidden = keras.layers.Dense(3, use_bias=False, dtype=dtype)  # W1
        self.output = keras.layers.Dense(1, use_bias=False, dtype=dtype)  # W2
        self.hidden.build((None, 2))
        self.output.build((None, 3))

    def weights(self):
        """The series' (W1, W2): the kernels, already (in, out)."""
        return [self.hidden.kernel, self.output.kernel]

    def forward(self, X):
        self.z2 = self.hidden(X)
        self.z3 = self.output(keras.activations.sigmoid(self.z2))
        return keras.activations.sigmoid(self.z3)


# %% data
def new_network(ctx):
    net = Neural_Network(ctx.dtype)
    ctx.load(W1=net.hidden.kernel, W2=net.output.kernel)
    return net


def set_weights(net, W1, W2):
    net.hidden.kernel.assign(W1)
    net.output.kernel.assign(W2)


# %% cost
def cost_function(yHat, y):
    # J = 1/2 sum (y - yHat)^2: the series' cost has no mean, so reduction="sum"
    return 0.5 * keras.losses.MeanSquaredError(reduction="sum", dtype=yHat.dtype)(y, yHat)


# %% check
def unrolled(W1, W2):
    """The series' parameter vector of (W1, W2): W1 row by row, then W2."""
    return tf.concat([tf.reshape(W1, [-1]), tf.reshape(W2, [-1])], axis=0)


def get_params(net):
    return unrolled(*net.weights())


def set_params(net, params):
    set_weights(net, tf.reshape(params[:6], [2, 3]), tf.reshape(params[6:], [3, 1]))


def numerical_gradient(net, X, y, e):
    """Central differences, and the largest cost differenced (see numpy_impl.py)."""
    start = tf.identity(get_params(net))
    n = start.shape[0]
    numgrad, costs = [], []
    for p in range(n):
        nudge = tf.one_hot(p, n, on_value=tf.constant(e, start.dtype), dtype=start.dtype)
        set_params(net, start + nudge)
        cost_up = cost_function(net.forward(X), y)
        set_params(net, start - nudge)
        cost_down = cost_function(net.forward(X), y)
        numgrad.append((cost_up - cost_down) / (2 * e))
        costs += [cost_up, cost_down]
    set_params(net, start)
    return tf.stack(numgrad), tf.reduce_max(tf.abs(tf.stack(costs)))


# %% autodiff
def step_zero(ctx, X, y):
    trace, e = ctx.trace, ctx.hyper.eps
    net = new_network(ctx)

    with tf.GradientTape() as tape:
        yHat = net.forward(X)
        cost = cost_function(yHat, y)
    dJdW1, dJdW2, delta3, delta2 = tape.gradient(cost, net.weights() + [net.z3, net.z2])
    residual = y - yHat
    n_weights = tf.add_n([tf.size(w) for w in net.weights()])
    trace.values(yHat=yHat, y_minus_yHat=residual,
                 **{"shape.y_minus_yHat": tf.constant(residual.shape.as_list(), ctx.dtype)},
                 delta3=delta3,  # dJ/dz3
                 **{"shape.delta3": tf.constant(delta3.shape.as_list(), ctx.dtype)},
                 delta2=delta2,  # dJ/dz2
                 n_weights=tf.cast(n_weights, ctx.dtype))

    # Where the sigmoid's slope is largest, by the tape on a grid of step 0.01.
    z = tf.range(-500, 501, dtype=ctx.dtype) / 100
    with tf.GradientTape() as slope_tape:
        slope_tape.watch(z)
        sigmoid = keras.activations.sigmoid(z)
    slopes = slope_tape.gradient(sigmoid, z)
    steepest = tf.argmax(slopes)
    trace.values(sigmoidPrime_argmax=z[steepest], sigmoidPrime_max=slopes[steepest])

    grad = unrolled(dJdW1, dJdW2)
    numgrad, largest_cost = numerical_gradient(net, X, y, e)
    # scales as in numpy_impl.py (only the reference's are used): costs cancelled over
    # 2e, and the check inherits that over norm(grad + numgrad)
    trace.value("numgrad", numgrad, scale=largest_cost / (2 * e))
    norm_of_sum = tf.norm(grad + numgrad)
    trace.value("gradient_check", tf.norm(grad - numgrad) / norm_of_sum,
                scale=largest_cost / (2 * e) / norm_of_sum)

    scalar = ctx.hyper.probe_step
    W1, W2 = [tf.identity(w) for w in net.weights()]
    set_weights(net, W1 + scalar * dJdW1, W2 + scalar * dJdW2)
    uphill = cost_function(net.forward(X), y)
    set_weights(net, W1 - scalar * dJdW1, W2 - scalar * dJdW2)
    trace.values(cost_plus_gradient=uphill, cost_minus_gradient=cost_function(net.forward(X), y))


# %% record
def reproduce(ctx):
    trace = ctx.trace

    trace.step(0)
    X_raw, y_raw = ctx.data("X"), ctx.data("y")
    X = X_raw / tf.reduce_max(X_raw, axis=0)  # columns over their maxima
    y = y_raw / 100  # scores over 100
    trace.values(X_scaled=X, y_scaled=y)
    step_zero(ctx, X, y)

    net = new_network(ctx)
    trace.watch(W1=net.hidden.kernel, W2=net.output.kernel)  # already the series' (in, out)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    optimizer.build(net.weights())  # its variables exist before the step is traced

    @tf.function
    def training_step():
        """One step, compiled once: the cost, the gradients and the updated weights."""
        with tf.GradientTape() as tape:
            cost = cost_function(net.forward(X), y)
        gradients = tape.gradient(cost, net.weights())
        optimizer.apply_gradients(zip(gradients, net.weights()))
        updated = [tf.identity(v) for v in net.weights()]  # read after the update
        return cost, gradients, updated

    training = graph_loop(training_step)  # every step inside one graph
    costs, gradients, updated = training(ctx.steps)  # each step's values, stacked
    trace.training(costs, gradients, updated)
