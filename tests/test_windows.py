"""Sentence windows of a passage: what the tagger scores besides the whole passage."""

from __future__ import annotations

import numpy as np

from pipeline.windows import max_by_owner, sentences, split_windows, windows

ROADMAP = (
    "Priority 3: Shared records. We will connect all 41 care homes to the shared care record by March 2026; "
    "Retire the last fax machines in primary care by June | Lead: Chief Digital Officer. "
    "Residents will book and change hospital appointments in the NHS App."
)


def test_sentences_break_at_stops_semicolons_and_table_pipes_and_keep_headings_with_their_text() -> None:
    assert sentences(ROADMAP) == [
        "Priority 3: Shared records. We will connect all 41 care homes to the shared care record by March 2026;",
        "Retire the last fax machines in primary care by June Lead: Chief Digital Officer.",
        "Residents will book and change hospital appointments in the NHS App.",
    ]
    assert sentences("We will do this; then that follows.") == ["We will do this; then that follows."]


def test_a_sentence_is_not_broken_inside_a_number_or_an_abbreviation_followed_by_lower_case() -> None:
    text = "We spent £1.2m on devices, e.g. laptops for 3.5 thousand staff, in the first year of the plan."
    assert sentences(text) == [text]


def test_windows_are_runs_shorter_than_the_passage() -> None:
    assert windows(ROADMAP, 1) == sentences(ROADMAP)
    pairs = windows(ROADMAP, 2)
    assert len(pairs) == 5 and pairs[3] == " ".join(sentences(ROADMAP)[:2])
    single = "One sentence about the virtual ward and its 120 beds at home."
    assert windows(single, 2) == [single]


def test_split_windows_and_max_by_owner_pool_per_passage() -> None:
    flat, owner = split_windows([ROADMAP, "A short passage with only one sentence in it."], 1)
    assert len(flat) == 4 and owner.tolist() == [0, 0, 0, 1]
    pooled = max_by_owner(np.array([[0.1, 0.9], [0.5, 0.2], [0.3, 0.1], [0.7, 0.4]]), owner, 2)
    assert pooled.tolist() == [[0.5, 0.9], [0.7, 0.4]]
