# tracuu: `make run` and `make test` are all a new user needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data
DEMO := demo/archive_demo.jsonl.gz
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test test-slow lint screenshot bench-quality bench-perf bench-extract bench-pdftext bench-ocr bench-scale system-packages clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Build the demo index once (it is rebuilt when the sample changes), then serve it.
demo: install $(DATA)/.demo-built

$(DATA)/.demo-built: $(DEMO) $(BIN)/.installed
	$(BIN)/tracuu --data-dir $(DATA) index import $(DEMO)
	$(BIN)/python -m bench.make_archive_demo --out $(DEMO) --files-into $(DATA)
	touch $@

run: demo
	$(BIN)/tracuu --data-dir $(DATA) serve --host $(HOST) --port $(PORT)

test: install system-packages
	$(BIN)/python -m pytest -m "not slow" -q

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
