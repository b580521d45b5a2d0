# make setup    .venv with the pinned environment and fastportal built with -Werror
# make test     setup, then the whole test suite (fastportal's, then upstream's own), then
#               make sanitize
# make profile  setup, then `fastportal profile` on daily, daily-adjusted and minute (out/)
# make bench    setup, then the per-call tables of benchmarks/
# make sanitize setup, then the C-level and differential tests against the extension
#               built with AddressSanitizer and UndefinedBehaviorSanitizer (in .sanitize/,
#               apart from the normal build; any finding aborts the run)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.fastportal-installed
SOURCES := $(wildcard src/*.c include/*.h) setup.py pyproject.toml

.PHONY: setup test test-fastportal test-upstream sanitize profile bench clean

setup: $(STAMP)

$(VENV)/.env-installed: constraints.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -r requirements-dev.txt
	touch $@

$(STAMP): $(VENV)/.env-installed $(SOURCES)
	FASTPORTAL_STRICT=1 $(PIP) install --no-build-isolation --no-deps -e .
	touch $@

test: setup test-fastportal test-upstream sanitize

test-fastportal: setup
	$(PY) -m pytest -p no:cacheprovider tests

test-upstream: setup
	$(PY) tests/upstream/run.py

SANITIZE := .sanitize
# -fno-wrapv: signed overflow is undefined again (Python's own flags pass -fwrapv), so
# UBSan reports it; -fno-sanitize-recover: a report ends the run
SANITIZE_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-wrapv \
	-fno-omit-frame-pointer -g
SANITIZE_PRELOAD = $(shell gcc -print-file-name=libasan.so):$(shell gcc -print-file-name=libubsan.so)
SANITIZE_TESTS := tests/test_core_fuzz.py tests/test_windows_core.py tests/test_spot_core.py \
	tests/test_objects.py tests/test_minutes.py tests/test_calendar.py \
	tests/test_history_core.py tests/test_immutability.py tests/test_spot.py \
	tests/test_history_daily.py tests/test_history_minute.py tests/test_history_partial_day.py

sanitize: setup
	rm -rf $(SANITIZE) && mkdir -p $(SANITIZE)
	cp -r python/fastportal $(SANITIZE)/fastportal
	rm -f $(SANITIZE)/fastportal/_core*.so
	CFLAGS="$(SANITIZE_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" $(PY) setup.py -q \
		build_ext --build-lib $(SANITIZE)/lib --build-temp $(SANITIZE)/tmp
	cp $(SANITIZE)/lib/fastportal/_core*.so $(SANITIZE)/fastportal/
	LD_PRELOAD="$(SANITIZE_PRELOAD)" ASAN_OPTIONS=detect_leaks=0 \
		UBSAN_OPTIONS=print_stacktrace=1 PYTHONPATH=$(SANITIZE) $(PY) -c \
		"import fastportal._core as c, os; assert c.__file__.startswith(os.path.abspath('$(SANITIZE)')), c.__file__"
	LD_PRELOAD="$(SANITIZE_PRELOAD)" ASAN_OPTIONS=detect_leaks=0 \
		UBSAN_OPTIONS=print_stacktrace=1 PYTHONPATH=$(SANITIZE) $(PY) -m pytest \
		-p no:cacheprovider -q $(SANITIZE_TESTS)

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
	rm -rf $(VENV) build .cache $(SANITIZE) python/*.egg-info python/fastportal/*.so
