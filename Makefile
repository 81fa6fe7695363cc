# 海城民政一张图 — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/haicheng-gis
STAMP := $(VENV)/.installed

.PHONY: demo test install db serve stop lint format assets system-packages bench clean-db revision

## Python environment (re-installed when pyproject.toml changes)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) assets

## Front-end libraries from the npm registry into web_map/static/vendor (ignored by git)
assets: $(STAMP)
	$(PY) -m web_map.assets

## Debian packages the tests need besides PostGIS (which `db up` installs itself): Chromium
system-packages:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium and fonts with apt …"; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "Browser tests need Chromium: sudo apt-get install -y chromium fonts-wqy-zenhei"; exit 1; fi; \
	fi

## Everything: database, schema, demo data, server in the background at http://127.0.0.1:8000
demo: install
	$(CLI) db up
	$(CLI) migrate
	$(CLI) demo load
	$(CLI) demo accounts
	$(CLI) coverage refresh
	$(CLI) serve --detach

## The whole test suite (starts its own throwaway PostGIS)
test: install system-packages
	$(PY) -m pytest -q

db: $(STAMP)
	$(CLI) db up

serve: install db
	$(CLI) migrate
	$(CLI) serve

stop:
	-$(CLI) stop
	-$(CLI) db down

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/pip install -q -e '.[dev,bench]'
	$(PY) bench/bench_features.py

## New migration from model changes: make revision MSG="what changed"
revision: db
	$(PY) -c "from alembic import command; from gis_server.migrate import alembic_config; \
	from gis_server.settings import get_settings; \
	command.revision(alembic_config(get_settings().sqlalchemy_url), message='$(MSG)', autogenerate=True)"
