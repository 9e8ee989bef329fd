"""Results a person can read: per example a trace (Parquet), a JSON summary with
provenance (the results model of ``results.py``, serialised), a Markdown report made from
that model, its plots (``plots.py``) and the translation page (``translate.py``); and an
index of all examples, made from their summaries.

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
import math
import platform
import subprocess
from pathlib import Path

import numpy as np

import frameworks

from . import plots, results
from .harness import ExampleResult, implementations, runs_generic
from .parity import POLICY
from .publish import atomically, link, write_atomic
from .results import Results, exact
from .spec import Example
from .table import Table
from .table import write as write_parquet
from .trace import Recording

REPO = Path(__file__).resolve().parents[1]


def write_table(table: Table, path: Path) -> str:
    """The trace table to ``path``, written beside it and renamed into place, a chunk at a
    time (``table.write``): its determinism hash."""
    return atomically(path, lambda temporary: write_parquet(table, temporary))


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
    """The files that define an example: its definition, its errata file and ``NOTES.md``
    beside it, the files its [data] reads, and the file each framework runs it with,
    sorted by name."""
    found = [example.file, example.errata_file, example.folder / "NOTES.md"]
    found += [example.folder / origin.file for origin in example.data_origins.values()
              if origin.file is not None]
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
        "seeds": {"init": example.init.seed, **{
            f"data.{name}": origin.args["random_state"]
            for name, origin in example.data_origins.items() if origin.generator is not None}},
        "steps": steps,
        "hyper": dict(example.hyper),
        "example": example_provenance(example.folder, definition_files(example)),
        **({"data": {name: {k: v for k, v in dataclasses.asdict(origin).items() if v is not None}
                     for name, origin in example.data_origins.items()}}
           if example.data_origins else {}),
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


# --- the results model of a run ------------------------------------------------------------

def summary(result: ExampleResult, trace_sha256: str | None = None,
            drawn: list[results.Plot] = (), undrawn: list[str] = ()) -> Results:
    """The results of a run (``results.py``): ``trace_sha256`` the hash of its written
    trace (None: not written), ``drawn`` and ``undrawn`` its plots."""
    example, policy = result.example, POLICY[result.dtype]
    return Results(
        id=example.id, title=example.title, source=example.source.model_dump(),
        passed=result.passed, trace_sha256=trace_sha256, provenance=provenance(result),
        tolerance=results.Tolerance(roundings=policy.roundings, eps=policy.eps, rtol=policy.rtol,
                                    rule=str(policy)),
        summary=example.summary_markdown, notes=example.notes_markdown,
        parity=[parity_of(p) for p in result.parities],
        claims=[results.Claim(**c.claim.model_dump(include=set(results.Claim.model_fields)),
                              exact=finite(c.exact), replayed=finite(c.replayed),
                              demonstrated=finite(c.demonstrated), verdict=c.verdict,
                              explanation=c.explanation, spread=c.spread,
                              cause=example.errata[c.claim.erratum].group
                              if c.claim.erratum else None)
                for c in result.claims],
        claim_counts={v: n for v in results.VERDICTS
                      if (n := sum(c.verdict == v for c in result.claims))},
        warnings=result.warnings, implementations=implementations_of(example),
        plots=list(drawn), undrawn=list(undrawn),
        findings=findings_of(result), gradients=gradients_of(result))


def parity_of(p) -> results.Parity:
    drift = None
    if p.drift is not None:
        step, roundings = p.drift.largest
        drift = results.Drift(largest_roundings=finite(roundings), at_step=step,
                              first_step_beyond_bound=p.drift.first_beyond(p.tolerance.roundings))
    return results.Parity(
        framework=p.framework, passed=p.passed, max_abs_diff=finite(p.max_abs),
        max_rel_diff=finite(p.max_rel), max_rel_diff_to_size=finite(p.max_rel_size),
        tolerance_used=finite(p.used), first_divergence=p.first_divergence, one_sided=p.missing,
        compared_elements=p.compared, diverged=p.diverged,
        divergence_expected=p.divergence_expected, problems=p.problems(), mode=p.mode,
        parted=p.parted, step_local_check=p.step_local, parting=p.parting(),
        free_running_drift=drift, not_compared=p.not_compared,
        quantities=[{k: finite(v) for k, v in dataclasses.asdict(q).items()} for q in p.quantities])


def repo_path(path: Path) -> str:
    """A path as the results name it: relative to this repository where it lies in it."""
    path = path.resolve()
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)


def implementations_of(example: Example) -> list[results.Implementation]:
    return [results.Implementation(framework=name, title=frameworks.TITLES.get(name, name),
                                   file=repo_path(path),
                                   engine="generic" if runs_generic(example, name) else "mirror")
            for name, path in implementations(example).items()]


def rows_where(columns: dict[str, np.ndarray], keep: np.ndarray, names: list[str]) -> list[list]:
    picked = [columns[name][keep] for name in names]
    return [[finite(v.item()) if isinstance(v, np.generic) else v for v in row]
            for row in zip(*picked)]


def findings_of(result: ExampleResult) -> results.Table | None:
    """Values where the frameworks or the source's own formulas legitimately differ."""
    quantities = {q for r in result.traces.values() for q, s in r.series.items()
                  if s.kind == "finding"}
    if not quantities:
        return None
    columns = table_of(result, quantities).whole()
    header = ["step", "quantity", "index", *result.frameworks]
    return results.Table(header=header,
                         rows=rows_where(columns, columns["kind"] == "finding", header))


