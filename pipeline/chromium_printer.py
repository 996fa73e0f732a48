"""One headless Chromium per process, kept for every pack it prints, driven over the DevTools
protocol on a pair of pipes (``--remote-debugging-pipe``: no port that another local user could
reach).

Chromium's start-up is most of a print: about 1.1 s of CPU of the 1.4 s a 26-page pack took with
one Chromium per pack, against about 0.5 s per pack in a browser that stays. Six packs printed by
one browser came out the same as by six (the same pages, text and rendering). Its caches are
purged after every print (a simulated, moderate memory-pressure signal): without that the browser
grew from 365 to 535 MiB over 24 packs; with it, it stays at 340-410, what one print took before.

When the reviewing process ends, however it ends, the pipe closes and Chromium exits with it.
A browser that fails or outlives a print's time limit is killed. A print whose browser failed, at
start or since its last print, is tried once more with a new one (two processes starting Chromium
at the same moment crashed one start in about 50). A browser is replaced once it has run for a
minute, and closed after a minute without a print."""

from __future__ import annotations

import atexit
import base64
import fcntl
import json
import logging
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.isolated import kill_group

logger = logging.getLogger(__name__)

# The pack is self-contained and holds no script (its text is escaped); Chromium reaches no network
# either: names resolve nowhere, and anything else goes to a proxy that is not there. (Turning
# scripts off, --blink-settings=scriptEnabled=false, stopped Chromium printing at all.)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # reviews often run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    # One process instead of a browser, zygote, renderer and utility processes: the same speed,
    # and 400 MiB resident at the peak instead of 1,170 (an 80-page pack). It serves one page.
    "--single-process",
    "--no-zygote",
)
# A browser this old is replaced before its next print. In one process, Chromium stopped answering
# about three minutes after it started (170-210 s, idle or busy, on every try here, whatever
# features were turned off), so no browser is given the chance.
BROWSER_LIFETIME_SECONDS = 60.0
BROWSER_IDLE_SECONDS = 60.0  # and a browser not asked to print for this long is closed
# As the pack's own CSS says: A4 from its @page rule, backgrounds where it asks for them.
PDF_OPTIONS = {"preferCSSPageSize": True, "displayHeaderFooter": False, "printBackground": False}


class BrowserFailed(RuntimeError):
    """Chromium ended, answered with an error, or took longer than the time limit."""


class BrowserTimedOut(BrowserFailed):
    """The print took longer than its time limit."""


