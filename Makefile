# Concurrency Lab. Two commands on a fresh machine (README):
#   make lab    open the course in JupyterLab (127.0.0.1)
#   make test   run every check CI runs
# Both create .venv with `python3 -m venv` and install the project into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     ?= notebooks

.PHONY: lab test venv execute stamp nbval unit lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

# --allow-root only where you are root (a container); never another address.
lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The test matrix (noxfile.py, README "Testing"): every stage, TEST_JOBS of
# them side by side (longest first), then one summary line per stage and
# "stages: N passed, N failed, N skipped". One stage: $(BIN)/nox -s py3.14
TEST_JOBS ?= 2
test: $(STAMP)
	@$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target \
	  $(addprefix stage/,$(shell $(BIN)/python noxfile.py begin)) || true
	@$(BIN)/python noxfile.py summary

stage/%: $(STAMP)
	$(BIN)/nox -s $*

unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser

lint: $(STAMP)
	$(BIN)/ruff check lib tests tools notebooks bench
	$(BIN)/ruff format --check lib tests tools notebooks bench

format: $(STAMP)
	$(BIN)/ruff check --fix lib tests tools notebooks bench
	$(BIN)/ruff format lib tests tools notebooks bench

# Re-stamp badges, setup cells and navigation; re-execute notebooks in place.
#   make execute NB=notebooks/05_race_conditions.ipynb
execute: $(STAMP)
	$(BIN)/python tools/stamp.py
	$(BIN)/python tools/execute.py $(NB)

stamp: $(STAMP)
	$(BIN)/python tools/stamp.py

# One notebook (or all) under nbval, with the start method of your choice:
#   make nbval NB=notebooks/02_the_gil.ipynb CONCLAB_START_METHOD=spawn
nbval: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -p tools.nbval_graceful --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120 $(NB)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv-py* .nox .pytest_cache .ruff_cache test-artifacts
