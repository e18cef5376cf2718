# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: run test typecheck lint conformance bench serve install clean

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
	$(MAKE) --no-print-directory typecheck
	if [ -n "$$CI" ]; then bash .ci/postgres.sh; fi
	$(BIN)/python -m pytest --durations=25 $(foreach f,enmusubi $(FOLDERS),--cov=$(f))

# mypy cannot follow setuptools' editable finder (enmusubi.solver -> solver/), so it checks a tree of
# links laid out as installed: build/typecheck/enmusubi/{__init__.py, solver, ...} -> the folders.
FOLDERS := solver constraints service scenarios  # the folders setup.py installs under enmusubi
TYPECHECK := build/typecheck

typecheck: $(STAMP)
	rm -rf $(TYPECHECK)
	mkdir -p $(TYPECHECK)/enmusubi
	for f in enmusubi/*.py; do ln -s "$(CURDIR)/$$f" $(TYPECHECK)/enmusubi/; done
	for d in $(FOLDERS); do ln -s "$(CURDIR)/$$d" $(TYPECHECK)/enmusubi/$$d; done
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy -p enmusubi

conformance: $(STAMP)
	$(SHARED)/conformance/check "$(abspath $(BIN))/enmusubi solve {problem} --out {result}"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

serve: $(STAMP)
	$(BIN)/enmusubi serve

clean:
	rm -rf $(VENV) out build .pytest_cache .ruff_cache .mypy_cache .coverage
