"""The plots of an example's results, drawn from its trace: the cost per step, each
framework's difference from NumPy, a classifier's decision boundary, and a step-local
verdict's free-running drift. Each is PNG bytes, the same bytes on every run (no
software or date metadata), or None where the results have nothing to draw.

matplotlib is imported inside each plot (no pyplot: no GUI backend, no global state),
so reading results never pays for it.
"""

import io
import warnings

import numpy as np

from .harness import ExampleResult, reference_function
from .parity import CHUNK, POLICY
from .results import Plot
from .spec import Example

def png(figure) -> bytes:
    """A matplotlib figure as PNG bytes, without the software and date metadata, so
    that the same figure gives the same bytes on every run."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


LARGEST_DRAWN = 1e100  # above it a run is on its way to overflow: matplotlib's log ticks
# cannot span up to 1e300 (an OverflowError), and nothing there is rounding


def on_log_axis(values: np.ndarray) -> np.ndarray:
    """Which values a log axis draws: finite, above 0, at most LARGEST_DRAWN."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0) & (values <= LARGEST_DRAWN)


def left_out_note(axis, steps: np.ndarray, values: np.ndarray) -> None:
    """Say on the plot where finite values too large for it were left out."""
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(values) & (values > LARGEST_DRAWN)
    if huge.any():
        axis.text(0.01, 0.97, f"values above {LARGEST_DRAWN:.0e} (from step "
                  f"{int(steps[np.argmax(huge)])}) not drawn", transform=axis.transAxes,
                  fontsize=8, color="dimgrey", va="top")


def cost_plot(result: ExampleResult) -> bytes | None:
    costs = {name: r.series.get("cost") for name, r in result.traces.items()}
    if any(c is None or len(c.steps) < 2 for c in costs.values()):
        return None
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    from matplotlib.ticker import LogFormatter, NullLocator

    with warnings.catch_warnings():  # a diverging cost's axis reaches 1e308: nothing to warn of
        warnings.simplefilter("ignore", RuntimeWarning)
        figure = Figure(figsize=(7, 4))
        axis = figure.subplots()
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)  # fixed: one draw
        for (name, cost), style in zip(costs.items(), ["-", "--", ":", "-."]):
            values = cost.values.reshape(-1)
            shown = on_log_axis(values)  # a divergence's inf, and what leads to it, left out
            axis.plot(cost.steps[shown], values[shown], style, label=name)
        left_out_note(axis, costs["numpy"].steps, costs["numpy"].values.reshape(-1))
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(LogFormatter())  # plain "1e-05" labels, no TeX layout
        axis.yaxis.set_minor_locator(NullLocator())  # decades only: minor ticks cost a draw each
        axis.set_xlabel("step")
        axis.set_ylabel("cost")
        axis.set_title(f"{result.example.id}: cost per step")
        axis.legend()
        return png(figure)


def drift_plot(result: ExampleResult) -> bytes | None:
    """Each framework's free-running difference from NumPy per step, in roundings of
    the size, against the policy's bound: for a step-local comparison."""
    drifts = {p.framework: p.drift for p in result.parities if p.drift is not None}
    if not drifts:
        return None
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    figure = Figure(figsize=(7, 4))
    axis = figure.subplots()
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
    for (name, drift), style in zip(drifts.items(), ["-", "--", ":", "-."]):
        shown = on_log_axis(drift.roundings)
        axis.plot(drift.steps[shown], drift.roundings[shown], style, label=f"{name}, free-running")
        left_out_note(axis, drift.steps, drift.roundings)
    axis.axhline(POLICY[result.dtype].roundings, color="grey", linewidth=1,
                 label="bound (step-local verdict)")
    axis.set_yscale("log")
    axis.yaxis.set_minor_locator(NullLocator())  # decades only: minor ticks cost a draw each
    axis.set_xlabel("step")
    axis.set_ylabel("|diff| / (eps * size)")
    axis.set_title(f"{result.example.id}: free-running difference from NumPy")
    axis.legend()
    return png(figure)