class ChromiumPrinter:
    """A Chromium started on first use and reused; one print at a time (it serves one page)."""

    def __init__(self, chromium: str) -> None:
        self._chromium = chromium
        self._lock = threading.Lock()
        self._browser: _Browser | None = None
        self._idle: threading.Timer | None = None
        atexit.register(self.close)

    def print_to(self, html: str, target: Path, timeout: float) -> None:
        """Write ``html`` as a PDF at ``target``, whole or not at all."""
        with self._lock, tempfile.TemporaryDirectory(prefix="wgll-print-") as folder:
            page = Path(folder) / "pack.html"
            page.write_text(html, encoding="utf-8")
            deadline = time.monotonic() + timeout
            try:
                pdf = self._print_page(page.as_uri(), deadline)
            except BrowserFailed as error:  # died since its last print, or at start: once more
                if isinstance(error, BrowserTimedOut):
                    raise
                logger.warning("Chromium failed (%s); printing %s with a new one", error, target.name)
                pdf = self._print_page(page.as_uri(), deadline)
            self._close_when_idle()
        partial = target.with_suffix(".partial")
        partial.write_bytes(pdf)
        partial.replace(target)

    def start(self) -> None:
        """Start the browser now, so that the first pack does not wait for it (about 0.7 s)."""
        with self._lock:
            self._browser = self._browser or _Browser(self._chromium)
            self._close_when_idle()

    @property
    def browser_pid(self) -> int | None:
        """The running browser's process id, None before the first print or after a failure."""
        browser = self._browser
        return browser.pid if browser else None

    def close(self) -> None:
        with self._lock:
            self._close_browser()

    def _print_page(self, url: str, deadline: float) -> bytes:
        """With the running browser, or a new one; a browser that fails is closed and forgotten."""
        if self._browser is not None and self._browser.age > BROWSER_LIFETIME_SECONDS:
            self._close_browser()
        browser, self._browser = self._browser or _Browser(self._chromium), None
        try:
            pdf = browser.print_page(url, deadline)
        except BaseException:
            browser.close()
            raise
        self._browser = browser
        return pdf

    def _close_when_idle(self) -> None:
        """A process that stays (a Dask worker between batches) keeps no browser it does not use."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(BROWSER_IDLE_SECONDS, self.close)
        self._idle.daemon = True
        self._idle.start()

    def _close_browser(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None


class _Browser:
    """The Chromium process and its protocol session with its one page."""

    def __init__(self, chromium: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="wgll-chromium-")
        # Chromium reads commands from descriptor 3 and writes answers to 4; bash moves the pipes
        # there (dash, Debian's sh, names no descriptor above 9).
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
        for fd in (to_browser, from_browser):
            os.close(fd)
        moves = f"3<&{theirs[0]} 4>&{theirs[1]} {theirs[0]}<&- {theirs[1]}>&-"
        command = [
            *CHROMIUM_FLAGS,
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}/profile",
            "about:blank",
        ]
        self._stderr = Path(self._profile) / "stderr.txt"
        try:
            with self._stderr.open("wb") as stderr:
                self._process = subprocess.Popen(
                    [shutil.which("bash") or "/bin/bash", "-c", f'exec "$0" "$@" {moves}', chromium, *command],
                    pass_fds=theirs,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,
                )
        except BaseException:  # no browser: nothing of it is kept
            for fd in (self._commands, self._answers):
                os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        self._started = time.monotonic()
        self._unread = b""
        self._events: list[dict[str, Any]] = []
        self._last_id = 0
        self._session: str | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def age(self) -> float:
        return time.monotonic() - self._started

    def print_page(self, url: str, deadline: float) -> bytes:
        session = self._session or self._attach(deadline)
        self._events.clear()
        loader = self._call("Page.navigate", {"url": url}, deadline, session)["loaderId"]
        self._event(_loaded(loader), deadline)
        answer = self._call("Page.printToPDF", PDF_OPTIONS, deadline, session)
        self._call("Memory.simulatePressureNotification", {"level": "moderate"}, deadline, session)
        return base64.b64decode(answer["data"])

    def close(self) -> None:
        for fd in (self._commands, self._answers):
            os.close(fd)
        kill_group(self._process)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _ended(self) -> str:
        """Why Chromium is gone: the last line it wrote, else its exit status."""
        try:
            status: int | None = self._process.wait(timeout=5)  # its last words are written
        except subprocess.TimeoutExpired:
            status = None
        lines = self._stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else f"Chromium ended (exit status {status})"

    def _attach(self, deadline: float) -> str:
        """The page Chromium opened at start (in one process it serves no second one)."""
        while True:
            targets = self._call("Target.getTargets", {}, deadline)["targetInfos"]
            page = next((target["targetId"] for target in targets if target["type"] == "page"), None)
            if page is not None:
                break
            if time.monotonic() > deadline:
                raise BrowserTimedOut("Chromium opened no page within the time limit")
            time.sleep(0.05)
        session = str(self._call("Target.attachToTarget", {"targetId": page, "flatten": True}, deadline)["sessionId"])
        self._call("Page.enable", {}, deadline, session)
        self._call("Page.setLifecycleEventsEnabled", {"enabled": True}, deadline, session)
        self._session = session
        return session

    def _call(self, method: str, params: dict[str, Any], deadline: float, session: str | None = None) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        except OSError as error:  # it closed its end of the pipe: it ended, or is ending
            raise BrowserFailed(self._ended()) from error
        answer = self._next(lambda m: m.get("id") == self._last_id, deadline)
        if "error" in answer:
            raise BrowserFailed(f"Chromium refused {method}: {answer['error'].get('message', answer['error'])}")
        return dict(answer.get("result", {}))

    def _event(self, wanted: Callable[[dict[str, Any]], bool], deadline: float) -> None:
        if not any(map(wanted, self._events)):
            self._next(wanted, deadline)

    def _next(self, wanted: Callable[[dict[str, Any]], bool], deadline: float) -> dict[str, Any]:
        """The first message ``wanted`` accepts; events read on the way are kept for ``_event``."""
        while True:
            while b"\0" in self._unread:
                raw, self._unread = self._unread.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return dict(message)
                if "method" in message:
                    self._events.append(message)
            ready, _, _ = select.select([self._answers], [], [], max(deadline - time.monotonic(), 0.0))
            if not ready:
                raise BrowserTimedOut("Chromium did not finish within the time limit")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise BrowserFailed(self._ended())
            self._unread += chunk


def _loaded(loader: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a message says the navigation ``loader`` has loaded its page."""

    def matches(message: dict[str, Any]) -> bool:
        params = message.get("params", {})
        return (
            message.get("method") == "Page.lifecycleEvent"
            and params.get("name") == "load"
            and params.get("loaderId") == loader
        )

    return matches
