# Two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo
VENDOR := src/mlyard/static/vendor
ASSETS := $(VENDOR)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mlyard needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml $(ASSETS) | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(ASSETS) | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.core

# Front-end assets from the npm registry (pinned by package-lock.json), copied into the
# package so that a wheel carries them and no page loads from a CDN.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/swagger-ui-dist
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/favicon-32x32.png $(VENDOR)/swagger-ui-dist/
	touch $@

# The reference scenario on an embedded workspace in ./demo; the service it starts
# keeps running (stop it with: .venv/bin/mlyard -w demo/yard services delete diabetes-service).
demo: $(VENV)/.core
	mkdir -p $(DEMO)
	cd $(DEMO) && ../$(BIN)/python ../examples/diabetes.py ./yard
	@echo
	@echo "Explore: $(BIN)/mlyard -w $(DEMO)/yard runs list   |   ... services list"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench_tracking.py
	$(BIN)/python benchmarks/bench_serving.py
	$(BIN)/python benchmarks/bench_server.py
	$(BIN)/python benchmarks/bench_artifacts.py

clean:
	-$(BIN)/mlyard -w $(DEMO)/yard services delete diabetes-service 2>/dev/null
	rm -rf $(DEMO) .pytest_cache .ruff_cache node_modules $(VENDOR)
