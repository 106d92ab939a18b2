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
	$(BIN)/python -m compileall -q gtcbrief >/dev/null  # as a wheel install would
	touch $(STAMP)

## run: set up and run the main job on samples/
run: $(STAMP)
	$(BIN)/gtcbrief parse samples/ --format table
	$(BIN)/gtcbrief stats samples/ --format table || true
	$(BIN)/gtcbrief validate samples/ || true

## test: set up and run the test suite (exit 5, "no tests collected", is a failure)
test: $(STAMP)
	@missing=""; for t in jq:jq rg:ripgrep; do command -v $${t%%:*} >/dev/null 2>&1 || \
	  missing="$$missing $${t#*:}"; done; [ -z "$$missing" ] || { \
	  echo "installing$$missing (Debian packages)" >&2; \
	  (apt-get update -qq && apt-get install -y -qq $$missing) >/dev/null 2>&1 || \
	  echo "warning: could not install$$missing; the tests that compare with them will be skipped" >&2; }
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check gtcbrief tests
	$(BIN)/ruff format --check gtcbrief tests

types: $(STAMP)
	$(BIN)/mypy

## check: lint, types and tests
check: lint types test

## bench: corpus benchmarks against the peers; rewrites BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python bench/run.py

## eval: labelled evaluation of description-mismatch and dedupe
eval: $(STAMP)
	$(BIN)/python eval/run.py

## fuzz: long property/fuzz runs over the loader and query parser
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz --hypothesis-profile=fuzz

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
