# Two commands matter: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run prod reset-demo test test-fast lint bench migrations-check demo-code clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# axe-core for the accessibility checks; without npm the browser tests say why they skip.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund; else echo "npm not found: browser accessibility tests will be skipped"; fi

# HOST and PORT also give emailed links their address (SITE_URL) unless it is set. It is fixed here,
# as spoonful/settings.py would derive it, because honcho hands each process its own PORT (the job
# worker's is PORT + 100) and the worker sends most of the mail.
LINK_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
RUN_ENV := DEBUG=$${DEBUG:-true} HOST=$(HOST) PORT=$(PORT) SITE_URL=$${SITE_URL:-http://$(LINK_HOST):$(PORT)}

run: $(STAMP)
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving at http://$(HOST):$(PORT)/ with a job worker beside it  (Ctrl-C stops both)"
	$(RUN_ENV) $(BIN)/honcho -f Procfile.dev start

# The production layout on this machine: nginx (HTTPS, self-signed) -> gunicorn for pages and
# POSTs, SOCKET_PROCESSES daphne processes for /ws/, job workers; PostgreSQL and Redis from
# DATABASE_URL and REDIS_URL (the local ones by default). deploy/local_prod.py explains.
PROD_DIR := .prod
prod: $(STAMP)
	$(BIN)/python deploy/local_prod.py prepare --dir $(PROD_DIR)
	$(BIN)/honcho -e $(PROD_DIR)/env run $(BIN)/python manage.py migrate --noinput
	$(BIN)/honcho -e $(PROD_DIR)/env run $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/honcho -e $(PROD_DIR)/env run $(BIN)/python manage.py seed_demo
	$(BIN)/python deploy/local_prod.py start --dir $(PROD_DIR)

# Start the demo over: the local SQLite file is removed; a DATABASE_URL database is
# flushed only after Django's own "are you sure?" (never silently: it may not be a demo).
reset-demo: $(STAMP)
	@if [ -z "$$DATABASE_URL" ]; then rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm; \
	else $(RUN_ENV) $(BIN)/python manage.py flush; fi
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

# pytest-xdist: one worker per core, each with its own test database (a _gwN suffix) and Redis
# database (tests/conftest.py); a module's tests stay on one worker, so a module-wide set-up is made once.
PARALLEL ?= -n auto --maxprocesses=4 --dist loadscope

test: $(STAMP) node_modules/.package-lock.json
	$(BIN)/python -m pytest --ignore=tests/browser $(PARALLEL)
	$(BIN)/python -m pytest tests/browser $(PARALLEL)

demo-code: $(STAMP)
	@$(RUN_ENV) $(BIN)/python manage.py demo_code

test-fast: $(STAMP)
	$(BIN)/python -m pytest --ignore=tests/browser -x -q $(PARALLEL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# Issue 13's measurements through the production layout (about 12 minutes; needs nginx, wrk, PostgreSQL and
# Redis): BENCH_DATABASE_URL (dropped and created, default spoonful_bench) and BENCH_REDIS_URL (default db 15).
# `python -m bench --quick` checks that it works in a few minutes.
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.markdown_render --append docs/benchmarks.md

clean:
	rm -rf $(VENV) node_modules staticfiles test_db.sqlite3*
