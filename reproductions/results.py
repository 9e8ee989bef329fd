"""One example's results as one model: what ``summary.json`` holds, and every sentence
and number the terminal, the pytest plugin, ``report.md``, the index and the site say of
them, each written here once.

``report.summary`` makes the model from a run (``report.write_crash`` from a run that
stopped with an error); ``summary.json`` is its serialisation, and :func:`read` makes it
again from that file, so every renderer reads the same facts whether it ran the example
or not. A field a summary written before it existed lacks takes its default.
"""

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

import frameworks

from .claims import (CONFIRMED, ERRATUM, FAILED, NOISE, NOT_REACHED, REFUTED, ROUNDED, SENSITIVE,
                     TYPO)
from .parity import Divergence
from .spec import citation

VERDICTS = (CONFIRMED, NOISE, ROUNDED, SENSITIVE, ERRATUM, TYPO, REFUTED, NOT_REACHED, FAILED)
CALLED_OUT = (FAILED, REFUTED, ERRATUM, TYPO, SENSITIVE)  # the claims named one by one, in this order
CAUSE = {ERRATUM: "cause", TYPO: "cause", REFUTED: "no cause found; tried", FAILED: "why",
         SENSITIVE: "spread"}
REFUTED_MEANS = ("Refuted: printed numbers this example declares wrong, with no cause found; "
                 "the check fails the day one is reproduced.")
PARITY_COLUMNS = ("`rel` is the largest difference relative to the NumPy value, `rel/size` "
                  "relative to the quantity's size (its largest magnitude so far, or the size "
                  "of the operands where a value is computed by cancellation); `used` is the "
                  "largest share of the tolerance any element took (at most 100% passes).")
CALLED_OUT_MEANS = "Each erratum, refuted, sensitive or failed claim, with its cause."
FINDINGS, FINDINGS_MEANS = "Findings", ("Values where the frameworks or the source's own formulas "
                                        "legitimately differ (kinks). Reported, not compared.")
GRADIENTS, GRADIENTS_MEANS = "Gradients beside the numerical estimate", (
    "Central differences in float64 (`reproductions/numerical.py`) at the start of each step shown.")
CLAIM_COLUMNS = ("`exact` is the float64 NumPy value; `replayed` the rounded replay's; "
                 "`demonstrated` the erratum's recomputation.")


# --- numbers, as every renderer writes them ---------------------------------------------

def sci(value, digits: int = 2) -> str:
    """A difference in scientific notation; None is a value that was not finite."""
    return "not finite" if value is None else f"{value:.{digits}e}"


def percent(value) -> str:
    return "not finite" if value is None else f"{value:.2%}"


def exact(value) -> str:
    """A value as the tables give it: 12 significant digits; "" for none."""
    return "" if value is None else f"{value:.12g}" if isinstance(value, float) else str(value)


def element(index) -> str:
    return ",".join(map(str, index))


def steps_text(steps: int | None) -> str:
    if steps is None:
        return ""
    if steps == 0:
        return "no training (step 0 only)"
    return f"{steps} training step{'' if steps == 1 else 's'}"


def framework_titles(names=frameworks.NAMES) -> str:
    """"NumPy, PyTorch, TensorFlow and JAX": the frameworks named in prose."""
    titles = [frameworks.TITLES.get(name, name) for name in names]
    return " and ".join(filter(None, [", ".join(titles[:-1]), titles[-1]])) if titles else ""


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", ser_json_inf_nan="null")


# --- parity ------------------------------------------------------------------------------

class Quantity(Model):
    """One quantity's comparison with NumPy over every step both recorded."""

    quantity: str
    kind: str
    elements: int
    max_abs: float | None
    max_rel: float | None
    max_rel_size: float | None
    used: float | None
    passed: bool


class Drift(Model):
    """A step-local verdict's free-running difference, in roundings of the size."""

    largest_roundings: float | None
    at_step: int
    first_step_beyond_bound: int | None

    def text(self, bound: int) -> str:
        largest = ("a value that is not finite" if self.largest_roundings is None
                   else f"{self.largest_roundings:.3g} roundings")
        beyond = self.first_step_beyond_bound
        return (f"the difference grows to {largest} of the size at step {self.at_step} (the "
                f"bound is {bound}); " + (f"it first exceeds the bound at step {beyond}"
                                          if beyond is not None else "it never exceeds the bound")
                + " (drift.png)")


class Message(Model):
    """One sentence of a framework's comparison: ``label`` names what it is, ``bad``
    whether it is why the comparison fails."""

    label: str
    text: str
    bad: bool = False


