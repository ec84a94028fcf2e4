# Two commands set everything up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install chromium demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt package.json
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed: install python3.11 and run again"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) chromium

# Debian's Chromium for the accessibility checks (tests/a11y); checked on every run, installed as root.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's Chromium for the accessibility checks"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The accessibility checks need Debian's Chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium' and run again"; exit 1; \
	  fi; }

demo: $(STAMP)
	$(BIN)/cynare demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy cynare function_app.py

test: chromium lint typecheck
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache out
