"""Every catalogue example from outside the five seed documents cites where its numbers are
printed precisely enough to find them again (a repository's file at a commit, or a page,
and the section), runs on the generic engines alone, and says in its NOTES.md what it
reproduces."""

import re

import pytest

from conftest import CATALOGUE
from reproductions import harness, spec

OUTSIDE = sorted(i for i, e in CATALOGUE.items() if e.source.outside)


IMAGE_ENTRIES = {"conv2d", "max_pool2d", "avg_pool2d"}
ADAPTIVE = {"momentum", "nesterov", "rmsprop", "adam"}


def claim_names(claim) -> set[str]:
    """The quantity a claim reads, or every name and function its expression reads."""
    return {claim.quantity} | set(re.findall(r"[A-Za-z_]\w*", claim.expression or ""))


def kinds_of(example) -> set[str]:
    """What an outside example is, read from its definition: a scalar graph; a training
    by momentum, RMSprop or Adam; a convolution or pooling; data made by a generator or
    read from a file (or drawn as the source draws it) with claims on the network's
    output or its accuracy; start values from torch.manual_seed."""
    kinds = set()
    if example.graph is not None and "descent" not in example.graph:  # differentiated, not trained
        kinds.add("graph")
    if (example.optimizer or {}).get("kind") in ADAPTIVE:
        kinds.add("adaptive")
    layers = (example.network or {}).get("layers", [])
    if any(isinstance(entry, dict) and entry.get("type") in IMAGE_ENTRIES for entry in layers):
        kinds.add("convolution")
    made = example.data_origins or example.init.shapes("data")
    output = {f"Z{len(layers)}", f"A{len(layers)}"}
    if made and any(output & claim_names(c) or "accuracy" in claim_names(c)
                    for c in example.claims):
        kinds.add("data")
    if example.init.generator == "torch":
        kinds.add("torch_seed")
    return kinds


def test_the_outside_catalogue_has_the_mix_it_promises():
    """At least twelve outside examples: three scalar graphs, three trainings by momentum,
    RMSprop or Adam, two with a convolution or a pool, three on generated or file data
    with prediction or accuracy claims, one whose start values are torch.manual_seed's."""
    assert len(OUTSIDE) >= 12, OUTSIDE
    counts = {kind: sum(kind in kinds_of(CATALOGUE[i]) for i in OUTSIDE)
              for kind in ("graph", "adaptive", "convolution", "data", "torch_seed")}
    needed = {"graph": 3, "adaptive": 3, "convolution": 2, "data": 3, "torch_seed": 1}
    assert all(counts[kind] >= n for kind, n in needed.items()), counts


@pytest.mark.parametrize("example_id", OUTSIDE)
def test_an_outside_example_cites_its_source_and_says_what_it_reproduces(example_id):
    example = CATALOGUE[example_id]
    source = example.source
    if source.repository is not None:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", source.repository)
        assert source.path and re.fullmatch(r"[0-9a-f]{40}", source.commit)
    else:
        assert source.url.startswith("https://")
    assert len(source.section) > 20  # the section, cell or figure: more than a word
    notes = example.folder / "NOTES.md"
    assert notes.is_file()
    assert len(example.summary_markdown) > 100 and example.notes_markdown  # what, and findings
    assert not any(spec.has_mirror(example, name) for name in harness.frameworks_of(example))
    assert example.claims and all(c.where for c in example.claims)


def test_a_source_is_cited_one_way():
    for bad in ({"section": "s"}, {"seed": "x", "url": "https://x", "section": "s"},
                {"repository": "a/b", "section": "s"},
                {"repository": "a/b", "path": "p", "commit": "abc", "section": "s"},
                {"url": "https://x", "commit": "0" * 40, "section": "s"}):
        with pytest.raises(ValueError):
            spec.Source(**bad)
    assert spec.Source(url="https://x", section="s").outside
    assert not spec.Source(seed="x", section="s").outside
