# The README's two commands: `make run` and `make test`. Each does all the set-up a
# fresh machine with only python3 needs (virtualenv, install, migrations). The virtualenv
# gets requirements-dev.txt (runtime + test tools); production installs requirements.txt alone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test install migrate demo lint bench clean translations training-corpora

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The interface's message catalogues (translations/<language>/LC_MESSAGES/messages.po), compiled.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(STAMP) $(CATALOGUES)

# After adding _() strings: the template a translator starts from (translations/messages.pot).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -o translations/messages.pot --no-location --omit-header .

migrate: install
	$(BIN)/alembic upgrade head

run: migrate
	$(BIN)/gunicorn -c gunicorn.conf.py "webhook_handler:create_app()"

# The suite runs in TEST_WORKERS parallel pytest-xdist workers (one per core by default; each has
# its own PostgreSQL database beside TEST_DATABASE_URL's); TEST_WORKERS=0 runs it in one process.
# Whole modules go to the workers in collection order, the system runs first (tests/conftest.py),
# so the run does not end with one worker alone on a long module.
# The twenty slowest tests are listed at the end of every run (where the suite's time goes).
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=20 $(PYTEST_ARGS)

# `make demo URL=http://host:port` posts to an app elsewhere (default http://127.0.0.1:8000).
demo: install
	$(BIN)/flask --app webhook_handler demo-webhook $(if $(URL),--url "$(URL)")

# After adding or changing a development set (tests/data/intents_dev*.tsv): the copy the intent model
# learns from, rules/intent_training.tsv (a test fails while the two differ).
training-corpora: install
	$(BIN)/python tests/support/build_training_corpora.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
