"""The files of a reviews folder: how each review's files are named, and finding them again.

A review's files start with the strategy's file name and a short id, so a reviewer can tell them
apart in a file browser: ``marlshire-ics-2023.ca795e2f.json``, ``.html``, ``-pack.html``,
``-pack.pdf``. The full document id stays inside the JSON; the short id (the first hex digits of
the SHA-256) keeps two different files of the same name apart. Folders written before this
naming hold ``<document id>.json`` and so on: they are still read, a current-named file of the
same document wins over them, and writing a review's files removes its old-named ones.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pipeline.models import DocumentReview

SHORT_ID_LENGTH = 8
MAX_NAME_LENGTH = 60  # of the slugged file name; long titles as file names wrap badly in listings
LEGACY_NAME = re.compile(r"[0-9a-f]{64}")


class MalformedReview(ValueError):
    """A file shaped like a ``wgll review`` result that breaks contract 1."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class ReviewFiles:
    """Where one review's files are: JSON, reviewer page, pack as HTML and as PDF."""

    json: Path
    page: Path
    pack_html: Path
    pack_pdf: Path

    @classmethod
    def named(cls, folder: Path, stem: str) -> ReviewFiles:
        return cls(
            folder / f"{stem}.json", folder / f"{stem}.html", folder / f"{stem}-pack.html", folder / f"{stem}-pack.pdf"
        )

    @property
    def stem(self) -> str:
        return self.json.stem

    def all(self) -> tuple[Path, Path, Path, Path]:
        return self.json, self.page, self.pack_html, self.pack_pdf


def slug(name: str) -> str:
    """Lower-case ASCII letters and digits joined by hyphens: safe in any file system and URL."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:MAX_NAME_LENGTH].rstrip("-") or "document"


def review_stem(review: DocumentReview) -> str:
    """``<slugged file name>.<short id>``, e.g. ``marlshire-ics-2023.ca795e2f``."""
    document = review.document
    return f"{slug(Path(document.file).stem)}.{document.id[:SHORT_ID_LENGTH]}"


def review_files(review: DocumentReview, folder: Path) -> ReviewFiles:
    return ReviewFiles.named(folder, review_stem(review))


def remove_legacy_files(review: DocumentReview, folder: Path) -> None:
    """Delete the files this review had under the old naming (``<document id>.json`` etc.)."""
    for path in ReviewFiles.named(folder, review.document.id).all():
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class FoundReview:
    """A review read from a folder, with the files that sit beside its JSON."""

    review: DocumentReview
    files: ReviewFiles


def _is_review(data: object) -> bool:
    """Reviews are the JSON objects with the contract's ``document`` and ``measures`` keys; manifests,
    gold labels, model cards and review queues lying in the same folder are not."""
    return isinstance(data, dict) and {"document", "measures"} <= data.keys()


def _read(path: Path) -> DocumentReview | None:
    """The review in ``path``; None for other JSON; MalformedReview for a broken review."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedReview(path, f"not valid JSON ({error})") from error
    if not _is_review(data):
        return None
    try:
        return DocumentReview.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
        raise MalformedReview(path, f"not a valid review ({problems})") from error


def find_reviews(folder: Path, strict: bool = True) -> list[FoundReview]:
    """Every review in a ``wgll review`` output folder, in file-name order. Other JSON files are
    skipped; a broken review raises MalformedReview (``strict``: a silently dropped strategy would
    read as no strategy at all) or is skipped. An old id-named file is left out when the folder
    also holds the same document under its current name."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of reviews")
    found: list[FoundReview] = []
    for path in sorted(folder.glob("*.json")):
        try:
            review = _read(path)
        except MalformedReview:
            if strict:
                raise
            continue
        if review is not None:
            found.append(FoundReview(review, ReviewFiles.named(folder, path.stem)))
    current = {f.review.document.id for f in found if not LEGACY_NAME.fullmatch(f.files.stem)}
    return [f for f in found if not (LEGACY_NAME.fullmatch(f.files.stem) and f.review.document.id in current)]


def read_reviews(folder: Path) -> list[DocumentReview]:
    """The reviews of ``folder`` (see ``find_reviews``), strictly."""
    return [found.review for found in find_reviews(folder)]


def _names(found: FoundReview) -> set[str]:
    """Every name a reviewer may use for a review besides its id: its files, the short name, the
    strategy's file name with or without its extension."""
    file = found.review.document.file
    return {found.files.stem, *(path.name for path in found.files.all()), file, Path(file).stem, slug(Path(file).stem)}


def locate_review(folder: Path, key: str) -> DocumentReview:
    """The review in ``folder`` that ``key`` names: a review JSON's path, the document id (or its
    first characters, such as the short id), the short name (``marlshire-ics-2023.ca795e2f``) or
    any of its file names, or the strategy's file name (with or without ``.pdf``)."""
    candidate = Path(key)
    if candidate.suffix == ".json" and candidate.is_file():
        review = _read(candidate)
        if review is not None:
            return review
    name = candidate.name
    matches = [
        found
        for found in find_reviews(folder, strict=False)
        if found.review.document.id.startswith(key.lower()) or name in _names(found)
    ]
    if len(matches) != 1:
        found_text = "no review" if not matches else f"{len(matches)} reviews"
        listed = "".join(f"\n  {m.files.stem} ({m.review.document.file})" for m in matches)
        raise LookupError(
            f"{found_text} in {folder} matches {key!r}; give the short name, a longer document id or "
            f"the JSON file{listed}"
        )
    return matches[0].review
