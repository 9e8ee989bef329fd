"""A [graph] descended by an [optimizer] (d2l's momentum on f = 0.1 x1^2 + 2 x2^2, a
catalogue example): every framework's run follows the rule d2l's own loop computes, and the
optimizer's state is recorded and compared at every step like the parameters."""

import pytest

from conftest import result_of


def d2l_momentum(steps=20, eta=0.6, beta=0.5):
    """d2l's momentum_2d loop in Python floats: v = beta v + g; x = x - eta v."""
    x1, x2, v1, v2, path = -5.0, -2.0, 0.0, 0.0, []
    for _ in range(steps):
        v1, v2 = beta * v1 + 0.2 * x1, beta * v2 + 4 * x2
        x1, x2 = x1 - eta * v1, x2 - eta * v2
        path.append((x1, x2, v1, v2))
    return path


@pytest.mark.xdist_group("d2l_momentum")
def test_every_framework_follows_the_source_s_rule_and_records_the_velocity():
    result = result_of("d2l_momentum", "float64")
    assert result.parity_passed and result.claims_passed
    path = d2l_momentum()
    for framework, trace in result.traces.items():
        for step, expected in enumerate(path):
            found = [float(trace.at(name, step)) for name in ("x1", "x2", "velocity.x1", "velocity.x2")]
            assert found == pytest.approx(expected, rel=1e-12, abs=1e-15), (framework, step)
        assert float(trace.at("learning_rate", 19)) == 0.6
    compared = {q.quantity for p in result.parities for q in p.quantities}
    assert {"velocity.x1", "velocity.x2", "learning_rate"} <= compared
