"""An example's definition: the data of its ``example.toml``, validated.

The definition is data, not code: the source it comes from, its data and initial
parameters in the source's own layout and names, hyperparameters, the number of
steps, the numbers the source prints (claims) and the explanations of the
printed numbers that disagree (errata).
"""

import tomllib
from typing import Literal
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

EXAMPLES_DIR = Path(__file__).parent / "examples"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    seed: str = Field(description="file name in shared/seeds/")
    section: str = Field(description="section, figure or code block")


def rectangular(value, what: str) -> np.ndarray:
    """A nested list as a float64 array, or a clear error if it is ragged or not numeric."""
    try:
        return np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{what} is not a rectangular array of numbers") from None


class InitialParameter(Strict):
    """A literal array, or a draw of ``scale * np.random.randn(*randn)``."""

    name: str
    value: float | list | None = None
    randn: list[int] | None = None
    scale: float = 1.0

    @model_validator(mode="after")
    def one_of_value_or_draw(self):
        if (self.value is None) == (self.randn is None):
            raise ValueError(f"parameter '{self.name}' needs exactly one of value or randn")
        if self.randn is not None and any(n < 1 for n in self.randn):
            raise ValueError(f"parameter '{self.name}': randn sizes must be 1 or more")
        if self.value is not None:
            rectangular(self.value, f"parameter '{self.name}'")
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.randn) if self.randn is not None else np.shape(self.value)


class Initialisation(Strict):
    seed: int | None = Field(None, description="np.random.seed before the draws, in order")
    params: list[InitialParameter] = []

    @model_validator(mode="after")
    def draws_have_a_seed(self):
        drawn = [param.name for param in self.params if param.randn is not None]
        if drawn and self.seed is None:
            raise ValueError(f"start values {drawn} are drawn, so [init] needs a seed: "
                             "without one every framework would start elsewhere")
        return self


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


def expand_claims(raw: list) -> list:
    """Array claims as one claim per element, in C order.

    A claim whose ``printed`` is a (nested) list of strings is a printed matrix or
    vector: element ``i`` is the claim on ``index + i`` (``index`` is then the
    position of the printed block inside the quantity, ``[]`` for all of it). With
    ``steps = [...]`` instead of ``step``, ``printed`` is a flat list, one string per
    step: a printed series of one element. Each element keeps its own string, so its
    own precision and verdict; ``errata = {"i,j" = "key"}`` names the erratum of one
    element of the block."""
    claims = []
    for claim in raw:
        if not isinstance(claim, dict) or (not isinstance(claim.get("printed"), list)
                                           and "steps" not in claim):
            claims.append(claim)
            continue
        claim = dict(claim)
        where = claim.get("where", "?")
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
            claims += [dict(claim, step=step, printed=text) for step, text in zip(steps, block)]
            continue
        prefix = list(claim.pop("index", []))
        unknown = set(errata) - {",".join(map(str, i)) for i in np.ndindex(block.shape)}
        if unknown:
            raise ValueError(f"claim '{where}': errata name elements outside the block: "
                             f"{sorted(unknown)}")
        for position in np.ndindex(block.shape):
            element = dict(claim, index=prefix + list(position), printed=block[position])
            key = errata.get(",".join(map(str, position)))
            if key is not None:
                element["erratum"] = key
            claims.append(element)
    return claims


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

    @model_validator(mode="after")
    def a_refutation_says_what_was_tried(self):
        if self.kind == "refuted" and not self.explanation:
            raise ValueError("a refuted claim's erratum must say, in its explanation, what "
                             "was tried")
        return self


REAL_HYPER = ("learning_rate",)  # hyperparameters that are real numbers even when written 1