class Parity(Model):
    """One framework against NumPy at every step."""

    framework: str
    passed: bool
    max_abs_diff: float | None
    max_rel_diff: float | None
    max_rel_diff_to_size: float | None
    tolerance_used: float | None
    first_divergence: Divergence | None = None
    one_sided: list[str] = []
    compared_elements: int = 0
    diverged: dict[str, str] = {}
    divergence_expected: bool = False
    problems: list[str] = []
    mode: str = "free_running"
    parted: Divergence | None = None
    step_local_check: str | None = None
    parting: str | None = None
    free_running_drift: Drift | None = None
    not_compared: list[str] = []
    quantities: list[Quantity] = []

    @property
    def step_local(self) -> bool:
        return self.mode == "step_local"

    @property
    def verdict(self) -> str:
        return ("agrees" if self.passed else "DIVERGES") + (" (step-local)" if self.step_local else "")

    def figures(self) -> str:
        return (f"max abs {sci(self.max_abs_diff)}, max rel {sci(self.max_rel_diff)}, max rel/size "
                f"{sci(self.max_rel_diff_to_size)}, tolerance used {percent(self.tolerance_used)}")

    def index_text(self) -> str:
        """Its worst difference, as the index gives it."""
        return (f"{self.framework} {sci(self.max_abs_diff, 1)} ({percent(self.tolerance_used)}"
                f"{', step-local' if self.step_local else ''})")

    def messages(self, bound: int | None) -> list[Message]:
        """Every sentence of the comparison beyond its figures, in the order read."""
        found = [Message(label="failed", text=problem, bad=True) for problem in self.problems]
        if self.divergence_expected and self.passed and self.diverged:
            found.append(Message(label="diverged as declared", text="at the same step in the "
                                 "same way: " + "; ".join(f"{side} at {where}" for side, where
                                                          in self.diverged.items())
                                 + "; the steps before it are compared"))
        if self.first_divergence is not None:
            found.append(Message(label="first divergence", bad=True,
                                 text=self.first_divergence.describe(self.framework)))
        if self.parting:
            found.append(Message(label="step by step", text=self.parting))
        if self.step_local:
            found.append(Message(label="verdict from step-local runs", text=f"every "
                                 f"{self.framework} step started from NumPy's parameters, so "
                                 "each step's own difference was judged"))
        if self.free_running_drift is not None:
            found.append(Message(label="free-running", text=self.free_running_drift.text(bound)))
        if self.one_sided:
            found.append(Message(label="recorded by one side only", bad=True,
                                 text="; ".join(self.one_sided[:10])))
        if self.not_compared:
            found.append(Message(label="not compared", text="; ".join(self.not_compared)))
        return found


# --- claims ------------------------------------------------------------------------------

class Claim(Model):
    """A number the source prints, and its verdict."""

    where: str
    quantity: str
    step: int
    index: list[int] = []
    printed: str
    exact: float | None = None
    replayed: float | None = None
    demonstrated: float | None = None
    verdict: str
    explanation: str = ""
    spread: tuple[float, float] | None = None  # the sensitivity ensemble's lowest and highest
    cause: str | None = None  # an erratum's or a refutation's group in the errata atlas

    def named(self) -> str:
        index = f"[{element(self.index)}]" if self.index else ""
        return f"{self.quantity}{index} step {self.step}"

    def text(self) -> str:
        """The claim in a few words, as the index names a refuted one."""
        return f"{self.named()} printed {self.printed}"

    def line(self) -> str:
        """The claim and its cause in one line, wherever it is named."""
        cause = f"; {CAUSE.get(self.verdict, 'note')}: {self.explanation}" if self.explanation else ""
        return (f"{self.where}: {self.named()}: printed {self.printed}, computed "
                f"{exact(self.exact) or 'nothing'}{cause}")


# --- provenance --------------------------------------------------------------------------

class Source(Model):
    seed: str | None = None
    repository: str | None = None
    path: str | None = None
    commit: str | None = None
    url: str | None = None
    section: str

    @property
    def outside(self) -> bool:
        """A source beyond the five seed documents."""
        return self.seed is None

    def text(self) -> str:
        return citation(self)


class ExampleFolder(Model):
    """Which example folder a run read (``report.example_provenance``)."""

    folder: str
    in_tool_repository: bool
    git_commit: str | None
    uncommitted_changes: bool | None
    files: list[str] = []
    files_sha256: str

    def text(self) -> str:
        where = "in this repository" if self.in_tool_repository else self.folder
        commit = ("not in a git repository" if self.git_commit is None else f"commit "
                  f"{self.git_commit}{'+uncommitted changes' if self.uncommitted_changes else ''}")
        return f"{where} ({commit}; files sha256 {self.files_sha256[:16]})"


