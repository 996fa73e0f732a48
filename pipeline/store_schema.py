"""The results store's schema and how to open it: the tables (every row tagged with the versions
key that produced it), an SQLite file in the output folder by default or PostgreSQL by URL, and
their creation under a lock. Reading and writing rows is ``pipeline.store``'s job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    create_engine,
    event,
    func,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from pipeline.models import Versions
from pipeline.stamps import SQLITE_FILE

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

UPSERTS: dict[str, Callable[[Table], Any]] = {
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
    if backend not in UPSERTS:
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
