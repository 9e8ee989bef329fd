"""Recompute Fig 53's printed numbers from the graph they belong to: d = b + 1."""


def d_if_b_plus_1(values):
    return values.get("init.b") + 1


def d_as_b_plus_1(example, values):
    return d_if_b_plus_1(values)  # 6


def c_path_with_d_as_b_plus_1(example, values):
    return d_if_b_plus_1(values) * values.get("dc_db")  # 6 * 2 = 12


def sum_with_d_as_b_plus_1(example, values):
    # (c * 1) + (d * a), with c = a * b = 10 as printed and d = b + 1
    return values.get("b_via_d") + d_if_b_plus_1(values) * values.get("dc_db")  # 10 + 12 = 22
