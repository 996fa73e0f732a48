"""The results store's rows: every review, passage, tag and coverage verdict, each tagged with the
versions key that produced it (DESIGN.md: identities and versions), in the tables of
``pipeline.store_schema``. Writes are idempotent upserts keyed on (document id, versions key), so
re-running a batch, or several processes running one, never duplicates or half-writes a document.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Table, case, func, select, update

from pipeline.models import DocumentReview, Passage, Tag, Versions
from pipeline.store_schema import (
    UPSERTS,
    coverage_table,
    documents_table,
    passages_table,
    reviews_table,
    runs_table,
    tags_table,
)


def start_run(engine: Engine, versions: Versions, out_dir: Path) -> int:
    """Record a run with the versions it runs under; its id ties every review it writes to them."""
    with engine.begin() as conn:
        result = conn.execute(
            runs_table.insert().values(
                started_at=datetime.now(UTC),
                out_dir=str(out_dir),
                versions_key=versions.key,
                **{field: str(getattr(versions, field)) for field in Versions.KEY_FIELDS},
            )
        )
    inserted = result.inserted_primary_key
    if inserted is None:  # an INSERT of one row always returns its key
        raise RuntimeError(f"{engine.url}: the store returned no id for the new run")
    return int(inserted[0])


def finish_run(engine: Engine, run_id: int, documents: int, failures: int) -> None:
    """Mark a run finished; a run without ``finished_at`` crashed or is still going."""
    with engine.begin() as conn:
        conn.execute(
            update(runs_table)
            .where(runs_table.c.id == run_id)
            .values(finished_at=datetime.now(UTC), documents=documents, failures=failures)
        )


def save_review(
    engine: Engine,
    run_id: int,
    review: DocumentReview,
    passages: Sequence[Passage],
    tags: Sequence[Tag],
    worker: tuple[str, int] | None = None,
) -> None:
    """Store one document's review with its passages, tags and coverage in one transaction;
    ``worker`` is the (host, pid) of the process that computed it.

    Saving a result already stored under the same versions key adds no rows; a stored failure
    (e.g. a timeout) gives way to the newer result, so a retried document is not stuck failed.
    """
    key = review.model.key
    with engine.begin() as conn:
        _upsert_document(conn, review)
        _upsert_review(conn, run_id, key, review, worker)
        _insert_new(conn, passages_table, _rows(passages_table, passages, key))
        _insert_new(conn, tags_table, _rows(tags_table, tags, key))
        _insert_new(conn, coverage_table, _coverage_rows(review, key))


def find_review(engine: Engine, document_id: str, key: str) -> DocumentReview | None:
    """The stored review of a document under a versions key: lets a run skip work already done."""
    with engine.connect() as conn:
        stored = conn.execute(
            select(reviews_table.c.review).where(
                reviews_table.c.document_id == document_id, reviews_table.c.versions_key == key
            )
        ).scalar_one_or_none()
    return None if stored is None else DocumentReview.model_validate(stored)


def latest_reviews(engine: Engine) -> list[DocumentReview]:
    """The newest review of every document, by the last run that saved it, ordered by document
    id: what the coverage audit reports on."""
    ranked = select(
        reviews_table.c.document_id,
        reviews_table.c.review,
        func.row_number()
        .over(
            partition_by=reviews_table.c.document_id,
            order_by=(reviews_table.c.run_id.desc(), reviews_table.c.versions_key),
        )
        .label("rank"),
    ).subquery()
    query = select(ranked.c.review).where(ranked.c.rank == 1).order_by(ranked.c.document_id)
    with engine.connect() as conn:
        return [DocumentReview.model_validate(stored) for stored in conn.execute(query).scalars()]


class StoredReview(BaseModel):
    """A stored review with every passage and tag behind it (not only the evidence the JSON lists)."""

    review: DocumentReview
    passages: list[Passage]
    tags: list[Tag]


def stored_reviews(engine: Engine, run_id: int | None = None, document_ids: Sequence[str] = ()) -> list[StoredReview]:
    """The reviews a run saved last (by ``run_id``), or the newest review of each of
    ``document_ids``, with their passages and tags in passage order."""
    query = select(reviews_table.c.document_id, reviews_table.c.versions_key, reviews_table.c.review)
    if run_id is not None:
        query = query.where(reviews_table.c.run_id == run_id).order_by(reviews_table.c.document_id)
    else:
        query = query.where(reviews_table.c.document_id.in_(list(document_ids))).order_by(
            reviews_table.c.document_id, reviews_table.c.run_id.desc()
        )
    found: list[StoredReview] = []
    with engine.connect() as conn:
        seen: set[str] = set()
        for document_id, key, stored in conn.execute(query).all():
            if document_id in seen:
                continue
            seen.add(document_id)
            rows = (
                conn.execute(
                    select(passages_table, tags_table.c.scores, tags_table.c.criteria)
                    .join(
                        tags_table,
                        (tags_table.c.passage_id == passages_table.c.passage_id)
                        & (tags_table.c.versions_key == passages_table.c.versions_key),
                    )
                    .where(passages_table.c.document_id == document_id, passages_table.c.versions_key == key)
                    .order_by(passages_table.c.ordinal)
                )
                .mappings()
                .all()
            )
            found.append(
                StoredReview(
                    review=DocumentReview.model_validate(stored),
                    passages=[
                        Passage.model_validate({k: v for k, v in row.items() if k != "versions_key"}) for row in rows
                    ],
                    tags=[
                        Tag(passage_id=row["passage_id"], scores=row["scores"], criteria=row["criteria"])
                        for row in rows
                    ],
                )
            )
    return found


def stored_passage_texts(engine: Engine, passage_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Every stored (text, document id) of each passage id, over all versions: what a reviewer's
    verdict on that passage may be checked against."""
    found: dict[str, list[tuple[str, str]]] = {}
    ids = sorted(set(passage_ids))
    with engine.connect() as conn:
        for first in range(0, len(ids), 500):
            rows = conn.execute(
                select(passages_table.c.passage_id, passages_table.c.text, passages_table.c.document_id).where(
                    passages_table.c.passage_id.in_(ids[first : first + 500])
                )
            )
            for passage_id, text_, document_id in rows:
                found.setdefault(passage_id, []).append((text_, document_id))
    return found


