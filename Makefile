# Palaute — the two commands in the README are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/palaute

.PHONY: demo test test-sqlite test-postgres lint format bench messages clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Palaute needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

# Set up, create demo data on SQLite and serve at http://127.0.0.1:$(PORT)/
demo: $(VENV)/.installed
	mkdir -p var
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Set up and run the whole suite (SQLite; set DATABASE_URL for PostgreSQL).
test: $(VENV)/.installed
	@command -v chromium >/dev/null || ( (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: browser tests will be skipped" )
	mkdir -p var
	$(VENV)/bin/pytest -p no:cacheprovider -n auto

test-postgres: $(VENV)/.installed
	DATABASE_URL=$(PG_URL) $(MAKE) test

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy palaute/lib palaute/insights/metrics.py palaute/insights/rollup.py palaute/surveys/definition.py palaute/surveys/submission.py palaute/surveys/publishing.py palaute/text palaute/api palaute/accounts/tokens.py palaute/accounts/forms.py palaute/insights/drivers.py palaute/channels/collect.py palaute/channels/imports.py palaute/channels/import_files.py palaute/channels/import_mapping.py palaute/channels/import_values.py palaute/channels/import_rows.py palaute/channels/import_store.py palaute/channels/kiosk.py palaute/channels/mashing.py palaute/channels/posters.py palaute/channels/interviews.py palaute/channels/import_pipeline.py palaute/testimonials palaute/webhooks palaute/reviews palaute/loop/rules.py palaute/loop/configuration.py palaute/loop/notifications.py palaute/loop/opening.py palaute/loop/owners.py palaute/loop/payloads.py palaute/loop/targets.py palaute/loop/workflow.py palaute/loop/triggers.py palaute/loop/escalation.py palaute/loop/digest.py palaute/loop/inbox.py palaute/loop/casepage.py palaute/loop/replies.py palaute/loop/recovery.py palaute/loop/measures.py palaute/loop/acting_forms.py palaute/loop/acting_views.py palaute/outreach/batches.py palaute/outreach/send_batches.py palaute/outreach/event_imports.py palaute/outreach/contact_ledger.py palaute/outreach/memo.py palaute/outreach/unsubscribe.py palaute/outreach/events_csv.py palaute/outreach/batch_views.py palaute/outreach/dsn.py

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed
	$(PY) bench/dashboard.py
	$(PY) bench/submissions.py
	$(PY) bench/collect.py
	$(PY) bench/imports.py

# Extract UI strings and compile catalogues (needs gettext; the compiled .mo files are committed).
messages: $(VENV)/.installed
	cd palaute && ../$(PY) ../manage.py makemessages -l fi -l en --ignore 'demo/*' && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
