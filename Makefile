# Two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mlyard needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.core

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

clean:
	-$(BIN)/mlyard -w $(DEMO)/yard services delete diabetes-service 2>/dev/null
	rm -rf $(DEMO) .pytest_cache .ruff_cache
