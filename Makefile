# EstateDesk developer commands. `make check` runs what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ESTATEDESK := $(BIN)/estatedesk
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# Production-like environment for `check --deploy`: DEBUG off, a long random key, a real host name and an
# SMTP host (Django refuses the console mail backend in production).
DEPLOY_ENV = DEBUG=0 ALLOWED_HOSTS=estatedesk.example.com EMAIL_HOST=smtp.example.com \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')"
# With DEBUG off the settings refuse to start without a SECRET_KEY of 50+ random characters. The targets
# that run EstateDesk here (demo, migrate, migrations-check, test, smoke) use one random key per checkout,
# made on first use in data/.secret-key; a SECRET_KEY set in the environment wins.
ifeq ($(origin SECRET_KEY),undefined)
SECRET_KEY := $(shell f=data/.secret-key; if [ ! -s "$$f" ]; then mkdir -p data && (umask 077; \
	head -c 64 /dev/urandom | base64 | tr -d '\n/+=' > "$$f"); fi; cat "$$f")
endif
export SECRET_KEY
# Likewise the key that encrypts secrets stored in the database (the demo's complaint mailbox password):
# one Fernet key per checkout in data/.field-key, unless FIELD_ENCRYPTION_KEY is set in the environment.
ifeq ($(origin FIELD_ENCRYPTION_KEY),undefined)
FIELD_ENCRYPTION_KEY := $(shell f=data/.field-key; if [ ! -s "$$f" ]; then mkdir -p data && (umask 077; \
	head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' > "$$f"); fi; cat "$$f")
endif
export FIELD_ENCRYPTION_KEY

.PHONY: help venv install system-deps migrate seed messages messages-check demo test test-pg smoke fuzz lint typecheck \
	migrations-check deploy-check check bench bench-quick screenshots

help:
	@echo "make demo        install, migrate, load demo data and serve at http://$(HOST):$(PORT)/"
	@echo "make seed        migrate and load the demo data (what make demo does before serving)"
	@echo "make test        the whole test suite on SQLite, browser tests included"
	@echo "make test-pg     the same suite on PostgreSQL ($(PG_URL)), browser tests left to make test"
	@echo "make smoke       start the real server processes and log in over HTTP"
	@echo "make fuzz        schemathesis fuzzes the API from its own schema, asserting no 5xx (SQLite, ~2 min)"
	@echo "make lint        ruff check and ruff format --check"
	@echo "make typecheck   mypy over the estatedesk package (django-stubs)"
	@echo "make check       lint, typecheck, migrations-check, deploy-check, test and test-pg (what CI runs)"
	@echo "make venv        create .venv with Python 3.12 and install requirements.txt"
	@echo "make system-deps install chromium, CJK fonts, Pango and gettext (Debian, as root)"
	@echo "make bench       benchmark at 1,000,000 items beside django-helpdesk, SQLite and PostgreSQL (~40 min)"
	@echo "make bench-quick the same at 10,000 items on SQLite (about 4 minutes); both write bench/RESULTS.md"
	@echo "make screenshots every demo role's home at 390 and 1366 px into build/screenshots/ (throw-away DB)"

venv install: $(STAMP)

# Rebuilt when requirements.txt or pyproject.toml changes; otherwise a no-op.
$(STAMP): requirements.txt pyproject.toml
	@py=""; \
	if command -v pyenv >/dev/null 2>&1; then py=$$(pyenv which python3.12 2>/dev/null || true); fi; \
	if [ -z "$$py" ]; then py=$$(command -v python3.12 || true); fi; \
	if [ -z "$$py" ] || ! "$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then \
		echo "make: Python 3.12 not found; install it (e.g. 'pyenv install 3.12') and run make again" >&2; exit 1; \
	fi; \
	if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then \
		rm -rf $(VENV); echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@# the editable build prints setuptools warnings on every run: show them only when it fails
	@out=$$($(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e . 2>&1) || { echo "$$out" >&2; exit 1; }
	@touch $@

system-deps:
	@bash scripts/system-deps.sh

# estatedesk/locale may not exist yet: compile only when there is a locale directory to compile.
messages: $(STAMP)
	@if [ -n "$$(find estatedesk -type d -name locale -print -quit)" ]; then \
		DEBUG=1 $(ESTATEDESK) compilemessages --ignore=$(VENV) -v 0; \
	else echo "messages: no locale directory yet, nothing to compile"; fi

migrate: $(STAMP)
	$(ESTATEDESK) migrate --noinput -v 1

# runall collects static files first, and only when they changed: with the manifest storage a full
# collectstatic hashes and compresses every file again (about 30 s).
# migrate and load the demo data, with the keys every target here gets (the smoke test prepares its data so)
seed: $(STAMP) migrate
	$(ESTATEDESK) seed_demo

demo: $(STAMP) system-deps messages seed
	@echo "Starting EstateDesk at http://$(HOST):$(PORT)/ (Ctrl-C stops it); the logins follow once it is up."
	$(ESTATEDESK) runall --host $(HOST) --port $(PORT) --then-command demo_logins

# pytest exits 5 when it ran no test; make fails on any non-zero exit, so that fails too.
# The fuzz run (marker fuzz) is its own target and CI step: make fuzz.
test: $(STAMP) system-deps messages
	$(BIN)/pytest -n 2 --dist loadgroup -m "not smoke and not fuzz" $(PYTEST_ARGS)

# The browser tests (marker browser) run once, in make test: what they drive is the same pages and services
# that the rest of the suite exercises here on PostgreSQL, and they cost about 2 minutes of CI's 20. So do
# the demo's data tests (estatedesk/demo/tests: the demo is seeded on SQLite by make demo, never in
# production; a minute of one worker here) and the route walkers of tests/security/test_isolation_walker.py
# (every URL pattern and API route as outsiders: the scoping they prove is the same ORM query on either
# database, and the scoping and outsider tests of each app run here; 2.5 minutes of PostgreSQL workers).
test-pg: $(STAMP) system-deps messages
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 --dist loadgroup -m "not smoke and not fuzz and not browser" \
		--ignore=estatedesk/demo/tests --ignore=tests/security/test_isolation_walker.py $(PYTEST_ARGS)

# Two workers, a file each: the demo server (make seed) and the PostgreSQL connection cut are independent.
smoke: $(STAMP) messages
	$(BIN)/pytest -n 2 --dist loadfile -m smoke tests/smoke $(PYTEST_ARGS)

# schemathesis against the API's own OpenAPI schema, as a CS supervisor and as an owner: no answer is a 5xx.
# Bounded (the coverage phase and 25 random examples per operation, fixed seed), on SQLite whatever
# DATABASE_URL says (tests/fuzz); two workers, about four minutes.
fuzz: $(STAMP) messages
	env -u DATABASE_URL $(BIN)/pytest -n 2 -m fuzz tests/fuzz $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy estatedesk

# Every translatable string has its Chinese translation: extract the strings again and list any that are new
# or untranslated (the catalogue is left as it was).
PO := estatedesk/locale/zh_Hans/LC_MESSAGES/django.po
messages-check: $(STAMP)
	@cp $(PO) $(PO).orig
	@cd estatedesk && DEBUG=1 ../$(BIN)/python ../manage.py makemessages -l zh_Hans --no-location --no-obsolete \
		--ignore "tests/*" --ignore "*/tests/*" -v 0
	@status=0; $(BIN)/python scripts/po_status.py || status=$$?; mv $(PO).orig $(PO); \
	if [ $$status -ne 0 ]; then echo "messages-check: the strings above have no Chinese translation" >&2; fi; \
	exit $$status

migrations-check: $(STAMP)
	$(ESTATEDESK) makemigrations --check --dry-run

deploy-check: $(STAMP)
	$(DEPLOY_ENV) $(ESTATEDESK) check --deploy --fail-level WARNING

check: lint typecheck messages-check migrations-check deploy-check test test-pg

# Benchmarks (bench/README.md): a fresh database per product and size, served by gunicorn as in production.
# The peer (django-helpdesk) is installed into build/bench/helpdesk-venv on first use. PostgreSQL is the
# local server of PG_URL's host (databases bench_estatedesk and bench_helpdesk are created when missing).
BENCH_ITEMS ?= 1000000
bench: $(STAMP)
	$(BIN)/python bench/run.py --items $(BENCH_ITEMS) --database sqlite
	$(BIN)/python bench/analytics.py --items $(BENCH_ITEMS) --database sqlite
	$(BIN)/python bench/run.py --items $(BENCH_ITEMS) --database postgres
	$(BIN)/python bench/analytics.py --items $(BENCH_ITEMS) --database postgres

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --items 10000 --database sqlite --quick

# Every demo account's home page, full page at 390 and 1366 px, on a throw-away copy of the demo data.
screenshots: $(STAMP) system-deps messages
	$(BIN)/python scripts/screenshots.py
