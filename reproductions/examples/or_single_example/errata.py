"""Recompute Fig 26's printed numbers that disagree, from their stated causes."""

from decimal import ROUND_DOWN, Decimal


def loss_as_the_text_works_it(example, values):
    """1/2 (y - y_hat)^2 with y_hat of step 1 taken at the 3 decimals Fig 25 prints,
    in decimal arithmetic as on paper."""
    y_hat = Decimal(f"{values.get('y_hat', step=1, index=(0, 0)):.3f}")
    y = Decimal(f"{example.array('Y')[0, 0]:.0f}")
    return (y - y_hat) ** 2 / 2


def insert_digit(number, digit, places_from_end):
    """The slip: ``digit`` written into ``number`` before its last ``places_from_end`` digits."""
    text = str(number)
    return Decimal(text[:-places_from_end] + digit + text[-places_from_end:])


def loss_of_the_rounded_y_hat_with_a_stray_zero(example, values):
    """Two things: the text squares y_hat rounded to 0.469, 1/2 (-0.469)^2 = 0.1099805 (the
    exact loss is 0.1098823), and prints that with a 0 inserted before its last digit,
    0.10998005. errata.py rounds the recorded y_hat of step 1 to 3 decimals, works the
    loss in decimal arithmetic and inserts the 0; the rounding is a cause, the inserted
    digit only a likely slip."""
    return float(insert_digit(loss_as_the_text_works_it(example, values), "0", 1))


def loss_cut_to_three_decimals(example, values):
    """'around 0.109' is the loss cut (not rounded) to three decimals: errata.py cuts the
    text's 0.1099805 (from the rounded y_hat) and gets 0.109; the exact 0.1098823 cut
    gives 0.109 too. Rounded, both are 0.110."""
    loss = loss_as_the_text_works_it(example, values)
    return float(loss.quantize(Decimal("0.001"), rounding=ROUND_DOWN))
