"""An example's definition: the data of its ``example.toml``, validated.

The definition is data, not code: the source it comes from, its data and initial
parameters in the source's own layout and names, hyperparameters, the number of
steps, the numbers the source prints (claims) and the explanations of the
printed numbers that disagree (errata).
"""

import ast
import hashlib
import re
import tomllib
from typing import Literal
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
from pydantic import (ConfigDict, Field, StrictInt, ValidationError, ValidationInfo,
                      field_serializer, field_validator, model_validator)
from pydantic_core import InitErrorDetails, PydanticCustomError

import frameworks

from . import datasets, derived
from . import printed as printed_text
from .engines import draws, expressions
from .generic import definition as generic
from .schema import Strict, rectangular

EXAMPLES_DIR = Path(__file__).parent / "examples"


class Source(Strict):
    """Where the printed numbers are: one of the seed documents the project started from
    (``seed``), a file of a public repository at a commit (``repository``, ``path``,
    ``commit``), or a published page (``url``); and the section, cell or figure in it."""

    seed: str | None = Field(None, description="file name in shared/seeds/")
    repository: str | None = Field(None, description="owner/name of a public repository")
    path: str | None = Field(None, description="the file in the repository")
    commit: str | None = Field(None, pattern=r"^[0-9a-f]{40}$", description="the commit read")
    url: str | None = Field(None, description="a published page, where there is no repository")
    section: str = Field(description="section, cell, figure or code block")

    @model_validator(mode="after")
    def one_place(self):
        given = [self.seed is not None, self.repository is not None, self.url is not None]
        if sum(given) != 1:
            raise ValueError("give one of seed, repository (with path and commit) or url")
        if self.repository is not None and (self.path is None or self.commit is None):
            raise ValueError("a repository is cited with its path and commit")
        if self.repository is None and (self.path is not None or self.commit is not None):
            raise ValueError("path and commit belong to a repository")
        return self

    @property
    def outside(self) -> bool:
        """A source beyond the five seed documents."""
        return self.seed is None

    def text(self) -> str:
        return citation(self)


def citation(source) -> str:
    """Where a source is, in a few words: the seed file, the repository's file at its
    commit, or the page (for spec's Source and the results' alike)."""
    if source.seed is not None:
        return source.seed
    if source.repository is not None:
        return f"{source.repository} @ {source.commit[:8]}, {source.path}"
    return source.url


# [init]: the start values as the source draws them (engines/draws.py, DRAWS.md): a
# generator, its seed and the entries in the source's order; without a generator NumPy's
# legacy global functions, so an [init] of seed and value / randn / rand entries reads as
# it always has.
Initialisation, InitialParameter = draws.Initialisation, draws.InitialParameter


class Claim(Strict):
    """A number the source prints, kept as the exact string it prints."""

    where: str = Field(description="figure, section or code output that prints it")
    quantity: str = Field(description="trace quantity, or init.<name> for a start value")
    step: int = Field(0, ge=0, description="training step, 0 for the start")
    index: list[int] = Field([], description="element, in the source's layout")
    printed: str
    significant_digits: int | None = Field(
        None, description="for prose like 'about 610': digits meant, when trailing zeros are not"
    )
    within: float | None = Field(
        None, description="an absolute tolerance the source states, for targets it names"
    )
    erratum: str | None = Field(None, description="key of the erratum that explains it")
    format: str | None = Field(
        None, description="how it was printed, when that sets its precision rather than the "
                          "digits shown: numpy (an array's print: 8 decimals, or 8 mantissa "
                          "decimals), %.Nf, %.Ne, %.Ng, %g, repr (the digits shown)")

    expression: str | None = Field(
        None, description="instead of quantity: what the source computes from recorded "
                          "values, such as mean(A1), Z1[0, :3] or accuracy(A2, Y) (derived.py); "
                          "the claim's quantity is then this text")

    @model_validator(mode="before")
    @classmethod
    def an_expression_is_its_quantity(cls, data):
        if isinstance(data, dict) and data.get("expression") is not None:
            if "quantity" in data:
                raise ValueError(f"claim '{data.get('where', '?')}': quantity and expression "
                                 "both say what is printed: give one")
            data = dict(data, quantity=data["expression"])
        return data

    @field_validator("expression")
    @classmethod
    def is_an_expression(cls, expression: str | None, info: ValidationInfo) -> str | None:
        """An expression over names, read by the whitelist (derived.py), never run."""
        if expression is not None:
            try:
                derived.parse(expression)
            except derived.DerivedError as error:
                raise ValueError(f"claim '{info.data.get('where', '?')}': {error}") from None
        return expression

    @field_validator("format")
    @classmethod
    def is_a_print_format(cls, format: str | None, info: ValidationInfo) -> str | None:
        if format is not None and not printed_text.PRINT_FORMAT.fullmatch(format):
            raise ValueError(f"claim '{info.data.get('where', '?')}': format '{format}' is not "
                             "numpy, repr, %.Nf, %.Ne, %.Ng or %g")
        return format

    @model_validator(mode="after")
    def one_precision(self):
        if self.format is not None and self.significant_digits is not None:
            raise ValueError(f"claim '{self.where}': format and significant_digits both set "
                             "its precision: give one")
        return self

    @field_validator("printed")
    @classmethod
    def is_a_number(cls, printed: str) -> str:
        try:
            finite = Decimal(printed).is_finite()
        except InvalidOperation:
            finite = False
        if not finite:
            raise ValueError(f"printed value '{printed}' is not a finite number")
        return printed


