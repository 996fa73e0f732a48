# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install services ocr run test bench samples train screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch's CPU build first (ENVIRONMENT.md): otherwise sentence-transformers pulls CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# PostgreSQL, Chromium and poppler for the store and browser tests (Debian packages; skipped
# with a message where they cannot be installed).
services:
	bash scripts/ensure-test-services.sh

# Tesseract for scanned pages (without it they are listed as needing OCR).
ocr:
	bash scripts/ensure-test-services.sh tesseract-ocr tesseract-ocr-eng

run: install ocr
	$(VENV)/bin/wgll review corpora/sample --out $(OUT)
	$(VENV)/bin/wgll audit $(OUT) --out $(OUT)/audit

test: install services
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/bench.py

samples: install
	$(PY) corpora/generate_samples.py

train: install
	$(VENV)/bin/wgll train

screenshots: run
	bash scripts/screenshots.sh $(OUT)

clean:
	rm -rf $(OUT) .pytest_cache
