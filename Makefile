# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYBABEL := $(PY) -m babel.messages.frontend
STAMP := $(VENV)/.installed-stamp

export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home
export SURVEY_DATABASE ?= $(CURDIR)/var/responses.db
export ANALYSIS_DATABASE ?= $(CURDIR)/var/analysis.db

.PHONY: run test install compile translations check-translations seed materialize screenshots bench profile clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

# Compiled catalogs (.mo) are build output; the .po files are the source.
compile: install
	$(PYBABEL) compile --statistics -d translations

# Re-extract every string (templates, Python, survey YAML) and merge into the Welsh catalog.
translations: install
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
		--project Llais --copyright-holder "Llais" -o translations/messages.pot .
	$(PYBABEL) update -i translations/messages.pot -d translations -l cy \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

check-translations: install
	$(PY) -m pytest -q tests/test_translations.py

$(DAGSTER_HOME)/dagster.yaml: dagster_project/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp $< $@

# Demo data so a newcomer can materialise every asset at once; skipped once responses exist.
seed: install $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m etl.synthetic --database $(SURVEY_DATABASE) --survey drugs-review --count 400 --if-empty

run: compile seed
	@echo "Survey:    http://127.0.0.1:5000"
	@echo "Dagster:   http://127.0.0.1:3000"
	@# Dagster runs in the foreground, so Ctrl-C reaches it (a command started with & in a script
	@# ignores Ctrl-C, and Dagster makes SIGTERM do what SIGINT does, so it would ignore both); when it
	@# has shut down, or this shell is interrupted, the survey is stopped too.
	@$(VENV)/bin/flask --app survey_app run --host 127.0.0.1 --port 5000 & survey=$$!; \
	trap 'kill $$survey 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/dagster dev -m dagster_project --host 127.0.0.1 --port 3000

# Materialise every asset from the command line (the UI does the same).
materialize: compile seed
	$(VENV)/bin/dagster asset materialize -m dagster_project --select '*'


test: compile
	$(PY) -m pytest

# Screenshots of every page in both languages, phone and desktop, for a person to review.
screenshots: compile
	$(PY) -m pytest -q -m screenshots tests/test_browser_screenshots.py
	@echo "Screenshots in var/screenshots/"

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@touch $@

# Intake, storage and ETL benchmarks; figures in var/bench/results.md (timings never go in tests/).
bench: compile $(BENCH_STAMP)
	$(PY) -m benchmarks.run

# Where the ETL spends its time, as a pyinstrument report (needs `make bench` to have made the data).
profile: $(BENCH_STAMP)
	$(PY) -m pyinstrument -r html -o var/bench/etl-profile.html -m benchmarks.profile_etl

clean:
	rm -rf $(VENV) var .pytest_cache
