"""The rounded replay and the erratum rules, on a small example made for the test.

The example: a = 1/3 is printed as 0.333; b = 3a is exactly 1, but a hand
computation from the printed 0.333 gives 0.999. Only the replay reproduces
0.999; a printed 0.998 must stay an unexplained mismatch.
"""

import textwrap

import pytest

from reproductions import claims, harness, spec

NUMPY_IMPL = '''
import numpy as np

def reproduce(ctx):
    ctx.trace.step(0)
    a = ctx.trace.value("a", np.array(1.0) / 3.0)
    ctx.trace.value("b", 3.0 * a)
'''

TORCH_IMPL = '''
import torch

def reproduce(ctx):
    ctx.trace.step(0)
    a = ctx.trace.value("a", torch.tensor(1.0, dtype=ctx.dtype) / 3.0)
    ctx.trace.value("b", 3.0 * a)
'''

ERRATA = '''
def digits_swapped(example, values):
    return 1.0 - 1e-3 * 2  # the text swapped 0.999 for 0.998
'''


def make_example(tmp_path, claims_toml: str, errata: str | None = None):
    folder = tmp_path / "thirds"
    folder.mkdir()
    (folder / "example.toml").write_text(textwrap.dedent('''
        id = "thirds"
        title = "Thirds"
        steps = 0
        [source]
        seed = "none"
        section = "test"
    ''') + textwrap.dedent(claims_toml))
    (folder / "numpy_impl.py").write_text(NUMPY_IMPL)
    (folder / "torch_impl.py").write_text(TORCH_IMPL)
    if errata:
        (folder / "errata.py").write_text(errata)
    return spec.load(folder)


CLAIM_A = '''
    [[claims]]
    where = "line 1"
    quantity = "a"
    printed = "0.333"
'''


def verdicts(example):
    result = harness.run_example(example, ["numpy", "torch"])
    assert result.parity_passed
    return {c.claim.printed: c for c in result.claims}


def test_only_the_replay_reproduces_a_value_from_rounded_intermediates(tmp_path):
    example = make_example(tmp_path, CLAIM_A + '''
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.999"
    ''')
    results = verdicts(example)
    assert results["0.333"].verdict == claims.CONFIRMED
    b = results["0.999"]
    assert b.verdict == claims.ROUNDED
    assert b.exact == pytest.approx(1.0, abs=1e-15)
    assert b.replayed == pytest.approx(0.999, abs=1e-15)


def test_the_replay_does_not_reproduce_what_rounding_cannot_explain(tmp_path):
    example = make_example(tmp_path, CLAIM_A + '''
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.998"
    ''')
    b = verdicts(example)["0.998"]
    assert b.verdict == claims.FAILED
    assert "unexplained" in b.explanation


@pytest.mark.parametrize("kind, verdict", [("cause", claims.ERRATUM), ("typo", claims.TYPO)])
def test_an_erratum_explains_only_what_its_demonstration_recomputes(tmp_path, kind, verdict):
    example = make_example(tmp_path, CLAIM_A + f'''
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.998"
    erratum = "digits_swapped"
    [errata.digits_swapped]
    explanation = "0.999 with its last digit mistyped"
    kind = "{kind}"
    cause = "slip"
    ''', ERRATA)
    b = verdicts(example)["0.998"]
    assert b.verdict == verdict
    assert b.demonstrated == pytest.approx(0.998)


def test_a_declared_erratum_fails_when_the_printed_value_agrees(tmp_path):
    example = make_example(tmp_path, '''
    [[claims]]
    where = "line 1"
    quantity = "a"
    printed = "0.333"
    erratum = "digits_swapped"
    [errata.digits_swapped]
    explanation = "not really wrong"
    cause = "slip"
    ''', ERRATA)
    a = verdicts(example)["0.333"]
    assert a.verdict == claims.FAILED
    assert "agrees" in a.explanation


def test_an_erratum_whose_demonstration_misses_fails(tmp_path):
    example = make_example(tmp_path, CLAIM_A + '''
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.997"
    erratum = "digits_swapped"
    [errata.digits_swapped]
    explanation = "claimed, not shown"
    cause = "slip"
    ''', ERRATA)
    b = verdicts(example)["0.997"]
    assert b.verdict == claims.FAILED
    assert "recomputes" in b.explanation


SWAPPED = CLAIM_A + '''
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.998"
    erratum = "digits_swapped"
    [errata.digits_swapped]
    kind = "cause"
    cause = "slip"
    '''


