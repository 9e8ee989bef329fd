# Two commands do everything on a fresh machine with Python 3.11:
#   make results   set up .venv, then `repro check`: every example, every framework, writes results/
#   make test      set up .venv, then run the test suite
# CI also runs `make test-last-bits`: the tests whose expectations come from computed
# numbers (the step and quantity of a first divergence, the committed traces), again with
# NumPy's and torch's SIMD kernels held to what every x86-64 CPU has, so that none depends
# on the last bits of this machine's. (Claim verdicts are held against such changes by
# tests/test_claims.py itself, which moves every exact value by 32 roundings either way.)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup results test test-last-bits browser clean

setup: $(VENV)/.installed

# constraints.txt pins every package to the versions the results were made with.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

results: setup
	$(BIN)/repro check

test: setup browser
	$(if $(LOWERED),$(LOWERED_SIMD)) $(BIN)/pytest -n auto

# the harness's mutants (each named by the first value past a bound: which value that is
# comes from the numbers), the named first divergences, the committed traces, and the
# chaotic XOR whose free-running runs part. (The whole suite was run so, on an AMD EPYC,
# to find the tests that belong here: `make test LOWERED=1`.)
LAST_BITS_TESTS = tests/test_harness_can_fail.py tests/test_committed_results.py \
	tests/test_generic_training.py::test_step_local_parity_holds_where_free_running_runs_part \
	tests/test_generic_training.py::test_the_report_says_which_mode_gave_the_verdict \
	tests/test_generic_training.py::test_free_running_runs_that_part_are_judged_step_by_step \
	"tests/test_mutants.py::test_the_mutant_is_killed" -k "not mutant or parity or claims or trace or load or adapter"
LOWERED_SIMD = NPY_DISABLE_CPU_FEATURES=X86_V3 ATEN_CPU_CAPABILITY=default
test-last-bits: setup
	$(LOWERED_SIMD) $(BIN)/pytest -n auto $(LAST_BITS_TESTS)

# The site's browser test (tests/test_site.py) drives Debian's chromium and chromedriver:
# installed here when missing and run as root with apt-get; otherwise that test is
# skipped (it fails instead under CI=true).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
	  echo "make: no /usr/bin/chromium or /usr/bin/chromedriver, and not root: the browser" \
	       "test of tests/test_site.py is skipped (sudo apt-get install chromium chromium-driver)"; \
	fi

clean:
	rm -rf $(VENV)
