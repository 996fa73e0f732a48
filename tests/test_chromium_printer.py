"""Packs printed by one headless Chromium kept for the process: every PDF whole and its own, one
browser for many packs, a browser that died replaced, and no browser left when the process ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline import chromium_printer
from pipeline.chromium_printer import ChromiumPrinter
from pipeline.pack_pdf import chromium_path

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
A4 = (595.0, 842.0)  # points, to the nearest point


def _page_html(title: str, pages: int) -> str:
    sheets = "".join(f'<p style="break-after: page">{title}, sheet {n + 1}</p>' for n in range(pages))
    return f"<html><head><style>@page {{ size: A4 }}</style></head><body>{sheets}</body></html>"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def _read(pdf: Path) -> tuple[int, tuple[float, float], str]:
    document = pdfium.PdfDocument(pdf)
    size = tuple(round(side) for side in document[0].get_size())
    return len(document), (size[0], size[1]), "".join(page.get_textpage().get_text_range() for page in document)


def test_one_browser_prints_pack_after_pack_each_its_own(tmp_path: Path) -> None:
    printer = ChromiumPrinter(str(chromium_path()))
    browsers = []
    try:
        for number in range(3):
            printer.print_to(_page_html(f"Pack {number}", number + 2), tmp_path / f"{number}.pdf", 120)
            browsers.append(printer.browser_pid)
        for number in range(3):
            pages, size, text = _read(tmp_path / f"{number}.pdf")
            assert (pages, size) == (number + 2, A4)
            assert f"Pack {number}, sheet {number + 2}" in text
            assert all(f"Pack {other}," not in text for other in range(3) if other != number)
        assert len(set(browsers)) == 1 and browsers[0] is not None
    finally:
        printer.close()
    assert printer.browser_pid is None
    assert not _alive(browsers[0])
    assert not list(tmp_path.glob("*.partial"))


def test_a_browser_that_died_between_packs_is_replaced(tmp_path: Path) -> None:
    printer = ChromiumPrinter(str(chromium_path()))
    try:
        printer.print_to(_page_html("Before", 1), tmp_path / "before.pdf", 120)
        first = printer.browser_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        printer.print_to(_page_html("After", 1), tmp_path / "after.pdf", 120)
        assert printer.browser_pid not in (None, first)
        assert "After, sheet 1" in _read(tmp_path / "after.pdf")[2]
    finally:
        printer.close()


def test_a_browser_that_crashes_at_start_is_started_once_more(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two processes starting Chromium at once crashed one start in about 50 here."""
    marker, fake = tmp_path / "crashed-once", tmp_path / "chromium"
    fake.write_text(
        f'#!/bin/sh\nif [ ! -e "{marker}" ]; then touch "{marker}"; echo "crashed at start" >&2; exit 5; fi\n'
        f'exec "{chromium_path()}" "$@"\n'
    )
    fake.chmod(0o755)
    printer = ChromiumPrinter(str(fake))
    try:
        printer.print_to(_page_html("Second start", 1), tmp_path / "second.pdf", 120)
    finally:
        printer.close()
    assert marker.exists() and "Second start, sheet 1" in _read(tmp_path / "second.pdf")[2]
    assert "Chromium failed (crashed at start); printing second.pdf with a new one" in caplog.text


def test_a_browser_past_its_lifetime_is_replaced_before_the_next_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept Chromiums stopped answering about three minutes after they started; none lives that long."""
    printer = ChromiumPrinter(str(chromium_path()))
    try:
        printer.print_to(_page_html("Young", 1), tmp_path / "young.pdf", 120)
        first = printer.browser_pid
        printer.print_to(_page_html("Still young", 1), tmp_path / "still.pdf", 120)
        assert printer.browser_pid == first
        monkeypatch.setattr(chromium_printer, "BROWSER_LIFETIME_SECONDS", 0.0)
        printer.print_to(_page_html("Old", 1), tmp_path / "old.pdf", 120)
        assert printer.browser_pid not in (None, first) and not _alive(first)  # type: ignore[arg-type]
        assert "Old, sheet 1" in _read(tmp_path / "old.pdf")[2]
    finally:
        printer.close()


def test_a_browser_left_idle_is_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that stays, such as a Dask worker between batches, keeps no Chromium it does not use."""
    monkeypatch.setattr(chromium_printer, "BROWSER_IDLE_SECONDS", 1.0)
    printer = ChromiumPrinter(str(chromium_path()))
    printer.print_to(_page_html("Last pack", 1), tmp_path / "last.pdf", 120)
    browser = printer.browser_pid
    assert browser is not None
    deadline = time.monotonic() + 20
    while (printer.browser_pid is not None or _alive(browser)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert printer.browser_pid is None and not _alive(browser)
    printer.print_to(_page_html("Next batch", 1), tmp_path / "next.pdf", 120)
    assert "Next batch, sheet 1" in _read(tmp_path / "next.pdf")[2]
    printer.close()


def test_the_browser_ends_with_a_process_that_is_killed(tmp_path: Path) -> None:
    """A reviewing process killed outright runs no clean-up; the browser sees its pipe close."""
    script = (
        "import os, sys; from pathlib import Path\n"
        "from pipeline.chromium_printer import ChromiumPrinter\n"
        "printer = ChromiumPrinter(sys.argv[1])\n"
        "printer.print_to('<p>Killed after this</p>', Path(sys.argv[2]), 120)\n"
        "print(printer.browser_pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(chromium_path()), str(tmp_path / "killed.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL and (tmp_path / "killed.pdf").is_file()
    browser = int(child.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(browser) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(browser)
