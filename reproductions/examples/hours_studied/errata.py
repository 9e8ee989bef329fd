"""Recompute the printed numbers that disagree, from their stated causes."""


def linear_extrapolation_w(example, values):
    # decrease = -(slope of w) * 1: the slope read as the change for a whole unit step
    return -values.get("slope_w") * 1.0


def linear_extrapolation_wb(example, values):
    # decrease = -(slope of w + slope of b) * 1
    return -(values.get("slope_w") + values.get("slope_b")) * 1.0
