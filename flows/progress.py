"""Lets the command line follow a batch as documents finish, without Prefect knowing about it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.models import DocumentReview

Listener = Callable[[int, int, DocumentReview], None]
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(done, total, review)`` each time a document of a batch is finished."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def document_finished(done: int, total: int, review: DocumentReview) -> None:
    for listener in list(_listeners):
        listener(done, total, review)
