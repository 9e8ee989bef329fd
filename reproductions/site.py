"""``results/site/``: the results as a static site, plain HTML and CSS to open from disk.

``site/index.html`` lists every example with results under the results folder (each
``<id>/summary.json``: the catalogue's and any ``--spec`` definition's), from the same
rows as ``README.md`` (:func:`reproductions.report.index_rows`), so the two cannot
disagree. ``site/<id>/index.html`` is one page per example: its title, source,
summary and notes, status, provenance, plots, parity and claims tables, and the code
side by side. The pages are rendered by Jinja2 templates (``templates/``, autoescaped)
and need no server, network or JavaScript.

Layout::

    site/index.html          every example: source, status, worst difference, claims
    site/style.css           the one style sheet (a copy of templates/style.css)
    site/<id>/index.html     the example's page
    site/<id>/*.png          copies of the plots beside its report (cost, difference,
                             boundary, drift), so the pages hold them themselves

The code view embeds ``<id>/translation.html`` when the results have one, else
``<id>/code.html``, in place (``../../<id>/...`` from the page): the site lives inside
the results folder, and those pages keep their own relative links. The links to
``report.md``, ``summary.json`` and ``trace.parquet`` are relative the same way.

:func:`build` writes the site into a staging folder of the results folder and swaps
it in whole (``publish.py``), so ``site/`` is always one build's, never half-written;
a build cut short leaves its ``.staging-*`` folder, which the next run removes. The
pages hold no time of their own and list everything in sorted order: two builds
from the same results are byte-identical, and builds from two runs of the same code
differ only in the provenance the summaries record (dates, commit, platform).
"""

import dataclasses
import re
import shutil
import urllib.parse
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import publish, report
from .claims import FAILED, REFUTED

SITE = "site"
TEMPLATES = Path(__file__).parent / "templates"
PLOTS = (  # the plots a report may have beside it, in the order shown, with a caption each
    ("cost.png", "Cost per step, one line per framework (log scale): where the frameworks agree "
                 "the lines lie on top of each other."),
    ("difference.png", "The largest difference from NumPy at each step, per quantity and "
                       "framework."),
    ("boundary.png", "The decision boundary of the trained two-input classifier, with the "
                     "training points."),
    ("drift.png", "Each framework's free-running difference from NumPy per step, in roundings "
                  "of the size, against the bound: the verdict is judged step-local, each step "
                  "started from NumPy's parameters."),
)
CODE_PAGES = (  # the code view, the first that exists
    ("translation.html", "The NumPy, PyTorch and TensorFlow implementations side by side, aligned "
                         "by section, with the translation notes (translation.html)."),
    ("code.html", "The NumPy, PyTorch and TensorFlow implementations side by side (code.html)."),
)
RAW_FILES = (("report.md", "the report (Markdown)"), ("summary.json", "the summary (JSON)"),
             ("trace.parquet", "the full trace (Parquet)"))
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class SiteError(Exception):
    """Results the site cannot be built from."""


# --- formatting, as filters of the templates ------------------------------------------

def sci(value, digits: int = 2) -> str:
    """A difference in scientific notation; JSON's null is a value that was not finite."""
    return "not finite" if value is None else f"{value:.{digits}e}"


def percent(value) -> str:
    return "not finite" if value is None else f"{value:.2%}"


def exact(value) -> str:
    return "" if value is None else f"{value:.12g}" if isinstance(value, float) else str(value)


def element(index) -> str:
    return ",".join(map(str, index))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def steps_text(steps) -> str:
    return "" if steps is None else report.steps_text(steps)


# --- Markdown of the report: the summary and the notes --------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": False})  # raw HTML in a source's text is escaped


def report_sections(text: str) -> tuple[str, str]:
    """(summary, notes) from a ``report.md``: the text between its ``Source:`` line and
    its status line, and its ``## Notes`` section ("" where there is none)."""
    lines = text.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("Source: ")), None)
    summary = []
    if start is not None:
        for line in lines[start:]:
            if line.startswith(("**PASSED**", "**FAILED**", "## ")):
                break
            summary.append(line)
    notes, heading, rest = text.partition("\n## Notes\n")
    notes = rest.split("\n## ", 1)[0] if heading else ""
    return "\n".join(summary).strip(), notes.strip()


