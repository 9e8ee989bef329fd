"""A definition file: one TOML file, read and checked into an Example."""

import tomllib
from pathlib import Path

from pydantic import ValidationError

from reproductions.generic.definition import (ENGINE, Network, check_claims, check_network,
                                              framework_layouts)
from reproductions.spec import DefinitionError, Example

SET_BY_THE_ENGINE = {"engine": "the generic engine runs every definition file",
                     "layout": "network.layout sets it", "folder": "it is the file's folder",
                     "definition": "it is the file itself"}


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


def read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DefinitionError(f"{path}: {error}") from None


def load_definition(path: Path) -> Example:
    """The example a definition file defines, run by the generic engines; a
    DefinitionError of one line, naming the field, for anything wrong in it."""
    path = Path(path)
    raw = read(path)
    for key, why in SET_BY_THE_ENGINE.items():
        if key in raw:
            raise DefinitionError(f"{path}: {key}: not given in a definition file ({why})")
    if not isinstance(raw.get("network"), dict):
        raise DefinitionError(f"{path}: network: missing (a [network] table)")
    try:
        network = Network.model_validate(raw["network"])
    except ValidationError as error:
        raise one_line(path, error, "network") from None
    settings = dict(engine=ENGINE, layout=framework_layouts(network), folder=path.parent,
                    definition=path)
    try:  # the network against the data and start values first, then the claims on it
        check_network(network, Example(**dict(raw, claims=[], errata={}), **settings))
        example = Example(**raw, **settings)
        check_claims(network, example)
    except ValidationError as error:
        raise one_line(path, error) from None
    except ValueError as error:
        raise DefinitionError(f"{path}: {error}") from None
    return example
