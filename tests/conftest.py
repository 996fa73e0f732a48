"""Shared fixtures: isolated caches, the bundled sample corpus, and small hostile PDFs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "corpora" / "sample"
FLOW_TESTS = ROOT / "tests" / "flows"


def pytest_configure(config: pytest.Config) -> None:
    cache = Path(os.environ.get("WGLL_TEST_CACHE", ROOT / ".pytest_cache" / "wgll"))
    os.environ.setdefault("WGLL_CACHE_DIR", str(cache / "embeddings"))
    # Each pytest-xdist worker gets its own Prefect database: two ephemeral servers writing one
    # SQLite file wait on each other's locks. The embedding cache is shared (it takes concurrent writers).
    os.environ.setdefault("PREFECT_HOME", str(cache / f"prefect-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # `wgll` run as a subprocess by a test starts no long-lived server (tests/test_server.py tests it)
    os.environ.setdefault("WGLL_PREFECT_SERVER", "ephemeral")
    # The tests' matrices are small: on two cores shared with other work, OpenBLAS threads waiting
    # for each other cost more than they give (a tagger fit: 164 s with them, 33 s without).
    # Read when numpy loads, which no plugin has done yet; torch's own threads are left alone.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as ``slow`` what ``make check`` leaves to the rest of ``make test``, by where a test
    lives rather than by a mark in each file: every test in tests/flows/ (real Prefect flow runs)
    and every tests/test_browser_*.py (Chromium). Elsewhere a slow test carries the mark itself:
    PostgreSQL (test_store.py), Dask and Prefect servers (test_local_dask.py, test_scale_out.py)."""
    for item in items:
        if FLOW_TESTS in item.path.parents or item.path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sample_pdfs() -> list[Path]:
    pdfs = sorted(SAMPLE_DIR.glob("*.pdf"))
    assert len(pdfs) >= 4, "the sample corpus must hold at least 4 PDFs"
    return pdfs


@pytest.fixture(scope="session")
def gold() -> dict[str, dict[str, list[str]]]:
    """The measures each sample document covers and leaves out, keyed by PDF file name."""
    records = [json.loads(p.read_text()) for p in SAMPLE_DIR.glob("*.gold.json")]
    return {r["file"]: r for r in records}


def _write_simple_pdf(path: Path, lines: list[str], encrypt: str | None = None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt, invariant=1)
    y = 780
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 16
    pdf.showPage()
    pdf.save()
    return path


def write_blank_pdf(path: Path) -> Path:
    """A valid PDF of one page with nothing on it."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    document.save(path)
    return path


@pytest.fixture(scope="session")
def bad_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One file per error code of the contract that can be made on the spot."""
    folder = tmp_path_factory.mktemp("bad")
    good = _write_simple_pdf(folder / "good-source.pdf", ["Our shared care record goes live in 2025."])
    corrupt = folder / "corrupt.pdf"
    data = good.read_bytes()
    corrupt.write_bytes(data[:40] + b"\x00garbage\x00" * 50)
    not_pdf = folder / "minutes.pdf"
    not_pdf.write_text("These are board minutes saved as a Word file and renamed.\n")
    empty = folder / "empty.pdf"
    empty.write_bytes(b"")
    scanned = folder / "scanned.pdf"
    from reportlab.pdfgen import canvas

    blank = canvas.Canvas(str(scanned), invariant=1)
    blank.rect(100, 100, 200, 200, fill=1)
    blank.showPage()
    blank.save()
    return {
        "encrypted": _write_simple_pdf(folder / "encrypted.pdf", ["Secret strategy"], encrypt="s3cret"),
        "corrupt": corrupt,
        "not_pdf": not_pdf,
        "empty": empty,
        "no_text": scanned,
    }
