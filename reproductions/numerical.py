"""The numerical-gradient reference: central differences in float64.

When an example's ``numpy_impl.py`` defines ``cost_at(example, step, params)``,
the gradient of every parameter is estimated at the start of the chosen steps
and shown beside the frameworks' gradients. It is an extra column for the
reader, not part of parity: a central difference is exact only to O(h^2) plus
roundoff of cost / h.
"""

import numpy as np
import pandas as pd

H = 1e-6  # relative step: h = H * max(1, |parameter|)


def recorded_array(table: pd.DataFrame, step: int, quantity: str) -> np.ndarray | None:
    """A recorded quantity at a step, back in its shape."""
    rows = table[(table["step"] == step) & (table["quantity"] == quantity)]
    if rows.empty:
        return None
    if rows["index"].iloc[0] == "":
        return np.array(rows["value"].iloc[0])
    index = np.array([list(map(int, i.split(","))) for i in rows["index"]])
    array = np.empty(tuple(index.max(axis=0) + 1))
    array[tuple(index.T)] = rows["value"].to_numpy()
    return array


def start_parameters(table: pd.DataFrame, init: dict, step: int) -> dict[str, np.ndarray]:
    """Parameters at the start of ``step``: the start values, or those after step - 1."""
    if step == 0:
        return {name: np.array(value, dtype=np.float64) for name, value in init.items()}
    return {name: recorded_array(table, step - 1, name) for name in init}


def central_differences(cost_at, example, step: int, params: dict) -> dict[str, np.ndarray]:
    estimates = {}
    for name, value in params.items():
        estimate = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            h = H * max(1.0, abs(value[i]))
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][i] += h
            down[name][i] -= h
            estimate[i] = (cost_at(example, step, up) - cost_at(example, step, down)) / (
                up[name][i] - down[name][i])
        estimates[name] = estimate
    return estimates


def numerical_column(cost_at, example, table: pd.DataFrame, init: dict, steps) -> pd.DataFrame:
    """Rows (step, quantity, index, numerical) for the gradients recorded at ``steps``."""
    rows = []
    for step in steps:
        params = start_parameters(table, init, step)
        if any(value is None for value in params.values()):
            continue
        for name, estimate in central_differences(cost_at, example, step, params).items():
            for i in np.ndindex(estimate.shape):
                rows.append((step, f"grad.{name}", ",".join(map(str, i)), float(estimate[i])))
    return pd.DataFrame(rows, columns=["step", "quantity", "index", "numerical"])
