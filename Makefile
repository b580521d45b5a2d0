# make setup    .venv with the pinned environment and fastportal built with -Werror
# make test     setup, then the whole test suite (fastportal's, then upstream's own)
# make profile  setup, then `fastportal profile` on daily, daily-adjusted and minute (out/)
# make bench    setup, then the per-call tables of benchmarks/

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.fastportal-installed
SOURCES := $(wildcard src/*.c include/*.h) setup.py pyproject.toml

.PHONY: setup test test-fastportal test-upstream profile bench clean

setup: $(STAMP)

$(VENV)/.env-installed: constraints.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -r requirements-dev.txt
	touch $@

$(STAMP): $(VENV)/.env-installed $(SOURCES)
	FASTPORTAL_STRICT=1 $(PIP) install --no-build-isolation --no-deps -e .
	touch $@

test: setup test-fastportal test-upstream

test-fastportal: setup
	$(PY) -m pytest -p no:cacheprovider tests

test-upstream: setup
	$(PY) tests/upstream/run.py

profile: setup
	$(VENV)/bin/fastportal profile --scenario daily --out out/daily --cache .cache/bundles
	$(VENV)/bin/fastportal profile --scenario daily-adjusted --out out/daily-adjusted \
		--cache .cache/bundles
	$(VENV)/bin/fastportal profile --scenario minute --out out/minute --cache .cache/bundles
	$(VENV)/bin/fastportal profile --scenario futures --out out/futures --cache .cache/bundles

bench: setup
	$(PY) -m benchmarks.micro
	$(PY) -m benchmarks.minute
	$(PY) -m benchmarks.forms
	$(PY) -m benchmarks.calendar
	$(PY) -m benchmarks.spot

clean:
	rm -rf $(VENV) build .cache python/*.egg-info python/fastportal/*.so
