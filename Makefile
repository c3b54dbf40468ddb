# The two commands a newcomer needs: `make run` and `make test`. Each first checks the system
# packages it needs (app/system_packages.py, the one list), installing the missing ones with
# apt-get when it can, then creates .venv and installs the project into it when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PACKAGE_CHECKS := packages-serve packages-unit packages-e2e packages-test

.PHONY: run test e2e e2e-gallery unit lint assets css bench clean $(PACKAGE_CHECKS)
# Prerequisites are made in the order written: the package check comes before anything else.
.NOTPARALLEL:

$(PACKAGE_CHECKS): packages-%:
	@$(PYTHON) -m app.system_packages $*

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: packages-serve $(STAMP)
	mkdir -p var
	$(BIN)/portal migrate
	$(BIN)/portal serve

# tests/ runs on every core, a module to a worker (module fixtures are built once); the
# journeys share one live portal and one browser, so they run in one process after it.
test: packages-test $(STAMP) lint
	$(BIN)/python -m pytest tests -n auto --dist loadscope
	$(BIN)/python -m pytest e2e

unit: packages-unit $(STAMP)
	$(BIN)/python -m pytest tests -n auto --dist loadscope

e2e: packages-e2e $(STAMP)
	$(BIN)/python -m pytest e2e

# Every distinct page the journeys reach, as a screenshot: e2e/artifacts/gallery/index.html.
e2e-gallery: packages-e2e $(STAMP)
	E2E_GALLERY=1 $(BIN)/python -m pytest e2e

lint: $(STAMP)
	$(BIN)/ruff check app tests e2e db bench testkit conftest.py
	$(BIN)/ruff format --check app tests e2e db bench testkit conftest.py
	$(BIN)/mypy

# Build-time only (needs Node): assets/build.mjs compiles GOV.UK Frontend's Sass with the
# council typeface (only the rules the portal's templates and scripts use), bundles the
# portal's scripts with the GOV.UK Frontend components they start into one file, copies the
# pinned htmx, and writes each with its Brotli and gzip twins. The results are committed:
# `make run` and `make test` never need Node (a test checks they were built from the sources).
assets: node_modules/.package-lock.json $(STAMP)
	GOVUK_FRONTEND_JINJA_TEMPLATES="$$($(BIN)/python -c 'import govuk_frontend_jinja, pathlib; print(pathlib.Path(govuk_frontend_jinja.__file__).parent / "templates")')" \
		node assets/build.mjs

css: assets

node_modules/.package-lock.json: package.json
	npm ci --no-audit --no-fund || npm install --no-audit --no-fund

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
