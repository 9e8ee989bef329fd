"""JAX (with optax) on the CPU.

JAX arrays are immutable: a JAX mirror holds its parameters as a dict of arrays
and passes them through pure functions. ``assign`` therefore returns a new array
holding the value, with the shape and dtype of the array (or
``jax.ShapeDtypeStruct``) it is given, and ``ctx.load`` hands the loaded arrays back.

``setup`` fixes, before JAX is first imported, the CPU platform and one thread
for XLA's Eigen kernels (reductions always split the same way), and keeps XLA's
code generator from contracting ``a * b + c`` into one fused multiply-add: left to
itself, a jitted step on a CPU with FMA computes optax's ``p + (-lr) * g`` with one
rounding where NumPy, PyTorch and TensorFlow round twice (``--xla_cpu_max_isa=AVX``,
the last x86 instruction set without FMA, which also caps the code XLA generates at AVX
on every x86-64 CPU; ``setup`` checks that it holds, and refuses a JAX started
before it without it). Elsewhere (an ARM CPU) the contraction stays: it is
one rounding of the size of a parameter per step, inside the tolerance.

Compiled programs are kept on disk (JAX's persistent compilation cache, in
``$REPRO_JAX_CACHE`` or ``~/.cache/textbook-backprop-repro/jax``), so that a later
process, a test or the next run, loads a step XLA has compiled before instead of
compiling it again (about 60 ms for each operation run outside ``jax.jit`` on a small
CPU, each jitted function more). The cache is keyed by the program, the XLA flags and
the versions: what it returns is what compiling again would give.

float64 needs ``jax_enable_x64``; a float32 run switches it off, so that no array of
the run can be float64 by default (a ``jnp.zeros(n)`` or ``jnp.array(1.0)`` without a
dtype is float32 there).
"""

import os
import platform
from importlib import metadata

from ._layout import fitted

NAME = "jax"
DISTRIBUTIONS = ("jax", "jaxlib")
X86 = platform.machine().lower() in ("x86_64", "amd64")
XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false",) + (("--xla_cpu_max_isa=AVX",) if X86 else ())
_rounds_twice = {}  # dtype -> whether a jitted a * b + c rounds twice, as NumPy does


def version() -> str | None:
    try:
        versions = [metadata.version(distribution) for distribution in DISTRIBUTIONS]
    except metadata.PackageNotFoundError:
        return None
    return versions[0]


def setup(dtype: str):
    # These are read when JAX first starts its CPU backend.
    os.environ["JAX_PLATFORMS"] = "cpu"
    given = os.environ.get("XLA_FLAGS", "").split()
    named = {flag.split("=")[0] for flag in given}
    os.environ["XLA_FLAGS"] = " ".join(given + [flag for flag in XLA_FLAGS
                                                if flag.split("=")[0] not in named])
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_compilation_cache_dir", cache_folder())
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # every program
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_enable_x64", dtype == "float64")
    if X86 and not rounds_twice(dtype):
        raise RuntimeError("a jitted a * b + c is one fused multiply-add: JAX's CPU backend "
                           "started without the adapter's XLA_FLAGS " + " ".join(XLA_FLAGS)
                           + " (started before its setup, or XLA_FLAGS names another ISA: "
                           + repr(os.environ["XLA_FLAGS"]) + ")")
    return getattr(jnp, dtype)


def cache_folder() -> str:
    """Where compiled programs are kept: ``$REPRO_JAX_CACHE``, or the user's cache."""
    given = os.environ.get("REPRO_JAX_CACHE")
    if given:
        return given
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "textbook-backprop-repro", "jax")


def rounds_twice(dtype: str) -> bool:
    """Whether a jitted ``a * b + c`` rounds the product and then the sum, as NumPy does:
    (1 + d)(1 - d) - 1 is 0 after rounding 1 - d**2 to 1, -d**2 in one fused multiply-add."""
    if dtype not in _rounds_twice:
        import jax
        import jax.numpy as jnp

        d = 2.0 ** (-27 if dtype == "float64" else -13)
        a, b, c = (jnp.full(64, v, dtype=dtype) for v in (1 + d, 1 - d, -1.0))
        _rounds_twice[dtype] = bool(jnp.all(jax.jit(lambda a, b, c: a * b + c)(a, b, c) == 0))
    return _rounds_twice[dtype]


def from_numpy(array, dtype):
    import jax.numpy as jnp

    return jnp.asarray(array, dtype=dtype)


def view(value):
    import numpy as np

    return np.asarray(value)  # a CPU array's own buffer where JAX can lend it


def to_numpy(value):
    import numpy as np

    return np.asarray(view(value), dtype=np.float64)  # float32 to float64 is exact


def stored_gradient(parameter):
    raise TypeError("a JAX array keeps no gradient: pass jax.value_and_grad's gradients to "
                    "trace.gradients")


def assign(parameter, array):
    """A new array holding ``array`` with ``parameter``'s shape and dtype (an array or a
    ``jax.ShapeDtypeStruct``): the parameter as the mirror holds it from now on."""
    import jax.numpy as jnp

    return jnp.asarray(fitted(array, tuple(parameter.shape)), dtype=parameter.dtype)
