# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED_PAGES := ../shared/corpus/pages
SOURCE ?= $(if $(wildcard $(SHARED_PAGES)),$(SHARED_PAGES),samples/pages)
INDEX ?= index
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test venv lint format index clean opensearch

$(BIN)/sandhan: pyproject.toml
	bash scripts/system-deps.sh build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/sandhan

run: venv
	@# A missing index, one an older version built, or one whose files are damaged is rebuilt first.
	@$(BIN)/sandhan index verify --index $(INDEX) >/dev/null 2>&1 || $(BIN)/sandhan index rebuild --source $(SOURCE) --index $(INDEX)
	$(BIN)/sandhan serve --index $(INDEX) --host $(HOST) --port $(PORT)

index: venv
	$(BIN)/sandhan index rebuild --source $(SOURCE) --index $(INDEX)

test: venv
	bash scripts/system-deps.sh browser
	bash scripts/system-deps.sh opensearch
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# A local single OpenSearch node (in .opensearch/) to try the cluster store: see README.
opensearch: venv
	bash scripts/system-deps.sh opensearch
	$(BIN)/python tests/opensearch_node.py --data .opensearch

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(INDEX)/generations $(INDEX)/CURRENT
