"""The Notation 17 example in NumPy, by the notes' formulas.

Column vectors, as in the notes: z is (3, 1). The activation is f(z) = z^2, its
derivative f'(z) = 2z (eq 7.49), and Notation 17 puts f'(z_i) on the i-th diagonal of
dA/dZ, all other entries 0. The matrix is in the notes' denominator layout (eq 7.50:
row i for z_i, column j for a_j); being diagonal, it reads the same in either layout.
"""

import numpy as np


# %% forward
def f(z):
    """The example's activation, f(z) = z^2 (seed line 856)."""
    return z ** 2


# %% backward
def f_prime(z):
    """Its derivative, f'(z) = 2z (eq 7.49, printed without the prime)."""
    return 2 * z


def dA_dZ(f_prime_of_z):
    """Notation 17: f'(z_i) on the i-th diagonal, r x r where r is the length of Z."""
    return np.diag(f_prime_of_z[:, 0])


# %% record
def reproduce(ctx):
    trace = ctx.trace
    z = ctx.data("z")  # eq 7.47

    trace.step(0)
    trace.value("a", f(z))                       # eq 7.48
    fp = trace.grad("z", f_prime(z))             # the diagonal 2*1, 2*2, 2*3
    trace.value("da/dz", dA_dZ(fp))              # line 878