class Provenance(Model):
    """What the results were made with, where and when."""

    frameworks: dict[str, str]
    python: str
    platform: str
    machine: str = ""
    git_commit: str
    date: str
    dtype: str
    seeds: dict[str, int | None] = {}
    steps: int | None = None
    hyper: dict = {}
    example: ExampleFolder | None = None
    data: dict[str, dict] = {}  # where each [data] entry read or made came from

    def versions(self) -> str:
        return ", ".join(f"{name} {version}" for name, version in self.frameworks.items())

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) of each fact, in the order given; "label value" reads as prose."""
        seed = self.seeds.get("init")
        facts = [("frameworks", self.versions()), ("dtype", self.dtype)]
        if self.steps is not None:
            facts.append(("steps", f"{self.steps}{' (no training: step 0 only)' if self.steps == 0 else ''}"))
        facts.append(("start values", "from the definition (no seed)") if seed is None
                     else ("init seed", str(seed)))
        if self.hyper:
            facts.append(("hyperparameters", ", ".join(f"{k} {v}" for k, v in self.hyper.items())))
        facts += [("Python", self.python), ("platform", self.platform), ("machine", self.machine),
                  ("commit", self.git_commit)]
        if self.example is not None:
            facts.append(("example folder", self.example.text()))
        for name, origin in self.data.items():
            facts.append((f"data {name}", data_origin_text(origin)))
        return facts + [("date", self.date)]

    def line(self) -> str:
        """The provenance in one line: versions, dtype, platform, commit, date."""
        return (f"{self.versions()}; dtype {self.dtype}; Python {self.python} on {self.platform}; "
                f"commit {self.git_commit}; {self.date}")


def data_origin_text(origin: dict) -> str:
    """A [data] entry's origin in a line: a file and its sha256, or a generator's call."""
    if "file" in origin:
        return f"{origin['file']} ({origin['bytes']} bytes, sha256 {origin['sha256']})"
    args = ", ".join(f"{key}={value!r}" for key, value in origin.get("args", {}).items())
    return f"{origin['generator']}({args}), scikit-learn {origin.get('version')}"


class Tolerance(Model):
    roundings: int
    eps: float
    rtol: float
    rule: str


# --- the example's results ----------------------------------------------------------------

class Implementation(Model):
    """The file a framework ran the example with: its own mirror, or a generic engine.
    ``file`` is relative to this repository where it lies in it."""

    framework: str
    title: str
    file: str
    engine: str  # "mirror" or "generic"


class Plot(Model):
    file: str
    caption: str


class Table(Model):
    """A table of trace values (findings, gradients beside their numerical estimate)."""

    header: list[str]
    rows: list[list[int | float | str | None]]


class Results(Model):
    """An example's results: everything ``summary.json`` holds and every page shows."""

    id: str
    title: str
    source: Source
    passed: bool
    error: str | None = None  # the run stopped with it, before any comparison
    trace_sha256: str | None = None
    provenance: Provenance
    tolerance: Tolerance | None = None
    summary: str = ""  # Markdown: what the source works out
    notes: str = ""  # Markdown: what a reader should know
    parity: list[Parity] = []
    claims: list[Claim] = []
    claim_counts: dict[str, int] = {}
    warnings: list[str] = []  # what the run shows, said, not judged
    implementations: list[Implementation] = []
    plots: list[Plot] = []
    undrawn: list[str] = []  # plots that could not be drawn, and why
    findings: Table | None = None
    gradients: Table | None = None

    @property
    def dtype(self) -> str:
        return self.provenance.dtype

    @property
    def steps(self) -> int | None:
        return self.provenance.steps

    @property
    def bound(self) -> int | None:
        return None if self.tolerance is None else self.tolerance.roundings

    @property
    def status(self) -> str:
        return "passed" if self.passed else "FAILED (error)" if self.error else "FAILED"

    @property
    def parity_holds(self) -> bool:
        return all(p.passed for p in self.parity)

    @property
    def claims_hold(self) -> bool:
        return all(c.verdict != FAILED for c in self.claims)

    @property
    def step_local(self) -> bool:
        return any(p.step_local for p in self.parity)

    def verdict(self) -> str:
        """The status line: whether parity holds and the claims are accounted for."""
        if self.error:
            return f"the run stopped with an error before any comparison: {self.error}"
        return (f"parity {'holds' if self.parity_holds else 'FAILS'}"
                f"{' (judged step-local)' if self.step_local else ''}, claims "
                f"{'all accounted for' if self.claims_hold else 'FAIL'}")

    def counts(self) -> list[tuple[str, int]]:
        """(verdict, how many) in the order of VERDICTS."""
        order = {verdict: i for i, verdict in enumerate(VERDICTS)}
        return sorted(self.claim_counts.items(), key=lambda item: order.get(item[0], len(order)))

    def claims_text(self) -> str:
        return ", ".join(f"{n} {verdict}" for verdict, n in self.counts()) or "none printed"

    def called_out(self) -> list[Claim]:
        """Failed claims, then refuted ones, then errata: each named with its cause."""
        return sorted((c for c in self.claims if c.verdict in CALLED_OUT),
                      key=lambda c: CALLED_OUT.index(c.verdict))

    def refuted(self) -> list[Claim]:
        return [c for c in self.claims if c.verdict == REFUTED]

    def failed_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.verdict == FAILED]

    def claims_in_order(self) -> list[Claim]:
        """Failed claims first, then refuted ones, then the rest as the source prints them."""
        rank = {FAILED: 0, REFUTED: 1}
        return sorted(self.claims, key=lambda c: rank.get(c.verdict, 2))

    def quantity_rows(self) -> list[tuple[str, Quantity]]:
        """The per-quantity parity table: per quantity (NumPy's order), one row per
        framework, as (framework, quantity)."""
        most = max((len(p.quantities) for p in self.parity), default=0)
        return [(p.framework, p.quantities[i]) for i in range(most) for p in self.parity
                if i < len(p.quantities)]

    def policy_text(self) -> str:
        """Markdown: the tolerance, and what the parity table's columns are."""
        return (f"Policy ({self.dtype}): {self.tolerance.rule} (see `reproductions/parity.py`). "
                f"{PARITY_COLUMNS}")

    def claims_intro(self) -> str:
        """Markdown: how many claims, their verdicts, and what the table's columns are."""
        return f"{len(self.claims)} claims: {self.claims_text()}. {CLAIM_COLUMNS}"

    def frameworks_text(self) -> str:
        """The frameworks it ran in, named in prose."""
        names = [i.framework for i in self.implementations] or ["numpy", *(p.framework for p in self.parity)]
        return framework_titles(names)

    def parity_text(self) -> str:
        return "; ".join(p.index_text() for p in self.parity) or "numpy only"

    def refuted_text(self) -> str:
        return "; ".join(c.text() for c in self.refuted())

    def json(self) -> bytes:
        return self.model_dump_json(indent=2).encode()


