"""The register of commitments: every sentence, list item and table row in which a strategy
commits to an action or a target, with its due date, its owner, and the measures and criteria of
the passage it sits in. Rule-based and measured against a written gold
(``benchmarks/commitments_eval.py``; what counts is set out in docs/commitments.md).

Sentences come from the project's spaCy segmenter run over each passage, so a table row or a list
item, which the PDF lays out as a line of its own, is a sentence of its own. A line ending in a
colon opens a list: its items inherit its date and, when it commits ("we will:"), its commitment.
A short line without a full stop that names dates or targets is read as a table heading: the rows
under it inherit its date ("What we will do by December 2022", "Target 2026/27")."""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.due_dates import DueDate, earliest_due, find_due_dates, opening_year, strategy_period
from pipeline.models import Commitment, Document, Passage, Tag
from pipeline.owners import acronym_expansions, find_owner, is_acronym_body
from pipeline.segment import sentence_spans

FUTURE = re.compile(
    r"\b(?:will|shall)\b|\bwe\s+(?:also\s+)?(?:aim|plan|intend|pledge|propose|undertake|commit)\b"
    r"|\b(?:aim|aims|aiming)\s+(?:to|for)\b|\b(?:plan|plans|intend|intends)\s+to\b|\bplanned\s+for\b"
    r"|\bour\s+(?:\w+\s+)?(?:target|aim|goal|priority|commitment|intention)s?\s+(?:is|are)\s+(?:to|for|that|\d|\w+(?:ation|ing)\b)"
    r"|\bcommit(?:s|ted)?\s+(?:us\s+|ourselves\s+)?to\b|\b(?:has|have)\s+(?:also\s+)?agreed\s+to\b"
    r"|\b(?:is|are)\s+due\s+(?:in|by|to)\b|\bwith\s+a\s+target\s+of\b",
    re.IGNORECASE,
)
# "will" that does not commit: in a relative clause, after "you", or in reported speech.
NOT_OURS = re.compile(
    r"\b(?:which|that|who|whose\s+\w+)\s+(?:\w+\s+)?$|\b(?:you|he|she)\s+(?:\w+\s+)?$"
    r"|\b(?:showed|found|told\s+us|said|reported|suggested|concluded|feared)\s+that\b",
    re.IGNORECASE,
)
GERUND_SUBJECT = re.compile(r"(?:^|,\s*)[A-Z]?[a-z]+ing\b[^,]*$")
EXTERNAL = re.compile(r"\b(?:parliament|legislation|government|ministers|nhs\s+england|dhsc|nhsx)\b", re.IGNORECASE)
PREDICTION = re.compile(r"\b(?:expect|expects|expected|estimated?|forecast|projected|likely)\b", re.IGNORECASE)
POINTER = re.compile(
    r"\b(?:table|roadmap|chart|figure|diagram|annex|appendix)\s+(?:below|above)\b|\bbelow\s+(?:sets?\s+out|summarises|shows|lists)\b",
    re.IGNORECASE,
)
PAST = re.compile(
    r"\b(?:was|were|had|did)\b|\b(?:we|they|it|he|she)\s+(?:have\s+|has\s+)?(?:\w+ed|made|built|held|set\s+up)\b"
    r"|\b\w+ed\s+(?:its|their|it|them|our|the|a|an|every|each|all|us|this|these)\b"
    r"|\b(?:met|drew|went|came|began|ran|grew|took|saw|became)\b",
    re.IGNORECASE,
)
DEADLINE_MARK = re.compile(
    r"(?:\b(?:by|before|until|till|from|starting|in|during|for|within|over|no\s+later\s+than|ahead\s+of|first\s+in|due)"
    r"(?:\s+the\s+(?:end|start|beginning)\s+of)?\s*$)|^\W*$",
    re.IGNORECASE,
)
CLAUSES = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+|\s+but\s+")
COMMITTING_LEAD_IN = re.compile(
    r"\b(?:commitments?|priorities|priority|plans?|ambitions?|aims?|targets?|milestones?|objectives?|actions?|deliverables?)\b",
    re.IGNORECASE,
)
TABLE_HEADING = re.compile(
    r"\b(?:target|targets|commitments?|milestones?|deliver|will|deadline|timescale|when)\b", re.IGNORECASE
)
FUNDING = re.compile(r"\btotal\b|£|\bbudget\b|\bcost\b|\bfunding\b|\bspend\b", re.IGNORECASE)
MONTH_FIRST = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)\b(?!\s+20\d\d)"
)


