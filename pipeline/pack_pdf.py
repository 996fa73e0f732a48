"""The pack's A4 PDF, printed by WeasyPrint in a process of its own (``pipeline.isolated``).

WeasyPrint is pure Python and lays text out through Pango and fontconfig, which crashed when called
from several threads of one process: in the reviewing process, a 60-page strategy's pack (9 to 11 s)
held the interpreter lock, and the other review thread's stages waited. In a process of its own, a
print leaves the reviewing process free, and one that crashes or runs away is killed alone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from pipeline.isolated import call_isolated

PRINT_TIMEOUT_SECONDS = 900.0  # a pack of several hundred pages on a busy 2-core machine
PRINT_MEMORY_MB = 4096  # address space: Pango, fontconfig and the laid-out pages


def print_pdf(html: str, target: Path) -> None:
    """Write ``html`` (self-contained) as a PDF at ``target``, in a child process."""
    call_isolated(
        "pipeline.pack_pdf:write_pdf",
        {"html": html, "target": str(target)},
        timeout=PRINT_TIMEOUT_SECONDS,
        memory_mb=PRINT_MEMORY_MB,
    )


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
