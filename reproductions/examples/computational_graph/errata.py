"""Recompute Fig 53's printed numbers from the graph they fit: d = b + 1 instead of b + 5.

Everything else is read from the run: b and a from the start values, c = a * b and the
local gradients dd/db = 1, dc/db = a as recorded.
"""

D_OFFSET_OF_THE_NUMBERS = 1.0  # the offset the printed d = 6 implies, with b = 5


def d_of_the_numbers(values):
    return values.get("init.b") + D_OFFSET_OF_THE_NUMBERS


def d_as_b_plus_1(example, values):
    """Fig 53 substitutes d = 6, which is b + 1 with b = 5; the equations (l.951) say d = b
    + 5 = 10. The offset 1 is inferred from the printed numbers (Fig 51's graph is an
    image the text does not transcribe); errata.py returns the start value b plus 1."""
    return d_of_the_numbers(values)


def c_path_with_d_as_b_plus_1(example, values):
    # de/dc * dc/db, where de/dc = d
    return d_of_the_numbers(values) * values.get("dc/db")


def sum_with_d_as_b_plus_1(example, values):
    """Fig 53's 22 = (10 * 1) + (6 * 2) is the sum with d = b + 1. With d = b + 5, as the
    equations state, de/db = 10 + 10 * 2 = 30 (autodiff and central differences agree).
    errata.py adds the recorded c * dd/db and (b + 1) * dc/db."""
    # (c * dd/db) + (d * dc/db): the path through d is unchanged, c = a * b = 10
    via_d = values.get("c") * values.get("dd/db")
    return via_d + c_path_with_d_as_b_plus_1(example, values)
