"""XOR with one hidden layer in TensorFlow: two ``keras.layers.Dense`` layers with
the Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``,
``tf.GradientTape`` and ``keras.optimizers.SGD``.

Layout: Keras holds the examples as rows, the blog as columns, so the data and every
printed intermediate are transposed, and so is a Dense kernel (in, out) against the
blog's W (out, in) (``[layout]`` in example.toml: the harness translates them both
ways). A Dense bias is (out,) where the blog's b is (out, 1).
"""

import keras
import tensorflow as tf

from frameworks.tensorflow_adapter import graph_loop


# %% data
def xor_data(ctx):
    """X_train and Y_train, one example per row (see [layout])."""
    return ctx.data("X_train"), ctx.data("Y_train")


# %% forward
class TwoLayerNet:
    def __init__(self, ctx):
        self.layer1 = keras.layers.Dense(3, dtype=ctx.dtype)  # hidden layer: W1, b1
        self.layer2 = keras.layers.Dense(1, dtype=ctx.dtype)  # output layer: W2, b2
        self.layer1.build((None, 2))
        self.layer2.build((None, 3))
        ctx.load(W1=self.layer1.kernel, b1=self.layer1.bias,
                 W2=self.layer2.kernel, b2=self.layer2.bias)

    def __call__(self, X):
        self.Z1 = self.layer1(X)
        self.A1 = keras.activations.sigmoid(self.Z1)
        self.Z2 = self.layer2(self.A1)
        self.A2 = keras.activations.sigmoid(self.Z2)
        return self.A2

    def blog_parameters(self):
        """The blog's names, in the order the blog updates them (layer 2, then layer 1)."""
        return {"W2": self.layer2.kernel, "b2": self.layer2.bias,
                "W1": self.layer1.kernel, "b1": self.layer1.bias}


# %% cost
def compute_cost(Y, Y_hat):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    return 0.5 * keras.losses.MeanSquaredError()(Y, Y_hat)


# %% autodiff
def sigmoid_local_gradient(Z):
    """dA/dZ of the element-wise sigmoid, by the tape."""
    with tf.GradientTape() as tape:
        tape.watch(Z)
        A = keras.activations.sigmoid(Z)
    return tape.gradient(A, Z)


def first_iteration(trace, net, X, Y):
    """Fig 79-81: the forward pass and every upstream and local gradient, by the tape."""
    with tf.GradientTape() as tape:
        cost = compute_cost(Y, net(X))
    dA2, dZ2, dA1, dZ1 = tape.gradient(cost, [net.A2, net.Z2, net.A1, net.Z1])
    trace.values(Z1=net.Z1, A1=net.A1, Z2=net.Z2, A2=net.A2, Y_minus_Y_hat=Y - net.A2,
                 dA2=dA2, one_minus_A2=1 - net.A2, dA2_dZ2=sigmoid_local_gradient(net.Z2),
                 dZ2=dZ2, dA1=dA1, one_minus_A1=1 - net.A1,
                 dA1_dZ1=sigmoid_local_gradient(net.Z1), dZ1=dZ1)


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
    def training_step():
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return cost, grads, [tf.identity(v) for v in variables]  # read after the update

    training = graph_loop(training_step)  # the epochs between printed ones inside one graph
    for first, count in trace.spans(ctx.steps):
        trace.step(first)
        if trace.printed:  # a pass of its own for the intermediates the text prints
            first_iteration(trace, net, X, Y)
        costs, grads, updated = training(count)  # each epoch's values, stacked
        trace.training(costs, grads, updated)

    trace.step(ctx.steps)  # after the last update: the cost and the outputs
    cost = compute_cost(Y, net(X))
    trace.value("A2", net.A2)
    trace.cost(cost)
