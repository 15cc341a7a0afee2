# The two commands of the README. Everything else is a helper of these.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test install install-dev setup browser deploy-tools lint bench messages clean

# --no-compile: Python compiles what is imported on first use; compiling every installed
# file up front doubled the install's time (116 s against 60 s, measured).
# That needs Python allowed to write what it compiled: with PYTHONDONTWRITEBYTECODE set
# (as on the CI machines), every process compiled every module it imported, again (6.9 s
# of CPU for Django's set-up in each worker, beat and test subprocess, 3.5 s with the
# compiled files; measured). __pycache__ is git-ignored.
unexport PYTHONDONTWRITEBYTECODE
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --no-compile -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet --no-compile -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Migrate, install the periodic tasks and load demo data: all idempotent.
setup: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py install_periodic_tasks
	$(PY) manage.py load_demo_data

# Web, worker and beat in the foreground; one Ctrl-C stops all three.
run: setup
	@echo "CourseOps on http://127.0.0.1:8000/admin/  (health: /health/, API docs: /api/docs/)"
	$(VENV)/bin/honcho -f Procfile.dev start

# Chromium for the browser tests; a machine without apt skips them with a message.
browser:
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium could not be installed: browser tests will be skipped")

# docker-compose (Debian's) validates compose.yaml in tests/deploy; without it that test skips.
deploy-tools:
	@command -v docker-compose >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null) || \
		echo "docker-compose could not be installed: the compose file test will be skipped")

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# One test process per core (pytest-xdist): each gets its own database, Redis db and var
# folder (tests/xdist_isolation.py). PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= auto
test: install-dev browser deploy-tools
	$(VENV)/bin/ruff check .
	COURSEOPS_VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: install-dev
	LOG_LEVEL=WARNING $(PY) -m bench $(BENCH)

# Refresh the English catalog from the code and compile it (needs GNU gettext); the .mo is
# committed so that a clean clone needs no gettext.
# English catalog: msgmerge's fuzzy guesses are emptied (a wrong English is worse than the
# Spanish fallback) and obsolete entries dropped. Keep apps free of their own locale/
# folders, or makemessages moves their strings out of this catalog.
messages: install
	$(PY) manage.py makemessages -l en --ignore=var --ignore=bench --ignore=tests --ignore=.venv
	msgattrib --clear-fuzzy --clear-previous --empty --no-obsolete locale/en/LC_MESSAGES/django.po \
		-o locale/en/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages -l en -l es --ignore=var --ignore=.venv

clean:
	rm -rf var/test var/broker var/cache
