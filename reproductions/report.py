"""Results a person can read: per example a trace (Parquet), a JSON summary with
provenance, a Markdown report, its plots (cost, difference from NumPy, a classifier's
decision boundary, drift) and the translation page (``translate.py``); and an index of
all examples.

Every file is written to a temporary name beside it and renamed into place, so
an interrupted run never leaves a half-written file; a run's folders are staged and
swapped in together when it finishes (``publish.py``).

Two identities go into every ``summary.json``:

- ``trace_sha256``, the determinism hash of ``trace.parquet``'s table (``table.py``
  says what the table holds and how it is hashed): two runs that compute the same
  numbers bit for bit have the same hash, whatever the machine, date or folder; a run
  that stopped with an error has none (``null``).
- ``provenance.example`` (:func:`example_provenance`): which example folder the run
  read, as given, whether it lies inside this tool's repository, the commit of the
  git repository that holds it and whether the folder has uncommitted changes there
  (both ``null`` outside any repository), and ``files_sha256``, an identity of its
  definition and implementation that needs no repository.
"""

import dataclasses
import datetime
import functools
import hashlib
import importlib.util
import io
import json
import math
import os
import platform
import subprocess
import tempfile
import warnings
import urllib.parse
from pathlib import Path

import numpy as np

import frameworks

from .claims import CONFIRMED, ERRATUM, FAILED, NOISE, NOT_REACHED, REFUTED, ROUNDED, TYPO
from .harness import ExampleResult, implementations, reference_function
from .parity import POLICY
from .publish import fault_point
from .spec import Example
from .table import Table, trace_hash
from .table import write as write_parquet
from .trace import Recording

VERDICTS = (CONFIRMED, NOISE, ROUNDED, ERRATUM, TYPO, REFUTED, NOT_REACHED, FAILED)
REPO = Path(__file__).resolve().parents[1]


