"""What a file or the process's surroundings look like now, read with the standard library alone
(no pydantic, no SQLAlchemy): the up-to-date record of a reviews folder (``pipeline.uptodate_record``
writes it, ``flows.entry`` reads it before anything heavy is imported) is made of these, so a
re-run with nothing to do costs a Python start and some ``stat`` calls.

A file's stamp holds its change time (ctime), which the kernel sets on every write, rename or
change of metadata and which no user can set back: equal stamps mean an untouched file, as long as
the stamp was taken before the change (``fs_clock``)."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable

RECORD_FILE = ".wgll-uptodate"  # no .json suffix: nothing that lists the folder's reviews reads it
INDEX_FILE = "index.html"
AUDIT_PAGE = "audit.html"
SQLITE_FILE = "wgll.sqlite"
# After the page, written by pipeline.index_page: the inputs the page was made from.
INDEX_MARK = "<!-- wgll index inputs "
PACKAGES = ("pipeline", "flows")

Stamp = list[int] | None


def stamp(path: str) -> Stamp:
    """Size, modification and change times, inode, device and mode of what ``path`` names (links
    followed); None when there is nothing there or it cannot be read."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev, found.st_mode]


def stamps(paths: Iterable[str]) -> dict[str, Stamp]:
    return {path: stamp(path) for path in paths}


def changed_since(found: dict[str, Stamp], since: int) -> bool:
    """Whether any of these files was written or changed at or after ``since`` (``fs_clock``)."""
    return any(s is not None and (s[1] >= since or s[2] >= since) for s in found.values())


def fs_clock() -> int:
    """The file system's clock now, in ns: the change time of a new file. File times come from a
    coarser clock than ``time.time_ns()``; a change made after this call is stamped at or after it."""
    import tempfile  # here: the check of a record never needs it

    with tempfile.TemporaryFile() as probe:
        return os.fstat(probe.fileno()).st_mtime_ns


def program_files() -> list[str]:
    """Every file of this program's packages (sources, templates, model artifacts) and every folder
    it imports from (an installed, upgraded or removed package changes its folder), found anew each
    time, so a file added or removed is seen as well as one edited."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found: list[str] = []
    for package in PACKAGES:
        for folder, subfolders, files in os.walk(os.path.join(root, package)):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            found.extend(os.path.join(folder, name) for name in sorted(files))
    return found + [os.path.abspath(entry) for entry in sys.path if entry]


def json_names(folder: str) -> list[str]:
    """The names of the JSON files in ``folder``, as ``find_reviews`` lists them."""
    with os.scandir(folder) as entries:
        return sorted(entry.name for entry in entries if entry.name.endswith(".json"))


def surroundings() -> dict[str, object]:
    """What else a review depends on that no file stamp shows: the interpreter, where it imports
    from, the machine and its CPU (the embedding runtime's precision follows the CPU's features),
    the WGLL_* settings in the environment (read whatever their case) and the folder relative
    paths among them are read from."""
    return {
        "python": [sys.version, sys.executable, sys.prefix],
        "working_folder": _working_folder(),
        "import_path": list(sys.path),
        "machine": list(os.uname()) if hasattr(os, "uname") else [sys.platform],
        "cpu": _cpu_digest(),
        "environment": sorted([key, value] for key, value in os.environ.items() if key.upper().startswith("WGLL_")),
    }


def _working_folder() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # removed since the command started
        return None


def _cpu_digest() -> str:
    try:
        with open("/proc/cpuinfo", "rb") as cpuinfo:
            lines = {line.strip() for line in cpuinfo if line.startswith((b"flags", b"model name", b"Features"))}
    except OSError:
        return "unknown"
    return hashlib.sha256(b"\n".join(sorted(lines))).hexdigest()[:16]


def index_inputs(folder: str) -> str:
    """A digest of everything in ``folder`` that ``index.html`` is made from: every file beside it
    (the reviews, their pages and packs) and which subfolders hold an audit page; the index itself,
    its partial copy, the store and the up-to-date record left out."""
    listed = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name == INDEX_FILE or name.startswith((RECORD_FILE, SQLITE_FILE, "index.partial")):
                continue
            if entry.is_dir():
                listed.append(f"{name}/ {os.path.isfile(os.path.join(entry.path, AUDIT_PAGE))}")
            else:
                listed.append(f"{name} {stamp(entry.path)}")
    return hashlib.sha256("\n".join(sorted(listed)).encode()).hexdigest()[:32]


def index_current(folder: str) -> bool:
    """Whether ``folder``'s index was made from what the folder holds now (its closing mark names
    the inputs it was made from)."""
    try:
        with open(os.path.join(folder, INDEX_FILE), "rb") as page:
            page.seek(max(0, page.seek(0, os.SEEK_END) - 200))
            tail = page.read().decode("utf-8", "replace")
    except OSError:
        return False
    start = tail.rfind(INDEX_MARK)
    return start >= 0 and tail[start + len(INDEX_MARK) :].split(" ", 1)[0] == index_inputs(folder)
