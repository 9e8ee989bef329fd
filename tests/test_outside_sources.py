"""Every catalogue example from outside the five seed documents cites where its numbers are
printed precisely enough to find them again (a repository's file at a commit, or a page,
and the section), runs on the generic engines alone, and says in its NOTES.md what it
reproduces."""

import re

import pytest

from conftest import CATALOGUE
from reproductions import harness, spec

OUTSIDE = sorted(i for i, e in CATALOGUE.items() if e.source.outside)


def test_the_catalogue_has_outside_sources():
    assert len(OUTSIDE) >= 6, OUTSIDE


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