def write_table(table: Table, path: Path) -> str:
    """The trace table to ``path``, written beside it and renamed into place, a chunk at a
    time (``table.write``): its determinism hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        digest = write_parquet(table, Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        fault_point()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        fault_point()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@functools.cache  # once per process: a run does not change the tree it runs from
def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reproductions", "frameworks"],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


EXAMPLE_FILES = ("example.toml", "example.draft.toml", "errata.py", "NOTES.md")  # and *_impl.py


def example_files(folder: Path) -> list[Path]:
    """The files that define an example: its definition (``example.toml`` or a draft's
    ``example.draft.toml``), its implementations, ``errata.py`` and ``NOTES.md``,
    sorted by name."""
    found = [folder / name for name in EXAMPLE_FILES] + list(folder.glob("*_impl.py"))
    return sorted((path for path in found if path.is_file()), key=lambda path: path.name)


def files_sha256(files: list[Path]) -> str:
    """SHA-256 of the lines ``sha256sum`` prints for ``files`` in this order, so that
    ``cd <folder> && LC_ALL=C sha256sum <the files, by name> | sha256sum`` gives it too."""
    lines = "".join(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
                    for path in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def git_output(folder: Path, *command: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(folder), *command], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def example_provenance(folder: Path, files: list[Path] | None = None) -> dict:
    """Where an example's definition and code came from; see the module's docstring.
    ``files`` are those that define it, by default the folder's (example_files).
    Cached per folder while its files stay as they are (name, size and time of change),
    so a run pays for git once per folder."""
    files = example_files(folder) if files is None else files
    stamps = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)
    return dict(_example_provenance(str(folder), stamps))


def definition_files(example: Example) -> list[Path]:
    """The files that define an example: its definition, ``errata.py`` and ``NOTES.md``
    beside it, and the file each framework runs it with, sorted by name."""
    found = [example.file] + [example.folder / name for name in ("errata.py", "NOTES.md")]
    found += implementations(example).values()
    return sorted((path for path in found if path.is_file()), key=lambda path: path.name)


@functools.cache
def _example_provenance(folder: str, stamps: tuple) -> dict:
    path = Path(folder)
    commit = git_output(path, "rev-parse", "HEAD")
    status = git_output(path, "status", "--porcelain", "--", ".") if commit else None
    inside = path.resolve().is_relative_to(REPO)
    return {
        # inside this repository, relative to it: the same in every clone
        "folder": str(path.resolve().relative_to(REPO)) if inside else folder,
        "in_tool_repository": inside,
        "git_commit": commit,
        "uncommitted_changes": None if status is None else bool(status),
        "files": [Path(name).name for name, _, _ in stamps],
        "files_sha256": files_sha256([Path(name) for name, _, _ in stamps]),
    }


def provenance(result: ExampleResult) -> dict:
    return run_provenance(result.example, result.versions, result.dtype, result.steps)


def machine_provenance(versions: dict[str, str]) -> dict:
    """What any result records of where and from what it was made."""
    return {
        "frameworks": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "git_commit": git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def run_provenance(example: Example, versions: dict[str, str], dtype: str, steps: int) -> dict:
    return {
        **machine_provenance(versions),
        "dtype": dtype,
        "seeds": {"init": example.init.seed},
        "steps": steps,
        "hyper": dict(example.hyper),
        "example": example_provenance(example.folder, definition_files(example)),
    }


def table_of(result: ExampleResult, quantities=None) -> Table:
    """The trace as written (``table.py``): one column per framework, ``rounded_replay``
    and ``numerical`` where the run has them; only ``quantities`` where named."""
    aligned = {}
    if result.replay is not None:
        aligned["rounded_replay"] = result.replay
    if result.numerical is not None and result.numerical.series:
        aligned["numerical"] = result.numerical
    if quantities is not None:
        def only(recording):
            return Recording({q: s for q, s in recording.series.items() if q in quantities})
        return Table({name: only(r) for name, r in result.traces.items()},
                     {name: only(r) for name, r in aligned.items()})
    return Table(dict(result.traces), aligned)


def trace_columns(result: ExampleResult) -> dict[str, np.ndarray]:
    """The whole trace table in memory, text as words: for a small run, and for reading."""
    return table_of(result).whole()


def finite(value):
    """A number for JSON: non-finite ones become null, as JSON has no NaN."""
    return value if not isinstance(value, float) or math.isfinite(value) else None


def summary(result: ExampleResult, trace_sha256: str | None = None) -> dict:
    example = result.example
    if trace_sha256 is None:
        trace_sha256 = trace_hash(trace_columns(result))  # as table.write gives it
    return {
        "id": example.id,
        "title": example.title,
        "source": {"seed": example.source.seed, "section": example.source.section},
        "passed": result.passed,
        "trace_sha256": trace_sha256,
        "provenance": provenance(result),
        "tolerance": {"roundings": POLICY[result.dtype].roundings, "eps": POLICY[result.dtype].eps,
                      "rtol": POLICY[result.dtype].rtol, "rule": str(POLICY[result.dtype])},
        "parity": [
            {
                "framework": p.framework,
                "passed": p.passed,
                "max_abs_diff": finite(p.max_abs),
                "max_rel_diff": finite(p.max_rel),
                "max_rel_diff_to_size": finite(p.max_rel_size),
                "tolerance_used": finite(p.used),
                "first_divergence": None if p.first_divergence is None else vars(p.first_divergence),
                "one_sided": p.missing,
                "compared_elements": p.compared,
                "diverged": p.diverged,
                "mode": p.mode,
                "parted": None if p.parted is None else vars(p.parted),
                "step_local_check": p.step_local,
                "parting": p.parting(),
                "free_running_drift": drift_summary(p),
                "quantities": [{k: finite(v) for k, v in dataclasses.asdict(q).items()}
                               for q in p.quantities],
            }
            for p in result.parities
        ],
        "claims": [
            {
                "where": c.claim.where, "quantity": c.claim.quantity, "step": c.claim.step,
                "index": c.claim.index, "printed": c.claim.printed, "exact": finite(c.exact),
                "replayed": finite(c.replayed), "demonstrated": finite(c.demonstrated),
                "verdict": c.verdict, "explanation": c.explanation,
            }
            for c in result.claims
        ],
        "claim_counts": claim_counts(result),
        "warnings": result.warnings,
    }


def drift_summary(parity) -> dict | None:
    """A step-local parity's free-running difference: where it is largest, and the
    first step it exceeds the policy's bound (both in roundings of the size)."""
    if parity.drift is None:
        return None
    step, roundings = parity.drift.largest
    return {"largest_roundings": finite(roundings), "at_step": step,
            "first_step_beyond_bound": parity.drift.first_beyond(parity.tolerance.roundings)}


