# Two commands set everything up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov checks infra/ (tests/infra); it lives in a venv of its own: its dependencies clash with the project's pins.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: install chromium demo demo-ui test lint typecheck unit bench clean checkov agent-wheel app-zip

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt package.json
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed: install python3.11 and run again"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) chromium

$(CHECKOV_STAMP):
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed: install python3.11 and run again"; exit 1; }
	rm -rf $(CHECKOV_VENV)
	$(PY) -m venv $(CHECKOV_VENV)
	echo '*' > $(CHECKOV_VENV)/.gitignore
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_STAMP)

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

# The demo's night, then the firm's pages at the printed local address until Ctrl-C.
demo-ui: $(STAMP)
	$(BIN)/cynare demo --ui

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy cynare function_app.py

test: chromium lint typecheck checkov
	$(BIN)/pytest -n 2 --dist loadgroup

# The agent as a firm installs it: dist/cynare_link-<version>-py3-none-any.whl (docs/deploy.md, step 7).
agent-wheel: $(STAMP)
	$(BIN)/pip wheel . --no-deps --quiet -w dist
	@echo "dist/cynare_link-$(VERSION)-py3-none-any.whl: install it on the PMS server with pip install \"<wheel>[agent]\""

# The Functions app's code for zip deploy (docs/deploy.md, step 4): what .funcignore leaves in.
app-zip: $(STAMP)
	$(BIN)/python infra/package_app.py dist/cynare-link-app-$(VERSION).zip

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache out dist