def markdown_html(text: str, base: str) -> Markup:
    """Markdown as HTML; a relative link is rebased by ``base`` (from the page to the
    report's folder), so it points where it pointed from the report."""
    if not text:
        return Markup("")
    tokens = MARKDOWN.parse(text)
    for token in tokens:
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                attribute = "href" if child.type == "link_open" else "src"
                target = child.attrGet(attribute) or ""
                if not re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.IGNORECASE):
                    child.attrSet(attribute, base + target)
    return Markup(MARKDOWN.renderer.render(tokens, MARKDOWN.options, {}))


# --- what a page shows ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Figure:
    file: str
    caption: str


@dataclasses.dataclass(frozen=True)
class Fact:
    """One line of provenance: a label and its value."""

    label: str
    value: str


def provenance_facts(summary: dict) -> list[Fact]:
    """An example's provenance, as its page lists it."""
    prov = summary["provenance"]
    facts = [Fact("frameworks", ", ".join(f"{k} {v}" for k, v in prov["frameworks"].items())),
             Fact("dtype", prov["dtype"])]
    if prov.get("steps") is not None:
        facts.append(Fact("steps", report.steps_text(prov["steps"])))
    seed = (prov.get("seeds") or {}).get("init")
    facts.append(Fact("start values", "from the definition (no seed)" if seed is None
                      else f"init seed {seed}"))
    if prov.get("hyper"):
        facts.append(Fact("hyperparameters", ", ".join(f"{k} {v}" for k, v in prov["hyper"].items())))
    facts += [Fact("Python", prov["python"]), Fact("platform", prov["platform"]),
              Fact("machine", prov.get("machine", "")), Fact("commit", prov["git_commit"])]
    if prov.get("example"):
        facts.append(Fact("example folder", report.example_text(prov["example"]).replace("`", "")))
    facts.append(Fact("date", prov["date"]))
    if summary.get("trace_sha256"):
        facts.append(Fact("trace sha256", summary["trace_sha256"]))
    return facts


def provenance_line(summary: dict) -> str:
    """The provenance in one line: versions, dtype, platform, commit, date."""
    prov = summary["provenance"]
    versions = ", ".join(f"{k} {v}" for k, v in prov["frameworks"].items())
    return (f"{versions}; dtype {prov['dtype']}; Python {prov['python']} on {prov['platform']}; "
            f"commit {prov['git_commit']}; {prov['date']}")


@dataclasses.dataclass(frozen=True)
class RunGroup:
    """Examples whose results were made with the same versions, dtype, platform and commit."""

    versions: str
    dtype: str
    python: str
    platform: str
    commit: str
    examples: tuple[str, ...]
    first: str  # the earliest date of its results
    last: str  # and the latest (the same page layout either way: no other difference)


def run_groups(summaries: list[dict]) -> list[RunGroup]:
    """The index's provenance: one group per distinct (versions, dtype, Python, platform,
    commit), in sorted order."""
    groups: dict[tuple, list[dict]] = {}
    for s in summaries:
        prov = s["provenance"]
        key = (", ".join(f"{k} {v}" for k, v in prov["frameworks"].items()), prov["dtype"],
               prov["python"], prov["platform"], prov["git_commit"])
        groups.setdefault(key, []).append(s)
    found = []
    for key in sorted(groups):
        members = groups[key]
        dates = sorted({s["provenance"]["date"] for s in members})
        found.append(RunGroup(*key, tuple(sorted(s["id"] for s in members)), dates[0], dates[-1]))
    return found


def claims_in_order(claims: list[dict]) -> list[dict]:
    """Failed claims first, then refuted ones, then the rest as the source prints them."""
    rank = {FAILED: 0, REFUTED: 1}
    return sorted(claims, key=lambda c: rank.get(c["verdict"], 2))  # stable: source order kept


def quantity_rows(parity: list[dict]) -> list[dict]:
    """The parity table: per quantity (NumPy's order), one row per framework."""
    rows = []
    for i in range(max((len(p["quantities"]) for p in parity), default=0)):
        for p in parity:
            if i < len(p["quantities"]):
                rows.append({"framework": p["framework"], **p["quantities"][i]})
    return rows


def first_divergence(parity: dict) -> str | None:
    d = parity.get("first_divergence")
    if not d:
        return None
    where = f"[{d['index']}]" if d.get("index") else ""
    return (f"step {d['step']}, {d['quantity']}{where}: numpy {d['reference']!r} vs "
            f"{parity['framework']} {d['other']!r}")


