"""The pack's A4 PDF, printed by headless Chromium when it is installed, else by WeasyPrint in a
process of its own (``pipeline.isolated``).

WeasyPrint is pure Python: it took 9 to 11 s of one core for the 80-page pack of a 60-page
strategy, most of a cold review and the main limit on a batch's pages per second; Chromium prints
the same pack in about 2 s, and in about 0.5 s more once it runs (``pipeline.chromium_printer``:
one browser per process, kept). WeasyPrint lays text out through Pango and fontconfig, which crashed
when called from several threads of one process, so it too runs in a child: one that crashes or
runs away is killed alone, and the reviewing process keeps its interpreter lock."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Lock
from typing import NoReturn

from pipeline.chromium_printer import BrowserFailed, ChromiumPrinter
from pipeline.isolated import call_isolated
from pipeline.settings import PackPrinter

logger = logging.getLogger(__name__)
PRINT_TIMEOUT_SECONDS = 900.0  # a pack of several hundred pages on a busy 2-core machine
PRINT_MEMORY_MB = 4096  # WeasyPrint's address space: Pango, fontconfig and the laid-out pages
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_printers: dict[str, ChromiumPrinter] = {}  # by Chromium's path: one browser per process
_printers_lock = Lock()


class PrintFailed(RuntimeError):
    """Chromium ended without writing the PDF."""


def chromium_path() -> str | None:
    """The first Chromium on the PATH under any of its usual names (Debian, Ubuntu, Google's)."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def print_pdf(html: str, target: Path, printer: PackPrinter) -> None:
    """Write ``html`` (self-contained) as a PDF at ``target`` with ``printer`` (the batch's
    ``pack_printer``, not this process's: a Dask worker has its own environment); the whole file
    appears or none does."""
    chromium = chromium_path() if printer != "weasyprint" else None
    if printer == "chromium" and chromium is None:
        raise PrintFailed(f"pack_printer is chromium, but none of {', '.join(CHROMIUM_NAMES)} is on the PATH")
    if chromium:
        try:
            _print_with_chromium(chromium, html, target)
            return
        except PrintFailed as error:
            if printer == "chromium":
                raise
            logger.warning("%s; printing %s with WeasyPrint instead", error, target.name)
    call_isolated(
        "pipeline.pack_pdf:write_pdf",
        {"html": html, "target": str(target)},
        timeout=PRINT_TIMEOUT_SECONDS,
        memory_mb=PRINT_MEMORY_MB,
    )


def chromium_printer(chromium: str) -> ChromiumPrinter:
    """This process's printer for the Chromium at ``chromium``."""
    with _printers_lock:
        if chromium not in _printers:
            _printers[chromium] = ChromiumPrinter(chromium)
        return _printers[chromium]


def start_printer(printer: PackPrinter) -> None:
    """Start the Chromium that ``printer`` will print with, if any, ahead of the first pack."""
    chromium = chromium_path() if printer != "weasyprint" else None
    if chromium:
        chromium_printer(chromium).start()


def _print_with_chromium(chromium: str, html: str, target: Path) -> None:
    try:
        chromium_printer(chromium).print_to(html, target, PRINT_TIMEOUT_SECONDS)
    except (BrowserFailed, OSError) as error:  # OSError: Chromium or bash could not be started
        raise PrintFailed(f"Chromium could not print {target.name}: {error}") from error


def write_pdf(html: str, target: str) -> None:
    """The child's side: the whole file appears at ``target`` or none does."""
    from weasyprint import HTML

    partial = Path(target).with_suffix(".partial")
    with _browser_css_unremarked():
        HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(partial)
    partial.replace(target)


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    """The pack is self-contained, so any fetch WeasyPrint attempts is refused, not followed."""
    raise ValueError(f"the pre-briefing pack loads no external resources (refused {url[:80]!r})")


@contextmanager
def _browser_css_unremarked() -> Iterator[None]:
    """The pack's CSS has rules for browsers (a narrow-screen media query, print-color-adjust for
    printing from Chromium) that WeasyPrint rightly skips for the PDF, warning about each on
    every pack; only its errors are worth a reviewer's screen."""
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