def _upsert(conn: Connection, table: Table) -> Any:
    """An INSERT with the dialect's ON CONFLICT clause: conflicts are settled by the database
    in one statement, so concurrent writers never read-then-write."""
    return UPSERTS[conn.dialect.name](table)


def _row(table: Table, record: BaseModel, **extra: object) -> dict[str, Any]:
    """The record's fields (as JSON types) that the table has columns for."""
    values = {**record.model_dump(mode="json"), **extra}
    return {column.name: values[column.name] for column in table.c if column.name in values}


def _rows(table: Table, records: Sequence[BaseModel], key: str) -> list[dict[str, Any]]:
    """Rows of records that do not carry the versions key themselves."""
    return [_row(table, record, versions_key=key) for record in records]


def _upsert_document(conn: Connection, review: DocumentReview) -> None:
    """Same bytes, same document: take the newest file name and manifest details, but never erase
    what an earlier read learned (a failed read knows no title or page count)."""
    row = _row(documents_table, review.document)
    stmt = _upsert(conn, documents_table).values(**row)
    refreshed = {name: func.coalesce(stmt.excluded[name], documents_table.c[name]) for name in row if name != "id"}
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=refreshed))


def _upsert_review(
    conn: Connection, run_id: int, key: str, review: DocumentReview, worker: tuple[str, int] | None
) -> None:
    """Insert the review, or mark the stored one as confirmed by this run (so the audit follows
    the newest run); its content is replaced only if it was a failure (a retried document)."""
    stmt = _upsert(conn, reviews_table).values(
        document_id=review.document.id,
        versions_key=key,
        run_id=run_id,
        review=review.model_dump(mode="json"),
        error_code=review.errors[0].code if review.errors else None,
        worker_host=worker[0] if worker else None,
        worker_pid=worker[1] if worker else None,
    )
    stored_failed = reviews_table.c.error_code.is_not(None)
    kept_unless_failed = {
        name: case((stored_failed, stmt.excluded[name]), else_=reviews_table.c[name])
        for name in ("review", "error_code", "worker_host", "worker_pid")
    }
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["document_id", "versions_key"],
            set_={"run_id": stmt.excluded.run_id, **kept_unless_failed},
        )
    )


def _insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows the table does not hold yet; any unique key already present is skipped."""
    if rows:
        conn.execute(_upsert(conn, table).on_conflict_do_nothing(), rows)


def _coverage_rows(review: DocumentReview, key: str) -> list[dict[str, Any]]:
    """One row per measure verdict (criterion NULL) and one per criterion verdict."""
    rows: list[dict[str, Any]] = []
    for measure in review.measures:
        base = {"document_id": review.document.id, "versions_key": key, "measure_id": measure.id}
        rows.append({**base, "criterion_id": None, "status": measure.status, "score": measure.score})
        rows.extend({**base, "criterion_id": c.id, "status": c.status, "score": c.score} for c in measure.criteria)
    return rows
