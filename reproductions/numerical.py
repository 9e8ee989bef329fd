"""The numerical-gradient reference: central differences in float64.

When an example's ``numpy_impl.py`` defines ``cost_at(example, step, params)``,
the gradient of every parameter is estimated at the start of the chosen steps
and shown beside the frameworks' gradients. It is an extra column for the
reader, not part of parity: a central difference is exact only to O(h^2) plus
roundoff of cost / h.
"""

import itertools

import numpy as np

from .trace import Recording, Series

H = 1e-6  # relative step: h = H * max(1, |parameter|)
BUDGET = 2000  # cost evaluations a step by default (two an element): the column is a reader's
# aid, not parity, and a wide network's every element would take hours


def start_parameters(recording: Recording, init: dict, step: int) -> dict[str, np.ndarray | None]:
    """Parameters at the start of ``step``: the start values, or those after step - 1."""
    if step == 0:
        return {name: np.array(value, dtype=np.float64) for name, value in init.items()}
    return {name: recording.at(name, step - 1) if name in recording  # a fixed bias is never
            else np.array(value, dtype=np.float64) for name, value in init.items()}  # updated


def chosen_elements(params: dict, elements: dict | None = None) -> dict[str, list[tuple]]:
    """The elements each parameter's estimate is taken at: those ``elements`` names (a
    dict from parameter to indices), else every element while that stays within BUDGET
    cost evaluations, else the first elements of each parameter, as many for each."""
    if elements is not None:
        return {name: [tuple(i) for i in elements.get(name, [])] for name in params}
    total = sum(int(np.size(value)) for value in params.values())
    share = total if 2 * total <= BUDGET else max(1, BUDGET // 2 // max(len(params), 1))
    return {name: list(itertools.islice(np.ndindex(np.shape(value)), share))
            for name, value in params.items()}


def finite_differences(cost, value: np.ndarray, elements, h_of, difference: str = "two_sided",
                       stated_h: bool = False) -> np.ndarray:
    """The slope of ``cost()`` along each of ``elements`` of ``value`` (which ``cost``
    reads), NaN at the others: one element at a time moved by ``h = h_of(element)`` and put
    back. ``two_sided``: (J(p + h) - J(p - h)) over the step; ``one_sided``: (J(p + h) -
    J(p)) over it. The step is the one float64 took, (p + h) - (p - h), or ``stated_h``: h
    itself (2 h two-sided), as a source's gradient check divides by it."""
    estimate = np.full(np.shape(value), np.nan)
    at = cost() if difference == "one_sided" else None
    for i in elements:
        start = value[i]
        h = h_of(start)
        value[i] = start + h
        plus, up = cost(), value[i]
        if difference == "two_sided":
            value[i] = start - h
            minus, down = cost(), value[i]
        else:
            minus, down = at, start
        value[i] = start
        taken = (2 * h if difference == "two_sided" else h) if stated_h else up - down
        estimate[i] = (plus - minus) / taken
    return estimate


def central_differences(cost_at, example, step: int, params: dict,
                        elements: dict | None = None,
                        names: list[str] | None = None) -> dict[str, np.ndarray]:
    """The estimate of each chosen element (``chosen_elements``) of the parameters
    ``names`` (by default all), with h = H * max(1, |p|); NaN at the others."""
    names = list(params) if names is None else names
    chosen = chosen_elements({name: params[name] for name in names}, elements)
    moved = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    return {name: finite_differences(lambda: cost_at(example, step, moved), moved[name],
                                     chosen[name], lambda p: H * max(1.0, abs(p)))
            for name in names}


def numerical_column(cost_at, example, recording: Recording, init: dict, steps,
                     elements: dict | None = None) -> Recording:
    """The estimates, as a recording of ``grad.<name>`` at each of ``steps`` it could reach."""
    found: dict[str, list] = {}
    trained = [name for name in init if f"grad.{name}" in recording]  # a fixed bias has none
    for step in steps:
        params = start_parameters(recording, init, step)
        if any(value is None for value in params.values()):
            continue
        for name, estimate in central_differences(cost_at, example, step, params,
                                                  elements, trained).items():
            found.setdefault(f"grad.{name}", []).append((step, estimate))
    return Recording({
        quantity: Series("grad", np.array([s for s, _ in rows], dtype=np.int64),
                         np.arange(len(rows), dtype=np.int64),
                         np.stack([e for _, e in rows]), np.full(len(rows), np.nan))
        for quantity, rows in found.items()
    })
