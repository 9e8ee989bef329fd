"""Recompute the printed numbers that disagree, from their stated causes.

``values`` holds the exact float64 run; the blog's hand arithmetic uses its printed
3-decimal values, so they are rounded here as a person rounds (half away from zero).
"""

from decimal import ROUND_HALF_UP, Decimal


def by_hand(x, decimals=3):
    """x rounded to ``decimals`` places, half away from zero (on x read to 7 places)."""
    unit = Decimal(1).scaleb(-decimals)
    return float(Decimal(f"{x:.{decimals + 4}f}").quantize(unit, rounding=ROUND_HALF_UP))


def swap_last_two_digits(x, decimals=3):
    digits = f"{x:.{decimals}f}"
    return float(digits[:-2] + digits[-1] + digits[-2])


def given_weight_typo(example, values):
    # Z1[2,2] = W1[2,0] * 1 + W1[2,1] * 0: the text's Z1 (printed 0.3, confirmed) uses 0.3.
    assert values.get("Z1", 0, (2, 2)) == values.get("init.W1", index=(2, 0))
    # The printed 0.4 is the entry just above it.
    return values.get("init.W1", index=(1, 1))


def digit_swap_1_minus_A1(example, values):
    one_minus = 1 - by_hand(values.get("A1", 0, (2, 3)))  # 1 - 0.731 = 0.269
    return swap_last_two_digits(by_hand(one_minus))


def digit_swap_local_gradient(example, values):
    A = by_hand(values.get("A1", 0, (2, 2)))  # 0.574
    local = by_hand(A * by_hand(1 - A))  # 0.574 * 0.426 = 0.2445 -> 0.245
    return swap_last_two_digits(local)


def _W1_minus_0_001(values, index):
    # line 1551: the start value minus 0.001, whatever the gradient entry
    return values.get("init.W1", index=index) - 0.001


def line_1551_slip_at_1_1(example, values):
    return _W1_minus_0_001(values, (1, 1))


def line_1551_slip_at_2_0(example, values):
    return _W1_minus_0_001(values, (2, 0))


def line_1551_slip_at_2_1(example, values):
    return _W1_minus_0_001(values, (2, 1))
