# Two commands set everything up on a fresh Linux machine with Python 3.11:
#   make run    install (Python packages; Debian's CJK fonts for the PDF briefing), then start the dashboard on the bundled data
#   make test   install (Python packages and Debian's Chromium/fonts/nginx/poppler-utils), then lint, format check and every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test data check-data bench system-deps run-deps

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

system-deps:
	bash scripts/install-system-deps.sh

# The CJK fonts the PDF briefing embeds (fonts-noto-cjk); never stops `make run` from starting.
run-deps:
	bash scripts/install-system-deps.sh --run

# kpi.serve = `streamlit run app.py`, minus Streamlit's legacy pages/ mode (kpi/web/legacy_pages.py).
run: $(VENV)/.installed run-deps
	$(PY) -m kpi.serve

test: $(VENV)/.installed system-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

data: $(VENV)/.installed
	$(PY) -m kpi.build

check-data: $(VENV)/.installed
	$(PY) -m kpi.build --check

# Not part of `make test`: about ten minutes; figures and method in docs/performance.md.
bench: $(VENV)/.installed system-deps
	$(PY) -m bench
