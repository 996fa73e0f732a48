"""Turns command-line paths (PDFs, folders, manifest CSVs) into the list of documents to review."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from pydantic import BaseModel

from pipeline.models import SourceInfo, document_id

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = {"file", "ics", "organisation_level", "year"}


class BatchItem(BaseModel):
    """One document of a batch and what its manifest says about it; ``refusal`` says why the file
    must not be opened at all (it is then listed as ``refused``, and the rest of the batch runs)."""

    path: Path
    source: SourceInfo = SourceInfo()
    password: str | None = None
    refusal: str | None = None

    def identity(self) -> str:
        """The document id: the file's content hash, but never read from a refused path."""
        return path_identity(self.path) if self.refusal else file_identity(self.path)


def file_identity(path: Path) -> str:
    """The content hash of a regular file; otherwise a hash of the path, so that even a missing
    file, a folder or a pipe gets a stable identity and output name (and is never read)."""
    try:
        if path.is_file():
            return document_id(path.read_bytes())
    except OSError:
        pass
    return path_identity(path)


def path_identity(path: Path) -> str:
    """A stable identity for a file that is not read: the hash of its absolute path."""
    return hashlib.sha256(f"path:{path.resolve()}".encode()).hexdigest()


def read_manifest(path: Path) -> list[BatchItem]:
    """Rows of a manifest CSV (file, ics, organisation_level, year[, password]); files are
    resolved against the manifest's folder, and a row pointing outside it is refused (never read)."""
    folder = path.parent.resolve()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = MANIFEST_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: manifest lacks the column(s) {', '.join(sorted(missing))}")
        items = []
        for line, row in enumerate(reader, start=2):
            target = (folder / (row["file"] or "")).resolve()
            refusal = None
            if not target.is_relative_to(folder):
                refusal = (
                    f"{path.name}, line {line}: {row['file']!r} points outside the manifest's folder {folder}; not read"
                )
            year = (row.get("year") or "").strip()
            items.append(
                BatchItem(
                    path=target,
                    source=SourceInfo(
                        ics=row.get("ics") or None,
                        organisation_level=row.get("organisation_level") or None,
                        year=int(year) if year.isdigit() else None,
                    ),
                    password=row.get("password") or None,
                    refusal=refusal,
                )
            )
    return items


def collect_items(paths: list[Path]) -> list[BatchItem]:
    """PDFs named directly, every PDF in a folder (using its manifest.csv when present), or the
    rows of a manifest CSV."""
    return [item for path in paths for item in items_from(path)]


def items_from(path: Path) -> list[BatchItem]:
    """The documents one command-line path stands for (see ``collect_items``)."""
    manifest = manifest_of(path)
    if manifest is not None:
        return read_manifest(manifest)
    if path.is_dir() and path.suffix.lower() != ".pdf":
        return [BatchItem(path=p) for p in sorted(path.glob("*.pdf"))]
    return [BatchItem(path=path)]


def manifest_of(path: Path) -> Path | None:
    """The manifest CSV a command-line path is read through: the path itself, or a folder's
    manifest.csv; None for a PDF or a folder without one."""
    if path.suffix.lower() == ".csv" and path.is_file():
        return path
    if path.is_dir() and path.suffix.lower() != ".pdf" and (path / MANIFEST_NAME).is_file():
        return path / MANIFEST_NAME
    return None
