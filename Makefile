# Two commands do everything on a fresh machine with Python 3.11:
#   make results   set up .venv, then `repro check`: every example, every framework, writes results/
#   make test      set up .venv, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup results test browser clean

setup: $(VENV)/.installed

# constraints.txt pins every package to the versions the results were made with.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

results: setup
	$(BIN)/repro check

test: setup browser
	$(BIN)/pytest -n auto

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
