# Two commands set everything up: `make run` (venv + runtime install + service) and `make test`.
# `make run` installs only what extraction and the service need (no torch, no test stack);
# `make test` adds the test/train/eval extras and the system packages the tests use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.run-$(SUM)
TEST_STAMP := $(VENV)/.test-$(SUM)
# redis-server: the Celery test; chromium: the browser test; fonts: the synthetic PDF/scan renderers
# and the OCR tests (fonts-wqy-zenhei is the one they draw with; arphic-uming adds a serif face)
SYSTEM_PACKAGES := redis-server chromium fonts-wqy-zenhei fonts-arphic-uming
SYSTEM_CHECK := command -v redis-server >/dev/null && command -v chromium >/dev/null \
	&& test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc && test -f /usr/share/fonts/truetype/arphic/uming.ttc

.PHONY: install install-test system run test bench clean bytecode

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	$(MAKE) -s bytecode
	rm -f $(VENV)/.run-*; touch $(RUN_STAMP)

# An editable install leaves the repository's modules uncompiled; where a process may not write
# bytecode (PYTHONDONTWRITEBYTECODE, a read-only checkout) every start compiled them from source
# (~0.1 s of each `gongkai extract`). Stale files are harmless: Python checks the source's mtime.
bytecode:
	$(BIN)/python -m compileall -q -j 0 gongkai extraction models service eval training >/dev/null

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install -q -e '.[test,train,eval]'
	rm -f $(VENV)/.test-*; touch $(TEST_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP) system

system:
	@$(SYSTEM_CHECK) || (apt-get update && apt-get install -y --no-install-recommends $(SYSTEM_PACKAGES))

run: install
	$(BIN)/gongkai serve

test: install-test
	$(BIN)/python -m pytest -q

bench: install-test
	$(MAKE) -s bytecode  # sources edited since the install: start-up figures without compiling them
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python -m gongkai.eval.speed --out docs/benchmarks/speed.md

clean:
	rm -rf $(VENV) build *.egg-info
