"""Recompute the printed numbers that disagree, from their stated causes."""

import math


def truncated_to_one_decimal(example, values):
    """What is shown: the text's own two points (30k -> 0.5, 170k -> 2.5, so mean -5k and
    sigma 70k) put 50k at 0.786, which rounds to 0.8 (where the text's tanh(10x - 8)
    indeed switches), and the printed 'around 0.7' is 0.786 with its digits after the
    first decimal dropped instead of rounded. That the author cut it so is a fit, not a
    demonstrated mechanism: every value from 0.70 to 0.799 cuts to 0.7, and 'around 0.7'
    may just be a loose estimate."""
    # the recorded 0.786 with the digits after the first decimal dropped (a fit of the
    # printed digit, not a demonstrated mechanism: see the explanation)
    return math.floor(values.get("normalised_50k") * 10) / 10


def _str_without_last_digit(value):
    # Python 2's str() of a float is '%.12g'; the display lost its last character
    return float(f"{value:.12g}"[:-1])


def dropped_last_digit_row3(example, values):
    """1 - tanh(Z^(2)[2, 1])^2 = 0.0232044744038896, printed by str() as 0.0232044744039;
    the display at L886 shows it without its last character, 0.023204474403 (rounding to
    one digit fewer would give ...404). A dropped digit: rows 1 and 2 of the same column
    lack their 12th digit too."""
    return _str_without_last_digit(values.get("dtanh_Z2_bias", index=(2, 1)))


def dropped_last_digit_row5(example, values):
    """1 - tanh(Z^(2)[4, 1])^2 = 0.565751737756545, printed by str() as 0.565751737757; the
    display at L886 shows it without its last character, 0.56575173775 (rounding to one
    digit fewer would give ...776). A dropped digit, as in rows 1 to 3 of the same
    column."""
    return _str_without_last_digit(values.get("dtanh_Z2_bias", index=(4, 1)))


# The check as printed ran at the initial weights (step 0), not at the updated ones (step 1).
def check_ran_at_initial_weights_loss2(example, values):
    return values.get("loss2", step=0)


def check_ran_at_initial_weights_loss1(example, values):
    return values.get("loss1", step=0)


def check_ran_at_initial_weights_V2(example, values):
    return values.get("numerical_grad", step=0, index=(0, 0))
