# ARC — the two commands: `make run` (the whole centre) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-cluster test lint bench messages system-deps install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the project needs: gettext (translations), Chromium (browser tests).
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	test -x /usr/bin/chromium || missing="$$missing chromium fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; \
	fi

messages: $(STAMP)
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory system-deps
	$(PY) manage.py compilemessages --ignore '.venv' -v 0

run: $(STAMP) messages
	ARC_DEBUG=$${ARC_DEBUG:-1} exec $(PY) -m arc.run

# Both receivers must be alive for /health/ to say "ok" (docs/operations.md).
run-cluster: $(STAMP) messages
	ARC_DEBUG=$${ARC_DEBUG:-1} ARC_HEALTH_RECEIVERS=$${ARC_HEALTH_RECEIVERS:-rx1,rx2} \
	  exec $(PY) -m arc.run --procfile Procfile.cluster

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) system-deps messages lint
	$(PY) -m arc.testrun $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
