# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: run test lint conformance bench serve install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/enmusubi solve scenarios/tokyo/problem.json --out out/tokyo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	if [ -n "$$CI" ]; then bash .ci/postgres.sh; fi
	$(BIN)/python -m pytest

conformance: $(STAMP)
	$(SHARED)/conformance/check "$(abspath $(BIN))/enmusubi solve {problem} --out {result}"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

serve: $(STAMP)
	$(BIN)/enmusubi serve

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
