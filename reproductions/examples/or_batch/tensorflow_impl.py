"""OR gate, batch gradient descent, in TensorFlow: ``keras.layers.Dense(1)``,
``tf.sigmoid``, half of Keras's mean squared error as the cost, ``tf.GradientTape``
and ``keras.optimizers.SGD``. Each epoch runs as one compiled ``tf.function`` step
(eager TensorFlow takes half a minute for 5000 epochs).

Layout: Keras keeps examples as rows (X is 4 x 2, Z and Y_hat are 4 x 1), the blog as
columns, so the data and every printed intermediate are transposed; so are the kernel
(in, out) = (2, 1) against the blog's W (1, 2), and the step taken on it (``[layout]``
in example.toml: the harness translates them both ways). A Dense bias is (1,) where the
blog's b is (1, 1).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
def neuron(ctx):
    """The one neuron, keras.layers.Dense(1), with the blog's start values W and b
    (Fig 41)."""
    dense = keras.layers.Dense(1, dtype=ctx.dtype)
    dense.build((None, 2))
    ctx.load(W=dense.kernel, b=dense.bias)
    return dense


# %% forward
def forward(dense, X):
    """The neuron's output Y_hat = sigmoid(Z), one example per row."""
    return tf.sigmoid(dense(X))


# %% cost
# Copied from reproductions/examples/or_single_example/tensorflow_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    """(1/2m) sum (Y - Y_hat)^2 over the m examples: half the mean squared error."""
    return 0.5 * keras.losses.MeanSquaredError()(Y, Y_hat)


# %% autodiff
def worked_by_hand(trace, dense, X, Y):
    """Figs 42-45: the forward pass, the squared residuals and every upstream and local
    gradient, by the tape."""
    with tf.GradientTape(persistent=True) as tape:
        Z = dense(X)
        Y_hat = tf.sigmoid(Z)
        cost = compute_cost(Y, Y_hat)
    dY_hat, dZ = tape.gradient(cost, [Y_hat, Z])
    local = tape.gradient(Y_hat, Z)  # the sigmoid's local gradient, elementwise
    del tape
    residual = Y - Y_hat
    squared = tf.square(residual)
    trace.values(X_train=X, Z=Z, minus_Z=-Z, Y_hat=Y_hat, residual=residual,
                 squared_residual=squared, sum_squares=tf.reduce_sum(squared), dY_hat=dY_hat,
                 one_minus_Y_hat=1 - Y_hat, dY_hat_dZ=local, dZ=dZ)


# %% record
def reproduce(ctx):
    X, Y = ctx.data("X_train"), ctx.data("Y_train")
    trace = ctx.trace
    learning_rate = ctx.hyper.learning_rate

    dense = neuron(ctx)
    trace.watch(W=dense.kernel, b=dense.bias)  # see [layout]
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    variables = [dense.kernel, dense.bias]
    optimizer.build(variables)  # its variables exist before the step is compiled

    @tf.function  # TensorFlow's idiom: the step compiled once, returning what it computed
    def training_step():
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, forward(dense, X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # the epochs between printed ones inside one graph
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        if trace.printed:  # a pass of its own for the values the text works by hand
            worked_by_hand(trace, dense, X, Y)
        costs, grads, updated = training(count)  # each epoch's values, stacked
        # kept where printed: the step SGD takes, -lr * gradient (Fig 45); b is (1, 1) in the blog
        steps_taken = {"delta_W": -learning_rate * grads[0],
                       "delta_b": -learning_rate * tf.reshape(grads[1], [-1, 1, 1])}
        trace.training(costs, grads, updated, values=steps_taken)
