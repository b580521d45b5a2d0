# make setup    .venv with the pinned environment and fastportal built with -Werror
# make test     setup, then fastportal's test suite on both cores (pytest-xdist), its
#               exhaustive sweeps (every minute of years, every session, every length...)
#               checked on a fixed sample of their items (conftest.sample), then upstream's
#               own suite, its unpatched and patched runs side by side
# make test-long setup, then the sweeps on every item (FASTPORTAL_LONG=1, the tests marked
#               sweep) and the whole-command tests marked long, the property tests' long
#               profile (random bundles, each with its calls, patched against upstream:
#               daily and minute on a core each), then
#               make sanitize and make fuzz-smoke. .ci/run runs make test, then make
#               test-long
# make setup-rustybt  .venv-rustybt on Python 3.12 (pyenv's): rustybt 0.3.3 built from its
#               sdist against NumPy 2's headers (its build requirements pinned by
#               constraints-rustybt-build.txt) and installed without its dependencies, which
#               come from requirements-rustybt.txt at the versions of its own uv.lock
#               (constraints-rustybt.txt); then fastportal, built there. The wheel and the
#               sdist are kept in .cache/
# make test-rustybt  setup-rustybt, then fastportal's differential tests with rustybt as
#               the framework (tests/as_rustybt.py), then rustybt's own history, bar data,
#               data portal and continuous futures tests from its sdist, unpatched and
#               patched side by side
# make profile  setup, then `fastportal profile` on daily, daily-adjusted and minute (out/)
# make bench    setup, then the per-call tables of benchmarks/ and the sweep's (benchmarks/sweep.py)
# make sanitize setup, then the C-level and differential tests against the extension
#               built with AddressSanitizer and UndefinedBehaviorSanitizer (in .sanitize/,
#               apart from the normal build; any finding aborts the run)
# make valgrind setup, then the C-level tests under valgrind's memcheck against the normal
#               build (PYTHONMALLOC=malloc, so that memcheck sees every object's memory);
#               fails on any error or definite leak with a frame in fastportal's _core, and
#               only on those (Python's, NumPy's, SciPy's own reports are counted, not
#               failed on). About 11 minutes; not run by make test nor by CI
# make fuzz     setup, then FUZZ_SECONDS (600) of coverage-guided fuzzing (atheris) of every
#               constructor, method and function of _core, and of history, current,
#               can_trade, is_stale and the portal's windows and spot values with fastportal
#               installed, on the minute and futures bundles (tests/fuzz/fuzz_core.py). With
#               clang: the extension built in .fuzz/ with ASan, UBSan and libFuzzer's
#               coverage counters, so the C code and fastportal's Python are instrumented;
#               without clang: the normal build, fastportal's Python alone instrumented.
#               Corpus kept in .fuzz/corpus; a finding stops the run, its input in
#               .fuzz/crashes/ (replay: the fuzz command with that file instead of the corpus)
# make fuzz-smoke  make fuzz for 60 seconds

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.fastportal-installed
SOURCES := $(wildcard src/*.c include/*.h) setup.py pyproject.toml

.PHONY: setup test test-long test-fastportal test-sweeps test-properties-long test-upstream \
	setup-rustybt test-rustybt sanitize valgrind fuzz fuzz-smoke profile bench clean

setup: $(STAMP)

$(VENV)/.env-installed: constraints.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -r requirements-dev.txt
	touch $@

$(STAMP): $(VENV)/.env-installed $(SOURCES)
	FASTPORTAL_STRICT=1 $(PIP) install --no-build-isolation --no-deps -e .
	touch $@

PYTEST := $(PY) -m pytest -p no:cacheprovider
# both cores; the tests of a module with a costly module-scoped fixture on one of them
# (conftest.py's ONE_WORKER_MODULES and scheduler)
XDIST := -n 2

test: setup test-fastportal test-upstream

test-long: setup test-sweeps test-properties-long sanitize fuzz-smoke

test-fastportal: setup
	$(PYTEST) $(XDIST) -m "not long" tests

test-sweeps: setup
	FASTPORTAL_LONG=1 $(PYTEST) $(XDIST) -m "sweep or long" tests

test-properties-long: setup
	FASTPORTAL_HYPOTHESIS=long $(PYTEST) $(XDIST) tests/test_properties.py

test-upstream: setup
	$(PY) tests/upstream/run.py

PYTHON312 ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)),python3.12)
RUSTYBT := 0.3.3
RVENV := .venv-rustybt
RPY := $(RVENV)/bin/python
RPIP := $(RPY) -m pip --disable-pip-version-check -q
RSDIST := .cache/rustybt-$(RUSTYBT).tar.gz
# PIP_CONSTRAINT, not -c: pip hands it on to the isolated environment the sdist builds in
RBUILD := PIP_CONSTRAINT=$(CURDIR)/constraints-rustybt-build.txt

setup-rustybt: $(RVENV)/.fastportal-installed

$(RSDIST):
	mkdir -p .cache
	$(RBUILD) $(RPIP) download --no-deps --no-binary rustybt rustybt==$(RUSTYBT) -d .cache

$(RVENV)/.env-installed: constraints-rustybt.txt constraints-rustybt-build.txt \
		requirements-rustybt.txt
	test -x $(RPY) || $(PYTHON312) -m venv $(RVENV)
	$(MAKE) $(RSDIST)
	$(RPIP) install -c constraints-rustybt.txt -r requirements-rustybt.txt
	ls .cache/wheels/rustybt-$(RUSTYBT)-*.whl >/dev/null 2>&1 || \
		$(RBUILD) $(RPIP) wheel --no-deps $(RSDIST) -w .cache/wheels
	$(RPIP) install --no-deps --force-reinstall .cache/wheels/rustybt-$(RUSTYBT)-*.whl
	touch $@

$(RVENV)/.fastportal-installed: $(RVENV)/.env-installed $(SOURCES)
	FASTPORTAL_STRICT=1 $(RPIP) install --no-build-isolation --no-deps -e .
	touch $@

# fastportal's differential tests, with rustybt as the framework; test_install and
# test_calendar_lookups check zipline's own patches, the rest its own tooling or the core.
RUSTYBT_TESTS := tests/test_history_daily.py tests/test_history_minute.py \
	tests/test_history_fields.py tests/test_history_partial_day.py \
	tests/test_before_trading_start.py tests/test_continuous_futures.py \
	tests/test_daily_simulation.py tests/test_minute_simulation.py tests/test_spot.py \
	tests/test_spot_continuous.py tests/test_immutability.py tests/test_odd_lists.py \
	tests/test_misuse.py tests/test_properties.py tests/test_calendar.py tests/test_minutes.py \
	tests/test_leaks.py tests/test_threads.py tests/test_processes.py \
	tests/test_profile_frameworks.py tests/test_parquet_bundles.py

test-rustybt: setup-rustybt
	PYTHONPATH=tests $(RPY) -m pytest -p no:cacheprovider $(XDIST) -p as_rustybt -m "not long" \
		$(RUSTYBT_TESTS)
	$(RPY) tests/upstream/run.py --framework rustybt

SANITIZE := .sanitize
# -fno-wrapv: signed overflow is undefined again (Python's own flags pass -fwrapv), so
# UBSan reports it; -fno-sanitize-recover: a report ends the run
SANITIZE_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-wrapv \
	-fno-omit-frame-pointer -g
SANITIZE_PRELOAD = $(shell gcc -print-file-name=libasan.so):$(shell gcc -print-file-name=libubsan.so)
SANITIZE_TESTS := tests/test_core_fuzz.py tests/test_windows_core.py tests/test_spot_core.py \
	tests/test_objects.py tests/test_minutes.py tests/test_calendar.py \
	tests/test_history_core.py tests/test_immutability.py tests/test_spot.py \
	tests/test_history_daily.py tests/test_history_minute.py tests/test_history_partial_day.py \
	tests/test_threads.py

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
	@# an absolute PYTHONPATH: the child processes some tests start in tests/ import this
	@# build too, not the one installed in .venv
	LD_PRELOAD="$(SANITIZE_PRELOAD)" ASAN_OPTIONS=detect_leaks=0 \
		UBSAN_OPTIONS=print_stacktrace=1 PYTHONPATH=$(CURDIR)/$(SANITIZE) $(PYTEST) -q \
		$(XDIST) $(SANITIZE_TESTS)

VALGRIND := .valgrind
VALGRIND_TESTS := tests/test_core_fuzz.py tests/test_windows_core.py tests/test_spot_core.py \
	tests/test_objects.py tests/test_minutes.py tests/test_calendar.py \
	tests/test_history_core.py
# The comparisons with exchange_calendars of every minute (of years, of weeks, at every
# bound) loop in Python over the same C lookups, about ten minutes each under memcheck:
# those of XHKG (a lunch break) over trading minutes stay, the others are left out.
VALGRIND_SKIP := not every_minute_of_years and not every_bound and not some_weeks \
	and not (every_trading_minute and not XHKG)
# --track-origins: an uninitialised value Python trips on is traced to where it was made,
# which may be in _core
MEMCHECK := valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--track-origins=yes --num-callers=50 --xml=yes --xml-file=$(VALGRIND)/memcheck.%p.xml

valgrind: setup
	rm -rf $(VALGRIND) && mkdir -p $(VALGRIND)
	status=0; PYTHONMALLOC=malloc $(MEMCHECK) $(PY) -m pytest -p no:cacheprovider -q \
		-k "$(VALGRIND_SKIP)" $(VALGRIND_TESTS) || status=$$?; \
	$(PY) tests/tools/memcheck_core_errors.py $(VALGRIND)/memcheck.*.xml && exit $$status

FUZZ := .fuzz
FUZZ_SECONDS ?= 600
FUZZ_CLANG := $(shell command -v clang)
FUZZ_CFLAGS := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined \
	-fno-wrapv -fno-omit-frame-pointer -g
# with clang, atheris's libFuzzer with clang's ASan and UBSan runtimes is preloaded: the
# extension's coverage counters reach the fuzzer and its memory errors are reported.
# allocator_may_return_null: a window too big to allocate is a MemoryError, as without ASan
ifneq ($(FUZZ_CLANG),)
ATHERIS_DIR = $(shell $(PY) -c "import atheris; print(atheris.path())")
FUZZ_ENV = LD_PRELOAD=$(ATHERIS_DIR)/asan_with_fuzzer.so \
	ASAN_OPTIONS=detect_leaks=0,allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1
endif
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=60 -rss_limit_mb=8192 -max_len=1024 \
	-print_final_stats=1 -artifact_prefix=$(FUZZ)/crashes/

fuzz: setup
	rm -rf $(FUZZ)/fastportal $(FUZZ)/lib $(FUZZ)/tmp && mkdir -p $(FUZZ)/corpus $(FUZZ)/crashes
	cp -r python/fastportal $(FUZZ)/fastportal
ifneq ($(FUZZ_CLANG),)
	rm -f $(FUZZ)/fastportal/_core*.so
	CC=clang LDSHARED="clang -shared" CFLAGS="$(FUZZ_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" $(PY) setup.py -q \
		build_ext --build-lib $(FUZZ)/lib --build-temp $(FUZZ)/tmp
	cp $(FUZZ)/lib/fastportal/_core*.so $(FUZZ)/fastportal/
else
	@echo "make fuzz: no clang, so the normal build is fuzzed, fastportal's Python alone"
	@echo "instrumented (apt-get install clang for the C code's coverage and sanitizers)"
endif
	$(FUZZ_ENV) PYTHONPATH=$(FUZZ) $(PY) -c \
		"import fastportal._core as c, os; assert c.__file__.startswith(os.path.abspath('$(FUZZ)')), c.__file__"
	@# PYTHONMALLOC=malloc: objects in malloc's blocks, so that ASan sees one used after free
	$(FUZZ_ENV) PYTHONMALLOC=malloc PYTHONPATH=$(FUZZ) $(PY) tests/fuzz/fuzz_core.py \
		$(FUZZ_FLAGS) $(FUZZ)/corpus

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=60

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
	$(PY) -m benchmarks.sweep

clean:
	rm -rf $(VENV) build .cache $(SANITIZE) $(VALGRIND) $(FUZZ) python/*.egg-info \
		python/fastportal/*.so
