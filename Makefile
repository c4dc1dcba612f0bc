# Two commands do all set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Real models and footage: ../shared on the project's machines; elsewhere the manifests download.
EDGE_ASSETS ?= $(shell [ -d ../shared ] && cd ../shared && pwd)
export EDGE_ASSETS

.PHONY: venv demo test test-fast bench bench-peers clean

$(BIN)/edge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	# TrackEval (HOTA/CLEAR/Identity) without its opencv-python pin: see pyproject's bench extra.
	$(BIN)/pip install --quiet --no-deps 'trackeval==1.3.0'
	# py-motmetrics only for its bundled TUD files and published values (tests prove our
	# TrackEval wrapper against them); never imported (1.4.0 breaks on NumPy 2).
	$(BIN)/pip install --quiet --no-deps 'motmetrics==1.4.0'
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
	$(BIN)/edge bench --out out/bench

# Peer tools (Ultralytics, supervision + trackers) in their own venv: the product never needs
# them. Large (torch); `edge bench` adds their rows when .venv-peers exists.
bench-peers: venv
	$(PYTHON) -m venv .venv-peers
	.venv-peers/bin/pip install --quiet --upgrade pip
	.venv-peers/bin/pip install --quiet -r benchmarks/peers/requirements.txt
	.venv-peers/bin/pip install --quiet --no-deps -e .

clean:
	rm -rf $(VENV) .venv-peers out var .pytest_cache
