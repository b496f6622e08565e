# `make run`: set up and clean samples/ into out/.  `make test`: set up and run the tests.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,ray]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cleaner clean samples/ -o out/ --overwrite

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

distclean:
	rm -rf $(VENV) out

.PHONY: run test distclean
