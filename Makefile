# Two commands do all set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Real models and footage: ../shared on the project's machines; elsewhere the manifests download.
EDGE_ASSETS ?= $(shell [ -d ../shared ] && cd ../shared && pwd)
export EDGE_ASSETS

.PHONY: venv demo test test-fast bench clean

$(BIN)/edge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/edge

demo: venv
	$(BIN)/python -m edge.demo zones/demo-site.yaml

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not integration"

bench: venv
	$(BIN)/python -m benchmarks.speed --json out/bench/speed.json

clean:
	rm -rf $(VENV) out var .pytest_cache
