# tb-overfit: `make run` (demo logs + TensorBoard with the OVERFIT tab), `make test` (everything).
VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
PORT    ?= 6006
LOGDIR  ?= demo_logs

.PHONY: run install demo-logs test lint system-deps bench clean

$(PYTHON):
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

# setuptools copies the package through build/: a stale copy would put removed modules back in the wheel.
install: $(PYTHON)
	rm -rf build
	$(PYTHON) -m pip install --quiet ".[demo]"

demo-logs: install
	$(PYTHON) demo/write_logs.py --logdir $(LOGDIR)

run: demo-logs
	@echo ""
	@echo "  OVERFIT tab: http://localhost:$(PORT)/#overfit   (Ctrl+C to stop)"
	@echo ""
	$(VENV)/bin/tensorboard --logdir $(LOGDIR) --port $(PORT)

# Headless Chromium and its driver (browser tests) and Node.js (the tab's unit tests), from
# Debian when missing (needs root); without them those tests are skipped with a note.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || missing="chromium chromium-driver"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: $$missing missing and not root: the browser or node tests will be skipped"; fi

# The package is installed non-editable, as a user gets it; pytest (not `python -m
# pytest`) keeps the source tree off sys.path so the installed wheel is what is tested.
test: $(PYTHON) system-deps
	rm -rf build
	$(PYTHON) -m pip install --quiet ".[test]"
	$(MAKE) --no-print-directory lint
	@if command -v node >/dev/null; then node --test frontend/tests/; \
	else echo "note: node not found: the tab's unit tests (frontend/tests) were skipped"; fi
	@# axe-core (package.json, test only): the browser test's accessibility check reads node_modules/axe-core.
	@if command -v npm >/dev/null; then npm install --no-audit --no-fund --silent; \
	else echo "note: npm not found: the accessibility check (axe-core) will be skipped"; fi
	@# ESLint (eslint.config.mjs: frontend/ and benchmarks/*.mjs, @eslint/js recommended rules; package.json, test only).
	@if command -v npm >/dev/null; then npx --no-install eslint .; \
	else echo "note: npm not found: the ESLint check of frontend/ was skipped"; fi
	$(VENV)/bin/pytest -q tests

# Style and type checks (pyproject.toml): ruff's lint and format check on every Python file, mypy on the package.
lint: $(PYTHON)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# tbparse: the reference script the CLI is compared with (benchmark only, not a dependency).
# bench_browser.py: headless Chromium timings (skipped with a note without Chromium).
bench: install
	$(PYTHON) -m pip install --quiet tbparse
	$(PYTHON) benchmarks/bench.py
	$(PYTHON) benchmarks/bench_browser.py
	@if command -v node >/dev/null; then node benchmarks/leaderboard_bench.mjs; fi

clean:
	rm -rf build dist *.egg-info $(LOGDIR)
