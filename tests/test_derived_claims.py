"""Derived claims (reproductions/derived.py): what a source computes from recorded values
and prints, judged like any claim. Each kind is confirmed on a definition, with printed
values worked out by hand from the source's own printed numbers (the 2-3-1 XOR of
tests/definitions/xor_2_3_1.toml, Fig 79-81), and fails when its printed value or its
expression is changed."""

import functools
from pathlib import Path

import pytest

from conftest import repro
from reproductions import claims, harness, spec

XOR = (Path(__file__).parent / "definitions" / "xor_2_3_1.toml").read_text()
XOR_CLAIMS = XOR.index("[[claims]]")

# (kind, the claim's keys; every printed value from Fig 79-81's three-decimal prints)
KINDS = [
    ("slice", 'expression = "A1[0, 1:3]"\nprinted = ["0.646", "0.525"]'),  # Fig 79.a, row 1
    ("slice with ...", 'expression = "A1[..., 0]"\nprinted = ["0.5", "0.5", "0.5"]'),
    ("sum", 'expression = "sum(Z1)"\nprinted = "4.6"'),  # 1.4 + 1.2 + 2.0, Fig 79.a
    ("sum along an axis", 'expression = "sum(Z1, 1)"\nprinted = ["1.4", "1.2", "2.0"]'),
    ("mean", 'expression = "mean(A2)"\nprinted = "0.699"'),  # (0.668 + ... + 0.728) / 4
    ("max", 'expression = "max(A2)"\nprinted = "0.728"'),
    ("min", 'expression = "min(A2)"\nprinted = "0.668"'),
    ("norm", 'expression = "norm(init.W2)"\nprinted = "0.990"'),  # sqrt(0.01 + 0.16 + 0.81)
    ("local gradient", 'expression = "A2 * (1 - A2)"\n'  # 0.668 * 0.332 = 0.2218, ...
                       'printed = [["0.222", "0.205", "0.215", "0.198"]]'),
    ("upstream gradient", 'expression = "transpose(before.W2) @ dZ2"\n'  # 0.1 * dZ2, Fig 81.b
                          'index = [0]\nprinted = ["0.0037", "-0.0015", "-0.0017", "0.0036"]'),
    ("predictions", 'expression = "A2 > 0.5"\nprinted = [["1", "1", "1", "1"]]'),
    ("predictions after training", 'expression = "round(A2)"\nstep = 5000\n'
                                   'printed = [["0", "1", "1", "0"]]'),  # the cost is 0.0009
    ("accuracy", 'expression = "accuracy(A2, Y)"\nprinted = "0.5"'),  # every A2 above 0.5
    ("accuracy after training", 'expression = "accuracy(A2, Y)"\nstep = 5000\nprinted = "1.0"'),
    ("a gradient as a number", 'expression = "grad.W2[0, 2] * 1000"\nprinted = "25"'),  # Fig 81.c
]


def definition(kinds=KINDS) -> str:
    return XOR[:XOR_CLAIMS] + "".join(
        f'[[claims]]\nwhere = "{kind}"\n{keys}\n\n' for kind, keys in kinds)


@functools.cache
def judged(tmp: Path):
    path = tmp / "xor_derived.toml"
    path.write_text(definition())
    example = spec.load(path)
    result = harness.run_example(example, [])
    return example, result


@pytest.fixture(scope="module")
def xor(tmp_path_factory):
    return judged(tmp_path_factory.mktemp("derived"))


def test_every_kind_is_confirmed(xor):
    example, result = xor
    verdicts = {}
    for judged_claim in result.claims:
        verdicts.setdefault(judged_claim.claim.where, set()).add(judged_claim.verdict)
    assert verdicts == {kind: {claims.CONFIRMED} for kind, _ in KINDS}, [
        (c.claim.where, c.claim.printed, c.exact, c.explanation) for c in result.claims
        if c.verdict != claims.CONFIRMED]


