"""Typed records passed between pipeline stages; each refuses impossible states."""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.errors import ErrorCode

# ``unreadable``: too much of the document could not be read to call the measure silent.
Status = Literal["evidenced", "weak", "no_evidence", "unreadable"]
# What read a page: PDFium's or pdfplumber's words laid out (headings, columns), PDFium's plain
# text (pypdfium2: no headings), or OCR.
Extractor = Literal["pdfium", "pdfplumber", "pypdfium2", "ocr"]
WarningCode = Literal["pages_missing", "extraction", "out_of_scope"]


def document_id(data: bytes) -> str:
    """A document's identity is the SHA-256 of its bytes (DESIGN.md)."""
    return hashlib.sha256(data).hexdigest()


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class CriteriaModelVersions(Record):
    """The criterion model a review was made with, from its card."""

    method: str = ""
    model_hash: str = ""
    training_data_hash: str = ""
    flag_ratio: float | None = None
    cv_macro_f1: float | None = None
    created: str = ""


class Versions(Record):
    """Every version a review depends on (``model`` in its JSON), built once per batch by
    ``pipeline.versions.current_versions``. Releases added fields over time, so each has a
    default: a review stored by an older release still validates, and keeps its versions key."""

    pipeline_version: str = ""
    tagger: str = ""
    tagger_hash: str = ""
    taxonomy_version: str = ""
    embedding_model: str = ""
    training_data_hash: str = ""
    thresholds: dict[str, float] = {}
    cv_macro_f1: float | None = None
    created: str = ""
    criteria_model: CriteriaModelVersions | None = None
    embedding_runtime: str = ""
    labels_hash: str = ""
    pdf_reader: str = ""
    settings_digest: str = ""

    # What the versions key hashes (the others are implied by these: settings_digest covers the
    # labels, the runtime, the reader, the criterion model's file and the library's source); the
    # store's runs table has a column for each.
    KEY_FIELDS: ClassVar[tuple[str, ...]] = (
        "pipeline_version",
        "taxonomy_version",
        "embedding_model",
        "tagger_hash",
        "settings_digest",
    )

    @property
    def key(self) -> str:
        """One hash of every version that shapes a result (DESIGN.md: identities and versions):
        results with equal document id and versions key are the same result."""
        joined = "\0".join(f"{field}={getattr(self, field)}" for field in self.KEY_FIELDS)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


class Heading(Record):
    """A heading found by its font, with its place in the page text."""

    text: str
    level: int = Field(ge=1)
    start_char: int = Field(ge=0)
    end_char: int

    @model_validator(mode="after")
    def _span_is_ordered(self) -> Heading:
        if self.end_char <= self.start_char:
            raise ValueError("heading span is empty")
        return self


class Page(Record):
    """The cleaned text of one page: paragraphs separated by blank lines, headers/footers removed;
    ``extractor`` says what read it (see Extractor)."""

    number: int = Field(ge=1)
    text: str
    headings: list[Heading] = []
    extractor: Extractor = "pdfplumber"

    @model_validator(mode="after")
    def _headings_inside_text(self) -> Page:
        for heading in self.headings:
            if heading.end_char > len(self.text):
                raise ValueError(f"heading {heading.text!r} lies outside page {self.number}")
        return self


class MissingPage(Record):
    """A page with content that no extractor could read, and why."""

    page: int = Field(ge=1)
    reason: str
    needs_ocr: bool = False  # a scan (or undecodable text) that OCR would read, were Tesseract installed


def pages_by_extractor(pages: list[Page]) -> dict[str, list[int]]:
    """Page numbers grouped by the extractor that read them, in a stable order."""
    grouped: dict[str, list[int]] = {}
    for page in pages:
        grouped.setdefault(page.extractor, []).append(page.number)
    return grouped


class SourceInfo(Record):
    """What a manifest says about a file: who wrote it and when."""

    ics: str | None = None
    organisation_level: str | None = None
    year: int | None = None


class Document(Record):
    """A PDF read into pages; ``id`` is the SHA-256 of its bytes."""

    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,))

    id: str
    file: str
    title: str
    page_count: int = Field(ge=0)
    pages: list[Page]
    source: SourceInfo = SourceInfo()
    missing_pages: list[MissingPage] = []
    notes: list[str] = []  # how the text was obtained when that differs from a plain read

    PAGE_SEPARATOR: ClassVar[str] = "\n\n"

    @model_validator(mode="after")
    def _every_page_accounted_for(self) -> Document:
        numbers = sorted([p.number for p in self.pages] + [m.page for m in self.missing_pages])
        if numbers != list(range(1, len(numbers) + 1)) or len(numbers) != self.page_count:
            raise ValueError(f"{self.file}: pages read and missing do not add up to {self.page_count}")
        return self

    @property
    def unread_share(self) -> float:
        """Share of the pages with content that could not be read."""
        with_content = len(self.missing_pages) + sum(1 for page in self.pages if page.text.strip())
        return len(self.missing_pages) / with_content if with_content else 0.0

    @cached_property
    def text(self) -> str:
        """All page texts joined; passages keep their offsets into this string."""
        return self.PAGE_SEPARATOR.join(page.text for page in self.pages)

    @cached_property
    def page_starts(self) -> list[int]:
        """Offset in ``text`` where each page begins, in page order."""
        starts, offset = [], 0
        for page in self.pages:
            starts.append(offset)
            offset += len(page.text) + len(self.PAGE_SEPARATOR)
        return starts


