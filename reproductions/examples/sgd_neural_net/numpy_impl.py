"""SGD-NEURAL-NET (7.6.2) in NumPy, step by step as the pseudocode has it, in the notes'
convention. Line numbers are the seed file's (the pseudocode's own numbering is
scrambled by the OCR).

Column vectors; layer l takes a vector of size m^l and outputs one of size n^l
(seed line 743), with W^l of shape (m^l, n^l), W_0^l of shape (n^l, 1) and

    Z^l = W^l^T A^(l-1) + W_0^l,   A^l = f^l(Z^l),

the form for which Notation 17's dZ^l/dA^(l-1) = W^l (line 845) holds in the notes'
denominator layout (eq 7.50). Here L = 2: f^1 = tanh (derivative 1 - tanh^2, eq 7.40),
f^2 = softmax with the multiclass NLL, -sum_j y_j log a_j (line 697).

The backward loop follows lines 977-1020, with three readings, each explained in the
notes of example.toml:

- the final layer starts from dL/dZ^L = A^L - Y (Concept 19, line 914, allows computing
  dL/dZ^L directly; the notes print no softmax or NLLM derivative, this one is standard);
- dL/dW^l = A^(l-1) (dL/dZ^l)^T, with the transpose of Notation 16 (line 819) that the
  pseudocode (line 1003) leaves out;
- the update of layer l stays inside the loop, as printed, but the link
  dZ^(l+1)/dA^l = W^(l+1) is the one of this step's forward pass (stored then), so every
  gradient is the gradient at the step's start and the step is eq 7.1's.
"""

import numpy as np


# %% forward
def tanh(z):
    return np.tanh(z)


def softmax(z):
    """Not written out in the notes (line 637); shifted by max(z) to avoid overflow."""
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def NLLM(a, y):
    """Multiclass NLL, -sum_j y_j log(a_j) (line 697)."""
    return -np.sum(y * np.log(a))


f = {1: tanh, 2: softmax}
L = 2


def forward(W, W0, x):
    """Lines 965-971: for every layer, the pre-activation, then the activation."""
    Z, A, dZ_dA = {}, {0: x}, {}
    for l in range(1, L + 1):
        Z[l] = W[l].T @ A[l - 1] + W0[l]
        A[l] = f[l](Z[l])
        dZ_dA[l] = W[l]  # Notation 17: the link to layer l-1, at this pass's weights
    return Z, A, dZ_dA


# %% backward
def tanh_prime(z):
    return 1 - np.tanh(z) ** 2  # eq 7.40


f_prime = {1: tanh_prime}


def literal_dL_dW1(W2_updated, x, Z, dL_dZ2):
    """dL/dW^1 if line 990 reads W^2 after line 1015 has already updated it."""
    dL_dA1 = W2_updated @ dL_dZ2
    dL_dZ1 = np.diag(tanh_prime(Z[1])[:, 0]) @ dL_dA1
    return x @ dL_dZ1.T


# %% record
def data_point(X, Y, order, t):
    """'Get random data point i' (line 959): the i drawn for step t, stored in [data]."""
    i = int(order[t])
    return X[:, [i]], Y[:, [i]]


def params_of(params):
    W = {1: params["W1"], 2: params["W2"]}
    W0 = {1: params["W0_1"], 2: params["W0_2"]}
    return W, W0


def cost_at(example, step, params):
    """The loss SGD descends at ``step``: the NLLM of that step's data point."""
    x, y = data_point(example.array("X"), example.array("Y"), example.data["order"], step)
    W, W0 = params_of(params)
    _, A, _ = forward(W, W0, x)
    return NLLM(A[L], y)


def predict(example, params, X):
    """The softmax output A^L for points X, one per column, at params (the decision
    boundary of report.boundary_plot)."""
    _, A, _ = forward(*params_of(params), X)
    return A[L]


def reproduce(ctx):
    trace = ctx.trace
    eta = ctx.hyper.learning_rate  # eta(t), constant here
    W, W0 = params_of({name: ctx.tensor(value) for name, value in ctx.init.items()})
    X, Y, order = ctx.data("X"), ctx.data("Y"), ctx.example.data["order"]

    for t in range(ctx.steps):                           # line 958, T steps
        trace.step(t)
        x, y = data_point(X, Y, order, t)                # lines 959-962

        Z, A, dZ_dA = forward(W, W0, x)                  # lines 965-971
        trace.cost(NLLM(A[L], y))                        # line 974

        dL_dZ = {}
        for l in range(L, 0, -1):                        # line 979: reversed order
            if l == L:
                dL_dZ[l] = A[L] - y                      # Concept 19: dL/dZ^L directly
            else:
                dL_dA = dZ_dA[l + 1] @ dL_dZ[l + 1]      # line 990: link two layers
                dA_dZ = np.diag(f_prime[l](Z[l])[:, 0])  # Notation 17: diagonal
                dL_dZ[l] = dA_dZ @ dL_dA                 # line 995: within layer
            dL_dW = trace.grad(f"W{l}", A[l - 1] @ dL_dZ[l].T)   # Notation 16 (line 1003)
            dL_dW0 = trace.grad(f"W0_{l}", dL_dZ[l])             # line 1008

            # Lines 1015 and 1020. Each update makes a new array: dZ_dA keeps the old W.
            W[l] = trace.param(f"W{l}", W[l] - eta * dL_dW)
            W0[l] = trace.param(f"W0_{l}", W0[l] - eta * dL_dW0)
            if l == L and trace.printed:
                # The other reading of line 990, shown where printed: W^2 already updated.
                trace.value("dL_dW1_with_updated_W2",
                            literal_dL_dW1(W[L], x, Z, dL_dZ[L]))
