"""Recompute the printed numbers that disagree, from their stated causes."""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np


def delta_o2_rounded_half_away(example, values):
    """delta_o2 = dE_total/dnet_o2 = -0.0380982366 is taken to nine decimals,
    -0.038098237, and halved (w7 = 0.5): -0.0190491185, which the post rounds half away
    from zero, -0.019049119. Unrounded, the product is -0.0190491183: the exact value
    prints as -0.019049118."""
    delta = Decimal(f"{values.get('dZ2', index=(1, 0)):.9f}")
    w7 = Decimal(repr(float(values.init["W2"][1, 0])))
    return float((delta * w7).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP))


def trained_as_before_the_fix(example, values, steps):
    """The author's script before its commit 4b6faacd (2015-03-15, 'Update backprop
    algorithm so that hidden layer weight updates use original weights'): the output
    weights are updated first, and the hidden deltas take the updated ones. Returns the
    cost and the outputs after ``steps`` updates."""
    X, Y = example.array("X"), example.array("Y")
    W1, b1, W2, b2 = (np.array(values.init[name]) for name in ("W1", "b1", "W2", "b2"))
    rate = example.hyper["learning_rate"]

    def forward(W1, W2):
        A1 = 1 / (1 + np.exp(-(W1 @ X + b1)))
        return A1, 1 / (1 + np.exp(-(W2 @ A1 + b2)))

    for _ in range(steps):
        A1, A2 = forward(W1, W2)
        dZ2 = (A2 - Y) * A2 * (1 - A2)
        W2 = W2 - rate * dZ2 @ A1.T
        dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)  # the updated W2: the script's slip
        W1 = W1 - rate * dZ1 @ X.T
    A2 = forward(W1, W2)[1]
    return float(np.sum((Y - A2) ** 2) / 2), A2


def hidden_deltas_from_updated_weights_1(example, values):
    """The post's error after the first update comes from its author's script before
    the fix of 2015-03-15 (trained_as_before_the_fix), in which the hidden layer's
    deltas read the output weights already updated: 0.291027924. The post's own hand
    arithmetic (the original weights, as its text says) gives 0.291027774."""
    return trained_as_before_the_fix(example, values, 1)[0]


def hidden_deltas_from_updated_weights_o1(example, values):
    """out_o1 after 10,000 updates by the script before its fix (hidden deltas from the
    updated output weights): 0.015912196; the rule the post describes gives 0.015913620."""
    return trained_as_before_the_fix(example, values, 10000)[1][0, 0]


def hidden_deltas_from_updated_weights_o2(example, values):
    """out_o2 after 10,000 updates by the script before its fix: 0.984065734; the rule the
    post describes gives 0.984064274."""
    return trained_as_before_the_fix(example, values, 10000)[1][1, 0]


def digit_inserted_after_10000(example, values):
    """The script before its fix ends at an error of 0.0000350848, 0.000035085 to nine
    decimals; the post prints 0.0000351085, those digits with a 1 inserted after '35'
    (the rule the post describes gives 0.0000351019, no nearer)."""
    digits = f"{trained_as_before_the_fix(example, values, 10000)[0]:.9f}"  # 0.000035085
    return float(digits[:8] + "1" + digits[8:])
