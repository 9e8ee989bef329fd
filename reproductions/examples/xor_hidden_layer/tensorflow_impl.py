"""XOR with one hidden layer in TensorFlow: two ``keras.layers.Dense`` layers with
the Keras sigmoid, the cost ``0.5 * keras.losses.MeanSquaredError``,
``tf.GradientTape`` and ``keras.optimizers.SGD``.

Layout: Keras holds the examples as rows, the blog as columns; a Dense kernel is
(in, out), the transpose of the blog's W (out, in), and its bias is (out,) where the
blog's b is (out, 1). ``to_keras`` and ``to_blog`` translate the start values and the
printed intermediates; the harness translates the watched parameters and their
gradients back (``[layout]`` in example.toml).
"""

import keras
import tensorflow as tf


def to_keras(tensor, kind):
    """The blog's layout to Keras's: data and W are transposed, b (out, 1) -> (out,)."""
    return tf.reshape(tensor, [-1]) if kind == "bias" else tf.transpose(tensor)


def to_blog(tensor):
    """Keras's examples as rows back to the blog's columns: (examples, units) -> (units, examples)."""
    return tf.transpose(tensor)




class TwoLayerNet:
    def __init__(self, ctx):
        self.layer1 = keras.layers.Dense(3, dtype=ctx.dtype)  # hidden layer: W1, b1
        self.layer2 = keras.layers.Dense(1, dtype=ctx.dtype)  # output layer: W2, b2
        self.layer1.build((None, 2))
        self.layer2.build((None, 3))
        for layer, k in ((self.layer1, "1"), (self.layer2, "2")):
            layer.kernel.assign(to_keras(ctx.tensor(ctx.init[f"W{k}"]), "kernel"))
            layer.bias.assign(to_keras(ctx.tensor(ctx.init[f"b{k}"]), "bias"))
        # the blog's names, in the order the blog updates them (Z2, then Z1)
        self.variables = {"W2": self.layer2.kernel, "b2": self.layer2.bias,
                          "W1": self.layer1.kernel, "b1": self.layer1.bias}

    def forward(self, X):
        self.Z1 = self.layer1(X)
        self.A1 = keras.activations.sigmoid(self.Z1)
        self.Z2 = self.layer2(self.A1)
        self.A2 = keras.activations.sigmoid(self.Z2)
        return self.A2


def make_cost(dtype):
    # (1/2m) sum (Y - Y_hat)^2 = 1/2 * mean over the m examples
    mean_squared_error = keras.losses.MeanSquaredError(dtype=dtype)

    def compute_cost(Y, Y_hat):
        return 0.5 * mean_squared_error(Y, Y_hat)

    return compute_cost


def sigmoid_local_gradient(Z):
    """dA/dZ of the element-wise sigmoid, by the tape."""
    with tf.GradientTape() as tape:
        tape.watch(Z)
        A = keras.activations.sigmoid(Z)
    return tape.gradient(A, Z)


def first_iteration(trace, net, compute_cost, X, Y):
    """Fig 79-81: the forward pass and every upstream and local gradient, by the tape."""
    with tf.GradientTape(persistent=True) as tape:
        Y_hat = net.forward(X)
        cost = compute_cost(Y, Y_hat)
    for name in ("Z1", "A1", "Z2", "A2"):
        trace.value(name, to_blog(getattr(net, name)))
    trace.value("Y_minus_Y_hat", to_blog(Y - net.A2))
    upstream = tape.gradient(cost, {"A2": net.A2, "Z2": net.Z2, "A1": net.A1, "Z1": net.Z1})
    trace.value("dA2", to_blog(upstream["A2"]))
    trace.value("one_minus_A2", to_blog(1 - net.A2))
    trace.value("dA2_dZ2", to_blog(sigmoid_local_gradient(net.Z2)))
    trace.value("dZ2", to_blog(upstream["Z2"]))
    trace.value("dA1", to_blog(upstream["A1"]))
    trace.value("one_minus_A1", to_blog(1 - net.A1))
    trace.value("dA1_dZ1", to_blog(sigmoid_local_gradient(net.Z1)))
    trace.value("dZ1", to_blog(upstream["Z1"]))
    del tape


def reproduce(ctx):
    trace = ctx.trace
    X = to_keras(ctx.data("X_train"), "data")
    Y = to_keras(ctx.data("Y_train"), "data")
    net = TwoLayerNet(ctx)
    compute_cost = make_cost(ctx.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)
    variables = list(net.variables.values())
    trace.watch(**net.variables)  # the blog's names and order; see [layout]
    optimizer.build(variables)  # its variables exist before the step is traced

    @tf.function
    def training_step():
        """One epoch, compiled once: the cost, the gradients and the updated parameters."""
        with tf.GradientTape() as tape:
            cost = compute_cost(Y, net.forward(X))
        grads = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(grads, variables))
        updated = [tf.identity(v) for v in variables]  # read after the update
        return cost, grads, updated

    for epoch in range(ctx.steps):
        trace.step(epoch)
        if epoch == 0:  # Fig 79-81 print every intermediate of the first iteration
            first_iteration(trace, net, compute_cost, X, Y)
        cost, grads, updated = training_step()
        trace.gradients(cost, grads)
        trace.parameters(updated)

    if ctx.steps:  # after the last update: the cost and the outputs
        trace.step(ctx.steps)
        cost = compute_cost(Y, net.forward(X))
        trace.value("A2", to_blog(net.A2))
        trace.cost(cost)