def drift_text(parity: dict, roundings: int) -> str | None:
    drift = parity.get("free_running_drift")
    if not drift:
        return None
    beyond = drift.get("first_step_beyond_bound")
    largest = drift.get("largest_roundings")
    return (f"free-running, the difference grows to "
            f"{'a value that is not finite' if largest is None else f'{largest:.3g} roundings'} "
            f"of the size at step {drift['at_step']} (bound {roundings}); "
            + (f"it first exceeds the bound at step {beyond}" if beyond is not None
               else "it never exceeds the bound"))


def relative(*parts: str) -> str:
    return "/".join(urllib.parse.quote(part) for part in parts)


def example_page(row: report.IndexRow, summary: dict, folder: Path) -> dict:
    """Everything an example's page shows (its results read in ``folder``), and the plots
    it copies."""
    up = relative("..", "..", row.id) + "/"  # from site/<id>/ to the example's results
    text = (folder / "report.md").read_text(encoding="utf-8") if (folder / "report.md").is_file() else ""
    summary_md, notes_md = report_sections(text)
    known = {name for name, _ in PLOTS}
    figures = [Figure(name, caption) for name, caption in PLOTS if (folder / name).is_file()]
    figures += [Figure(path.name, path.name) for path in sorted(folder.glob("*.png"))
                if path.name not in known]
    code = next(((relative("..", "..", row.id, name), caption) for name, caption in CODE_PAGES
                 if (folder / name).is_file()), None)
    roundings = summary.get("tolerance", {}).get("roundings")
    parity = [{**p, "first_divergence_text": first_divergence(p),
               "drift_text": drift_text(p, roundings), "step_local": p.get("mode") == "step_local"}
              for p in summary.get("parity", [])]
    return {
        "row": row, "summary": summary,
        "summary_html": markdown_html(summary_md, up), "notes_html": markdown_html(notes_md, up),
        "facts": provenance_facts(summary), "provenance": provenance_line(summary),
        "figures": figures, "code": code,
        "raw": [(up + relative(name), what) for name, what in RAW_FILES if (folder / name).is_file()],
        "parity": parity, "quantities": quantity_rows(summary.get("parity", [])),
        "claims": claims_in_order(summary.get("claims", [])),
        "tolerance": summary.get("tolerance", {}).get("rule"),
    }


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(sci=sci, percent=percent, exact=exact, element=element, slug=slug,
                       steps_text=steps_text, quote=lambda text: urllib.parse.quote(str(text)))
    return env


def render(results: Path | dict[str, Path], dest: Path) -> list[Path]:
    """The site of the results folder ``results`` (or of the example folders given by id,
    a results folder as a run will leave it), written into ``dest``: the files written."""
    folders = report.example_folders(results) if isinstance(results, Path) else results
    summaries = report.summaries(folders)
    for s in summaries:
        if not SAFE_ID.fullmatch(s["id"]) or s["id"] == SITE:
            raise SiteError(f"{folders[s['id']]}: an example id the site cannot name a page "
                            f"by: {s['id']!r}")
    rows = [report.index_row(s) for s in summaries]  # the rows of README.md, the same function
    env = environment()
    written = []

    def put(path: Path, data: bytes) -> None:
        report.write_atomic(path, data)
        written.append(path)

    put(dest / "style.css", (TEMPLATES / "style.css").read_bytes())
    put(dest / "index.html", env.get_template("index.html").render(
        root="", rows=rows, groups=run_groups(summaries),
        intro=Markup(MARKDOWN.renderInline(report.INDEX_INTRO)),
        mirrors=list(dict.fromkeys(p.framework for r in rows for p in r.parity)),
        refuted=sum(len(r.refuted) for r in rows), failed=sum(not r.passed for r in rows),
        step_local=any(r.step_local for r in rows)).encode())
    template = env.get_template("example.html")
    for row, s in zip(rows, summaries):
        page = example_page(row, s, folders[row.id])
        for figure in page["figures"]:
            put(dest / row.id / figure.file, (folders[row.id] / figure.file).read_bytes())
        put(dest / row.id / "index.html", template.render(root="../", **page).encode())
    return written


def render_updating(dest: Path) -> None:
    """The site while a run swaps in its results: one page that says so and names no
    example, so that it never disagrees with an example's folder."""
    put = report.write_atomic
    put(dest / "style.css", (TEMPLATES / "style.css").read_bytes())
    put(dest / "index.html", environment().get_template("updating.html").render(
        root="").encode())


def build(results: Path) -> Path:
    """Build ``results/site`` from the results folder and swap it in whole."""
    staging = publish.new_staging(results)
    try:
        render(results, staging / SITE)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish.publish(staging, results)
    return results / SITE
