# lcsim: `make run` runs the default study, `make test` runs the test suite.
# Both create .venv (Python >= 3.12) from requirements.lock when it is missing
# or stale, so that a fresh clone needs nothing else.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lcsim-installed
# The interpreter that builds the venv: python3.12 on PATH (pyenv's shim picks it
# from .python-version), else a pyenv 3.12 install, else python3.
BASE_PYTHON ?= $(shell for p in "$$(command -v python3.12)" \
	$(HOME)/.pyenv/versions/3.12*/bin/python3.12 "$$(command -v python3)"; do \
	[ -x "$$p" ] && { echo "$$p"; break; }; done)

.PHONY: run test lint bench bench-sweep bench-figures bench-sensitivity lock clean-venv check-python

run: $(STAMP)
	$(VENV)/bin/lcsim run $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py

bench-sweep: $(STAMP)
	$(PY) benchmarks/bench_sweep.py

bench-figures: $(STAMP)
	$(PY) benchmarks/bench_figures.py

bench-sensitivity: $(STAMP)
	$(PY) benchmarks/bench_sensitivity.py

check-python:
	@"$(BASE_PYTHON)" -c 'import sys; v = sys.version_info; \
	sys.exit(0) if v >= (3, 12) else sys.exit( \
	f"lcsim needs Python >= 3.12 (Mesa 3.5 does), but $(BASE_PYTHON) is " \
	f"{v.major}.{v.minor}; install 3.12 (pyenv install 3.12) or set BASE_PYTHON=/path/to/python3.12")'

# Rebuild the venv when it is missing, built by a Python below 3.12, or older
# than the dependency files.
$(STAMP): pyproject.toml requirements.lock | check-python
	@if [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  echo "Removing stale $(VENV) (Python below 3.12)"; rm -rf "$(VENV)"; fi
	@[ -x "$(PY)" ] || "$(BASE_PYTHON)" -m venv "$(VENV)"
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch "$(STAMP)"

# Re-resolve the newest allowed versions into requirements.lock.
lock: check-python
	rm -rf .lock-venv && "$(BASE_PYTHON)" -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[test]'
	{ echo "# Exact versions that \`make\` installs (Python 3.12). Regenerate with \`make lock\`."; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -vi '^lcsim'; } > requirements.lock
	rm -rf .lock-venv

clean-venv:
	rm -rf $(VENV)
