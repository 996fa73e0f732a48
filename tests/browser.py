"""Headless Chromium for tests that check what a page actually renders, not only its markup.

Chromium is found on PATH; if it is missing and ``scripts/ensure-test-services.sh`` exists, that
script is run once to install it. Where neither works, ``require_chromium`` skips the calling test
with a reason that says so, so a machine without a browser still runs the rest of the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENSURE_SCRIPT = ROOT / "scripts" / "ensure-test-services.sh"
CANDIDATES = ("chromium", "chromium-browser")
# Quiet, isolated, offline: no sandbox (tests may run as root), no GPU, no network chatter.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_SECONDS = 90


@dataclass(frozen=True)
class Rendered:
    """What Chromium made of a page: its DOM after parsing and layout, and a PNG of the viewport."""

    dom: str
    screenshot: Path


def _on_path() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


@lru_cache(maxsize=1)
def find_chromium() -> tuple[str | None, str]:
    """The Chromium executable, or None with the reason it is unavailable; tried once a session."""
    found = _on_path()
    if found:
        return found, ""
    if not ENSURE_SCRIPT.is_file():
        return None, f"chromium is not on PATH and {ENSURE_SCRIPT.relative_to(ROOT)} does not exist"
    try:
        result = subprocess.run(
            ["bash", str(ENSURE_SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"chromium is not on PATH and {ENSURE_SCRIPT.name} could not run ({exc})"
    found = _on_path()
    if found:
        return found, ""
    tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, f"chromium is not on PATH after {ENSURE_SCRIPT.name} (exit {result.returncode}: {tail[0]})"


def require_chromium() -> str:
    """The Chromium executable; skips the calling test, visibly, when there is none."""
    executable, reason = find_chromium()
    if executable is None:
        pytest.skip(f"headless Chromium unavailable: {reason}")
    return executable


def _run(executable: str, args: list[str], profile: Path) -> str:
    command = [executable, *FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def render(html_file: Path, out_dir: Path, window: tuple[int, int] = (1200, 2000)) -> Rendered:
    """Open ``html_file`` headless and return the dumped DOM and a screenshot saved in ``out_dir``.
    Each run gets a fresh throwaway profile so no state leaks between tests."""
    executable = require_chromium()
    url = html_file.resolve().as_uri()
    screenshot = out_dir / f"{html_file.stem}.png"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        dom = _run(executable, ["--dump-dom", url], Path(profile))
        _run(
            executable,
            [f"--screenshot={screenshot}", f"--window-size={window[0]},{window[1]}", "--hide-scrollbars", url],
            Path(profile),
        )
    if not screenshot.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {screenshot}")
    return Rendered(dom=dom, screenshot=screenshot)


class Elements(HTMLParser):
    """Counts elements by tag and gathers the visible text of the dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.ids.update(value for name, value in attrs if name == "id" and value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_dom(dom: str) -> Elements:
    """Element counts, ids and visible text of a dumped DOM."""
    parser = Elements()
    parser.feed(dom)
    return parser
