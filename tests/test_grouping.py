"""Under `pytest -n auto` every test of one example runs on one worker, which runs the
example once for all of them. conftest.py marks the groups before pytest-xdist writes
them into the test ids (tryfirst), and xdist 3.8's --dist loadgroup honours them only
with pytest 8, which constraints.txt pins: under pytest 9 the tests were split."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_tests_of_one_example_share_a_worker():
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-v", "-p", "no:cacheprovider",
                           "tests/test_parity.py", "tests/test_claims.py", "-k", "jacobian_square"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    workers = re.findall(r"^\[(gw\d+)\] .*PASSED", done.stdout, flags=re.M)
    assert len(workers) >= 5 and len(set(workers)) == 1, workers