def expand_claims(raw: list, folder: Path | None = None) -> list:
    """Array claims as one claim per element, in C order.

    A claim whose ``printed`` is a (nested) list of strings is a printed matrix or
    vector: element ``i`` is the claim on ``index + i`` (``index`` is then the
    position of the printed block inside the quantity, ``[]`` for all of it). With
    ``steps = [...]`` instead of ``step``, ``printed`` is a flat list, one string per
    step: a printed series of one element. Each element keeps its own string, so its
    own precision and verdict; ``errata = {"i,j" = "key"}`` names the erratum of one
    element of the block.

    Compact forms of the same: ``printed`` as one string holding a whole block as the
    source prints it (printed.parse_block); ``series = {step = printed}``, a table, for
    ``steps`` and ``printed``; ``printed_file``, a .json or .csv file in ``folder`` (the
    example's) holding the block or the series, whose elements each cite their place in
    the file in their ``where``."""
    claims = []
    for claim in raw:
        claims += expand_claim(dict(claim), folder) if isinstance(claim, dict) else [claim]
    return claims


def expand_claim(claim: dict, folder: Path | None) -> list:
    where = claim.get("where", "?")
    cite = None
    if "printed_file" in claim:
        claim, cite = imported(claim, where, folder)
    elif isinstance(claim.get("printed"), str) and printed_text.holds_block(claim["printed"]):
        try:
            claim["printed"] = printed_text.parse_block(claim["printed"])
        except ValueError as error:
            raise ValueError(f"claim '{where}': printed: {error}") from None
    if "series" in claim:
        return series_claims(claim, where, cite)
    if not isinstance(claim.get("printed"), list) and "steps" not in claim:
        return [claim]
    printed = claim.pop("printed", None)
    errata = claim.pop("errata", {})
    try:
        block = np.array(printed, dtype=object)
        if block.dtype != object or not all(isinstance(p, str) for p in block.flat):
            raise ValueError
    except ValueError:
        raise ValueError(f"claim '{where}': printed must be a string or a rectangular "
                         "array of strings") from None
    if "steps" in claim:
        steps = claim.pop("steps")
        if block.ndim != 1 or not isinstance(steps, list) or len(steps) != len(block):
            raise ValueError(f"claim '{where}': steps and printed must be lists of one length")
        return [dict(claim, step=step, printed=text) for step, text in zip(steps, block)]
    prefix = list(claim.pop("index", []))
    unknown = set(errata) - {",".join(map(str, i)) for i in np.ndindex(block.shape)}
    if unknown:
        raise ValueError(f"claim '{where}': errata name elements outside the block: "
                         f"{sorted(unknown)}")
    claims = []
    for position in np.ndindex(block.shape):
        element = dict(claim, index=prefix + list(position), printed=block[position])
        key = errata.get(",".join(map(str, position)))
        if key is not None:
            element["erratum"] = key
        if cite is not None:
            element["where"] = f"{where}, {cite(position)}"
        claims.append(element)
    return claims


def series_claims(claim: dict, where: str, cite) -> list:
    """``series = {step = printed}`` (or a file's) as one claim per step."""
    series = claim.pop("series")
    if {"step", "steps", "printed"} & set(claim):
        raise ValueError(f"claim '{where}': a series gives its steps and printed values: "
                         "drop step, steps and printed")
    if cite is None:  # a TOML table, keyed by text
        try:
            series = printed_text.series_of(series)
        except ValueError as error:
            raise ValueError(f"claim '{where}': series: {error}") from None
    cited = (lambda step: {"where": f"{where}, {cite(step)}"}) if cite else (lambda step: {})
    return [dict(claim, step=step, printed=text, **cited(step)) for step, text in series.items()]


