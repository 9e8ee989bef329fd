"""Recompute the printed numbers that disagree, from their stated causes.

``values`` holds the exact float64 run. The text's hand arithmetic works on its
printed 3-decimal values, so they are rounded here as a person rounds them (half
away from zero).
"""

from reproductions.trace import round_by_hand

PLACES = 3  # Fig 79-82 print 3 decimals


def by_hand(x, places=PLACES):
    """x rounded to ``places`` decimals as a person rounds it: the rounded replay's rule."""
    return float(round_by_hand(x, places))


def swap_last_two_digits(x, places=PLACES):
    """The slip: the last two printed digits of x written in the wrong order."""
    digits = f"{x:.{places}f}"
    return float(digits[:-2] + digits[-1] + digits[-2])


def given_weight_typo(example, values):
    # The 0.4 printed for W1[2,0] on line 1308 is the value of W1[1,1], one row up and
    # one column right; nothing computes it.
    return values.get("init.W1", index=(1, 1))


def digit_swap_1_minus_A1(example, values):
    complement = 1 - by_hand(values.get("A1", 0, (2, 3)))  # 1 - 0.731
    return swap_last_two_digits(by_hand(complement))


def digit_swap_local_gradient(example, values):
    A = by_hand(values.get("A1", 0, (2, 2)))  # 0.574
    local = by_hand(A * by_hand(1 - A))  # 0.574 * 0.426 = 0.244524 -> 0.245
    return swap_last_two_digits(local)


ONE_UNIT = 10.0 ** -PLACES  # line 1551 takes 0.001 off every entry


def _start_minus_one_unit(values, index):
    return values.get("init.W1", index=index) - ONE_UNIT


def line_1551_minus_0_001_at_1_1(example, values):
    return _start_minus_one_unit(values, (1, 1))


def line_1551_minus_0_001_at_2_0(example, values):
    return _start_minus_one_unit(values, (2, 0))


def line_1551_minus_0_001_at_2_1(example, values):
    return _start_minus_one_unit(values, (2, 1))
