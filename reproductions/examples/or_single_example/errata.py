"""Recompute the printed numbers of Fig 26 that disagree, from their stated causes."""

from decimal import ROUND_DOWN, Decimal


def text_loss(values):
    """The loss as the text works it: 1/2 (0 - 0.469)^2, from y_hat rounded as printed."""
    y_hat = Decimal(f"{values.get('y_hat', step=1, index=(0, 0)):.3f}")  # 0.469
    return (Decimal(0) - y_hat) ** 2 / 2  # 0.1099805, exactly


def loss_of_the_rounded_y_hat_with_a_stray_zero(example, values):
    digits = str(text_loss(values))  # '0.1099805'
    return float(digits[:-1] + "0" + digits[-1])  # '0.10998005'


def loss_cut_to_three_decimals(example, values):
    return float(text_loss(values).quantize(Decimal("0.001"), rounding=ROUND_DOWN))