class Example(Strict):
    id: str
    title: str
    source: Source
    summary: str = Field("", description="what the source works out (or NOTES.md's opening)")
    notes: list[str] = Field([], description="findings worth a reader's attention (or NOTES.md)")
    steps: int = Field(ge=0, description="training steps of the default run")
    hyper: dict[str, float | int | str | bool] = {}
    data: dict[str, float | list] = {}
    init: Initialisation = Initialisation()
    layout: dict[Literal["numpy", "torch", "tensorflow"], list[str] | dict[str, str]] = Field(
        {}, description="per framework, how it holds the source's arrays: a list of the names "
                        "(parameters, data, printed values) it holds transposed, or a table of "
                        "name = 'transposed' or name = <a start value>, for a printed value held "
                        "as that start value is (a gradient printed under another name)")
    engine: str | None = Field(None, description="a package whose modules numpy, torch and "
                                                 "tensorflow implement the example (a generic "
                                                 "engine), instead of the folder's *_impl.py")
    network: dict | None = Field(None, description="what a generic engine builds; its own "
                                                   "schema validates it")
    replay: bool = Field(True, description="run the rounded replay; off for a source whose "
                                           "numbers are all machine-printed, never by hand")
    diverges: bool = Field(False, description="the source's training diverges: every framework "
                                               "must stop being finite at the same step")
    printed_steps: list[int | Literal["last"]] | Literal["every"] | None = Field(
        None, description="steps whose intermediates are recorded ('last': the state "
                          "after training); by default the steps the claims print values at, "
                          "every step when no claim names a value")
    claims: list[Claim] = []
    errata: dict[str, Erratum] = {}
    folder: Path

    @field_validator("claims", mode="before")
    @classmethod
    def array_claims_are_expanded(cls, claims):
        return expand_claims(claims) if isinstance(claims, list) else claims

    @field_validator("hyper")
    @classmethod
    def rates_are_real_numbers(cls, hyper: dict) -> dict:
        """``learning_rate = 1`` is the rate 1.0: a framework's optimizer takes a float."""
        return {name: float(value) if name in REAL_HYPER and type(value) is int else value
                for name, value in hyper.items()}

    @field_validator("layout")
    @classmethod
    def layout_is_a_table(cls, layout: dict) -> dict:
        """Each framework's layout as a table: name -> "transposed" or a start value's name."""
        return {framework: dict.fromkeys(names, "transposed") if isinstance(names, list) else names
                for framework, names in layout.items()}

    @model_validator(mode="after")
    def layout_names_start_values(self):
        starts = {param.name for param in self.init.params}
        for framework, table in self.layout.items():
            for name, held in table.items():
                if held != "transposed" and held not in starts:
                    raise ValueError(f"layout.{framework}.{name}: '{held}' is neither 'transposed' "
                                     "nor a start value")
        return self

    def framework_layout(self, framework: str) -> tuple[frozenset, dict]:
        """For a framework: the names it holds transposed, and the source's shape of
        each name that has one (start values, and the names held as one)."""
        shapes = {param.name: tuple(param.shape) for param in self.init.params}
        table = self.layout.get(framework, {})
        aliases = {name: held for name, held in table.items() if held != "transposed"}
        transposed = {name for name, held in table.items() if held == "transposed"}
        transposed |= {name for name, held in aliases.items() if held in transposed}
        shapes.update({name: shapes[held] for name, held in aliases.items()})
        return frozenset(transposed), shapes

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
        shapes = {param.name: param.shape for param in self.init.params}
        for claim in self.claims:
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

    def is_value(self, quantity: str) -> bool:
        """Whether a claimed quantity is a printed intermediate (not the cost, a
        gradient, a parameter or a start value)."""
        return quantity != "cost" and not quantity.startswith(("grad.", "init.")) and \
            quantity not in {param.name for param in self.init.params}

    def value_steps(self, steps: int) -> frozenset | None:
        """The steps of a run of ``steps`` training steps whose intermediates are
        recorded (None: every step)."""
        if self.printed_steps == "every":
            return None
        if self.printed_steps is None:
            claimed = frozenset(c.step for c in self.claims if self.is_value(c.quantity))
            return claimed or None  # no claim on a value: every step
        return frozenset(steps if s == "last" else s for s in self.printed_steps)

    @model_validator(mode="after")
    def value_claims_are_at_printed_steps(self):
        if self.printed_steps is None or self.printed_steps == "every":
            return self
        printed = self.value_steps(self.steps)
        for claim in self.claims:
            if self.is_value(claim.quantity) and claim.step not in printed:
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
        """The start values, drawn as the source draws them when it draws them: the
        stream of ``np.random.seed(seed)`` then ``np.random.randn``, from a generator
        of their own (``RandomState(seed)``), so NumPy's global state is left alone."""
        draws = np.random.RandomState(self.init.seed)
        params = {}
        for param in self.init.params:
            if param.randn is not None:
                params[param.name] = param.scale * draws.randn(*param.randn)
            else:
                params[param.name] = np.array(param.value, dtype=np.float64)
        return params


class DefinitionError(ValueError):
    """An example folder whose definition cannot be read."""


def load(folder: Path) -> Example:
    path = folder / "example.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return Example(**raw, folder=folder)
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DefinitionError(f"{path}: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DefinitionError(f"{path}: {where}: {first['msg']}") from None


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
