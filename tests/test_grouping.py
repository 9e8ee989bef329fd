"""Under `pytest -n auto` every test of one example runs on one worker, which runs the
example once for all of them. conftest.py marks the groups before pytest-xdist writes
them into the test ids (tryfirst), and xdist 3.8's --dist loadgroup honours them only
with pytest 8, which constraints.txt pins: under pytest 9 the tests were split."""

import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

GROUPED = '''
import pytest

IDS = ["a", "b", "c", "d"]


@pytest.mark.parametrize("example_id", IDS)
def test_one(example_id):
    pass


@pytest.mark.parametrize("example_id", IDS)
def test_two(example_id):
    pass


@pytest.mark.parametrize("example_id", IDS)
def test_three(example_id):
    pass
'''


def test_the_tests_of_one_example_share_a_worker(tmp_path):
    """Tests parametrized by example_id, under this suite's conftest hook and its
    --dist loadgroup, on two workers: each example's three tests on one worker."""
    (tmp_path / "conftest.py").write_text(  # this suite's hook, from its conftest.py
        "import importlib.util, sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        f"spec = importlib.util.spec_from_file_location('suite', {str(TESTS / 'conftest.py')!r})\n"
        "suite = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(suite)\n"
        "pytest_collection_modifyitems = suite.pytest_collection_modifyitems\n")
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                           "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    ran = re.findall(r"^\[(gw\d+)\] .*?test_\w+\[(\w)\]", done.stdout, flags=re.M)
    assert len(ran) == 12, done.stdout[-2000:]
    for example_id in "abcd":
        assert len({worker for worker, e in ran if e == example_id}) == 1, ran
    assert len({worker for worker, _ in ran}) == 2, ran  # and the work was shared