def drift_line(parity) -> str:
    """What a step-local verdict is, and the free-running difference beside it."""
    drift = drift_summary(parity)
    beyond = drift["first_step_beyond_bound"]
    return (f"Verdict from **step-local** runs: every {parity.framework} step started from "
            f"NumPy's parameters, so each step's own difference was judged. Free-running, the "
            f"difference grows to {drift['largest_roundings']:.3g} roundings of the size at step "
            f"{drift['at_step']} (the bound is {parity.tolerance.roundings}); "
            + (f"it first exceeds the bound at step {beyond}." if beyond is not None else
               "it never exceeds the bound.") + " See drift.png.")


def claim_counts(result: ExampleResult) -> dict[str, int]:
    return {v: n for v in VERDICTS if (n := sum(c.verdict == v for c in result.claims))}


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def parity_section(result: ExampleResult) -> list[str]:
    if not result.parities:
        return ["Only NumPy ran: nothing to compare."]
    lines = [f"Policy ({result.dtype}): {POLICY[result.dtype]} (see `reproductions/parity.py`). "
             "`rel` is the largest difference relative to the NumPy value, `rel/size` relative "
             "to the quantity's size (its largest magnitude so far, or the size of the operands "
             "where a value is computed by cancellation); `used` is the largest share of the "
             "tolerance any element took (at most 100% passes).", ""]
    for p in result.parities:
        verdict = "agrees" if p.passed else "DIVERGES"
        lines.append(f"**{p.framework}** {verdict}: max abs {p.max_abs:.3g}, max rel {p.max_rel:.3g},"
                     f" max rel/size {p.max_rel_size:.3g}, tolerance used {p.used * 100:.2g}%.")
        for problem in p.problems():
            lines.append(f"**Failed:** {problem}.")
        if p.divergence_expected and p.passed:
            lines.append("Diverged as declared, at the same step in the same way: "
                         + "; ".join(f"{side} at {where}" for side, where in p.diverged.items())
                         + ". The steps before it are compared.")
        if p.first_divergence:
            lines.append(f"First divergence: {p.first_divergence.describe(p.framework)}.")
        if p.parting():
            lines.append(p.parting()[0].upper() + p.parting()[1:] + ".")
        if p.drift is not None:
            lines.append(drift_line(p))
        if p.missing:
            lines.append("Recorded by one side only: " + "; ".join(p.missing[:10]) + ".")
        lines.append("")
    header = ["quantity", "kind", "elements", "framework", "max_abs", "max_rel",
              "max_rel_size", "used", "ok"]
    rows = [[q.quantity, q.kind, q.elements, p.framework, f"{q.max_abs:.2e}", f"{q.max_rel:.2e}",
             f"{q.max_rel_size:.2e}", f"{q.used * 100:.2g}%", "yes" if q.passed else "NO"]
            for i in range(max(len(p.quantities) for p in result.parities))
            for p in sorted(result.parities, key=lambda p: p.framework) if i < len(p.quantities)
            for q in [p.quantities[i]]]
    lines.append(md_table(header, rows))
    return lines


def claims_section(result: ExampleResult) -> list[str]:
    if not result.claims:
        return ["The source prints no number for this example."]
    counts = ", ".join(f"{n} {v}" for v, n in claim_counts(result).items())
    header = ["where", "quantity", "step", "index", "printed", "exact", "replayed",
              "demonstrated", "verdict", "explanation"]
    rows = [[c.claim.where, c.claim.quantity, c.claim.step, ",".join(map(str, c.claim.index)),
             c.claim.printed, c.exact, c.replayed, c.demonstrated, c.verdict, c.explanation]
            for c in result.claims]
    return [f"{len(result.claims)} claims: {counts}. `exact` is the float64 NumPy value; "
            "`replayed` the rounded replay's; `demonstrated` the erratum's recomputation.", "",
            md_table(header, rows)]