def gradients_of(result: ExampleResult) -> results.Table | None:
    """The gradients beside their numerical estimate, at the steps it was taken."""
    if result.numerical is None or not result.numerical.series:
        return None
    columns = table_of(result, set(result.numerical.series)).whole()
    header = ["step", "quantity", "index", *result.frameworks, "numerical"]
    return results.Table(header=header,
                         rows=rows_where(columns, ~np.isnan(columns["numerical"]), header))


# --- report.md ---------------------------------------------------------------------------------

def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(exact(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def parity_section(r: Results) -> list[str]:
    if not r.parity:
        return ["Only NumPy ran: nothing to compare."]
    lines = [r.policy_text(), ""]
    for p in r.parity:
        lines.append(f"**{p.framework}** {p.verdict}: {p.figures()}.")
        lines += [sentence(f"{m.label}: {m.text}") for m in p.messages(r.bound)]
        lines.append("")
    header = ["quantity", "kind", "elements", "framework", "max_abs", "max_rel", "max_rel_size",
              "used", "ok"]
    rows = [[q.quantity, q.kind, q.elements, framework, results.sci(q.max_abs),
             results.sci(q.max_rel), results.sci(q.max_rel_size), results.percent(q.used),
             "yes" if q.passed else "NO"] for framework, q in r.quantity_rows()]
    return lines + [md_table(header, rows)]


def claims_section(r: Results) -> list[str]:
    if not r.claims:
        return ["The source prints no number for this example."]
    header = ["where", "quantity", "step", "index", "printed", "exact", "replayed",
              "demonstrated", "verdict", "explanation"]
    rows = [[c.where, c.quantity, c.step, results.element(c.index), c.printed, c.exact, c.replayed,
             c.demonstrated, c.verdict, c.explanation] for c in r.claims]
    return [r.claims_intro(), "", md_table(header, rows)]


def table_section(title: str, intro: str, table: results.Table | None) -> list[str]:
    return [] if table is None else [f"## {title}", "", intro, "", md_table(table.header, table.rows), ""]


def markdown(r: Results, folder: Path | None = None) -> str:
    """The report, to be read in ``folder`` (by default ``results/<id>``), which its
    links to the code are relative to."""
    folder = Path("results") / r.id if folder is None else folder
    prov = r.provenance
    lines = [f"# {r.id}: {r.title}", "", f"Source: `{r.source.text()}`, {r.source.section}.", ""]
    if r.summary:
        lines += [r.summary, ""]
    lines += [f"**{'PASSED' if r.passed else 'FAILED'}**: {r.verdict()}.", "",
              "Provenance: " + "; ".join(f"{label} {value}" for label, value in prov.facts())
              + (f"; trace sha256 `{r.trace_sha256}`." if r.trace_sha256 else "."), ""]
    if r.called_out():
        lines += ["## Called out", "", results.CALLED_OUT_MEANS + (
            " " + results.REFUTED_MEANS if r.refuted() else ""), "", *(f"- **{c.verdict}** {c.line()}" for c in r.called_out()), ""]
    if r.warnings:
        lines += ["## What the run shows", "", *(f"- {sentence(line)}" for line in r.warnings), ""]
    if r.notes:
        lines += ["## Notes", "", r.notes, ""]
    if r.error:
        return "\n".join(lines)
    lines += ["## Parity at every step", "", *parity_section(r), ""]
    lines += ["## Claims", "", *claims_section(r), ""]
    lines += table_section(results.FINDINGS, results.FINDINGS_MEANS, r.findings)
    lines += table_section(results.GRADIENTS, results.GRADIENTS_MEANS, r.gradients)
    if r.undrawn:
        lines += ["## Plots not drawn", "", *(f"- {line}" for line in r.undrawn), ""]
    own = ", ".join(f"[{i.title}]({link(REPO / i.file, folder)})" for i in r.implementations)
    lines += ["## Code", "", "The implementations side by side, aligned by section, with the "
              f"translation notes: [translation.html](translation.html); each on its own: {own}.", ""]
    return "\n".join(lines)


# --- writing -----------------------------------------------------------------------------------

def write(result: ExampleResult, out: Path, published: Path | None = None) -> Path:
    """The example's results into ``out/<id>``; ``published`` is the folder they will be
    read in, when ``out`` is a staging folder (by default ``out/<id>`` itself)."""
    from . import translate  # the translation page; translate reads nothing of this module's

    folder = out / result.example.id
    digest = write_table(table_of(result), folder / "trace.parquet")
    (folder / "trace.csv.gz").unlink(missing_ok=True)  # the format before trace.parquet
    drawn, listed, undrawn = plots.drawn(result)
    model = summary(result, digest, listed, undrawn)
    write_atomic(folder / "summary.json", model.json())
    write_atomic(folder / "report.md", markdown(model, published or folder).encode())
    translate.write(result.example, out, published or folder)
    (folder / "code.html").unlink(missing_ok=True)  # the page before translation.html
    for name, plot in drawn.items():
        if plot is not None:
            write_atomic(folder / name, plot)
        else:
            (folder / name).unlink(missing_ok=True)
    return folder


def write_crash(example: Example, out: Path, names: list[str], dtype: str, steps: int,
                error: str) -> Path:
    """An implementation raised: replace the example's results with the error, so that
    no earlier run's report or index line says it passed."""
    folder = out / example.id
    for stale in ("trace.parquet", "trace.csv.gz", "code.html", "translation.html", *plots.PLOTS):
        (folder / stale).unlink(missing_ok=True)
    versions = {name: frameworks.adapter(name).version() for name in names}
    model = Results(id=example.id, title=example.title, source=example.source.model_dump(),
                    passed=False, error=error, provenance=run_provenance(example, versions, dtype, steps),
                    summary=example.summary_markdown, notes=example.notes_markdown,
                    implementations=implementations_of(example))
    write_atomic(folder / "summary.json", model.json())
    write_atomic(folder / "report.md", markdown(model, folder).encode())
    return folder


# --- the index ---------------------------------------------------------------------------------

def example_folders(out: Path) -> dict[str, Path]:
    """Every example folder of a results folder (one with a ``summary.json``), by id."""
    return {path.parent.name: path.parent for path in sorted(out.glob("*/summary.json"))}


def summaries(out: Path | dict[str, Path]) -> list[Results]:
    """Every example's results, by example id: those under ``out`` (one folder down), or
    those of the given folders (a results folder as a run will leave it)."""
    folders = example_folders(out) if isinstance(out, Path) else out
    return sorted((results.read(folder / "summary.json") for folder in folders.values()),
                  key=lambda r: r.id)


INDEX_INTRO = ("One row per example, from each `summary.json`. Parity: the largest absolute "
               "difference from NumPy over every step and quantity, and the largest share of the "
               "tolerance any element used (policy in `reproductions/parity.py`; each report has "
               "the relative differences); *step-local* where each framework's step started from "
               "NumPy's parameters. Refuted: printed numbers the example declares wrong.")


INDEX_HEADER = ["example", "title", "source", "dtype", "steps", "max abs diff (tolerance used)",
                "claims", "refuted", "status"]
ATLAS_INTRO = ("Every erratum and refuted claim of the catalogue, grouped by cause: the printed "
               "value, the exact one (float64 NumPy), the value the declared cause recomputes, "
               "and where the source prints it. Each links to its example's called-out claims, "
               "where the demonstration's explanation is; the code that recomputes it is the "
               "example's errata file.")


def index_markdown(rows: list[Results]) -> str:
    """``README.md``, for reading on any git host; ``site/index.html`` shows the same rows,
    and ``site/errata.html`` the same atlas."""
    text = (f"# Results\n\n{INDEX_INTRO}\n\nThe same index with a page per example (plots, "
            "parity and claims tables, the code side by side) is `site/index.html`, to open "
            "in a browser from disk; the errata atlas is also `site/errata.html`.\n\n")
    if not rows:
        return text + "No results yet.\n"
    for outside, heading in ((False, "The seed documents"), (True, "Outside sources")):
        chosen = [r for r in rows if r.source.outside == outside]
        if chosen:
            text += f"## {heading}\n\n" + md_table(INDEX_HEADER, [
                [f"[{r.id}]({r.id}/report.md)", r.title, f"{r.source.text()}, {r.source.section}",
                 r.dtype, r.steps, r.parity_text(), r.claims_text(), r.refuted_text(), r.status]
                for r in chosen]) + "\n\n"
    text += "## Sources\n\nPer source document: its examples, the numbers they claim from it, " \
            "and how many of those are confirmed.\n\n" + md_table(
                ["source", "kind", "examples", "printed numbers", "confirmed"],
                [[t.citation, "outside" if t.outside else "seed", ", ".join(t.examples), t.printed,
                  t.confirmed] for t in results.source_tallies(rows)]) + "\n\n"
    text += f"## Errata atlas\n\n{ATLAS_INTRO}\n\n"
    groups = results.atlas(rows)
    if not groups:
        return text + "No erratum or refuted claim.\n"
    for _, title, entries in groups:
        text += f"### {title}\n\n" + md_table(
            ["example", "where", "claim", "printed", "exact", "recomputed", "cause"],
            [[f"[{e.example.id}]({e.example.id}/report.md#called-out)",
              f"{e.example.source.text()}: {e.claim.where}", e.claim.named(), e.claim.printed,
              results.exact(e.claim.exact), results.exact(e.claim.demonstrated),
              e.claim.explanation] for e in entries]) + "\n\n"
    return text.rstrip() + "\n"


def write_index(out: Path, folders: dict[str, Path] | None = None) -> None:
    """``out/README.md``: one line per example from every summary under ``out`` (or in the
    given folders)."""
    write_atomic(out / "README.md", index_markdown(summaries(out if folders is None
                                                             else folders)).encode())


UPDATING = ("# Results\n\nBeing updated: a run is swapping in its results. This index is "
            "rewritten when it has; until then each example's folder holds its own "
            "`summary.json` and `report.md`. A run that stops here leaves its "
            "`.staging-*` folder, and the next run says so.\n")