def imported(claim: dict, where: str, folder: Path | None) -> tuple[dict, object]:
    """A claim whose ``printed_file`` is read: the file's block as ``printed`` or its
    series as ``series``, and the function citing each element's place in the file."""
    name = claim.pop("printed_file")
    if {"printed", "series", "steps"} & set(claim):
        raise ValueError(f"claim '{where}': printed_file replaces printed, series and steps: "
                         "give one")
    path = Path(name) if isinstance(name, str) else None
    if path is None or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"claim '{where}': printed_file '{name}' must be a path inside the "
                         "example's folder")
    if folder is None:
        raise ValueError(f"claim '{where}': printed_file '{name}': no folder to read it in")
    try:
        values, cite = printed_text.read_printed_file(folder / path)
    except ValueError as error:
        raise ValueError(f"claim '{where}': printed_file '{name}': {error}") from None
    return dict(claim, **{"series" if isinstance(values, dict) else "printed": values}), cite


class GradientCheck(Strict):
    """``[gradient_check]``: how the source estimates a gradient by finite differences,
    for the ``numerical.<p>`` a derived claim reads (derived.py)."""

    epsilon: float = Field(gt=0, allow_inf_nan=False,
                           description="added to one element of a parameter at a time")
    difference: Literal["two_sided", "one_sided"] = Field(
        "two_sided", description="two_sided: (J(p + e) - J(p - e)) / (2 e); one_sided: "
                                 "(J(p + e) - J(p)) / e")


class Sensitivity(Strict):
    """``[sensitivity]``: the ensemble a claim the exact run misses after training is
    judged against (claims.sensitivity); it runs only for such claims."""

    members: int = Field(8, ge=2, le=64, description="runs from start values moved by one ulp")


# the kinds of cause an erratum names, as the errata atlas groups them
CAUSES = {
    "slip": "a slip of the pen or of the hand arithmetic (a digit, a sign, a decimal point, "
            "a wrong operand)",
    "rounded": "arithmetic on rounded intermediates",
    "stale": "a stale printout: code that changed after it printed",
    "state": "a different state than the text says (other weights, another step)",
    "formula": "a formula that differs from the code's or from the text's own",
}


class Erratum(Strict):
    """Why a printed number differs; ``errata.py`` recomputes it from the cause.

    ``kind`` says how strong that recomputation is. A ``cause`` (a different state
    than the text says, a rounded operand, a linear extrapolation) is a mechanism:
    the recomputation derives the printed value from it. A ``typo`` (digits
    swapped, dropped or appended) is a slip of the pen: the recomputation shows
    the printed digits are that slip of the right value, which makes it likely,
    never certain. Reports say which. ``refuted`` is for a number shown wrong with
    no cause found: the explanation says what was tried, errata.py has nothing to
    recompute, and the claim fails the day the number is reproduced.
    """

    explanation: str = Field("", description="why; by default the docstring of errata.py's "
                                              "function of the same name")
    kind: Literal["cause", "typo", "refuted"] = "cause"
    cause: Literal[tuple(CAUSES)] | None = Field(
        None, description="what kind of cause, for the errata atlas: " + "; ".join(
            f"{key}: {text}" for key, text in CAUSES.items()) + " (a typo's is slip)")

    @model_validator(mode="after")
    def a_refutation_says_what_was_tried(self):
        if self.kind == "refuted" and not self.explanation:
            raise ValueError("a refuted claim's erratum must say, in its explanation, what "
                             "was tried")
        return self

    @model_validator(mode="after")
    def a_cause_is_named(self):
        if self.kind == "cause" and self.cause is None:
            raise ValueError(f"cause: missing (an erratum of kind 'cause' names its kind of "
                             f"cause: {', '.join(CAUSES)})")
        if self.kind == "refuted" and self.cause is not None:
            raise ValueError("cause: a refuted claim has no cause found")
        if self.kind == "typo" and self.cause not in (None, "slip"):
            raise ValueError("cause: a typo's cause is a slip")
        return self

    @property
    def group(self) -> str:
        """The errata atlas's group: its cause, a typo's slip, or refuted."""
        return "refuted" if self.kind == "refuted" else self.cause or "slip"


REAL_HYPER = ("learning_rate",)  # hyperparameters that are real numbers even when written 1
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
RESERVED_IDS = {"site": "the static site", "bench": "repro bench's tables"}  # results/<name>/
DEPTH = 32  # how deeply a definition's arrays and tables may nest