def rejudged(xor, changed):
    """The run's claims judged again, on the same recorded values, each claim changed by
    ``changed``."""
    example, result = xor
    init = example.initial_parameters()
    exact = claims.Values(result.traces["numpy"], init, example)
    replay = claims.Values(result.replay, init, example)
    mutated = example.model_copy(update={"claims": [changed(c) for c in example.claims]})
    return claims.judge(mutated, exact, replay, result.steps)


def moved(printed: str) -> str:
    """Two units of the last printed digit more (the claims print at least 0.5 units)."""
    from decimal import Decimal

    value = Decimal(printed)
    return str(value + 2 * Decimal(1).scaleb(value.as_tuple().exponent))


@pytest.mark.parametrize("kind", [kind for kind, _ in KINDS])
def test_a_changed_print_fails(xor, kind):
    verdicts = [c.verdict for c in rejudged(xor, lambda c: c.model_copy(
        update={"printed": moved(c.printed)}) if c.where == kind else c) if c.claim.where == kind]
    assert verdicts and all(v == claims.FAILED for v in verdicts), verdicts


CHANGED_EXPRESSIONS = {"mean": "sum(A2) / 3", "max": "max(A1)", "local gradient": "A2 * (1 + A2)",
                       "upstream gradient": "transpose(before.W2) @ dZ2 * 2",
                       "accuracy after training": "accuracy(1 - A2, Y)", "slice": "A1[1, 1:3]"}


@pytest.mark.parametrize("kind, expression", CHANGED_EXPRESSIONS.items())
def test_a_changed_expression_fails(xor, kind, expression):
    results = rejudged(xor, lambda c: c.model_copy(update={"quantity": expression,
                                                           "expression": expression})
                       if c.where == kind else c)
    verdicts = [c.verdict for c in results if c.claim.where == kind]
    assert verdicts and claims.FAILED in verdicts, verdicts


def test_a_derived_claim_reads_the_rounded_replay_too(tmp_path):
    """With A2 claimed as Fig 79.b prints it, the replay rounds A2 to three decimals:
    mean(A2) on it is the mean of the printed values."""
    path = tmp_path / "replay.toml"
    a2 = XOR[XOR.index('[[claims]]\nwhere = "Fig 79.b, line 1350'):XOR.index("[[claims]]\nwhere = \"Fig 80")]
    path.write_text(definition([KINDS[4]]).replace("steps = 5000\n", "steps = 1\n", 1) + a2)
    result = harness.run_example(spec.load(path), [])
    mean = next(c for c in result.claims if c.claim.expression == "mean(A2)")
    assert mean.replayed == pytest.approx((0.668 + 0.712 + 0.688 + 0.728) / 4, abs=1e-15)
    assert abs(mean.exact - mean.replayed) > 1e-5


GRADIENT_CHECK = '''
[gradient_check]
epsilon = 1e-7                 # the source's: J(theta + e) and J(theta - e)

[[claims]]
where = "gradient check, every parameter at once"
expression = "relative_difference(concat(grad.W1, grad.b1, grad.W2, grad.b2), concat(numerical.W1, numerical.b1, numerical.W2, numerical.b2))"
printed = "0"
within = 1e-6                  # 'below 1e-7 ... fine' is the usual print: a bound, stated
'''


def test_a_gradient_check_is_within_what_float64_settles(tmp_path):
    """A finite difference cancels two costs: its estimate is given to about the cost
    over epsilon times 128 roundings, and the relative difference within that."""
    path = tmp_path / "check.toml"
    one_step = XOR[:XOR_CLAIMS].replace("steps = 5000\n", "steps = 1\n", 1)  # checked at step 0
    path.write_text(one_step + GRADIENT_CHECK)
    result = harness.run_example(spec.load(path), [])
    (check,) = result.claims
    assert 0 < check.exact < 1e-6 and check.passed, check
    half = GRADIENT_CHECK.replace('epsilon = 1e-7 ', 'epsilon = 1e-1 ')  # a coarse difference
    path.write_text(one_step + half)
    (coarse,) = harness.run_example(spec.load(path), []).claims
    assert coarse.verdict == claims.FAILED and coarse.exact > 1e-6, coarse


