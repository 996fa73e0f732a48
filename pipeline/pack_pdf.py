"""The pack's A4 PDF, printed by headless Chromium when it is installed, else by WeasyPrint in a
process of its own (``pipeline.isolated``).

WeasyPrint is pure Python: it took 9 to 11 s of one core for the 80-page pack of a 60-page
strategy, most of a cold review and the main limit on a batch's pages per second; Chromium prints
the same pack in about 2 s. WeasyPrint lays text out through Pango and fontconfig, which crashed
when called from several threads of one process, so it too runs in a child: one that crashes or
runs away is killed alone, and the reviewing process keeps its interpreter lock."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from pipeline.isolated import call_isolated, wait_in_group
from pipeline.settings import PackPrinter

logger = logging.getLogger(__name__)
PRINT_TIMEOUT_SECONDS = 900.0  # a pack of several hundred pages on a busy 2-core machine
PRINT_MEMORY_MB = 4096  # WeasyPrint's address space: Pango, fontconfig and the laid-out pages
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# The pack is self-contained and holds no script (its text is escaped); Chromium reaches no network
# either: names resolve nowhere, and anything else goes to a proxy that is not there. (Turning
# scripts off, --blink-settings=scriptEnabled=false, stops Chromium printing at all.)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # reviews often run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--no-pdf-header-footer",
    # One process instead of a browser, zygote, renderer and utility processes: the same 2 s, and
    # 400 MiB resident at the peak instead of 1,170 (an 80-page pack).
    "--single-process",
    "--no-zygote",
)


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


def _print_with_chromium(chromium: str, html: str, target: Path) -> None:
    """One Chromium per pack, with a profile of its own (two prints at once share nothing), killed
    with everything it started if it outlives the time limit."""
    with tempfile.TemporaryDirectory(prefix="wgll-print-") as folder:
        page, partial = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder}/profile", f"--print-to-pdf={partial}"]
        process = subprocess.Popen(
            [*command, page.as_uri()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            stderr = wait_in_group(process, PRINT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise PrintFailed(f"Chromium was still printing the pack after {PRINT_TIMEOUT_SECONDS:.0f} s") from None
        if not partial.is_file() or partial.stat().st_size == 0:
            reason = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
            raise PrintFailed(f"Chromium wrote no PDF: {reason[0][:300]}")
        shutil.move(partial, target.with_suffix(".partial"))
        target.with_suffix(".partial").replace(target)


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
