"""``results/site/``: the results as a static site, plain HTML and CSS to open from disk.

``site/index.html`` lists every example with results under the results folder (each
``<id>/summary.json``: the catalogue's and any ``--spec`` definition's), from the same
results models as ``README.md`` (``results.py``, read by
:func:`reproductions.report.summaries`), so the two cannot disagree; nothing is read
from ``report.md``. ``site/<id>/index.html`` is one page per example: its title, source,
summary and notes, status, provenance, plots, parity and claims tables, and the code
side by side. The pages are rendered by Jinja2 templates (``templates/``, autoescaped)
and need no server, network or JavaScript.

Layout::

    site/index.html          every example: source, status, worst difference, claims; the
                             seeds apart from the outside sources, and a tally per source
    site/errata.html         the errata atlas: every erratum and refuted claim, by cause
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
import functools
import re
import shutil
import urllib.parse
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import publish, report, results
from .results import Results

SITE = "site"
TEMPLATES = Path(__file__).parent / "templates"
CODE_PAGES = ("translation.html", "code.html")  # the code view, the first that exists
RAW_FILES = (("report.md", "the report (Markdown)"), ("summary.json", "the summary (JSON)"),
             ("trace.parquet", "the full trace (Parquet)"))
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
MARKDOWN = MarkdownIt("commonmark", {"html": False})  # raw HTML in a source's text is escaped


class SiteError(Exception):
    """Results the site cannot be built from."""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def relative(*parts: str) -> str:
    return "/".join(urllib.parse.quote(part) for part in parts)


def markdown_html(text: str, base: str = "") -> Markup:
    """Markdown as HTML; a relative link is rebased by ``base`` (from the page to the
    report's folder), so it points where it pointed from the report."""
    tokens = MARKDOWN.parse(text or "")
    for token in tokens:
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                attribute = "href" if child.type == "link_open" else "src"
                target = child.attrGet(attribute) or ""
                if not re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.IGNORECASE):
                    child.attrSet(attribute, base + target)
    return Markup(MARKDOWN.renderer.render(tokens, MARKDOWN.options, {}))


def example_page(r: Results, folder: Path) -> dict:
    """What an example's page shows beside its results (read in ``folder``): the links
    to its files, and the code page it embeds."""
    up = relative("..", "..", r.id) + "/"  # from site/<id>/ to the example's results
    code = next((name for name in CODE_PAGES if (folder / name).is_file()), None)
    return {"r": r, "up": up, "code": code and relative("..", "..", r.id, code),
            "figures": [plot for plot in r.plots if (folder / plot.file).is_file()],
            "raw": [(up + relative(name), what) for name, what in RAW_FILES if (folder / name).is_file()]}


@functools.cache  # one per process: each template is compiled once
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(sci=results.sci, percent=results.percent, exact=results.exact,
                       element=results.element, slug=slug, steps_text=results.steps_text,
                       markdown=markdown_html, quote=lambda text: urllib.parse.quote(str(text)))
    env.globals.update(results=results)
    return env


def render(folders: Path | dict[str, Path], dest: Path) -> list[Path]:
    """The site of the results folder ``folders`` (or of the example folders given by id,
    a results folder as a run will leave it), written into ``dest``: the files written."""
    folders = report.example_folders(folders) if isinstance(folders, Path) else folders
    models = report.summaries(folders)
    for r in models:
        if not SAFE_ID.fullmatch(r.id) or r.id == SITE:
            raise SiteError(f"{folders[r.id]}: an example id the site cannot name a page by: {r.id!r}")
    env = environment()
    written = []

    def put(path: Path, data: bytes) -> None:
        publish.write_atomic(path, data)
        written.append(path)

    put(dest / "style.css", (TEMPLATES / "style.css").read_bytes())
    put(dest / "errata.html", env.get_template("errata.html").render(
        root="", groups=results.atlas(models), intro=report.ATLAS_INTRO).encode())
    put(dest / "index.html", env.get_template("index.html").render(
        root="", rows=models, groups=run_groups(models), tallies=results.source_tallies(models),
        intro=Markup(MARKDOWN.renderInline(report.INDEX_INTRO)),
        failed=sum(not r.passed for r in models), refuted=sum(len(r.refuted()) for r in models),
        mirrors=results.framework_titles(list(dict.fromkeys(
            p.framework for r in models for p in r.parity)))).encode())
    template = env.get_template("example.html")
    for r in models:
        page = example_page(r, folders[r.id])
        for figure in page["figures"]:
            put(dest / r.id / figure.file, (folders[r.id] / figure.file).read_bytes())
        put(dest / r.id / "index.html", template.render(root="../", **page).encode())
    return written


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
    last: str  # and the latest


def run_groups(models: list[Results]) -> list[RunGroup]:
    """The index's provenance: one group per distinct (versions, dtype, Python, platform,
    commit), in sorted order."""
    groups: dict[tuple, list[Results]] = {}
    for r in models:
        p = r.provenance
        groups.setdefault((p.versions(), p.dtype, p.python, p.platform, p.git_commit), []).append(r)
    found = []
    for key in sorted(groups):
        dates = sorted({r.provenance.date for r in groups[key]})
        found.append(RunGroup(*key, tuple(sorted(r.id for r in groups[key])), dates[0], dates[-1]))
    return found


def render_updating(dest: Path) -> None:
    """The site while a run swaps in its results: one page that says so and names no
    example, so that it never disagrees with an example's folder."""
    publish.write_atomic(dest / "style.css", (TEMPLATES / "style.css").read_bytes())
    publish.write_atomic(dest / "index.html", environment().get_template("updating.html").render(
        root="").encode())


def build(results_folder: Path) -> Path:
    """Build ``results/site`` from the results folder and swap it in whole."""
    staging = publish.new_staging(results_folder)
    try:
        render(results_folder, staging / SITE)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish.publish(staging, results_folder)
    return results_folder / SITE
