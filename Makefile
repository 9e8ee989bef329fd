# Two commands do everything on a fresh machine with Python 3.11:
#   make results   set up .venv, then `repro check`: every example, every framework, writes results/
#   make test      set up .venv, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup results test clean

setup: $(VENV)/.installed

# constraints.txt pins every package to the versions the results were made with.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

results: setup
	$(BIN)/repro check

test: setup
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV)
