"""The reviewer pre-briefing pack: one self-contained HTML file and its PDF print, so a peer
reviewer can prepare an assessment visit from the verdicts, the quoted evidence and the questions
to ask where the strategy is silent. Every piece of review text is escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from threading import Lock
from typing import Literal

from pipeline.document_facts import criteria_level
from pipeline.html import html_templates
from pipeline.models import (
    ClosestPassage,
    CriterionCoverage,
    DocumentReview,
    Evidence,
    MeasureCoverage,
    Status,
    Versions,
)
from pipeline.pack_pdf import print_pdf
from pipeline.register import commitment_groups, commitments_csv_path, due_label
from pipeline.review_files import review_files
from pipeline.settings import PackPrinter
from pipeline.taxonomy import Criterion, Taxonomy

Level = Literal["ICS", "ORG"]
SILENT: frozenset[Status] = frozenset({"no_evidence", "weak"})
LEVEL_NAMES: dict[Level, str] = {"ICS": "System (ICS)", "ORG": "Organisation (ORG)"}
# Run metadata a reviewer must see, shown as "not recorded" when the review lacks it.
MODEL_FIELDS: dict[str, str] = {
    "tagger": "Tagger",
    "tagger_hash": "Tagger file hash (SHA-256)",
    "taxonomy_version": "Taxonomy version",
    "embedding_model": "Embedding model",
    "training_data_hash": "Training data hash (SHA-256)",
    "thresholds": "Thresholds per measure",
    "pipeline_version": "Pipeline version",
}
# Labels for optional fields a model card summary may add.
EXTRA_MODEL_LABELS: dict[str, str] = {
    "cv_macro_f1": "Cross-validated macro-F1",
    "created": "Tagger trained",
    "labels_hash": "Labelled passages quoted as reasons (SHA-256, first 16)",
    "criteria_model": "Criterion model",
}
MAX_QUESTIONS = 3
# One pack printed at a time per process: two WeasyPrint processes at once took a batch's peak memory
# from 1,566 to 1,728 MiB (docs/speed.md).
_PRINTING = Lock()


@dataclass(frozen=True)
class CriterionView:
    """A criterion's verdict joined with its taxonomy wording. ``closest``: the passage nearest
    to evidencing a criterion found without evidence; ``mention``: the passage that makes an
    uncredited criterion weak; ``confident``: no passage came close enough to doubt the flag
    (``CriterionCoverage.flag_confident``), so the pack asks its questions; otherwise it asks
    the reviewer to read the closest passage first.
    ``twin_of``: the twin this document's level shows, when this is the other level's wording."""

    id: str
    title: str
    level: str
    status: Status
    score: float
    questions: list[str]
    closest: ClosestPassage | None = None
    confident: bool = True
    twin_of: str | None = None
    mention: ClosestPassage | None = None

    @property
    def asks(self) -> bool:
        return self.status != "no_evidence" or self.confident


@dataclass(frozen=True)
class MeasureView:
    """One measure as the pack shows it: verdict, criteria, best quotes, questions if silent."""

    coverage: MeasureCoverage
    criteria: list[CriterionView]
    quotes: list[Evidence]
    questions: list[str]

    @property
    def criteria_evidenced(self) -> int:
        return sum(1 for c in self.criteria if c.status == "evidenced")


@dataclass(frozen=True)
class SilentGroup:
    """The silent criteria of one level, grouped by measure so a long list stays scannable."""

    level: str
    primary: bool
    measures: list[tuple[MeasureCoverage, list[CriterionView]]]

    @property
    def count(self) -> int:
        return sum(len(criteria) for _, criteria in self.measures)


def _criterion_view(coverage: CriterionCoverage, known: dict[str, Criterion]) -> CriterionView:
    confident = coverage.flag_confident is not False
    twin_of = coverage.shown_as if coverage.shown_as and coverage.shown_as != coverage.id else None
    criterion = known.get(coverage.id)
    if criterion is None:
        # A review made with another taxonomy version can name criteria this one lacks.
        level = coverage.id.split(".")[1] if coverage.id.count(".") == 2 else "?"
        title, questions = "Not in this taxonomy version", []
    else:
        title, level, questions = criterion.title, criterion.level, criterion.questions[:MAX_QUESTIONS]
    return CriterionView(
        coverage.id,
        title,
        level,
        coverage.status,
        coverage.score,
        questions,
        coverage.closest,
        confident,
        twin_of,
        coverage.mention,
    )


def _level_first(criteria: Iterable[CriterionView], level: Level | None) -> list[CriterionView]:
    """Stable sort putting the document's own level first (ICS strategy: ICS criteria)."""
    return sorted(criteria, key=lambda c: c.level != level) if level else list(criteria)


