"""OCR of scanned pages with Tesseract (Debian's tesseract-ocr), run as a separate program with
``OMP_THREAD_LIMIT=1``: with OpenMP threads on a 2-core machine it is 5 to 10 times slower
(ENVIRONMENT.md)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from functools import lru_cache
from typing import Protocol

import pypdfium2 as pdfium


class OCRSettings(Protocol):
    """The settings OCR needs (pipeline.settings.Settings, or the parsing process's ReadOptions)."""

    @property
    def tesseract_command(self) -> str: ...
    @property
    def ocr_language(self) -> str: ...
    @property
    def ocr_dpi(self) -> int: ...
    @property
    def ocr_page_timeout_seconds(self) -> float: ...


class OCRFailed(RuntimeError):
    """Tesseract ran but could not read the page (crash, time limit, missing language data)."""


@lru_cache(maxsize=4)
def tesseract_available(command: str) -> bool:
    """True when the Tesseract executable can be found."""
    return shutil.which(command) is not None


def ocr_page(page: pdfium.PdfPage, settings: OCRSettings) -> str:
    """The text Tesseract reads on ``page`` rendered at ``settings.ocr_dpi``."""
    bitmap = page.render(scale=settings.ocr_dpi / 72, grayscale=True)
    try:
        image = bitmap.to_pil()
    finally:
        bitmap.close()
    png = io.BytesIO()
    image.save(png, format="PNG")
    command = [
        settings.tesseract_command,
        "stdin",
        "stdout",
        "-l",
        settings.ocr_language,
        "--dpi",
        str(settings.ocr_dpi),
    ]
    try:
        done = subprocess.run(
            command,
            input=png.getvalue(),
            capture_output=True,
            timeout=settings.ocr_page_timeout_seconds,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OCRFailed(f"Tesseract took longer than {settings.ocr_page_timeout_seconds:.0f} s") from exc
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise OCRFailed(f"Tesseract failed ({last[0]})")
    return done.stdout.decode("utf-8", errors="replace")
