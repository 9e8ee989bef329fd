"""Recompute the printed numbers of Figs 42-47 that disagree, from their stated causes."""

from decimal import Decimal


def example2_features_swapped_x1(example, values):
    """The printed X_train [[0, 1, 1, 1], [0, 0, 0, 1]] has example 2's features swapped:
    its first row holds x2 = 1 of example 2 where x1 = 0 belongs (Fig 41 defines [[0, 0,
    1, 1], [0, 1, 0, 1]], and the Z printed uses it)."""
    # the printed X_train's first row holds example 2's x2 (1) where its x1 (0) belongs
    return values.get("X_train", step=0, index=(1, 1))


def example2_features_swapped_x2(example, values):
    # ... and its second row holds example 2's x1 (0) where its x2 (1) belongs
    return values.get("X_train", step=0, index=(0, 1))


def dz1_sign_slip(example, values):
    return -values.get("dZ", step=0, index=(0, 0))


def bias_from_the_slipped_sum(example, values):
    """Fig 46 gives the bias as 0.099: 0 - 1 * ((-0.031) + (-0.02) + (-0.03) + (-0.018)),
    the update from the bias sum as l.850 writes it with dz1's sign slipped. Fig 45
    computes b = 0.037, and Fig 46's own Z uses 0.037."""
    # db summed as l.850 writes it: the printed dZ (3 decimals) with dz1's sign slipped,
    # then b = b - alpha * db from the start value
    printed = [round(values.get("dZ", step=0, index=(0, i)), 3) for i in range(4)]
    db = -printed[0] + sum(printed[1:])  # (-0.031) + (-0.02) + (-0.03) + (-0.018)
    return values.get("init.b", index=(0, 0)) - example.hyper["learning_rate"] * db


def square_of_0505(example, values):
    # the residual printed beside it is -0.509; the square is that of 0.505 (9 typed as 5)
    printed = f"{abs(values.get('residual', step=1, index=(0, 0))):.3f}"  # '0.509'
    return float(Decimal(printed[:-1] + "5") ** 2)


def sum_with_shifted_decimal(example, values):
    # the sum of squares, 0.672, with its decimal point one place off
    return values.get("sum_squares", step=1) / 10