@dataclass
class _Context:
    """What the lines read so far in a section say about the next one: an open list, a table."""

    lead_in: str | None = None
    lead_due: DueDate | None = None
    lead_commits: bool = False
    table_due: DueDate | None = None
    table_commits: bool = False
    in_table: bool = False


class CommitmentReader:
    """Reads the sentences of one document in order and keeps the commitments among them."""

    def __init__(self, year: int | None, strategy_end: int | None, expansions: Mapping[str, str]) -> None:
        self.year, self.strategy_end, self.expansions = year, strategy_end, expansions
        self.context = _Context()

    def new_section(self) -> None:
        self.context = _Context()

    def read(self, sentence: str) -> tuple[str, DueDate | None, str | None] | None:
        """The commitment in ``sentence`` as (text, due, owner), or None."""
        c = self.context
        ends = sentence.rstrip()[-1:]
        if ends == ":":
            c.lead_in, c.lead_due = sentence, self._due(sentence)
            c.lead_commits = self.commits(sentence) or bool(COMMITTING_LEAD_IN.search(sentence))
            c.in_table = False
            return None
        if c.lead_in is not None and not (sentence[:1].isupper() and ends == "."):
            if len(re.findall(r"[A-Za-z]{2,}", sentence)) < 3:
                return None  # a stray fragment of the layout, not an item
            due = self._due(sentence) or c.lead_due
            if c.lead_commits or self.commits(sentence):
                return f"{c.lead_in} {sentence}", due, self._owner(sentence) or self._owner(c.lead_in)
            return None
        c.lead_in = None
        if ends not in ".;!?" and self._is_table_heading(sentence):
            c.in_table, c.table_due = True, self._due(sentence)
            c.table_commits = not FUNDING.search(sentence)
            return None
        if c.in_table and ends not in ".!?":
            return self._row(sentence)
        c.in_table = False
        if not self.commits(sentence):
            return None
        return sentence, self._due(sentence), self._owner(sentence)

    def commits(self, sentence: str) -> bool:
        """Whether a clause of ``sentence`` commits to an action or a target."""
        if sentence.rstrip().endswith("?") or POINTER.search(sentence):
            return False
        if len(re.findall(r"[A-Za-z]{2,}", sentence)) < 4 and not FUTURE.search(sentence):
            return False  # a date alone ("18 December 2012") or a stray fragment of the layout
        return any(self._clause_commits(clause) for clause in CLAUSES.split(sentence))

    def _clause_commits(self, clause: str) -> bool:
        for cue in FUTURE.finditer(clause):
            before = clause[: cue.start()]
            if cue.group(0).lower() in ("will", "shall") and (
                NOT_OURS.search(before)
                or EXTERNAL.search(before)
                or PREDICTION.search(clause)
                or GERUND_SUBJECT.search(before.strip())
            ):
                continue
            return True
        if PAST.search(clause) or EXTERNAL.search(clause) or PREDICTION.search(clause) or "£" in clause:
            return False
        dates = find_due_dates(clause, self.year, self.strategy_end)
        return any(DEADLINE_MARK.search(clause[: d.start]) for d in dates)

    def _due(self, text: str) -> DueDate | None:
        clauses = [c for c in CLAUSES.split(text) if not PAST.search(c) or FUTURE.search(c)]
        dues = [d for d in (earliest_due(c, self.year, self.strategy_end) for c in clauses) if d]
        return min(dues, key=lambda d: d.end) if dues else None

    def _owner(self, sentence: str) -> str | None:
        """The owner named in the first clause that commits."""
        clause = next((c for c in CLAUSES.split(sentence) if self._clause_commits(c)), sentence)
        return find_owner(clause, self.expansions)

    def _is_table_heading(self, sentence: str) -> bool:
        if len(sentence.split()) > 16 or "," in sentence or not sentence[:1].isupper():
            return False
        return bool(TABLE_HEADING.search(sentence)) or len(find_due_dates(sentence, None)) >= 2

    def _row(self, row: str) -> tuple[str, DueDate | None, str | None] | None:
        c = self.context
        if not c.table_commits or not re.search(r"[A-Za-z]{3,}", row):
            return None
        month = MONTH_FIRST.match(row)
        year = re.search(r"(?<![\d/])20\d\d(?![\d/])", row)
        own = earliest_due(f"{month.group(1)} {year.group(0)}", self.year) if month and year else self._due(row)
        if not (own or c.table_due or self.commits(row)):
            return None  # a row of figures under a heading that names no date
        first = row.split()[0]
        return row, own or c.table_due, first if is_acronym_body(first, self.expansions) else None


