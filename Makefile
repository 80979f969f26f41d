# kcc: two commands on a fresh machine (Python 3.11, make, apt):
#   make run    set up .venv, migrate, load demo data, serve http://127.0.0.1:5000
#   make test   set up .venv + Chromium + PostgreSQL + axe-core, run the suite on SQLite and PostgreSQL,
#               then scan the running app with wapiti (own venv .venv-scan)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app kcc
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve-prod backup restore test test-sqlite test-postgres security-scan lint setup \
	setup-test bench bench-data clean openapi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-app: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml $(VENV)/.installed-app
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(VENV)/.installed-app
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) train --only-missing

run: setup
	@echo "kcc draait op http://$(HOST):$(PORT) (stoppen met Ctrl+C)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production under gunicorn on 127.0.0.1:8000 (HOST, PORT): needs DATABASE_URL and SECRET_KEY;
# migrates, trains missing models, serves (docs/operations.md).
serve-prod: $(VENV)/.installed-app
	scripts/serve-prod.sh

# backups/kcc-YYYYmmdd-HHMMSS.dump (PostgreSQL) or .sqlite of DATABASE_URL's database.
backup: $(VENV)/.installed-app
	scripts/backup.sh

# Into a new, empty database: DATABASE_URL=... make restore BACKUP=backups/kcc-....dump
restore: $(VENV)/.installed-app
	@test -n "$(BACKUP)" || { echo "Geef het bestand: make restore BACKUP=backups/kcc-....dump" >&2; exit 2; }
	scripts/restore.sh "$(BACKUP)"

setup-test: $(VENV)/.installed-test
	scripts/install-test-deps.sh
	$(MAKE) node_modules/.package-lock.json

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(FLASK) openapi --check docs/openapi.json

# The API's OpenAPI document is generated from the code; commit the result (lint checks it).
openapi: $(VENV)/.installed-app
	$(FLASK) openapi --output docs/openapi.json

test-sqlite: setup-test
	$(BIN)/pytest -p no:cacheprovider

# TEST_POSTGRES_URL names a server to use; otherwise a throwaway one is started on 127.0.0.1.
# The browser tests (pages, keyboard, axe) run once, in the SQLite run; every database rule is
# tested on both.
test-postgres: setup-test
	url="$${TEST_POSTGRES_URL:-$$(scripts/test-postgres.sh start)}" && \
	KCC_TEST_DATABASE_URL="$$url" $(BIN)/pytest -p no:cacheprovider -m "not browser"

# wapiti (pinned in the script, in its own venv .venv-scan) attacks the app on 127.0.0.1 as the
# demo coordinator, offline; report in build/security-scan/.
security-scan: $(VENV)/.installed-app
	PYTHON=$(PYTHON) scripts/security-scan.sh

test: lint test-sqlite test-postgres security-scan

# Each script prints its figures; intake.py builds bench/data/million.sqlite first if missing.
BENCHMARKS := bench/masking.py bench/masking_quality.py bench/masking_independent.py \
	bench/classifier.py bench/intake.py \
	bench/escalation_queue.py bench/claims.py bench/clustering.py bench/faq_public.py \
	bench/dashboard.py bench/spikes.py bench/import_questions.py bench/load.py
# faq_public.py loads the production server with wrk (Debian package); load.py puts nginx in
# front (its own configuration and port: a system nginx, if one starts, does not matter).
bench: $(VENV)/.installed-app
	command -v wrk >/dev/null || apt-get install -y wrk
	command -v nginx >/dev/null || test -x /usr/sbin/nginx \
		|| apt-get install -y --no-install-recommends nginx
	for script in $(BENCHMARKS); do $(BIN)/python $$script || exit 1; done

bench-data: $(VENV)/.installed-app
	$(BIN)/python bench/generate_questions.py

clean:
	rm -rf $(VENV) .venv-scan node_modules .pytest_cache .ruff_cache build/security-scan
