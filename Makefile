# `make run`: set up and clean samples/ into out/.  `make test`: set up and run the tests.
# The main job needs only cleaner itself; the tests add pytest and the optional Ray engine.
PYTHON ?= python3
VENV := .venv
BASE := $(VENV)/.installed-base
TEST := $(VENV)/.installed-test

$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $(BASE)

$(TEST): $(BASE)
	$(VENV)/bin/pip install --quiet -e '.[test,ray]'
	touch $(TEST)

run: $(BASE)
	$(VENV)/bin/cleaner clean samples/ -o out/ --overwrite

test: $(TEST)
	$(VENV)/bin/python -m pytest -q

distclean:
	rm -rf $(VENV) out

.PHONY: run test distclean
