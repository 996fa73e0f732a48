"""Splits a Document into passages with spaCy: a few sentences each, never crossing a section,
each carrying its heading, page span and character offsets into ``Document.text``."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock
from typing import TYPE_CHECKING

from pipeline.models import Document, Passage
from pipeline.settings import Settings, get_settings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DOT_LEADER = re.compile(r"(\.\s?){5,}|(\u2026\s?){2,}")
HEADING_NUMBER = re.compile(r"^\s*(section|chapter|part)?\s*[\divx]+(\.\d+)*\.?\s+", re.IGNORECASE)
MIN_NAMES_FOR_A_LISTING = 4
_one_at_a_time = Lock()  # a spaCy memory zone is per pipeline, not per thread


@dataclass(frozen=True)
class Section:
    heading: str | None
    start: int
    end: int


def mark_layout_breaks(doc: Doc) -> Doc:
    """Paragraph breaks from the PDF layout (blank lines) always start a new sentence."""
    for token in doc[:-1]:
        if (token.is_space and "\n" in token.text) or "\n" in token.whitespace_:
            doc[token.i + 1].is_sent_start = True
    return doc


_building = Lock()  # a review and the preloading thread may ask for the segmenter together


def build_segmenter() -> Language:
    """A blank English pipeline: layout breaks first, then the rule-based sentencizer. spaCy is
    imported here, not at module level: a re-run that finds every document cached never needs it."""
    with _building:
        return _build_segmenter()


@lru_cache(maxsize=1)
def _build_segmenter() -> Language:
    from pipeline.encoder import torch_hidden

    with torch_hidden():  # spaCy needs no PyTorch, and embedding may not either
        import spacy
        from spacy.language import Language

        if "wgll_layout_breaks" not in Language.factories:
            Language.component("wgll_layout_breaks", func=mark_layout_breaks)
        nlp = spacy.blank("en")
        nlp.add_pipe("wgll_layout_breaks")
        nlp.add_pipe("sentencizer")
    return nlp


def split_passages(
    document: Document,
    settings: Settings | None = None,
    listing_names: Sequence[str] = (),
) -> list[Passage]:
    """Passages of ``document`` fit for evidence: navigation, reference sections, dot-leader
    contents lines and bare listings of the framework's measure names are left out."""
    settings = settings or get_settings()
    skipped = {name.lower() for name in settings.skipped_section_headings}
    sections = [s for s in _sections(document) if _heading_key(s.heading) not in skipped]
    nlp = build_segmenter()
    text = document.text
    passages: list[Passage] = []
    with _one_at_a_time, nlp.memory_zone():
        inputs = ((text[s.start : s.end], s) for s in sections)
        for doc, section in nlp.pipe(inputs, as_tuples=True, batch_size=64):
            sentences = [
                (section.start + sent.start_char, section.start + sent.end_char)
                for sent in doc.sents
                if (sentence := sent.text).strip() and not DOT_LEADER.search(sentence)
            ]
            for start, end in _pack(text, sentences, settings.passage_max_words):
                passage_text = " ".join(text[start:end].split())
                if len(passage_text.split()) < settings.passage_min_words:
                    continue
                if _names_framework(passage_text, listing_names):
                    continue
                passages.append(
                    Passage(
                        passage_id=f"{document.id}-{len(passages)}",
                        document_id=document.id,
                        ordinal=len(passages),
                        text=passage_text,
                        heading=section.heading,
                        pages=_pages_of(document, start, end),
                        start_char=start,
                        end_char=end,
                    )
                )
    return passages


def sentence_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The sentences of each ``(start, end)`` span of ``text``, as offsets into ``text``, cut by the
    same segmenter as passages (layout breaks, then the sentencizer): a table row or a list item
    stays a sentence of its own."""
    nlp = build_segmenter()
    with _one_at_a_time, nlp.memory_zone():
        docs = nlp.pipe((text[start:end] for start, end in spans), batch_size=64)
        return [
            [(start + sent.start_char, start + sent.end_char) for sent in doc.sents if sent.text.strip()]
            for (start, _), doc in zip(spans, docs, strict=False)
        ]


def _sections(document: Document) -> list[Section]:
    """Cut the document text at every heading; text before the first heading has none."""
    cuts: list[tuple[int, int, str | None]] = [(0, 0, None)]
    for page, page_start in zip(document.pages, document.page_starts, strict=False):
        for found in page.headings:
            cuts.append((page_start + found.start_char, page_start + found.end_char, found.text))
    sections = []
    for (_, body_start, heading), (next_start, _, _) in zip(
        cuts, cuts[1:] + [(len(document.text), 0, None)], strict=False
    ):
        if next_start > body_start:
            sections.append(Section(heading=heading, start=body_start, end=next_start))
    return sections


def _heading_key(heading: str | None) -> str:
    if heading is None:
        return ""
    return HEADING_NUMBER.sub("", heading).strip(" :").lower()


def _pack(text: str, sentences: list[tuple[int, int]], max_words: int) -> Iterator[tuple[int, int]]:
    """Group consecutive sentences into spans of at most ``max_words`` words; a longer sentence
    (a table row run, a list without stops) is cut at word boundaries."""
    start: int | None = None
    end = 0
    words = 0
    for sent_start, sent_end in sentences:
        for piece_start, piece_end, piece_words in _cut_long(text, sent_start, sent_end, max_words):
            if start is not None and words + piece_words > max_words:
                yield start, end
                start, words = None, 0
            if start is None:
                start = piece_start
            end, words = piece_end, words + piece_words
    if start is not None:
        yield start, end


def _cut_long(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    matches = list(re.finditer(r"\S+", text[start:end]))
    for first in range(0, len(matches), max_words):
        chunk = matches[first : first + max_words]
        yield start + chunk[0].start(), start + chunk[-1].end(), len(chunk)


def _pages_of(document: Document, start: int, end: int) -> list[int]:
    first = bisect.bisect_right(document.page_starts, start) - 1
    last = bisect.bisect_right(document.page_starts, end - 1) - 1
    return [page.number for page in document.pages[first : last + 1]]


def _names_framework(text: str, names: Sequence[str]) -> bool:
    """A passage naming most of the seven measures is a listing of the framework, not evidence."""
    lowered = text.lower()
    return sum(1 for name in names if name.lower() in lowered) >= MIN_NAMES_FOR_A_LISTING
