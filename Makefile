# 海城民政一张图 — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/haicheng-gis
STAMP := $(VENV)/.installed

.PHONY: demo test install db serve stop lint format assets system-packages test-packages apt-packages bench revision screenshots

## Python environment (re-installed when pyproject.toml changes)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) assets system-packages

## Front-end libraries from the npm registry into web_map/static/vendor (ignored by git)
assets: $(STAMP)
	$(PY) -m web_map.assets

## Debian packages the service and tests need besides PostgreSQL/PostGIS/pgRouting (which `db up`
## installs itself): Chromium for browser tests, CJK and Latin fonts for PDFs, poppler to read PDFs back
RUNTIME_PACKAGES := fonts-wqy-zenhei fonts-dejavu-core
TEST_PACKAGES := chromium poppler-utils gdal-bin python3-qgis
system-packages:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(RUNTIME_PACKAGES)"

test-packages:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(TEST_PACKAGES)"

apt-packages:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $$missing with apt …"; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; \
	  else echo "Missing Debian packages: sudo apt-get install -y $$missing"; exit 1; fi; \
	fi

## Everything: database, schema, demo data, server in the background at http://127.0.0.1:8000
demo: install
	$(CLI) db up
	$(CLI) migrate
	$(CLI) demo load
	$(CLI) demo accounts
	-$(CLI) coverage refresh  # needs pgRouting; the rest of the demo works without it
	$(CLI) serve --detach

## README screenshots of every page (docs/screenshots/; throwaway PostGIS + demo data, ≈ 10 min; not in `make test`)
screenshots: install
	$(PY) -m tools.screenshots

## The whole test suite (starts its own throwaway PostGIS)
test: install test-packages
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
	@$(MAKE) --no-print-directory apt-packages PACKAGES="wrk chromium"
	$(PY) bench/run_all.py

## New migration from model changes: make revision MSG="what changed"
revision: db
	$(PY) -c "from alembic import command; from gis_server.migrate import alembic_config; \
	from gis_server.settings import get_settings; \
	command.revision(alembic_config(get_settings().sqlalchemy_url), message='$(MSG)', autogenerate=True)"
