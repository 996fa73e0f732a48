"""Short windows of a passage (its sentences, and runs of neighbouring sentences): a passage of
110 words often bundles several measures, one or two sentences each, and a window scored on its
own is not drowned by the rest of the passage."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# A sentence ends at . ! ? ; or : before a capital, digit, quote or bracket; flattened tables and
# lists also break at a pipe, a bullet, or a dash before a capital.
SENTENCE_BREAK = re.compile(
    r"(?<=[.!?;:])\s+(?=[A-Z0-9\"'(\u00a3\u2018\u201c])|\s+[|\u2022\u25aa]\s+|\s+[-\u2013]\s+(?=[A-Z])"
)
MIN_SENTENCE_WORDS = 6  # shorter pieces (headings, "Lead: CIO.") join their neighbour


def sentences(text: str) -> list[str]:
    """The sentences of a passage, headings and fragments merged into a neighbour."""
    merged: list[str] = []
    for piece in (p.strip() for p in SENTENCE_BREAK.split(text)):
        if not piece:
            continue
        if merged and (len(piece.split()) < MIN_SENTENCE_WORDS or len(merged[-1].split()) < MIN_SENTENCE_WORDS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged or [text]


def windows(text: str, size: int) -> list[str]:
    """Every run of 1 to ``size`` consecutive sentences, shorter than the whole passage; a passage
    of one sentence is its own only window."""
    parts = sentences(text)
    runs = [
        " ".join(parts[start : start + length])
        for length in range(1, min(size, len(parts) - 1) + 1)
        for start in range(len(parts) - length + 1)
    ]
    return runs or [text]


def split_windows(texts: Sequence[str], size: int) -> tuple[list[str], np.ndarray]:
    """All windows of all passages, and for each window the index of its passage."""
    flat: list[str] = []
    owner: list[int] = []
    for index, text in enumerate(texts):
        found = windows(text, size)
        flat.extend(found)
        owner.extend([index] * len(found))
    return flat, np.array(owner, dtype=int)


def max_by_owner(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """(n, columns): for each passage, the column-wise maximum over its windows' rows."""
    pooled = np.full((n, values.shape[1]), -np.inf)
    np.maximum.at(pooled, owner, values)
    return pooled
