"""Typed errors: each names the file and the reason, and maps to an error code of the JSON contract."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

# The error codes of the JSON contract (DESIGN.md, contract 1): each is the ``code`` of one
# ReviewError below, and the type of ``ReviewErrorRecord.code`` in models.py.
ErrorCode = Literal[
    "encrypted",
    "corrupt",
    "no_text",
    "not_pdf",
    "too_large",
    "timeout",
    "too_many_pages",
    "needs_ocr",
    "memory_limit",
    "refused",
]


class ReviewError(Exception):
    """A document could not be reviewed; ``code`` is the contract's error code."""

    code: ClassVar[ErrorCode] = "corrupt"

    def __init__(self, file: Path | str, reason: str) -> None:
        self.file = str(file)
        self.reason = reason
        super().__init__(f"{self.file}: {reason}")

    def __reduce__(self) -> tuple[type[ReviewError], tuple[str, str]]:
        """Rebuild from file and reason, so the error survives the trip from a parsing process."""
        return type(self), (self.file, self.reason)


class EncryptedPDF(ReviewError):
    code = "encrypted"


class CorruptPDF(ReviewError):
    code = "corrupt"


class NotAPDF(ReviewError):
    code = "not_pdf"


class NoTextLayer(ReviewError):
    code = "no_text"


class TooLarge(ReviewError):
    """The file is bigger than ``max_file_mb``."""

    code = "too_large"


class TooManyPages(ReviewError):
    """The document has more pages than ``max_pages``."""

    code = "too_many_pages"


class NeedsOCR(ReviewError):
    """Every page with content is a scanned image (or undecodable glyphs) and Tesseract is absent."""

    code = "needs_ocr"


class MemoryLimit(ReviewError):
    """Parsing needed more memory than ``parse_memory_mb`` allows."""

    code = "memory_limit"


class Refused(ReviewError):
    """The file was not opened at all, e.g. a manifest row pointing outside the manifest's folder."""

    code = "refused"


class ReviewTimeout(ReviewError):
    code = "timeout"


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed."""


class ModelCardMismatch(ValueError):
    """A saved tagger was built for another taxonomy version or embedding model."""


def as_review_error(file: Path | str, exc: BaseException) -> ReviewError:
    """Any failure of one document's review as a contract error, so the batch can list it."""
    if isinstance(exc, ReviewError):
        return exc
    if isinstance(exc, TimeoutError):
        return ReviewTimeout(file, "the review took longer than the per-document time limit")
    return CorruptPDF(file, f"the review failed unexpectedly ({exc!r})")


class ReviewFileError(ValueError):
    """A reviewer's verdict file cannot be imported; ``problems`` name the row of each fault."""

    def __init__(self, file: Path | str, problems: list[str]) -> None:
        self.file = str(file)
        self.problems = problems
        listed = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{self.file}: {len(problems)} problem(s), nothing imported:\n{listed}")
