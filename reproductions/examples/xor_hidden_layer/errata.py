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
    """Line 1308 gives W1[2,0] = 0.4, but every computation uses 0.3: Z1 row 3 on line 1318
    is 0, 0.7, 0.3, 1 = 0.3 x1 + 0.7 x2 (claimed and confirmed), and lines 1317, 1549,
    1550, 1556 print 0.3. No computation gives 0.4; it equals W1[1,1], the entry one row
    up and one column right in the same matrix, a plausible slip of the eye when copying
    it. errata.py returns that start value: it shows where the digit may come from, not
    why."""
    return values.get("init.W1", index=(1, 1))


def digit_swap_1_minus_A1(example, values):
    """1 - A1[2,3] = 1 - 0.731 = 0.269 (exact 0.26894) is printed 0.296, its last two
    digits swapped. The product printed next to it, A1(1 - A1)[2,3] = 0.197 = 0.731 *
    0.269, was computed with 0.269 (with 0.296 it would be 0.216). errata.py rounds the
    recorded A1[2,3] to 3 decimals, subtracts it from 1 and swaps the last two digits."""
    complement = 1 - by_hand(values.get("A1", 0, (2, 3)))  # 1 - 0.731
    return swap_last_two_digits(by_hand(complement))


def digit_swap_local_gradient(example, values):
    """A1(1 - A1)[2,2] from the printed 0.574 and 0.426 is 0.244524 -> 0.245 (exact 0.24446
    -> 0.244); it is printed 0.254, the last two digits of 0.245 swapped. dZ1[2,2] =
    -0.015 * 0.245 -> -0.004 is printed right. errata.py rounds the recorded A1[2,2] and
    1 - A1[2,2] to 3 decimals as the text prints them, multiplies, rounds and swaps the
    last two digits."""
    A = by_hand(values.get("A1", 0, (2, 2)))  # 0.574
    local = by_hand(A * by_hand(1 - A))  # 0.574 * 0.426 = 0.244524 -> 0.245
    return swap_last_two_digits(local)


ONE_UNIT = 10.0 ** -PLACES  # line 1551 takes 0.001 off every entry


def _start_minus_one_unit(values, index):
    return values.get("init.W1", index=index) - ONE_UNIT


def line_1551_minus_0_001_at_1_1(example, values):
    """The first printed result of the W1 update (line 1551) is the start W1 minus 0.001 in
    every entry, although the subtrahend on line 1550 has 0.002 here: 0.4 - 0.001 =
    0.399 where 0.4 - 0.002 = 0.398, as the second result (line 1557) prints. The one
    rule gives all six entries of line 1551. errata.py subtracts 0.001 from the start
    value W1[1,1]."""
    return _start_minus_one_unit(values, (1, 1))


def line_1551_minus_0_001_at_2_0(example, values):
    """Line 1551 is the start W1 minus 0.001 in every entry, although the subtrahend on
    line 1550 has 0.002 here: 0.3 - 0.001 = 0.299 where 0.3 - 0.002 = 0.298, as line
    1557 prints. errata.py subtracts 0.001 from the start value W1[2,0]."""
    return _start_minus_one_unit(values, (2, 0))


def line_1551_minus_0_001_at_2_1(example, values):
    """Line 1551 is the start W1 minus 0.001 in every entry, although the subtrahend on
    line 1550 has 0.003 here: 0.7 - 0.001 = 0.699 where 0.7 - 0.003 = 0.697, as line
    1557 prints. errata.py subtracts 0.001 from the start value W1[2,1]."""
    return _start_minus_one_unit(values, (2, 1))