def rows_where(columns: dict[str, np.ndarray], keep: np.ndarray, names: list[str]) -> list[list]:
    picked = [columns[name][keep] for name in names]
    return [[v.item() if isinstance(v, np.generic) else v for v in row] for row in zip(*picked)]


def findings_section(result: ExampleResult) -> list[str]:
    quantities = {q for r in result.traces.values() for q, s in r.series.items()
                  if s.kind == "finding"}
    if not quantities:
        return []
    columns = table_of(result, quantities).whole()
    findings = columns["kind"] == "finding"
    header = ["step", "quantity", "index", *result.frameworks]
    return ["## Findings", "", "Values where the frameworks or the source's own formulas "
            "legitimately differ (kinks). Reported, not compared.", "",
            md_table(header, rows_where(columns, findings, header)), ""]


def numerical_section(result: ExampleResult) -> list[str]:
    if result.numerical is None or not result.numerical.series:
        return []
    columns = table_of(result, set(result.numerical.series)).whole()
    header = ["step", "quantity", "index", *result.frameworks, "numerical"]
    shown = ~np.isnan(columns["numerical"])
    return ["## Gradients beside the numerical estimate", "",
            "Central differences in float64 (`reproductions/numerical.py`) at the start of each "
            "step shown.", "", md_table(header, rows_where(columns, shown, header)), ""]


def hyper_text(hyper: dict) -> str:
    """The hyperparameters as the provenance line names them ("" when there are none)."""
    return "".join(f"{name} {value}; " for name, value in hyper.items())


def steps_text(steps: int) -> str:
    if steps == 0:
        return "no training (step 0 only)"
    return f"{steps} training step{'' if steps == 1 else 's'}"


def link(target: Path, folder: Path) -> str:
    """A Markdown link target: ``target`` relative to ``folder`` (the folder the report
    is read in), so it resolves wherever the results and the examples are; absolute
    where no relative path joins them (another drive)."""
    try:
        path = Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
    except ValueError:
        path = target.resolve().as_posix()
    return urllib.parse.quote(path)


def example_text(prov: dict) -> str:
    """The provenance of the example folder, as the report's provenance line gives it."""
    where = "in this repository" if prov["in_tool_repository"] else f"`{prov['folder']}`"
    commit = ("not in a git repository" if prov["git_commit"] is None else
              f"commit {prov['git_commit']}" + ("+uncommitted changes" if prov["uncommitted_changes"]
                                                 else ""))
    return f"example folder {where} ({commit}; files sha256 {prov['files_sha256'][:16]})"


