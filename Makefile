# tracuu: `make run` and `make test` are all a new user needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data
DEMO := demo/archive_demo.jsonl.gz
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install lock run demo test test-slow lint screenshot bench-quality bench-perf bench-extract bench-pdftext bench-ocr bench-scale system-packages clean

install: $(BIN)/.installed

# Exact versions from requirements-dev.lock, then tracuu itself (editable) without re-resolving.
$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e '.[test,bench]'
	touch $@

# Re-resolve the dependencies of pyproject.toml in clean venvs and write both lock files.
lock:
	rm -rf .lockvenv && $(PY) -m venv .lockvenv && .lockvenv/bin/pip install --quiet .
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^tracuu' > requirements.lock.new
	rm -rf .lockvenv && $(PY) -m venv .lockvenv && .lockvenv/bin/pip install --quiet '.[test,bench]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^tracuu' > requirements-dev.lock.new
	rm -rf .lockvenv
	(head -2 requirements.lock; cat requirements.lock.new) > requirements.lock.tmp
	(head -2 requirements-dev.lock; cat requirements-dev.lock.new) > requirements-dev.lock.tmp
	mv requirements.lock.tmp requirements.lock && mv requirements-dev.lock.tmp requirements-dev.lock
	rm -f requirements.lock.new requirements-dev.lock.new

# Build the demo index once (it is rebuilt when the sample changes), then serve it.
demo: install $(DATA)/.demo-built

$(DATA)/.demo-built: $(DEMO) $(BIN)/.installed
	$(BIN)/tracuu --data-dir $(DATA) index import $(DEMO)
	$(BIN)/python -m bench.make_archive_demo --out $(DEMO) --files-into $(DATA)
	touch $@

run: demo
	$(BIN)/tracuu --data-dir $(DATA) serve --host $(HOST) --port $(PORT)

# Two processes (pytest-xdist), a test file each at a time: the crawl tests mostly wait on their
# portals' politeness delays, so the suite takes less than its serial time on 2 cores.
# TEST_PROCS=1 runs it in one process (easier to read a failure's output).
TEST_PROCS ?= 2
test: install system-packages
	$(BIN)/python -m pytest -m "not slow" -q $(if $(filter 1,$(TEST_PROCS)),,-n $(TEST_PROCS) --dist loadfile)

# Tesseract (+ Vietnamese), antiword, poppler-utils, DejaVu fonts: installed when root, else
# the one apt-get line is printed and the target fails.
system-packages:
	@bash .ci/system-packages

test-slow: install system-packages
	$(BIN)/python -m pytest -m slow -q

lint: install
	$(BIN)/ruff check indexer search crawl tests bench
	$(BIN)/mypy

# The README screenshots (docs/screenshot.png, docs/screenshot-phone.png): demo index, uvicorn, Chromium.
screenshot: install
	$(BIN)/python -m bench.screenshot

bench-quality: install
	$(BIN)/python -m bench.quality

bench-perf: install
	$(BIN)/python -m bench.perf

bench-extract: install
	$(BIN)/python -m bench.extract

bench-pdftext: install
	$(BIN)/python -m bench.pdftext --out bench/out/pdftext.md

bench-ocr: install system-packages
	$(BIN)/python -m bench.ocr --out bench/out/ocr.md

bench-scale: install
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