def test_an_erratum_without_an_explanation_takes_its_functions_docstring(tmp_path):
    docstring = '"""0.999 with its last two\n    digits swapped."""'
    errata = ERRATA.replace("values):\n", f"values):\n    {docstring}\n", 1)
    b = verdicts(make_example(tmp_path, SWAPPED, errata))["0.998"]
    assert b.verdict == claims.ERRATUM
    assert b.explanation == "0.999 with its last two digits swapped."


def test_an_erratum_explained_by_nothing_is_refused_when_read(tmp_path):
    with pytest.raises(spec.DefinitionError, match="errata.digits_swapped: explains nothing: "
                                                   "give it an explanation or errata.py's "
                                                   r"digits_swapped\(\) a docstring"):
        make_example(tmp_path, SWAPPED, ERRATA)


def test_the_summary_may_open_notes_md_above_its_notes(tmp_path):
    example = make_example(tmp_path, CLAIM_A)
    (example.folder / "NOTES.md").write_text("What the source\nworks out.\n\n## Notes\n\n- a finding\n")
    assert (example.summary_markdown, example.notes_markdown) == ("What the source\nworks out.", "- a finding")
    (example.folder / "NOTES.md").write_text("- only findings\n")
    assert (example.summary_markdown, example.notes_markdown) == ("", "- only findings")


def test_the_replay_rounds_only_the_reference(tmp_path):
    example = make_example(tmp_path, CLAIM_A)
    result = harness.run_example(example, ["numpy", "torch"])
    torch_a = result.traces["torch"].at("a", 0)
    replay_a = result.replay.at("a", 0)
    assert replay_a == 0.333
    assert torch_a == pytest.approx(1 / 3, abs=1e-16)


def test_rounding_by_hand_takes_decimal_ties_away_from_zero():
    from reproductions.trace import round_by_hand

    assert round_by_hand(0.9 * -0.015, 3) == -0.014  # float: -0.013499999999999998
    assert round_by_hand(0.1 * -0.015, 3) == -0.002
    assert round_by_hand(-612.5336296054267, 13) == -612.5336296054267
    assert round_by_hand(0.0014, 3) == 0.001


CANCELLING_IMPL = '''
import numpy as np

def reproduce(ctx):
    ctx.trace.step(0)
    big = np.array(4255.854199207604)
    ctx.trace.value("change", (big + 1e-4 * 612.5) - big, scale=big)
    ctx.trace.value("plain", (big + 1e-4 * 612.5) - big)
'''


def test_printed_noise_digits_agree_only_for_declared_cancellation(tmp_path):
    folder = tmp_path / "noise"
    folder.mkdir()
    (folder / "example.toml").write_text(textwrap.dedent('''
        id = "noise"
        title = "Noise"
        steps = 0
        [source]
        seed = "none"
        section = "test"
        [[claims]]
        where = "a"
        quantity = "change"
        printed = "0.061250000001"
        [[claims]]
        where = "b"
        quantity = "plain"
        printed = "0.061250000001"
        [[claims]]
        where = "c"
        quantity = "change"
        printed = "0.0612500010"
    '''))
    (folder / "numpy_impl.py").write_text(CANCELLING_IMPL)
    result = harness.run_example(spec.load(folder), ["numpy"])
    declared, plain, too_far = result.claims
    # off by 1e-12, within the parity bound at the size of 4255 (128 eps * 4255 = 1.2e-10)
    assert declared.verdict == claims.NOISE
    assert plain.verdict == claims.FAILED  # the same number, with no scale declared
    assert too_far.verdict == claims.FAILED  # off by 1e-9: more than float64 rounding


def test_a_claim_on_a_quantity_never_recorded_stops_before_the_other_frameworks(tmp_path):
    example = make_example(tmp_path, CLAIM_A.replace('quantity = "a"', 'quantity = "aa"'))
    (example.folder / "torch_impl.py").write_text("def reproduce(ctx):\n    raise AssertionError('ran')\n")
    with pytest.raises(harness.ClaimError, match="claims name 'aa', which the numpy implementation never records"):
        harness.run_example(example, ["numpy", "torch"])


def test_an_example_of_machine_printed_numbers_can_turn_the_replay_off(tmp_path):
    example = make_example(tmp_path, CLAIM_A + """
    [[claims]]
    where = "line 2"
    quantity = "b"
    printed = "0.999"
    """)
    assert verdicts(example)["0.999"].verdict == claims.ROUNDED
    toml = example.folder / "example.toml"
    toml.write_text(toml.read_text().replace('steps = 0', 'steps = 0\nreplay = false'))
    result = harness.run_example(spec.load(example.folder), ["numpy"])
    assert result.replay is None
    assert {c.claim.printed: c.verdict for c in result.claims}["0.999"] == claims.FAILED
