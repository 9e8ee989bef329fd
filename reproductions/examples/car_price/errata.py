"""Recompute the printed numbers that disagree, from their stated causes."""

import math


def truncated_to_one_decimal(example, values):
    # the recorded 0.786 with the digits after the first decimal dropped (a fit of the
    # printed digit, not a demonstrated mechanism: see the explanation)
    return math.floor(values.get("normalised_50k") * 10) / 10


def _str_without_last_digit(value):
    # Python 2's str() of a float is '%.12g'; the display lost its last character
    return float(f"{value:.12g}"[:-1])


def dropped_last_digit_row3(example, values):
    return _str_without_last_digit(values.get("dtanh_Z2_bias", index=(2, 1)))


def dropped_last_digit_row5(example, values):
    return _str_without_last_digit(values.get("dtanh_Z2_bias", index=(4, 1)))


# The check as printed ran at the initial weights (step 0), not at the updated ones (step 1).
def check_ran_at_initial_weights_loss2(example, values):
    return values.get("loss2", step=0)


def check_ran_at_initial_weights_loss1(example, values):
    return values.get("loss1", step=0)


def check_ran_at_initial_weights_V2(example, values):
    return values.get("numerical_grad", step=0, index=(0, 0))