def largest_differences(reference: np.ndarray, rows_reference: np.ndarray, other: np.ndarray,
                        rows_other: np.ndarray) -> np.ndarray:
    """For each pair of rows, the largest |other - reference| over their elements; a few
    rows at a time, so that a large network's differences are never held whole."""
    size = max(int(np.prod(reference.shape[1:], dtype=np.int64)), 1)
    at_once = max(1, CHUNK // size)
    largest = np.empty(len(rows_reference))
    for start in range(0, len(rows_reference), at_once):
        rows = slice(start, start + at_once)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(other[rows_other[rows]] - reference[rows_reference[rows]])
            largest[rows] = np.max(diff.reshape(len(diff), -1), axis=1, initial=0.0)
    return largest


def difference_plot(result: ExampleResult) -> bytes | None:
    """Per step, the largest |framework - numpy| over each quantity's elements, on a log
    axis: one panel per framework, a line per cost, gradient and parameter, and one for
    the largest of the printed values. Rounding shows as lines near eps times the values'
    size (float32 some nine decades above float64); a mirror that departs, as a line that
    leaves them and climbs. Exact agreement (0) has no place on a log axis: the panel
    counts the quantities that never differ. A series of thousands of steps is drawn as
    the largest of each of 1000 runs of steps (``envelope``)."""
    reference = result.traces.get("numpy")
    others = [name for name in result.traces if name != "numpy"]
    if reference is None or not others:
        return None
    panels, seen = {}, set()
    for name in others:
        lines, values = {}, {}
        for quantity, ref in reference.series.items():
            oth = result.traces[name].series.get(quantity)
            if ref.kind == "finding" or oth is None or oth.shape != ref.shape:
                continue
            steps, rows_ref, rows_oth = np.intersect1d(ref.steps, oth.steps, return_indices=True)
            if not len(steps):
                continue
            largest = largest_differences(ref.values, rows_ref, oth.values, rows_oth)
            seen.update(steps.tolist())
            if ref.kind == "value":
                for step, value in zip(steps.tolist(), largest.tolist()):
                    values[step] = max(values.get(step, 0.0), value)
            else:
                lines[quantity] = (steps, largest)
        if values:
            lines["printed values (largest)"] = (np.array(sorted(values)),
                                                 np.array([values[k] for k in sorted(values)]))
        panels[name] = lines
    if len(seen) < 2:
        return None
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter, NullLocator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure = Figure(figsize=(9, 0.9 + 2.7 * len(panels)))
        axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        height = figure.get_figheight()
        figure.subplots_adjust(left=0.1, right=0.74, bottom=0.55 / height, top=1 - 0.75 / height,
                               hspace=0.45)
        for axis, (name, lines) in zip(axes, panels.items()):
            identical = 0
            for i, (quantity, (steps, largest)) in enumerate(lines.items()):
                shown = on_log_axis(largest)
                if not shown.any():
                    identical += bool(np.all(largest == 0))
                    continue
                x, y = envelope(steps[shown], largest[shown])
                few = len(steps) <= 20  # a few recorded steps: points, not a line between them
                axis.plot(x, y, linestyle="none" if few else ["-", "--", ":", "-."][i // 10 % 4],
                          marker="o" if few else None, markersize=4, linewidth=1, label=quantity)
            axis.axhline(POLICY[result.dtype].eps, color="grey", linewidth=0.8, linestyle=":",
                         label=f"eps ({result.dtype})")
            axis.set_yscale("log")
            axis.yaxis.set_major_formatter(LogFormatter())
            axis.yaxis.set_minor_locator(NullLocator())  # decades only: minor ticks cost a draw each
            axis.set_ylabel(f"|{name} - numpy|")
            axis.set_title(f"{name}: largest difference from NumPy per step", fontsize=10)
            if identical:
                axis.text(0.01, 0.03, f"{identical} of {len(lines)} identical to NumPy at every "
                          "step (not drawn)", transform=axis.transAxes, fontsize=8, color="dimgrey")
            axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        axes[-1].set_xlabel("step")
        figure.suptitle(f"{result.example.id}: |framework - NumPy|, the largest over each "
                        f"quantity's elements ({result.dtype})", fontsize=11, y=1 - 0.2 / height)
        return png(figure)


def envelope(steps: np.ndarray, values: np.ndarray, points: int = 1000):
    """A long series as the largest value of each of ``points`` runs of consecutive
    records, at the step of that largest: what a plot of it shows, drawn far faster."""
    if len(steps) <= 2 * points:
        return steps, values
    starts = np.linspace(0, len(steps), points, endpoint=False).astype(np.int64)
    run_of = np.repeat(np.arange(points), np.diff(starts, append=len(steps)))
    largest = np.maximum.reduceat(values, starts)
    hits = np.flatnonzero(values == largest[run_of])  # the first of them in each run
    at = hits[np.unique(run_of[hits], return_index=True)[1]]
    return steps[at], values[at]


def trained_parameters(result: ExampleResult) -> dict[str, np.ndarray]:
    """NumPy's parameters after training, in the source's layout: each start value's last
    record as a parameter (the start value itself where it has none: steps = 0, or a
    parameter that is not trained)."""
    reference = result.traces["numpy"]
    params = {}
    for name, value in result.example.initial_parameters().items():
        series = reference.series.get(name)
        trained = series is not None and series.kind == "param" and len(series.steps)
        params[name] = series.values[-1].copy() if trained else value
    return params


def classifier_data(example: Example):
    """The points and labels of a two-input classifier's data: the first data entries
    named X... and Y... (any case), as (m, 2) inputs (the first two features) and (m, k)
    labels, and the axis of X that runs over the examples; None if there are none."""
    xs = [name for name in example.data if name[:1] in "Xx"]
    ys = [name for name in example.data if name[:1] in "Yy"]
    if not xs or not ys:
        return None
    X, Y = example.array(xs[0]), example.array(ys[0])
    if X.ndim != 2 or Y.ndim != 2:
        return None
    axes = [axis for axis in (1, 0) if X.shape[axis] == Y.shape[axis] and X.shape[1 - axis] >= 2]
    if not axes:
        return None
    axis = axes[0]
    return np.moveaxis(X, axis, 0)[:, :2], np.moveaxis(Y, axis, 0), axis, xs[0]


def boundary_plot(result: ExampleResult) -> bytes | None:
    """A two-input classifier's decision boundary after training, over its data points:
    the output of the NumPy reference's optional ``predict(example, params, X)`` on a grid
    (inputs X in the source's layout, the trained parameters), where it has one and it
    answers (None: not a two-input classifier, or targets of a single class)."""
    predict = reference_function(result.example, "predict")
    data = classifier_data(result.example) if predict is not None else None
    if data is None:
        return None
    points, labels, axis_of_examples, name = data
    classes = labels.argmax(axis=1) if labels.shape[1] > 1 else (labels[:, 0] > 0.5).astype(int)
    if len(set(classes.tolist())) < 2:  # one class: there is no boundary to draw
        return None
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.25 * (high - low), 0.5)
    n = 201
    g1, g2 = np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], n),
                         np.linspace(low[1] - margin[1], high[1] + margin[1], n))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    with np.errstate(all="ignore"):
        output = predict(result.example, trained_parameters(result),
                         grid.T.copy() if axis_of_examples == 1 else grid)
    if output is None:
        return None
    output = np.asarray(output, dtype=np.float64)
    output = output.T if axis_of_examples == 1 else output
    if output.ndim != 2 or output.shape[0] != len(grid):
        return None
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    with warnings.catch_warnings():  # a boundary outside the grid: no contour to draw
        warnings.simplefilter("ignore")
        figure = Figure(figsize=(6.4, 5))
        axis = figure.subplots()
        figure.subplots_adjust(left=0.12, right=0.95, bottom=0.11, top=0.9)
        k = output.shape[1]
        palette = ["#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#35978f"]
        if k == 1:
            surface = output[:, 0].reshape(n, n)
            filled = axis.contourf(g1, g2, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                                   alpha=0.7)
            axis.contour(g1, g2, surface, levels=[0.5], colors="k", linewidths=1.5)
            figure.colorbar(filled, ax=axis, label="output (0.5: the boundary)")
        else:
            chosen = output.argmax(axis=1).reshape(n, n)
            axis.contourf(g1, g2, chosen, levels=np.arange(k + 1) - 0.5,
                          cmap=ListedColormap([palette[c % len(palette)] for c in range(k)]),
                          alpha=0.3)
            axis.contour(g1, g2, chosen, levels=np.arange(k - 1) + 0.5, colors="k",
                         linewidths=1.2)
        for c in sorted(set(classes.tolist())):
            at = classes == c
            colour = palette[c % len(palette)] if k > 1 else ("#2166ac", "#b2182b")[min(c, 1)]
            axis.scatter(points[at, 0], points[at, 1], s=60, marker="osD^v<>"[c % 7],
                         color=colour, edgecolor="k", linewidth=1, label=f"label {c}", zorder=3)
        axis.set_xlabel(f"{name} feature 1")
        axis.set_ylabel(f"{name} feature 2")
        axis.set_title(f"{result.example.id}: decision boundary after {result.steps} steps "
                       "(NumPy)", fontsize=10)
        axis.legend(loc="upper right", fontsize=8, framealpha=0.9)
        return png(figure)


