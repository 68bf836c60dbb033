# Two commands set everything up: `make run` (venv + install + service) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,train]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/gongkai serve

test: install
	@command -v redis-server >/dev/null && command -v chromium >/dev/null || (apt-get update && apt-get install -y redis-server chromium)
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python -m eval.speed --out docs/benchmarks/speed.md

clean:
	rm -rf $(VENV) build *.egg-info
