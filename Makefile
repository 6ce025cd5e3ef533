# Two entry points, each sets itself up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench screenshots stack-screenshots clean translations check-translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Translations (docs/translations.md): the template from the code (keywords in pyproject.toml's
# [tool.babel]), each language's .po merged with it, the .mo compiled from the .po. The same flags
# for writing and for checking, so a check passes exactly when `make translations` changes nothing.
LOCALE := kiosk_app/locale
POT := $(LOCALE)/kiosk.pot
PO_FILES := $(wildcard $(LOCALE)/*/LC_MESSAGES/kiosk.po)
MO_FILES := $(PO_FILES:.po=.mo)
EXTRACT := $(BIN)/pybabel -q extract -F pyproject.toml --add-location=file --no-wrap --omit-header kiosk_app
UPDATE := $(BIN)/pybabel update -D kiosk -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete --no-wrap \
	--ignore-pot-creation-date

translations: $(STAMP)
	$(EXTRACT) -o $(POT)
	$(UPDATE) -i $(POT)
	$(BIN)/pybabel compile -D kiosk -d $(LOCALE) --statistics

check-translations: $(STAMP)
	$(EXTRACT) -o $(VENV)/extracted.pot
	$(UPDATE) -i $(VENV)/extracted.pot --check

$(LOCALE)/%/LC_MESSAGES/kiosk.mo: $(LOCALE)/%/LC_MESSAGES/kiosk.po | $(STAMP)
	$(BIN)/pybabel compile -D kiosk -d $(LOCALE) -l $*

demo: $(STAMP) $(MO_FILES)
	$(BIN)/kiosk demo

# Two pytest-xdist workers, a test file to each at a time (the machine has two cores; a file's
# module fixtures, such as the built wheel or a running stack, are made once).
PYTEST_WORKERS ?= 2
test: lint $(MO_FILES)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# The code's own rules before any test: ruff (pyproject.toml's [tool.ruff]), the import
# contracts (pyproject.toml's [tool.importlinter]) and the types (pyproject.toml's [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

screenshots: $(STAMP)
	$(BIN)/python -m kiosk_demo.screenshots docs/screenshots

# The real display stack in a Debian 13 root (as root): docs/screenshots/stack/.
stack-screenshots: $(STAMP) $(MO_FILES)
	$(BIN)/python -m tests.deploy.stack_screenshots docs/screenshots/stack

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