def check_id(example_id: str) -> str:
    """An example's id names its results folder, ``<out>/<id>/``: a name, never a path."""
    if not ID.fullmatch(example_id):
        raise ValueError(f"'{example_id}' is not a name: 1 to 100 letters, digits, '_' and '-', "
                         "starting with a letter or a digit")
    if example_id in RESERVED_IDS:
        raise ValueError(f"'{example_id}' is taken: results/{example_id}/ holds "
                         f"{RESERVED_IDS[example_id]}")
    return example_id


def check_depth(raw) -> None:
    """A definition's arrays and tables nest at most DEPTH levels (looked at without
    recursion, so that no depth can exhaust the interpreter's stack)."""
    pending = [(raw, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > DEPTH:
            raise ValueError(f"arrays or tables nested more than {DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def read_toml(path: Path) -> dict:
    """A definition file's data, or a DefinitionError of one line."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        check_depth(raw)
        return raw
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise DefinitionError(f"{path}: arrays or tables nested more than {DEPTH} levels deep") from None
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        raise DefinitionError(f"{path}: {error}") from None


class Example(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(description="the results folder's name: letters, digits, '_' and '-'")
    title: str
    source: Source
    summary: str = Field("", description="what the source works out (or NOTES.md's opening)")
    notes: list[str] = Field([], description="findings worth a reader's attention (or NOTES.md)")
    steps: StrictInt = Field(ge=0, description="training steps of the default run (an integer)")
    hyper: dict[str, float | int | str | bool] = {}
    data: dict[str, float | list | np.ndarray] = Field(
        {}, description="arrays by name: literal, or read from a file or made by a generator "
                        "as a table says (datasets.py), or drawn in [init] with use = 'data'")
    data_origins: dict[str, datasets.Origin] = Field(
        {}, description="where each [data] entry read or made came from (set by the loader)")
    init: Initialisation = Initialisation()
    layout: dict[Literal[frameworks.NAMES], list[str] | dict[str, str]] = Field(
        {}, description="per framework, how it holds the source's arrays: a list of the names "
                        "(parameters, data, printed values) it holds transposed, or a table of "
                        "name = 'transposed' or name = <a start value>, for a printed value held "
                        "as that start value is (a gradient printed under another name)")
    network: dict | None = Field(None, description="a [network] the generic engines build, for "
                                                   "the frameworks the example has no mirror of "
                                                   "(its own schema, generic/definition.py)")
    graph: dict | None = Field(None, description="a [graph], an expression graph the graph "
                                                 "engines evaluate, for the frameworks the "
                                                 "example has no mirror of (its own schema, "
                                                 "engines/GRAPHS.md)")
    optimizer: dict | None = Field(None, description="the [network]'s update rule and schedule, "
                                                     "where it is not gradient descent (its "
                                                     "schema: engines/optimizers.py)")
    replay: bool = Field(True, description="run the rounded replay; off for a source whose "
                                           "numbers are all machine-printed, never by hand")
    diverges: bool = Field(False, description="the source's training diverges: every framework "
                                               "must stop being finite at the same step")
    parity: Literal["auto", "free_running", "step_local"] = Field(
        "auto", description="which verdict the example wants. free_running: each framework "
                            "trains on its own values and must stay within the bound at every "
                            "step; step_local: every step starts from NumPy's parameters, so "
                            "each step's own error is judged, and the free-running difference "
                            "is reported as a drift curve; auto (the default): free-running, "
                            "and where the trajectories part, step-local if every step agrees "
                            "on its own (the parting is reported)")
    printed_steps: list[int | Literal["last"]] | Literal["every"] | None = Field(
        None, description="steps whose intermediates are recorded ('last': the state "
                          "after training); by default the steps the claims print values at, "
                          "every step when no claim names a value")
    gradient_check: GradientCheck | None = Field(
        None, description="the finite differences a gradient check takes: numerical.<p>")
    sensitivity: Sensitivity | None = Field(
        None, description="the ensemble that judges a claim no float64 run settles")
    claims: list[Claim] = []
    errata: dict[str, Erratum] = {}
    folder: Path = Field(description="where its files are: its errata file, NOTES.md, its mirrors, "
                                     "the files its claims read")
    file: Path | None = Field(None, description="the definition file it was read from")

    @model_validator(mode="before")
    @classmethod
    def array_claims_are_expanded(cls, data):
        """The claims as one claim per element (expand_claims), a printed_file read in
        the folder: before the fields, since the folder comes after the claims."""
        if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
            return data
        folder = data.get("folder")
        folder = Path(folder) if isinstance(folder, (str, Path)) else None
        try:
            return dict(data, claims=expand_claims(data["claims"], folder))
        except ValueError as error:  # raised as the field's own error would be
            line = PydanticCustomError("value_error", "Value error, {error}", {"error": str(error)})
            raise ValidationError.from_exception_data(cls.__name__, [InitErrorDetails(
                type=line, loc=("claims",), input=data["claims"])]) from None

    @field_validator("id")
    @classmethod
    def id_is_a_name(cls, example_id: str) -> str:
        return check_id(example_id)

    @field_validator("hyper")
    @classmethod
    def rates_are_real_numbers(cls, hyper: dict) -> dict:
        """``learning_rate = 1`` is the rate 1.0: a framework's optimizer takes a float."""
        return {name: float(value) if name in REAL_HYPER and type(value) is int else value
                for name, value in hyper.items()}

    @model_validator(mode="after")
    def sensitivity_needs_training(self):
        if self.sensitivity is not None and self.steps == 0:
            raise ValueError("sensitivity: steps = 0, no training: a start value moved by one "
                             "ulp moves by one ulp, and no claim can be sensitive")
        return self

    @model_validator(mode="after")
    def drawn_data_are_data(self):
        """A draw with use = 'data' is a [data] entry (the loader draws it there)."""
        missing = [name for name in self.init.shapes("data") if name not in self.data]
        if missing:
            raise ValueError(f"init: {', '.join(missing)} drawn as data (use = 'data') but not "
                             "in [data]: read the definition with spec.load")
        return self

    @field_validator("layout")
    @classmethod
    def layout_is_a_table(cls, layout: dict) -> dict:
        """Each framework's layout as a table: name -> "transposed" or a start value's name."""
        return {framework: dict.fromkeys(names, "transposed") if isinstance(names, list) else names
                for framework, names in layout.items()}

    @model_validator(mode="after")
    def layout_names_start_values(self):
        starts = set(self.init.shapes())
        for framework, table in self.layout.items():
            for name, held in table.items():
                if held != "transposed" and held not in starts:
                    raise ValueError(f"layout.{framework}.{name}: '{held}' is neither 'transposed' "
                                     "nor a start value")
        return self

    def framework_layout(self, framework: str) -> tuple[frozenset, dict]:
        """For a framework: the names it holds transposed, and the source's shape of
        each name that has one (start values, and the names held as one)."""
        shapes = self.init.shapes()
        table = self.layout.get(framework, {})
        aliases = {name: held for name, held in table.items() if held != "transposed"}
        transposed = {name for name, held in table.items() if held == "transposed"}
        transposed |= {name for name, held in aliases.items() if held in transposed}
        shapes.update({name: shapes[held] for name, held in aliases.items()})
        return frozenset(transposed), shapes

    @field_serializer("data")
    def arrays_as_digests(self, data: dict) -> dict:
        """An array read or made (a data set of millions of numbers) by its shape and the
        sha256 of its float64 bytes, which name it as well as the numbers would."""
        return {name: value if not isinstance(value, np.ndarray) else {
            "shape": list(value.shape),
            "sha256": hashlib.sha256(np.ascontiguousarray(value, np.float64).tobytes()).hexdigest()}
            for name, value in data.items()}

    @field_validator("data")
    @classmethod
    def data_are_arrays(cls, data: dict) -> dict:
        for name, value in data.items():
            rectangular(value, f"data '{name}'")
        return data

    @model_validator(mode="after")
    def claims_name_elements_of_known_shapes(self):
        """A claim on the cost, a start value, a parameter or its gradient must name an
        element of its known shape (the cost is a scalar, the rest have [init]'s shape);
        the shapes of printed intermediates are known only once they are recorded."""
        shapes = self.init.shapes()
        for claim in self.claims:
            if claim.expression is not None:
                continue  # checked where the names it reads are known (check_derived)
            name = claim.quantity.removeprefix("init.").removeprefix("grad.")
            if claim.quantity.startswith("init.") and name not in shapes:
                raise ValueError(f"claim on unknown start value '{claim.quantity}'")
            if claim.quantity == "cost":
                shape = ()
            elif name in shapes:
                shape = shapes[name]
            else:
                continue
            if len(claim.index) != len(shape) or any(not 0 <= i < n for i, n in zip(claim.index, shape)):
                raise ValueError(f"claim index {claim.index} is outside '{claim.quantity}' "
                                 f"of shape {shape}")
        return self

    @model_validator(mode="after")
    def one_explanation_per_printed_number(self):
        explained = {}
        for claim in self.claims:
            key = (claim.quantity, claim.step, tuple(claim.index), claim.printed)
            if explained.setdefault(key, claim.erratum) != claim.erratum:
                raise ValueError(
                    f"'{claim.printed}' for {claim.quantity}{list(claim.index)} at step "
                    f"{claim.step} is explained twice, by '{explained[key]}' and "
                    f"'{claim.erratum}': one printed number has at most one explanation")
        return self

    @model_validator(mode="after")
    def errata_are_used_and_known(self):
        used = {claim.erratum for claim in self.claims if claim.erratum}
        unknown = used - set(self.errata)
        if unknown:
            raise ValueError(f"claims name unknown errata: {sorted(unknown)}")
        unused = set(self.errata) - used
        if unused:
            raise ValueError(f"errata no claim uses: {sorted(unused)}")
        return self

    @property
    def errata_file(self) -> Path:
        """The code of this definition's errata: ``errata.py`` beside a catalogue
        folder's ``example.toml``; beside a definition file ``<name>.toml``, which may
        share its folder with others, ``<name>.errata.py``, its own."""
        if self.file is None or self.file.name in CATALOGUE_FILES:
            return self.folder / "errata.py"
        return self.folder / f"{self.file.stem}.errata.py"

    @model_validator(mode="after")
    def errata_have_their_code(self):
        """Every erratum but a refutation names a function of its errata file, which
        explains it (a docstring) unless the erratum does: read, never run, here."""
        needed = {key for key, erratum in self.errata.items() if erratum.kind != "refuted"}
        if not needed:
            return self
        functions = errata_functions(self.errata_file)
        for key in sorted(needed):
            if key not in functions:
                raise ValueError(f"errata.{key}: {self.errata_file.name} defines no "
                                 f"{key}(example, values) to recompute it"
                                 + ("" if self.errata_file.is_file() else
                                    f" (there is no {self.errata_file.name} beside the definition)"))
            if not self.errata[key].explanation and not functions[key]:
                raise ValueError(f"errata.{key}: explains nothing: give it an explanation or "
                                 f"{self.errata_file.name}'s {key}() a docstring")
        return self

    def reads_value(self, claim: Claim) -> bool:
        """Whether a claim reads a printed intermediate (is_value), itself or in its
        expression: its step is then one whose intermediates are recorded."""
        return any(self.is_value(name) for name in derived.reads(claim)
                   if not name.startswith(derived.COMPUTED) and name not in self.data)

    def is_value(self, quantity: str) -> bool:
        """Whether a claimed quantity is a printed intermediate (not the cost, a
        gradient, a parameter or a start value)."""
        return quantity != "cost" and not quantity.startswith(("grad.", "init.")) and \
            quantity not in self.init.shapes() and not self.is_optimizer_state(quantity)

    def is_optimizer_state(self, quantity: str) -> bool:
        """Whether a claimed quantity is the [optimizer]'s state, recorded every step as
        the parameters are: ``learning_rate``, or ``velocity.``, ``cache.``, ``m.`` or
        ``v.`` and a parameter's name."""
        kind, _, name = quantity.partition(".")
        return self.optimizer is not None and (quantity == "learning_rate" or (
            kind in ("velocity", "cache", "m", "v") and name in self.init.shapes()))

    def value_steps(self, steps: int) -> frozenset | None:
        """The steps of a run of ``steps`` training steps whose intermediates are
        recorded (None: every step)."""
        if self.printed_steps == "every":
            return None
        if self.printed_steps is None:
            claimed = frozenset(c.step for c in self.claims if self.reads_value(c))
            return claimed or None  # no claim on a value: every step
        return frozenset(steps if s == "last" else s for s in self.printed_steps)

    @model_validator(mode="after")
    def value_claims_are_at_printed_steps(self):
        if self.printed_steps is None or self.printed_steps == "every":
            return self
        printed = self.value_steps(self.steps)
        for claim in self.claims:
            if self.reads_value(claim) and claim.step not in printed:
                raise ValueError(f"claim on '{claim.quantity}' at step {claim.step}, which "
                                 f"printed_steps {self.printed_steps} does not record")
        return self

    def _notes_file(self) -> tuple[str, str]:
        """``NOTES.md`` as (opening, notes): the text before its ``## Notes`` heading
        (what the source works out) and the findings under it; a file without the
        heading is all findings."""
        path = self.folder / "NOTES.md"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        opening, heading, notes = text.partition("\n## Notes\n")
        return (opening.strip(), notes.strip()) if heading else ("", text.strip())

    @property
    def summary_markdown(self) -> str:
        """What the source works out: ``summary``, else NOTES.md's opening."""
        return self.summary.strip() or self._notes_file()[0]

    @property
    def notes_markdown(self) -> str:
        """The findings a reader should know: NOTES.md's, else ``notes``."""
        return self._notes_file()[1] or "\n".join(f"- {note}" for note in self.notes)

    def array(self, name: str) -> np.ndarray:
        """A data entry as a float64 array."""
        return np.array(self.data[name], dtype=np.float64)

    def initial_parameters(self) -> dict[str, np.ndarray]:
        """The start values, float64 in the source's layout: drawn as the source draws
        them (engines/draws.py), from a generator of their own, so the library's global
        state is left alone."""
        return draws.draw_values(self.init).start


CATALOGUE_FILES = ("example.toml", "example.draft.toml")  # one definition to a folder


def errata_functions(path: Path) -> dict[str, str]:
    """The top-level functions of an errata file, by name, with their docstrings ("" for
    none): parsed, not run, so reading a definition executes nothing. {} if no file."""
    if not path.is_file():
        return {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=path.name)
    except (SyntaxError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path.name}: not Python that parses: "
                         f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
                         ) from None
    return {node.name: ast.get_docstring(node) or "" for node in tree.body
            if isinstance(node, ast.FunctionDef)}


class DefinitionError(ValueError):
    """An example folder whose definition cannot be read."""


def one_line(path: Path, error: ValidationError, prefix: str = "") -> DefinitionError:
    """spec.load's line, ``<path>: <field>: <message>``, for the first error (a misspelt
    key before the field it leaves missing), with the value found where it is one."""
    first = min(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    where = ".".join(str(part) for part in [prefix, *first["loc"]] if part != "")
    message = first["msg"].removeprefix("Value error, ")
    found = first.get("input")
    if isinstance(found, (str, int, float)) and first["type"] not in ("missing", "value_error",
                                                                       "extra_forbidden"):
        message += f", found {found!r}"
    return DefinitionError(f"{path}: {where + ': ' if where else ''}{message}")


SET_BY_THE_LOADER = {"folder": "it is the definition's folder", "file": "it is the definition",
                     "data_origins": "it records where each [data] entry came from"}


def read_data(raw: dict, file: Path) -> dict:
    """The definition's data as arrays: [data]'s tables read from files or made by
    generators (datasets.py), and [init]'s draws with use = 'data' added to them."""
    data, origins = datasets.resolve(raw.get("data", {}), file.parent)
    params = raw.get("init", {}).get("params", []) if isinstance(raw.get("init"), dict) else []
    if any(isinstance(p, dict) and p.get("use") == "data" for p in params):
        try:
            init = Initialisation.model_validate(raw["init"])
        except ValidationError as error:
            raise one_line(file, error, "init") from None
        for name, array in draws.draw_values(init).data.items():
            if name in data:
                raise ValueError(f"data.{name}: given in [data] and drawn in [init] (use = "
                                 "'data'): give it once")
            data[name] = array
    return dict(raw, data=data, data_origins=origins) if data or origins else raw


def load(path: Path) -> Example:
    """An example's definition: a catalogue folder (its ``example.toml``) or a definition
    file. A DefinitionError of one line, naming the field, for anything wrong in it."""
    path = Path(path)
    file = path / "example.toml" if path.is_dir() else path
    raw = read_toml(file)
    for key, why in SET_BY_THE_LOADER.items():
        if key in raw:
            raise DefinitionError(f"{file}: {key}: not given in a definition ({why})")
    if "network" in raw and "graph" in raw:
        raise DefinitionError(f"{file}: graph: not given beside a [network] (a definition is a "
                              "network or an expression graph, not both)")
    settings = dict(folder=file.parent, file=file)
    network = table = None
    table_key = ""  # the table being read, whose fields an error names
    try:
        raw = read_data(raw, file)
        if "network" in raw:  # the network against the data and start values, then the rest
            table_key = "network"
            network = generic.read_network(raw["network"])
            table_key = ""
            generic.check_network(network, Example(**dict(raw, claims=[], errata={}), **settings))
        if "graph" in raw:
            table_key = "graph"
            table = expressions.GraphTable.model_validate(raw["graph"])
            table_key = ""
        example = Example(**raw, **settings)
        if network is not None and not has_mirror(example, "numpy"):
            generic.check_claims(network, example)  # the engine records every claimed quantity
        if table is not None:
            check_graph(table, example)
    except DefinitionError:
        raise
    except ValidationError as error:
        raise one_line(file, error, table_key) from None
    except ValueError as error:
        raise DefinitionError(f"{file}: {error}") from None
    if network is None and table is None and not has_mirror(example, "numpy"):
        raise DefinitionError(f"{file}: network: missing (a [network] or a [graph] table, or a "
                              "numpy_impl.py beside an example.toml)")
    if "layout" in raw and not any(has_mirror(example, name) for name in frameworks.NAMES):
        raise DefinitionError(f"{file}: layout: not given without mirrors (" + (
            "the graph engines compute in the source's layout" if table is not None else
            "network.layout sets how the engines hold the arrays") + ")")
    return example


def check_graph(table: expressions.GraphTable, example: Example) -> None:
    """A [graph] against the rest of its definition: the top-level ``steps`` is the
    update's, a start value given twice (for mirrors in [init] or [data], for the graph
    engines in [graph]) is one value, and where the graph engines are the reference (no
    NumPy mirror) every claim names something they record, and an element of it."""
    moves = table.moves
    which = "ascent" if table.ascent is not None else "descent"
    optimizer = expressions.optimizer_of(example)
    if optimizer is not None and table.descent is None:
        raise ValueError("optimizer: updates a [graph] by descent: give graph.descent (ascent "
                         "and no update take none)")
    if optimizer is not None and moves.learning_rate is not None:
        raise ValueError("graph.descent.learning_rate: the [optimizer] sets the rate: give it "
                         "there alone")
    if moves is not None and optimizer is None and moves.learning_rate is None:
        raise ValueError(f"graph.{which}.learning_rate: missing (or an [optimizer] table, for "
                         "descent)")
    if moves is None and example.steps:
        raise ValueError(f"steps: {example.steps}, but a graph without ascent or descent is "
                         "evaluated once: steps = 0")
    if moves is not None and example.steps != moves.steps:
        raise ValueError(f"steps: {example.steps}, but graph.{which}.steps is {moves.steps}: "
                         "they are one number")
    given = {param.name: ("init.params", param.value) for param in example.init.params}
    given.update({name: ("data", value) for name, value in example.data.items()})
    for name, value in table.leaves.items():
        where, other = given.get(name, (None, None))
        if where is not None and (other is None or not np.array_equal(np.array(other), value)):
            raise ValueError(f"{where}: '{name}' differs from the graph's '{name}': a start "
                             "value given twice is one value")
    if has_mirror(example, "numpy"):
        return  # the mirror records what the claims name
    recorded = expressions.record_shapes(table, optimizer)
    for claim in example.claims:
        if claim.expression is not None:
            generic.check_derived(claim, dict(recorded), derived.Setting(),
                                  f"the graph records {', '.join(recorded)}")
            continue
        if claim.quantity.startswith("init."):
            continue
        if claim.quantity not in recorded:
            raise ValueError(f"claims.quantity: '{claim.quantity}' ({claim.where}) is not "
                             f"recorded; the graph records {', '.join(recorded)}")
        shape = recorded[claim.quantity]
        if len(claim.index) != len(shape) or any(not 0 <= i < n for i, n in zip(claim.index, shape)):
            raise ValueError(f"claims.index: {claim.quantity}{claim.index} ({claim.where}) is "
                             f"outside its shape {expressions.shape_text(shape)}")


def has_mirror(example: Example, framework: str) -> bool:
    """Whether a framework runs the example's own code: a catalogue folder's
    ``<framework>_impl.py``, beside its ``example.toml``. Where it does not, the generic
    engine runs the example's ``[network]``, or the graph engine its ``[graph]``."""
    return (example.file is None or example.file.name == "example.toml") and \
        (example.folder / f"{framework}_impl.py").is_file()


def folders(examples_dir: Path = EXAMPLES_DIR) -> dict[str, Path]:
    """Every example folder, by id (its name), without reading the definitions."""
    return {folder.name: folder for folder in sorted(examples_dir.iterdir())
            if (folder / "example.toml").is_file()}


def load_example(folder: Path) -> Example:
    """A catalogue entry: its definition, whose id must be its folder's name."""
    example = load(folder)
    if example.id != folder.name:
        raise DefinitionError(f"{folder}: id '{example.id}' differs from its folder name")
    return example


def catalogue(examples_dir: Path = EXAMPLES_DIR) -> dict[str, Example]:
    """Every example folder's definition, by id."""
    return {example_id: load_example(folder) for example_id, folder in folders(examples_dir).items()}
