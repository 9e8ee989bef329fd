"""TensorFlow (with Keras 3) on the CPU."""

from importlib import metadata

from ._layout import fitted

NAME = "tensorflow"
DISTRIBUTIONS = ("tensorflow-cpu", "tensorflow")


def version() -> str | None:
    for distribution in DISTRIBUTIONS:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None


def setup(dtype: str):
    # TF_ENABLE_ONEDNN_OPTS=0 and a quiet log are set by frameworks/__init__.py
    import keras
    import tensorflow as tf

    # every run builds its own tf.function steps: that they are traced anew is expected
    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    # Grappler's arithmetic optimizer rewrites a compiled graph's sums (it sorts an AddN's
    # inputs by node name); off, a tf.function computes what eager TensorFlow computes,
    # in the same order.
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already fixed by an earlier run in this process
    # Keras keeps optimizer hyperparameters and layer weights in floatx: left at
    # float32, SGD's learning rate 0.01 becomes 0.009999999776 in a float64 run.
    keras.backend.set_floatx(dtype)
    return getattr(tf, dtype)


def from_numpy(array, dtype):
    import tensorflow as tf

    return tf.constant(array, dtype=dtype)


def view(value):
    import numpy as np

    numpy = getattr(value, "numpy", None)  # an eager tensor or a variable: no TensorFlow op
    return np.asarray(numpy() if numpy is not None else value)


def to_numpy(value):
    import numpy as np

    return np.asarray(view(value), dtype=np.float64)  # float32 to float64 is exact


def stored_gradient(parameter):
    raise TypeError("a TensorFlow variable keeps no gradient: pass the tape's gradients "
                    "to trace.gradients")


def assign(variable, array):
    import tensorflow as tf

    variable.assign(tf.constant(fitted(array, tuple(variable.shape)), dtype=variable.dtype))
    return variable



def graph_loop(step):
    """A training loop TensorFlow runs as one graph: ``loop(count, *rows)`` calls
    ``step(*row)`` ``count`` times inside one ``tf.function`` (a while-loop over
    ``tf.range``, run without returning to Python between steps) and returns what each
    call returned, stacked along a new first axis (``tf.TensorArray``): TensorFlow's
    counterpart of ``jax.lax.scan`` for a step that updates its variables in place.
    ``rows`` are tensors with a first axis of ``count`` (an example's index per step, say):
    call k gets row k of each. The step is traced once, not run, to learn what it returns."""
    import tensorflow as tf

    step = tf.function(step)

    @tf.function
    def loop(count, *rows):
        specs = [tf.TensorSpec(row.shape[1:], row.dtype) for row in rows]
        outputs = step.get_concrete_function(*specs).structured_outputs
        leaves = tf.nest.flatten(outputs)
        stacks = [tf.TensorArray(leaf.dtype, size=count, element_shape=leaf.shape) for leaf in leaves]
        for k in tf.range(count):
            done = tf.nest.flatten(step(*[row[k] for row in rows]))
            stacks = [stack.write(k, value) for stack, value in zip(stacks, done)]
        return tf.nest.pack_sequence_as(outputs, [stack.stack() for stack in stacks])

    return lambda count, *rows: loop(tf.constant(count, tf.int32), *rows)
