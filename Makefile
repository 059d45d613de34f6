# Two commands: `make run` solves the default study, `make test` runs the tests.
# Both set up a virtual environment in .venv from pyproject.toml on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The report's screenshot test needs Chromium; `make test` installs it where it can (Debian,
# as root) once, else that test skips with the reason. INSTALL_CHROMIUM=no: leave the system
# alone.
INSTALL_CHROMIUM ?= yes
BROWSER_STAMP := $(VENV)/.browser

.PHONY: run test bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,mpi]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crmplan solve

test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q

$(BROWSER_STAMP): | $(STAMP)
	@[ "$(INSTALL_CHROMIUM)" = yes ] || exit 0; \
	if ! command -v chromium >/dev/null && [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ]; \
	then \
	  echo "installing chromium (apt-get) for the report's screenshot test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || echo "chromium not installed: the screenshot test will skip"; \
	fi; \
	touch $@

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py --repeat 2 --write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/sweep.py --append benchmarks/RESULTS.md

clean:
	rm -rf $(VENV)