def markdown(result: ExampleResult, folder: Path | None = None,
             trace_sha256: str | None = None, undrawn: list[str] = ()) -> str:
    """The report, to be read in ``folder`` (by default ``results/<id>``), which its
    links to the code are relative to."""
    example, prov = result.example, provenance(result)
    folder = Path("results") / example.id if folder is None else folder
    if trace_sha256 is None:
        trace_sha256 = trace_hash(trace_columns(result))
    status = "PASSED" if result.passed else "FAILED"
    versions = ", ".join(f"{k} {v}" for k, v in prov["frameworks"].items())
    seed = prov["seeds"]["init"]
    seed_text = "initial values from the definition (no seed)" if seed is None else f"init seed {seed}"
    lines = [
        f"# {example.id}: {example.title}", "",
        f"Source: `{example.source.seed}`, {example.source.section}.", "",
        example.summary_markdown, "",
        f"**{status}**: parity {'holds' if result.parity_passed else 'FAILS'}, "
        f"claims {'all accounted for' if result.claims_passed else 'FAIL'}.", "",
        f"Provenance: {versions}; dtype {prov['dtype']}; "
        f"{steps_text(result.steps)}; {seed_text}; "
        f"{hyper_text(prov['hyper'])}"
        f"Python {prov['python']} on {prov['platform']}; "
        f"commit {prov['git_commit']}; {example_text(prov['example'])}; {prov['date']}. "
        f"Trace sha256 `{trace_sha256}`.", "",
    ]
    refuted = [c for c in result.claims if c.verdict == REFUTED]
    if refuted:
        lines += ["## Refuted", "", "Printed numbers this example declares wrong, with no cause "
                  "found; the check fails the day one is reproduced.", "",
                  md_table(["where", "quantity", "step", "index", "printed", "exact", "replayed",
                            "what was tried"],
                           [[c.claim.where, c.claim.quantity, c.claim.step,
                             ",".join(map(str, c.claim.index)), c.claim.printed, c.exact,
                             c.replayed, c.explanation] for c in refuted]), ""]
    if result.warnings:
        lines += ["## What the run shows", "", *(f"- {line[0].upper()}{line[1:]}." for line in
                                                 result.warnings), ""]
    if example.notes_markdown:
        lines += ["## Notes", "", example.notes_markdown, ""]
    lines += ["## Parity at every step", "", *parity_section(result), ""]
    lines += ["## Claims", "", *claims_section(result), ""]
    lines += findings_section(result) + numerical_section(result)
    own = [f"[{label}]({link(path, folder)})"
           for name, label in (("numpy", "NumPy"), ("torch", "PyTorch"), ("tensorflow", "TensorFlow"))
           if (path := implementation_file(example, name)).is_file()]
    if undrawn:
        lines += ["## Plots not drawn", "", *(f"- {line}" for line in undrawn), ""]
    lines += ["## Code", "", "The implementations side by side, aligned by section, with the "
              "translation notes: [translation.html](translation.html); "
              f"each on its own: {', '.join(own)}.", ""]
    return "\n".join(lines)


def implementation_file(example: Example, framework: str) -> Path:
    """The file that implements an example in a framework (``harness.implementations``)."""
    return implementations(example)[framework]