PLOTS = {  # each plot, in the order shown, and its caption
    "cost.png": (cost_plot, "Cost per step, one line per framework (log scale): where the "
                            "frameworks agree the lines lie on top of each other."),
    "difference.png": (difference_plot, "The largest difference from NumPy at each step, per "
                                        "quantity and framework."),
    "boundary.png": (boundary_plot, "The decision boundary of the trained two-input "
                                    "classifier, with the training points."),
    "drift.png": (drift_plot, "Each framework's free-running difference from NumPy per step, "
                              "in roundings of the size, against the bound: the verdict is "
                              "judged step-local, each step started from NumPy's parameters."),
}


def drawn(result: ExampleResult) -> tuple[dict[str, bytes | None], list[Plot], list[str]]:
    """Every plot of the result (None where it has none), those drawn as the results list
    them, and a line for each that could not be drawn: a plot is a view of the results,
    and a view that fails leaves the verdict and the other files standing."""
    plots, listed, undrawn = {}, [], []
    for name, (plot, caption) in PLOTS.items():
        try:
            plots[name] = plot(result)
        except Exception as error:  # noqa: BLE001 - said in the report instead
            plots[name] = None
            undrawn.append(f"{name} could not be drawn ({type(error).__name__}: {error})")
        if plots[name] is not None:
            listed.append(Plot(file=name, caption=caption))
    return plots, listed, undrawn
