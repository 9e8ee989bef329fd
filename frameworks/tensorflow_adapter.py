"""TensorFlow (with Keras 3) on the CPU."""

import os
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
    # These must be set before TensorFlow is first imported.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums
    import keras
    import tensorflow as tf

    # every run builds its own tf.function steps: that they are traced anew is expected
    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
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
