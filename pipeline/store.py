"""The results store: every review, passage, tag and coverage verdict, each row tagged with the
versions key that produced it (DESIGN.md: identities and versions).

An SQLite file in the output folder by default, PostgreSQL by URL. Writes are idempotent upserts
keyed on (document id, versions key), so re-running a batch, or several processes running one,
never duplicates or half-writes a document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from pipeline.models import DocumentReview, Passage, Tag, Versions

SQLITE_FILE = "wgll.sqlite"
# Any constant shared by every process that opens a store; it names the schema-creation lock.
SCHEMA_LOCK_KEY = 0x57474C4C

JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData()

runs_table = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("out_dir", Text, nullable=False),
    *(Column(field, Text, nullable=False) for field in Versions.KEY_FIELDS),
    Column("versions_key", String(16), nullable=False, index=True),
    Column("documents", Integer),
    Column("failures", Integer),
)

documents_table = Table(
    "documents",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the file's bytes
    Column("file", Text, nullable=False),
    Column("ics", Text),
    Column("organisation_level", Text),
    Column("year", Integer),
    Column("title", Text),
    Column("pages", Integer),
)

reviews_table = Table(
    "reviews",
    metadata,
    Column("document_id", String(64), nullable=False),
    Column("versions_key", String(16), nullable=False),
    Column("run_id", Integer, nullable=False, index=True),
    Column("review", JSONType, nullable=False),
    Column("error_code", String(16)),
    Column("worker_host", Text),  # where the review was computed: with Dask, which worker
    Column("worker_pid", Integer),
    PrimaryKeyConstraint("document_id", "versions_key"),
    ForeignKeyConstraint(["document_id"], ["documents.id"]),
    ForeignKeyConstraint(["run_id"], ["runs.id"]),
)

# Passages carry the versions key too: another pipeline version may segment a document differently,
# and a tag must keep pointing at the text it scored.
passages_table = Table(
    "passages",
    metadata,
    Column("document_id", String(64), nullable=False),
    Column("versions_key", String(16), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("passage_id", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("heading", Text),
    Column("pages", JSONType, nullable=False),
    Column("start_char", Integer, nullable=False),
    Column("end_char", Integer, nullable=False),
    PrimaryKeyConstraint("document_id", "versions_key", "ordinal"),
    UniqueConstraint("passage_id", "versions_key"),
    ForeignKeyConstraint(["document_id", "versions_key"], ["reviews.document_id", "reviews.versions_key"]),
)

tags_table = Table(
    "tags",
    metadata,
    Column("passage_id", Text, nullable=False),
    Column("versions_key", String(16), nullable=False),
    Column("scores", JSONType, nullable=False),
    Column("criteria", JSONType, nullable=False),
    PrimaryKeyConstraint("passage_id", "versions_key"),
    ForeignKeyConstraint(["passage_id", "versions_key"], ["passages.passage_id", "passages.versions_key"]),
)

coverage_table = Table(
    "coverage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", String(64), nullable=False),
    Column("versions_key", String(16), nullable=False),
    Column("measure_id", Text, nullable=False),
    Column("criterion_id", Text),  # NULL: the measure's own verdict
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=False),
    ForeignKeyConstraint(["document_id", "versions_key"], ["reviews.document_id", "reviews.versions_key"]),
)
# One row per verdict; COALESCE because NULLs never collide in a unique index.
Index(
    "coverage_verdict",
    coverage_table.c.document_id,
    coverage_table.c.versions_key,
    coverage_table.c.measure_id,
    func.coalesce(coverage_table.c.criterion_id, ""),
    unique=True,
)

_UPSERTS: dict[str, Callable[[Table], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def open_store(url: str | None, out_dir: Path) -> Engine:
    """Connect to the store (an SQLite file in ``out_dir`` unless a URL is given), creating the
    schema if it is missing."""
    if url is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{out_dir / SQLITE_FILE}"
    backend = make_url(url).get_backend_name()
    if backend not in _UPSERTS:
        raise ValueError(f"{url}: the results store needs SQLite or PostgreSQL, not {backend}")
    engine = _sqlite_engine(url) if backend == "sqlite" else create_engine(url)
    _create_schema(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    """SQLite ignores foreign keys unless asked, and gives up at once on a locked file unless
    told to wait; other processes may be writing the same file."""
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def _create_schema(engine: Engine) -> None:
    """Create missing tables under a lock, so processes opening a fresh store together do not
    race to create the same table."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        _refuse_older_schema(conn)
        metadata.create_all(conn)


class StoreSchemaError(RuntimeError):
    """The store was written by a version of wgll-review with other tables."""


def _refuse_older_schema(conn: Connection) -> None:
    """There are no migrations: a store missing columns this version writes is named, with what to
    do, rather than failing later inside an INSERT."""
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        missing = {column.name for column in table.c} - {column["name"] for column in inspector.get_columns(table.name)}
        if missing:
            raise StoreSchemaError(
                f"{conn.engine.url.render_as_string(hide_password=True)}: table {table.name} lacks "
                f"{', '.join(sorted(missing))}; it was written by an older wgll-review. Move it aside or "
                "use another output folder or database; unchanged documents come back from the task cache."
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
    return int(result.inserted_primary_key[0])


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
    return _UPSERTS[conn.dialect.name](table)


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
