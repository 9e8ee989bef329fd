"""Recompute the printed numbers that disagree, from their stated causes."""

from reproductions.trace import round_by_hand


def double_rounding(example, values):
    """a^(4)[1] = tanh(-0.06179408...) = -0.0617155482, which is -0.0617155 at the 6
    significant digits printed. NumPy's default print, used for every other matrix of
    the chapter, shows it as -0.06171555; rounding that printed value again to 6
    significant digits (half up, and half even alike) gives -0.0617156, as printed."""
    # NumPy's default print (8 decimals), then 6 significant digits (7 decimals here),
    # rounded as a person rounds: the rounded replay's rule
    numpy_print = float(f"{values.get('a4', index=(1, 0)):.8f}")
    return float(round_by_hand(numpy_print, 7))


def stray_digit_appended(example, values):
    """A conjecture: the printed 0.000341156 is the author's 8-decimal value 0.00034115
    with one stray digit appended, the 6 that ends the row below (-0.0617156), a slip
    while typing the column. The recomputation shows the printed digits are exactly
    that; no mechanism that computes the value reproduces them (see the notes)."""
    # The author's own value is NumPy's 8-decimal print of a4[0], 0.00034115, the same
    # digits as the printed Z4 it came from. The text shows one digit more: the 6 that
    # ends the next row's print, -0.0617156. A slip while typing the column.
    own_print = f"{values.get('a4', index=(0, 0)):.8f}"
    row_below = f"{double_rounding(example, values):.7f}"
    return float(own_print + row_below[-1])