def _continues(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether ``second`` is the rest of a sentence that a page or column break cut after ``first``
    ("... the MyVale Hospital patient portal," / "already used by 31,000 WAH patients, will ...")."""
    head, tail = text[first[0] : first[1]].rstrip(), text[second[0] : second[1]].lstrip()
    if not head or not tail[:1].islower() or head[-1] in ".;:!?":
        return False
    return head[-1] == "," or head[:1].isupper() and len(head.split()) > 12


def _sentences(document: Document, passages: Sequence[Passage]) -> list[tuple[int, int, Passage]]:
    """Every sentence of the passages in reading order, sentences cut by a break joined again."""
    spans = sentence_spans(document.text, [(p.start_char, p.end_char) for p in passages])
    joined: list[tuple[int, int, Passage]] = []
    for passage, sentences in zip(passages, spans, strict=True):
        for start, end in sentences:
            same_section = bool(joined) and joined[-1][2].heading == passage.heading
            if same_section and _continues(document.text, joined[-1][:2], (start, end)):
                joined[-1] = (joined[-1][0], end, joined[-1][2])
            else:
                joined.append((start, end, passage))
    return joined


def _pages(document: Document, start: int, end: int) -> list[int]:
    first = bisect.bisect_right(document.page_starts, start) - 1
    last = bisect.bisect_right(document.page_starts, max(start, end - 1)) - 1
    return [page.number for page in document.pages[first : last + 1]]


def find_commitments(
    document: Document,
    passages: Sequence[Passage],
    tags: Sequence[Tag] = (),
    thresholds: Mapping[str, float] | None = None,
) -> list[Commitment]:
    """Every commitment in the passages of ``document``, in reading order. Its measures are those
    whose threshold the passage's tag clears, its criteria the ones the tag names for them."""
    period = strategy_period(document.text)
    year = document.source.year or (period[0] if period else opening_year(document.text))
    reader = CommitmentReader(year, period[1] if period else None, acronym_expansions(document.text))
    by_passage = {tag.passage_id: tag for tag in tags}
    thresholds = thresholds or {}
    commitments: list[Commitment] = []
    heading: object = object()
    for start, end, passage in _sentences(document, passages):
        if passage.heading != heading:
            reader.new_section()
            heading = passage.heading
        found = reader.read(" ".join(document.text[start:end].split()))
        if found is None:
            continue
        text, due, owner = found
        tag = by_passage.get(passage.passage_id)
        measures = sorted(m for m, score in tag.scores.items() if score >= thresholds.get(m, 1.0)) if tag else []
        commitments.append(
            Commitment(
                text=text,
                due=due.value if due else None,
                owner=owner,
                measures=measures,
                criteria=[c for m in measures for c in tag.criteria.get(m, [])] if tag else [],
                pages=_pages(document, start, end),
                heading=passage.heading,
                passage_id=passage.passage_id,
            )
        )
    return commitments