def translation_page(result: ExampleResult, folder: Path) -> bytes:
    """The implementations side by side, aligned by section, and the translation notes
    (``translate.py``), read in ``folder``."""
    from . import translate

    return translate.page(result.example, folder)


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
            with np.errstate(invalid="ignore", over="ignore"):
                diff = np.abs(oth.values[rows_oth] - ref.values[rows_ref]).reshape(len(steps), -1)
                largest = np.max(diff, axis=1, initial=0.0)
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
    at = np.array([start + int(np.argmax(run)) for start, run
                   in zip(starts, np.split(values, starts[1:]))])
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
    answers (None: not a two-input classifier)."""
    predict = reference_function(result.example, "predict")
    data = classifier_data(result.example) if predict is not None else None
    if data is None:
        return None
    points, labels, axis_of_examples, name = data
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
            classes = (labels[:, 0] > 0.5).astype(int)
        else:
            chosen = output.argmax(axis=1).reshape(n, n)
            axis.contourf(g1, g2, chosen, levels=np.arange(k + 1) - 0.5,
                          cmap=ListedColormap([palette[c % len(palette)] for c in range(k)]),
                          alpha=0.3)
            axis.contour(g1, g2, chosen, levels=np.arange(k - 1) + 0.5, colors="k",
                         linewidths=1.2)
            classes = labels.argmax(axis=1)
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


def write(result: ExampleResult, out: Path, published: Path | None = None) -> Path:
    """The example's results into ``out/<id>``; ``published`` is the folder they will be
    read in, when ``out`` is a staging folder (by default ``out/<id>`` itself)."""
    folder = out / result.example.id
    digest = write_table(table_of(result), folder / "trace.parquet")
    (folder / "trace.csv.gz").unlink(missing_ok=True)  # the format before trace.parquet
    plots, undrawn = drawn(result)
    write_atomic(folder / "summary.json",
                 json.dumps(summary(result, digest), indent=2, default=str).encode())
    write_atomic(folder / "report.md",
                 markdown(result, published or folder, digest, undrawn).encode())
    write_atomic(folder / "translation.html", translation_page(result, published or folder))
    (folder / "code.html").unlink(missing_ok=True)  # the page before translation.html
    for name, plot in plots.items():
        if plot is not None:
            write_atomic(folder / name, plot)
        else:
            (folder / name).unlink(missing_ok=True)
    return folder


PLOTS = {"cost.png": cost_plot, "difference.png": difference_plot,
         "boundary.png": boundary_plot, "drift.png": drift_plot}


def drawn(result: ExampleResult) -> tuple[dict[str, bytes | None], list[str]]:
    """Every plot of the result (None where it has none), and a line for each that could
    not be drawn: a plot is a view of the results, and a view that fails leaves the
    verdict and the other files standing."""
    plots, undrawn = {}, []
    for name, plot in PLOTS.items():
        try:
            plots[name] = plot(result)
        except Exception as error:  # noqa: BLE001 - said in the report instead
            plots[name] = None
            undrawn.append(f"{name} could not be drawn ({type(error).__name__}: {error})")
    return plots, undrawn


def write_crash(example: Example, out: Path, names: list[str], dtype: str, steps: int,
                error: str) -> Path:
    """An implementation raised: replace the example's results with the error, so that
    no earlier run's report or index line says it passed."""
    folder = out / example.id
    for stale in ("trace.parquet", "trace.csv.gz", "code.html", "translation.html", "cost.png",
                  "difference.png", "boundary.png", "drift.png"):
        (folder / stale).unlink(missing_ok=True)
    versions = {name: frameworks.adapter(name).version() for name in names}
    record = {"id": example.id, "title": example.title,
              "source": {"seed": example.source.seed, "section": example.source.section},
              "passed": False, "error": error, "trace_sha256": None,
              "provenance": run_provenance(example, versions, dtype, steps),
              "parity": [], "claims": [], "claim_counts": {}}
    write_atomic(folder / "summary.json", json.dumps(record, indent=2).encode())
    write_atomic(folder / "report.md", f"# {example.id}: {example.title}\n\n**FAILED**: the run "
                 f"stopped with an error before any comparison: `{error}`\n".encode())
    return folder


def number(value, spec: str) -> str:
    """A summary's number as written in the index: JSON keeps no infinity or NaN (None)."""
    return "not finite" if value is None else format(value, spec)


@dataclasses.dataclass(frozen=True)
class IndexParity:
    """One framework's worst difference from NumPy, as the index gives it."""

    framework: str
    max_abs_diff: float | None  # None: not finite
    tolerance_used: float | None
    passed: bool
    step_local: bool  # the verdict comes from step-local runs (summary parity mode)

    def text(self) -> str:
        return (f"{self.framework} {number(self.max_abs_diff, '.1e')} "
                f"({number(self.tolerance_used, '.2%')}{', step-local' if self.step_local else ''})")


@dataclasses.dataclass(frozen=True)
class IndexClaim:
    """A printed number named on the index (a refuted one)."""

    quantity: str
    step: int
    index: tuple[int, ...]
    printed: str
    where: str

    def text(self) -> str:
        element = f"[{','.join(map(str, self.index))}]" if self.index else ""
        return f"{self.quantity}{element} step {self.step} printed {self.printed}"


@dataclasses.dataclass(frozen=True)
class IndexRow:
    """One example's line of the index, read from its ``summary.json``: the one source
    of both ``README.md`` and the site's index page (``site.py``)."""

    id: str
    title: str
    seed: str
    section: str
    dtype: str
    steps: int | None
    passed: bool
    error: str | None
    parity: tuple[IndexParity, ...]
    claim_counts: tuple[tuple[str, int], ...]  # (verdict, count) in the order of VERDICTS
    refuted: tuple[IndexClaim, ...]
    failed_claims: int

    @property
    def status(self) -> str:
        return "passed" if self.passed else "FAILED (error)" if self.error else "FAILED"

    @property
    def step_local(self) -> bool:
        return any(p.step_local for p in self.parity)

    def parity_text(self) -> str:
        return "; ".join(p.text() for p in self.parity) or "numpy only"

    def claims_text(self) -> str:
        return ", ".join(f"{n} {v}" for v, n in self.claim_counts) or "none printed"

    def refuted_text(self) -> str:
        return "; ".join(c.text() for c in self.refuted)


