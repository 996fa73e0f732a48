# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out
# The tested dependency set, every package pinned with its hashes (`make lock` refreshes it).
LOCK := requirements.lock
# torch's CPU build lies on this machine's disk (ENVIRONMENT.md); PyPI has only CUDA builds.
WHEELS ?= /opt/wheels
TORCH := torch==2.13.0+cpu
# The real-world batch in `make test-slow` (CI) reviews the corpus files of at most this many pages.
REALWORLD_SAMPLE_PAGES ?= 90
# Tests run in this many pytest-xdist processes, a test file to a process (its module fixtures,
# such as a reviewed batch, are made once). Two halves the slow suite's time on 2 cores.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

.PHONY: install lock check test test-slow services ocr run bench samples train screenshots clean

# Exactly what CI tested: the lock's files, checked against their hashes, and nothing resolved
# (--no-deps), so no package can pull another release of anything, nor torch's CUDA build.
# uv installs the set several times faster than pip (2 min -> 20 s here); uv itself is the lock's
# own pin, hash-checked, installed by pip. Bytecode is compiled once here (45 s): where
# PYTHONDONTWRITEBYTECODE is set, as in this workplace's shells, Python would otherwise compile
# every module again in every new process (importing the review flow took 9.8 s against 3.6 s).
$(STAMP): $(LOCK) pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	awk '/^uv==/{p=1} p{print} p&&!/\\$$/{exit}' $(LOCK) > $(VENV)/uv-requirement.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(VENV)/bin/uv pip install --python $(PY) --quiet --compile-bytecode --require-hashes --no-deps --find-links $(WHEELS) -r $(LOCK)
	$(VENV)/bin/uv pip install --python $(PY) --quiet --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

# Rewrites the lock from pyproject.toml (the project's dependencies and its dev extra): pins that
# still fit are kept and anything new is added; `make lock UPGRADE=1` moves every package to its
# newest release. Then `make install` installs the new set.
lock:
	test -x $(VENV)/bin/uv || { test -x $(PY) || python3 -m venv $(VENV); $(PY) -m pip install --quiet uv; }
	echo "$(TORCH)" | $(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
		--python $(PY) --find-links $(WHEELS) --constraint /dev/stdin $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" --quiet --output-file $(LOCK)

# The quick loop, under 3 minutes from a built venv: lint, format and types against the baseline
# of older errors (scripts/static_checks.py), then every test not marked slow.
check: install
	$(PY) scripts/static_checks.py
	$(PYTEST) -m "not slow"

# The rest of the suite after `make check` (CI): the real-world batch on a sample of the corpus.
test-slow: install services
	$(PY) scripts/realworld_sample.py $(CURDIR)/.pytest_cache/realworld-sample --max-pages $(REALWORLD_SAMPLE_PAGES)
	WGLL_REALWORLD_PDFS=$(CURDIR)/.pytest_cache/realworld-sample $(PYTEST) -m slow

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

# The whole suite, the whole real-world corpus included.
test: install services
	$(PYTEST)

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