def measure_questions(criteria: list[CriterionView], level: Level | None) -> list[str]:
    """Up to three questions for a silent measure, taken round-robin from its criteria with no
    evidence (then weak ones), so they span the measure instead of drilling into one criterion."""
    for wanted in ("no_evidence", "weak", "evidenced"):
        pool = _level_first((c for c in criteria if c.status == wanted and c.questions and c.asks), level)
        if pool:
            break
    else:
        return []
    questions: list[str] = []
    for index in range(MAX_QUESTIONS):
        for criterion in pool:
            if index < len(criterion.questions) and len(questions) < MAX_QUESTIONS:
                questions.append(criterion.questions[index])
    return questions


def _measure_view(
    coverage: MeasureCoverage, known: dict[str, Criterion], level: Level | None, quotes: int
) -> MeasureView:
    criteria = [_criterion_view(c, known) for c in coverage.criteria]
    best = sorted(coverage.evidence, key=lambda e: -e.score)[:quotes]
    questions = measure_questions(criteria, level) if coverage.status in SILENT else []
    return MeasureView(coverage, criteria, best, questions)


def silent_groups(measures: list[MeasureView], level: Level | None) -> list[SilentGroup]:
    """Silent criteria by level (the document's own level first), then by measure."""
    order: list[Level] = ["ORG", "ICS"] if level == "ORG" else ["ICS", "ORG"]
    groups = []
    for group_level in order:
        by_measure = [
            (m.coverage, [c for c in m.criteria if c.level == group_level and c.status in SILENT]) for m in measures
        ]
        by_measure = [(m, criteria) for m, criteria in by_measure if criteria]
        if by_measure:
            groups.append(SilentGroup(LEVEL_NAMES[group_level], group_level == level, by_measure))
    return groups


def model_rows(versions: Versions) -> list[tuple[str, object]]:
    """The run metadata in a fixed order, the expected fields first, so packs compare at a glance;
    what a review from an older release did not record is "not recorded" (None), or left out."""
    model = {key: value for key, value in versions.model_dump().items() if value not in ("", None, {})}
    rows: list[tuple[str, object]] = [(label, model.get(key)) for key, label in MODEL_FIELDS.items()]
    rows += [
        (EXTRA_MODEL_LABELS.get(key, key.replace("_", " ").capitalize()), value)
        for key, value in model.items()
        if key not in MODEL_FIELDS
    ]
    return rows


def long_date(day: date) -> str:
    """UK style ("23 November 2026"), unambiguous for readers on either side of the Atlantic."""
    return f"{day.day} {day:%B %Y}"


def render_pack_html(review: DocumentReview, taxonomy: Taxonomy, generated: date, quotes: int = 3) -> str:
    """The pack as one HTML string with inline CSS and no external resources; ``quotes`` is how
    many of each measure's best evidence passages are quoted."""
    level = criteria_level(review.document.organisation_level)  # the manifest's, or read from the text
    known = {c.id: c for c in taxonomy.criteria}
    measures = [_measure_view(m, known, level, quotes) for m in review.measures]
    review_taxonomy = review.model.taxonomy_version  # empty in reviews from before it was recorded
    return (
        html_templates()
        .get_template("pack.html")
        .render(
            review=review,
            document=review.document,
            measures=measures,
            silent_measures=[m for m in measures if m.coverage.status in SILENT],
            unreadable_measures=[m for m in measures if m.coverage.status == "unreadable"],
            silent_groups=silent_groups(measures, level),
            level=level,
            level_names=LEVEL_NAMES,
            model_rows=model_rows(review.model),
            taxonomy_version=taxonomy.version,
            taxonomy_mismatch=bool(review_taxonomy) and review_taxonomy != taxonomy.version,
            generated=long_date(generated),
            commitment_groups=commitment_groups(review),
            commitments_csv=commitments_csv_path(review, Path()).name,
            due_label=due_label,
        )
    )


def pack_paths(review: DocumentReview, out_dir: Path) -> tuple[Path, Path]:
    files = review_files(review, out_dir)
    return files.pack_html, files.pack_pdf


def write_pack(
    review: DocumentReview, taxonomy: Taxonomy, out_dir: Path, printer: PackPrinter, generated: date | None = None
) -> tuple[Path, Path]:
    """Write ``<name>.<short id>-pack.html`` and ``-pack.pdf`` (``review_files``), the PDF printed
    by ``printer``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_pack_html(review, taxonomy, generated or date.today())
    html_path, pdf_path = pack_paths(review, out_dir)
    html_path.write_text(html, encoding="utf-8")
    with _PRINTING:
        print_pdf(html, pdf_path, printer)
    return html_path, pdf_path
