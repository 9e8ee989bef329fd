"""Recompute the printed numbers that disagree, from their stated causes."""


def linear_extrapolation_w(example, values):
    """The text multiplies the slope by the step (612.5 * 1 = 612.5, 'about 610'). The cost
    is quadratic in w, with curvature (2/9) * sum(x^2) = 45.3, so the cost really falls
    by 612.5 - 45.3 / 2 = 589.9 ('about 590')."""
    # decrease = -(slope of w) * 1: the slope read as the change for a whole unit step
    return -values.get("slope_w") * 1.0


def linear_extrapolation_wb(example, values):
    # decrease = -(slope of w + slope of b) * 1
    return -(values.get("slope_w") + values.get("slope_b")) * 1.0
