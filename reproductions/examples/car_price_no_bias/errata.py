"""Recompute the printed numbers that disagree, from their stated causes."""

from reproductions.trace import round_by_hand


def double_rounding(example, values):
    # NumPy's default print (8 decimals), then 6 significant digits (7 decimals here),
    # rounded as a person rounds: the rounded replay's rule
    numpy_print = float(f"{values.get('a4', index=(1, 0)):.8f}")
    return float(round_by_hand(numpy_print, 7))


def stray_digit_appended(example, values):
    # The author's own value is NumPy's 8-decimal print of a4[0], 0.00034115, the same
    # digits as the printed Z4 it came from. The text shows one digit more: the 6 that
    # ends the next row's print, -0.0617156. A slip while typing the column.
    own_print = f"{values.get('a4', index=(0, 0)):.8f}"
    row_below = f"{double_rounding(example, values):.7f}"
    return float(own_print + row_below[-1])
