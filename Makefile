# Concurrency Lab. Two commands on a fresh machine (README):
#   make lab    open the course in JupyterLab (127.0.0.1); Ctrl-C twice stops it
#   make test   run every check CI runs
# `make lab` installs only what teaching needs (pyproject's `lab` extra) into
# .venv-lab; `make test` the development set (`dev`) into .venv. Both use
# `python3 -m venv` (Debian/Ubuntu: apt install python3-venv).
#   make site    the website, from the stored notebooks (build/site/)
#   make slides  a reveal.js deck of every notebook (build/slides/)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_VENV  ?= .venv-lab
LAB_BIN   := $(LAB_VENV)/bin
LAB_STAMP := $(LAB_VENV)/.installed
NPM    ?= npm
NODE_STAMP := site/node_modules/.installed
NB     ?= notebooks

.PHONY: lab test venv execute stamp nbval unit lint format bench clean \
	site site-check slides

# $(call install-venv,FOLDER,EXTRA): a venv with the library and one extra
define install-venv
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1) || { rm -rf $(1); \
	  echo "make: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: sudo apt install python3-venv" >&2; \
	  exit 1; }
	$(1)/bin/python -m pip install -q --upgrade pip
	$(1)/bin/python -m pip install -q -e ".[$(2)]"
	@touch $(1)/.installed
endef

$(STAMP): pyproject.toml
	$(call install-venv,$(VENV),dev)

$(LAB_STAMP): pyproject.toml
	$(call install-venv,$(LAB_VENV),lab)

venv: $(STAMP)

# The library, JupyterLab, ipykernel and jupyterlab-rise: no test tooling.
# --allow-root only where you are root (a container); never another address.
lab: $(LAB_STAMP)
	$(LAB_BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The test matrix (noxfile.py, README "Testing"), in three phases: the
# free-threaded stage alone; the stages whose nbval compares outputs; the
# browser stage beside the stages that compare none. The stages of a phase
# start together; their pytest processes share a few slots, the longest
# first (noxfile.py, Slots; TEST_SLOTS=N for N at once). Then one summary
# line per stage and "stages: N passed, N failed, N skipped". One stage:
# $(BIN)/nox -s py3.14
TEST_SLOTS ?=
test: $(STAMP)
	@$(BIN)/python noxfile.py begin
	@for phase in 0 1 2; do \
	  stages=$$($(BIN)/python noxfile.py phase $$phase | sed 's|[^ ][^ ]*|stage/&|g'); \
	  [ -z "$$stages" ] || CONCLAB_TEST_SLOTS=$(TEST_SLOTS) $(MAKE) --no-print-directory \
	    -k -j$$(echo $$stages | wc -w) --output-sync=target $$stages || true; done
	@$(BIN)/python noxfile.py summary

stage/%: $(STAMP)
	$(BIN)/nox -s $*

unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser

lint: $(STAMP)
	$(BIN)/ruff check lib tests tools notebooks bench site conftest.py noxfile.py
	$(BIN)/ruff format --check lib tests tools notebooks bench site conftest.py noxfile.py
	$(BIN)/mypy lib

format: $(STAMP)
	$(BIN)/ruff check --fix lib tests tools notebooks bench site conftest.py
	$(BIN)/ruff format lib tests tools notebooks bench site conftest.py

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

# mystmd and reveal.js from npm, pinned by site/package-lock.json; they run on
# this machine's Node and download nothing while building.
$(NODE_STAMP): site/package.json site/package-lock.json
	cd site && $(NPM) ci --no-audit --no-fund
	@touch $(NODE_STAMP)

# The website (Jupyter Book 2 / mystmd): build/site/. SITE_BASE_URL=/name
# when it is served under a sub-path (GitHub Pages: .github/workflows/pages.yml).
site: $(LAB_STAMP) $(NODE_STAMP)
	$(LAB_BIN)/python tools/website.py $(if $(SITE_BASE_URL),--base-url $(SITE_BASE_URL))

# The same build, strict: a broken link, a missing page or any mystmd warning fails.
site-check: $(LAB_STAMP) $(NODE_STAMP)
	$(LAB_BIN)/python tools/website.py --strict $(if $(SITE_BASE_URL),--base-url $(SITE_BASE_URL))

# reveal.js decks of the stored notebooks, offline: build/slides/
#   make slides NB=notebooks/05_race_conditions.ipynb
slides: $(LAB_STAMP) $(NODE_STAMP)
	$(LAB_BIN)/python tools/slides.py $(filter-out notebooks,$(NB))

clean:
	rm -rf $(VENV) $(LAB_VENV) .venv-py* .nox .pytest_cache .ruff_cache \
	  test-artifacts build site/node_modules