CIRCUIT = '''id = "circuit_nodes"
title = "f = (x + y) * z: claims on expressions of its nodes"
steps = 0

[source]
seed = "cs231n"
section = "backpropagation, a simple example"

[graph]
expression = """
q = x + y
f = q * z
"""
inputs = { x = -2, y = 5, z = -4 }

[[claims]]
where = "q and z side by side"
expression = "concat(q, z)"
printed = ["3", "-4"]

[[claims]]
where = "the chain rule: df/dx = df/dq * dq/dx"
expression = "grad.q * 1"
printed = "-4"
'''


def test_any_node_of_a_graph(tmp_path):
    path = tmp_path / "circuit.toml"
    path.write_text(CIRCUIT)
    done = repro("check", "--spec", path, "--out", tmp_path / "out", "--frameworks", "numpy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "claims: 3 confirmed" in done.stdout
    path.write_text(CIRCUIT.replace('printed = ["3", "-4"]', 'printed = ["3", "4"]'))
    done = repro("check", "--spec", path, "--out", tmp_path / "out", "--frameworks", "numpy")
    assert done.returncode == 1 and "claims: 2 confirmed, 1 FAILED" in done.stdout


MOMENTUM = (Path(__file__).parent / "definitions" / "momentum_hinge_l2_all.toml").read_text()


def test_optimizer_state(tmp_path):
    """The definition prints velocity.b2 = -0.10005 after the first update; its norm, and
    the rate times four, are derived from what it prints."""
    more = '''
[[claims]]
where = "the norm of b2's velocity after the first update"
expression = "norm(velocity.b2)"
printed = "0.10005"

[[claims]]
where = "the fifth update's rate, doubled"
expression = "learning_rate * 2"
step = 4
printed = "0.1"
'''
    path = tmp_path / "momentum.toml"
    path.write_text(MOMENTUM + more)
    result = harness.run_example(spec.load(path), [])
    assert [c.verdict for c in result.claims] == [claims.CONFIRMED] * 4
    path.write_text(MOMENTUM + more.replace('printed = "0.10005"', 'printed = "0.10007"'))
    result = harness.run_example(spec.load(path), [])
    assert [c.verdict for c in result.claims] == [claims.CONFIRMED] * 2 + [claims.FAILED,
                                                                          claims.CONFIRMED]


def test_a_one_sided_difference_is_taken_as_the_source_takes_it(tmp_path):
    """(J(p + e) - J(p)) / e errs by about e times the curvature, the two-sided difference
    by e squared: at e = 1e-4 the one-sided check is the coarser by orders of magnitude,
    and its estimate is that quotient, computed here again from the reference's cost."""
    one_step = XOR[:XOR_CLAIMS].replace("steps = 5000\n", "steps = 1\n", 1)
    check = ('[gradient_check]\nepsilon = 1e-4\ndifference = "{kind}"\n\n'
             '[[claims]]\nwhere = "check"\n'
             'expression = "relative_difference(grad.W2, numerical.W2)"\nprinted = "0"\n'
             'within = 1\n\n[[claims]]\nwhere = "estimate"\nexpression = "numerical.W2"\n'
             'index = [0, 2]\nprinted = "0"\nwithin = 1\n')
    found = {}
    for kind in ("one_sided", "two_sided"):
        path = tmp_path / f"{kind}.toml"
        path.write_text(one_step + check.format(kind=kind))
        example = spec.load(path)
        result = harness.run_example(example, [])
        found[kind] = [c.exact for c in result.claims]
    assert found["one_sided"][0] > 100 * found["two_sided"][0] > 0
    from reproductions.execute import reference_function

    cost_at = reference_function(example, "cost_at")
    params = example.initial_parameters()
    at = cost_at(example, 0, params)
    params["W2"][0, 2] += 1e-4
    assert found["one_sided"][1] == (cost_at(example, 0, params) - at) / 1e-4