def read(path: Path) -> Results:
    """An example's results from its ``summary.json``."""
    return Results.model_validate_json(path.read_bytes())


# --- across examples: the sources and the errata atlas ------------------------------------

ATLAS_GROUPS = {
    "slip": "Typos and slips of the pen",
    "rounded": "Arithmetic on rounded intermediates",
    "stale": "Stale printouts",
    "state": "A different state than the text says",
    "formula": "A formula that differs from the code",
    "refuted": "Refuted: no cause found",
}
EXPLAINED = (ERRATUM, TYPO, REFUTED)


def source_key(source: Source) -> str:
    """The document an example's numbers are printed in: a seed file, a repository's
    file, or a page."""
    if source.repository is not None:
        return f"{source.repository}/{source.path}"
    return source.seed if source.seed is not None else source.url


@dataclass(frozen=True)
class SourceTally:
    """One source document: its examples, how many numbers they claim from it, and how
    many of those are confirmed."""

    key: str
    citation: str
    outside: bool
    examples: tuple[str, ...]
    printed: int
    confirmed: int


def source_tallies(rows: list["Results"]) -> list[SourceTally]:
    """Per source document, the seeds first, each kind by its name."""
    grouped: dict[str, list[Results]] = {}
    for r in rows:
        grouped.setdefault(source_key(r.source), []).append(r)
    tallies = [SourceTally(key, members[0].source.text(), members[0].source.outside,
                           tuple(r.id for r in members), sum(len(r.claims) for r in members),
                           sum(r.claim_counts.get(CONFIRMED, 0) for r in members))
               for key, members in grouped.items()]
    return sorted(tallies, key=lambda t: (t.outside, t.key))


def atlas_group(claim: Claim) -> str:
    """A claim's group in the atlas: refuted, or its erratum's cause."""
    return "refuted" if claim.verdict == REFUTED else claim.cause or "slip"


@dataclass(frozen=True)
class AtlasEntry:
    example: "Results"
    claim: Claim


def atlas(rows: list["Results"]) -> list[tuple[str, str, list[AtlasEntry]]]:
    """Every erratum and refuted claim of the catalogue, grouped by cause: (group, its
    title, its entries), the groups in ATLAS_GROUPS's order, empty ones left out."""
    groups = []
    for group, title in ATLAS_GROUPS.items():
        entries = [AtlasEntry(r, c) for r in rows for c in r.claims
                   if c.verdict in EXPLAINED and atlas_group(c) == group]
        if entries:
            groups.append((group, title, entries))
    return groups
