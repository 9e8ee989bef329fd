"""A definition file: one TOML file, read and checked into an Example."""

from pathlib import Path

from pydantic import ValidationError

from reproductions.generic.definition import (ENGINE, Network, check_claims, check_network,
                                              framework_layouts)
from reproductions.spec import DefinitionError, Example, one_line, read_toml

SET_BY_THE_ENGINE = {"engine": "the generic engine runs every definition file",
                     "layout": "network.layout sets it", "folder": "it is the file's folder",
                     "definition": "it is the file itself"}


def load_definition(path: Path) -> Example:
    """The example a definition file defines, run by the generic engines; a
    DefinitionError of one line, naming the field, for anything wrong in it."""
    path = Path(path)
    raw = read_toml(path)
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
