# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint types bench eval fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: set up and run the main job on samples/
run: $(STAMP)
	$(BIN)/gtcbrief parse samples/ --format table
	$(BIN)/gtcbrief stats samples/ || true
	$(BIN)/gtcbrief validate samples/ || true

## test: set up and run the test suite (exit 5, "no tests collected", is a failure)
test: $(STAMP)
	@command -v jq >/dev/null 2>&1 || (echo "installing jq (Debian package)" >&2; \
	  (apt-get update -qq && apt-get install -y -qq jq) >/dev/null 2>&1 || \
	  echo "warning: jq not available; jq pipeline tests will be skipped" >&2)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check gtcbrief tests
	$(BIN)/ruff format --check gtcbrief tests

types: $(STAMP)
	$(BIN)/mypy

## check: lint, types and tests
check: lint types test

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