def example_folders(out: Path) -> dict[str, Path]:
    """Every example folder of a results folder (one with a ``summary.json``), by id."""
    return {path.parent.name: path.parent for path in sorted(out.glob("*/summary.json"))}


def summaries(out: Path | dict[str, Path]) -> list[dict]:
    """Every example's ``summary.json``, by example id: those under ``out`` (one folder
    down), or those of the given folders (a results folder as a run will leave it)."""
    folders = example_folders(out) if isinstance(out, Path) else out
    found = [json.loads((folder / "summary.json").read_text(encoding="utf-8"))
             for folder in folders.values()]
    return sorted(found, key=lambda s: s["id"])


def index_row(s: dict) -> IndexRow:
    """An example's index line from its summary (as ``summary`` or ``write_crash`` wrote it)."""
    order = {verdict: i for i, verdict in enumerate(VERDICTS)}
    counts = sorted(s.get("claim_counts", {}).items(), key=lambda item: order.get(item[0], len(order)))
    claims = s.get("claims", [])
    return IndexRow(
        id=s["id"], title=s.get("title", ""), seed=s["source"]["seed"], section=s["source"]["section"],
        dtype=s["provenance"]["dtype"], steps=s["provenance"].get("steps"),
        passed=bool(s["passed"]), error=s.get("error"),
        parity=tuple(IndexParity(p["framework"], p["max_abs_diff"], p["tolerance_used"],
                                 bool(p["passed"]), p.get("mode") == "step_local")
                     for p in s.get("parity", [])),
        claim_counts=tuple(counts),
        refuted=tuple(IndexClaim(c["quantity"], c["step"], tuple(c["index"]), c["printed"], c["where"])
                      for c in claims if c["verdict"] == REFUTED),
        failed_claims=sum(c["verdict"] == FAILED for c in claims))


def index_rows(out: Path | dict[str, Path]) -> list[IndexRow]:
    """The index: one row per example with results under ``out`` (or in the given
    folders), sorted by id."""
    return [index_row(s) for s in summaries(out)]


INDEX_INTRO = ("One row per example, from each `summary.json`. Parity: the largest absolute "
               "difference from NumPy over every step and quantity, and the largest share of the "
               "tolerance any element used (policy in `reproductions/parity.py`; each report has "
               "the relative differences); *step-local* where each framework's step started from "
               "NumPy's parameters. Refuted: printed numbers the example declares wrong.")


def index_markdown(rows: list[IndexRow]) -> str:
    """``README.md``, for reading on any git host; ``site/index.html`` shows the same rows."""
    text = (f"# Results\n\n{INDEX_INTRO}\n\nThe same index with a page per example (plots, "
            "parity and claims tables, the code side by side) is `site/index.html`, to open "
            "in a browser from disk.\n\n")
    if not rows:
        return text + "No results yet.\n"
    header = ["example", "title", "source", "dtype", "steps", "max abs diff (tolerance used)",
              "claims", "refuted", "status"]
    table = [[f"[{r.id}]({r.id}/report.md)", r.title, f"{r.seed}, {r.section}", r.dtype, r.steps,
              r.parity_text(), r.claims_text(), r.refuted_text(), r.status] for r in rows]
    return text + md_table(header, table) + "\n"


def write_index(out: Path, folders: dict[str, Path] | None = None) -> None:
    """``out/README.md``: one line per example from every summary under ``out`` (or in the
    given folders)."""
    write_atomic(out / "README.md", index_markdown(index_rows(out if folders is None
                                                             else folders)).encode())


UPDATING = ("# Results\n\nBeing updated: a run is swapping in its results. This index is "
            "rewritten when it has; until then each example's folder holds its own "
            "`summary.json` and `report.md`. A run that stops here leaves its "
            "`.staging-*` folder, and the next run says so.\n")
