# Two commands: `make run` solves the default study, `make test` runs the tests.
# Both set up a virtual environment in .venv from pyproject.toml on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,mpi]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crmplan solve

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py --repeat 2 --write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/sweep.py --append benchmarks/RESULTS.md

clean:
	rm -rf $(VENV)
