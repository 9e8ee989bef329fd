"""The blog's XOR training loop (Fig 91-93) in TensorFlow: two ``keras.layers.Dense``
layers with the Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``,
``tf.GradientTape`` and ``keras.optimizers.SGD``.

Layout: Keras holds the examples as rows, the blog as columns, so the data and the
printed outputs are transposed, and so is a Dense kernel (in, out) against the blog's
W (out, in) (``[layout]`` in example.toml: the harness translates them both ways). A
Dense bias is (out,) where the blog's b is (out, 1).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:xor_data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class TwoLayerNet:
    def __init__(self, ctx):
        self.layer1 = keras.layers.Dense(3, activation="sigmoid", dtype=ctx.dtype)  # W1, b1
        self.layer2 = keras.layers.Dense(1, activation="sigmoid", dtype=ctx.dtype)  # W2, b2
        self.layer1.build((None, 2))
        self.layer2.build((None, 3))
        ctx.load(W1=self.layer1.kernel, b1=self.layer1.bias,
                 W2=self.layer2.kernel, b2=self.layer2.bias)

    def __call__(self, X):
        return self.layer2(self.layer1(X))

    # Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:TwoLayerNet.blog_parameters
    def blog_parameters(self):
        """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
        return {"W2": self.layer2.kernel, "b2": self.layer2.bias,
                "W1": self.layer1.kernel, "b1": self.layer1.bias}


# %% cost
# Copied from reproductions/examples/xor_hidden_layer/tensorflow_impl.py:compute_cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * keras.losses.MeanSquaredError()(Y, Y_hat)


# %% check
def predict(net, X, Y, thresh=0.5):
    """Output above ``thresh`` -> 1, else 0 (this suite's reading), and the accuracy in %."""
    predictions = tf.cast(net(X) > thresh, X.dtype)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, Y), X.dtype)) * 100
    return predictions, accuracy


# %% record
def reproduce(ctx):
    trace = ctx.trace
    X, Y = xor_data(ctx)
    net = TwoLayerNet(ctx)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    trace.watch(**net.blog_parameters())  # see [layout]
    variables = list(net.blog_parameters().values())
    optimizer.build(variables)  # its variables exist before the step is compiled

    @tf.function  # TensorFlow's idiom: the step compiled once, returning what it computed
    def training_step(*restart):  # a step-local run's: NumPy's parameters at the step's start
        for variable, value in zip(variables, restart):
            variable.assign(value)
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # every epoch inside one graph
    restarts = ctx.references(0, ctx.steps, **net.blog_parameters())  # a step-local run only
    costs, grads, updated = training(ctx.steps, *restarts)  # each epoch's values, stacked
    trace.training(costs, grads, updated)

    trace.step(ctx.steps)  # after the last update
    Y_hat = net(X)
    trace.value("A2", Y_hat)
    trace.cost(compute_cost(Y, Y_hat))
    trace.value("costs", costs[::100])  # the loop prints and keeps every 100th epoch's cost
    predictions, accuracy = predict(net, X, Y)
    trace.values(predicted_outputs=predictions, accuracy=accuracy)