class Passage(Record):
    """A few sentences inside one section, sized for the embedding model."""

    passage_id: str
    document_id: str
    ordinal: int = Field(ge=0)
    text: str = Field(min_length=1)
    heading: str | None
    pages: list[int] = Field(min_length=1)
    start_char: int = Field(ge=0)
    end_char: int

    @model_validator(mode="after")
    def _consistent(self) -> Passage:
        if self.end_char <= self.start_char:
            raise ValueError("passage span is empty")
        if self.pages != sorted(set(self.pages)):
            raise ValueError(f"passage pages out of order: {self.pages}")
        return self


class Tag(Record):
    """A tagger's verdict on one passage: a score per measure, the criteria it evidences by
    measure (only measures it is tagged with), and each criterion's own probability, by the
    criterion id that names its substance (one for a pair of twins)."""

    passage_id: str
    scores: dict[str, float]
    criteria: dict[str, list[str]] = {}
    criterion_scores: dict[str, float] = {}


class LabelledNeighbour(Record):
    """A labelled passage close to an evidence passage: the kind of example that taught the
    tagger the measure."""

    id: str
    text: str
    measures: list[str]
    origin: str
    similarity: float


class Why(Record):
    """Why a passage counts as evidence of a measure: the taxonomy's evidence terms it contains
    (by criterion id, or the measure id for the measure's own terms) and its nearest labelled
    passages of that measure."""

    terms: dict[str, list[str]] = {}
    nearest: list[LabelledNeighbour] = []


class Evidence(Record):
    passage_id: str
    pages: list[int]
    heading: str | None
    text: str
    score: float = Field(ge=0.0, le=1.0)
    criteria: list[str] = []
    why: Why | None = None


class ClosestPassage(Record):
    """A passage cited for a criterion no passage credits, so a reviewer can check the verdict in
    seconds: the one that came nearest (a flag), or the mention that makes it weak; ``score`` is the
    criterion's probability there."""

    passage_id: str
    pages: list[int]
    heading: str | None
    text: str
    score: float = Field(ge=0.0, le=1.0)


class CriterionCoverage(Record):
    """``twin``: the criterion of the other level with the same substance (same verdict);
    ``shown_as``: the wording this document's level shows for it (itself, or its twin);
    ``flag_confident``, for a criterion without evidence: no passage reached the probability at
    which it would have been credited, so the flag can be put to the strategy's authors as is;
    ``mention``, for a criterion weak without a credit: the passage that may touch on it."""

    id: str
    status: Status
    score: float = Field(ge=0.0, le=1.0)
    twin: str | None = None
    shown_as: str | None = None
    closest: ClosestPassage | None = None
    flag_confident: bool | None = None
    mention: ClosestPassage | None = None


class MeasureCoverage(Record):
    id: str
    name: str
    status: Status
    score: float = Field(ge=0.0, le=1.0)
    criteria: list[CriterionCoverage]
    evidence: list[Evidence]


class ReviewWarning(Record):
    """Something a reviewer must know about a review that did complete (pages left unread, a
    document that does not read like a health and care digital strategy)."""

    code: WarningCode
    message: str


class SetAside(Record):
    """A passage kept out of every verdict by rule (a foreword, a signpost to a separate plan)."""

    passage_id: str
    pages: list[int]
    reason: str


class DocumentSummary(Record):
    """The ``document`` part of the JSON: who wrote it, its pages, and how they were read
    (``extractors``: page numbers per extractor; ``missing_pages``; ``warnings``). ``*_source``
    says where ICS, level and year came from (``manifest`` or ``text``); ``set_aside`` lists the
    passages that are never evidence."""

    id: str
    file: str
    ics: str | None
    title: str | None
    pages: int | None
    organisation_level: str | None = None
    year: int | None = None
    ics_source: str | None = None
    level_source: str | None = None
    year_source: str | None = None
    extractors: dict[str, list[int]] = {}
    missing_pages: list[MissingPage] = []
    warnings: list[ReviewWarning] = []
    set_aside: list[SetAside] = []


class ReviewErrorRecord(Record):
    code: ErrorCode
    message: str


class Commitment(Record):
    """A sentence in which the strategy commits to an action or a target: when it falls due
    (an ISO date, a year or a financial year such as ``2025/26``; docs/commitments.md), who is
    named to deliver it, and the measures and criteria of the passage it sits in."""

    text: str
    due: str | None = None
    owner: str | None = None
    measures: list[str] = []
    criteria: list[str] = []
    pages: list[int] = Field(min_length=1)
    heading: str | None = None
    passage_id: str


class DocumentReview(Record):
    """The JSON contract of ``wgll review`` (DESIGN.md, contract 1)."""

    document: DocumentSummary
    model: Versions
    measures: list[MeasureCoverage]
    errors: list[ReviewErrorRecord] = []
    commitments: list[Commitment] = []
