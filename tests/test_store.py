"""The results store on real SQLite and PostgreSQL: idempotent, versioned, concurrent writes."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.models import (
    CriterionCoverage,
    DocumentReview,
    DocumentSummary,
    Evidence,
    MeasureCoverage,
    Passage,
    ReviewErrorRecord,
    Tag,
    Versions,
    document_id,
)
from pipeline.store import find_review, finish_run, latest_reviews, save_review, start_run
from pipeline.store_schema import StoreSchemaError, documents_table, metadata, open_store, reviews_table, runs_table
from tests.services import postgresql_database, postgresql_url  # noqa: F401 (fixtures)

# The versions as an earlier release stored them: no criterion model, runtime, reader or digest.
STORED_MODEL: dict[str, object] = {
    "pipeline_version": "0.1.0",
    "tagger": "MeasureTagger",
    "tagger_hash": "9f2c4e1a7b",
    "taxonomy_version": "2024.1",
    "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
    "training_data_hash": "51d0c3",
    "thresholds": {"M1": 0.41, "M2": 0.38},
    "cv_macro_f1": 0.802,
    "created": "2026-11-23T10:00:00+00:00",
}
MODEL = Versions.model_validate(STORED_MODEL)
RETRAINED = MODEL.model_copy(update={"tagger_hash": "03be77d2c9"})

TEXTS = [
    (
        "Shared care record",
        [3],
        "All partners will view one shared care record by March 2025, "
        "with GP, acute and social care data joined for direct care.",
    ),
    (
        "Shared care record",
        [3, 4],
        "Clinicians in the emergency department will see medicines and "
        "allergies recorded by primary care without a phone call.",
    ),
    (
        "Cyber security",
        [7],
        "Every trust will meet the Data Security and Protection Toolkit "
        "standard and run a joint cyber incident exercise each year.",
    ),
]

Records = tuple[DocumentReview, list[Passage], list[Tag]]


def reviewed(name: str, model: Versions = MODEL) -> Records:
    """A small, realistic review of one strategy, with its passages and tags."""
    doc_id = document_id(name.encode())
    passages, offset = [], 0
    for ordinal, (heading, pages, text) in enumerate(TEXTS):
        passages.append(
            Passage(
                passage_id=f"{doc_id}-{ordinal}",
                document_id=doc_id,
                ordinal=ordinal,
                text=text,
                heading=heading,
                pages=pages,
                start_char=offset,
                end_char=offset + len(text),
            )
        )
        offset += len(text) + 2
    tags = [
        Tag(
            passage_id=passages[0].passage_id,
            scores={"M1": 0.91, "M2": 0.12},
            criteria={"M1": ["M1.ICS.1", "M1.ICS.2"]},
        ),
        Tag(passage_id=passages[1].passage_id, scores={"M1": 0.77, "M2": 0.05}, criteria={"M1": ["M1.ICS.2"]}),
        Tag(passage_id=passages[2].passage_id, scores={"M1": 0.08, "M2": 0.31}),
    ]
    evidence = [
        Evidence(
            passage_id=p.passage_id,
            pages=p.pages,
            heading=p.heading,
            text=p.text,
            score=t.scores["M1"],
            criteria=t.criteria.get("M1", []),
        )
        for p, t in zip(passages[:2], tags[:2], strict=False)
    ]
    m1_criteria = [
        CriterionCoverage(id="M1.ICS.1", status="weak", score=0.91),
        CriterionCoverage(id="M1.ICS.2", status="evidenced", score=0.84),
    ]
    m2_criteria = [CriterionCoverage(id="M2.ICS.1", status="no_evidence", score=0.31)]
    measures = [
        MeasureCoverage(id="M1", name="Well led", status="weak", score=0.84, criteria=m1_criteria, evidence=evidence),
        MeasureCoverage(
            id="M2",
            name="Ensure smart foundations",
            status="no_evidence",
            score=0.31,
            criteria=m2_criteria,
            evidence=[],
        ),
    ]
    summary = DocumentSummary(
        id=doc_id,
        file=f"{name}.pdf",
        ics="Anyshire ICS",
        pages=12,
        title=f"{name} digital strategy",
        organisation_level="ics",
        year=2024,
    )
    return DocumentReview(document=summary, model=model, measures=measures), passages, tags


def failed(name: str, model: Versions = MODEL) -> DocumentReview:
    """The review of a file that could not be read: no measures, one error."""
    summary = DocumentSummary(
        id=document_id(name.encode()), file=f"{name}.pdf", ics="Anyshire ICS", title=None, pages=None
    )
    error = ReviewErrorRecord(code="encrypted", message=f"{name}.pdf: password-protected")
    return DocumentReview(document=summary, model=model, measures=[], errors=[error])


# Rows one successful review adds: 3 passages, 3 tags, 2 measure + 3 criterion verdicts.
ONE_REVIEW = {"documents": 1, "reviews": 1, "passages": 3, "tags": 3, "coverage": 5}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table is not runs_table
        }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None (the default SQLite file) or the URL of an empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgresql_database"))


@pytest.fixture
def engine(store_url: str | None, tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(store_url, tmp_path)
    yield engine
    engine.dispose()


def test_default_store_is_an_sqlite_file_in_the_output_folder(tmp_path: Path) -> None:
    engine = open_store(None, tmp_path / "out")
    engine.dispose()
    assert (tmp_path / "out" / "wgll.sqlite").is_file()


def test_reopening_a_store_keeps_its_rows(store_url: str | None, tmp_path: Path) -> None:
    first = open_store(store_url, tmp_path)
    save_review(first, start_run(first, MODEL, tmp_path), *reviewed("north"))
    first.dispose()
    again = open_store(store_url, tmp_path)
    assert row_counts(again) == ONE_REVIEW
    again.dispose()


def test_run_records_its_versions_and_outcome(engine: Engine, tmp_path: Path) -> None:
    run_id = start_run(engine, MODEL, tmp_path)
    finish_run(engine, run_id, documents=4, failures=1)
    with engine.connect() as conn:
        run = conn.execute(select(runs_table).where(runs_table.c.id == run_id)).one()._mapping
    assert run["versions_key"] == MODEL.key
    assert run["tagger_hash"] == "9f2c4e1a7b" and run["taxonomy_version"] == "2024.1"
    assert run["embedding_model"] == MODEL.embedding_model and run["pipeline_version"] == "0.1.0"
    assert (run["documents"], run["failures"], run["out_dir"]) == (4, 1, str(tmp_path))
    assert run["finished_at"] >= run["started_at"]


def test_saving_a_review_twice_adds_no_rows(engine: Engine, tmp_path: Path) -> None:
    records = reviewed("north")
    save_review(engine, start_run(engine, MODEL, tmp_path), *records)
    assert row_counts(engine) == ONE_REVIEW
    save_review(engine, start_run(engine, MODEL, tmp_path), *records)
    assert row_counts(engine) == ONE_REVIEW


def test_a_review_stored_by_an_older_release_reads_back_under_its_key(engine: Engine, tmp_path: Path) -> None:
    """Its ``model`` is a JSON object without the fields added since: it validates into Versions,
    and the key it was stored under (the hash of those fields read with '' for missing) holds."""
    review = reviewed("north")[0]
    save_review(engine, start_run(engine, MODEL, tmp_path), review, [], [])
    with engine.begin() as conn:
        conn.execute(update(reviews_table).values(review={**review.model_dump(mode="json"), "model": STORED_MODEL}))
    joined = "\0".join(f"{field}={STORED_MODEL.get(field, '')}" for field in Versions.KEY_FIELDS)
    stored_key = hashlib.sha256(joined.encode()).hexdigest()[:16]
    found = find_review(engine, review.document.id, stored_key)
    assert found is not None and found.model == MODEL and found.model.thresholds == STORED_MODEL["thresholds"]
    assert found.model.settings_digest == "" and found.model.criteria_model is None


def test_a_second_versions_key_stores_a_second_result(engine: Engine, tmp_path: Path) -> None:
    first, retrained = reviewed("north"), reviewed("north", RETRAINED)
    save_review(engine, start_run(engine, MODEL, tmp_path), *first)
    save_review(engine, start_run(engine, RETRAINED, tmp_path), *retrained)
    assert row_counts(engine) == {**{t: 2 * n for t, n in ONE_REVIEW.items()}, "documents": 1}
    doc_id = first[0].document.id
    assert find_review(engine, doc_id, MODEL.key) == first[0]
    assert find_review(engine, doc_id, RETRAINED.key) == retrained[0]


def test_find_review_round_trips_the_review(engine: Engine, tmp_path: Path) -> None:
    review, passages, tags = reviewed("north")
    save_review(engine, start_run(engine, MODEL, tmp_path), review, passages, tags)
    found = find_review(engine, review.document.id, MODEL.key)
    assert found == review
    assert found is not None and found.model_dump(mode="json") == review.model_dump(mode="json")
    assert find_review(engine, review.document.id, RETRAINED.key) is None
    assert find_review(engine, document_id(b"never seen"), MODEL.key) is None


def test_failed_document_review_is_stored(engine: Engine, tmp_path: Path) -> None:
    review = failed("locked")
    run_id = start_run(engine, MODEL, tmp_path)
    save_review(engine, run_id, review, [], [])
    save_review(engine, run_id, review, [], [])
    assert row_counts(engine) == {**dict.fromkeys(ONE_REVIEW, 0), "documents": 1, "reviews": 1}
    assert find_review(engine, review.document.id, MODEL.key) == review


def test_a_retried_failure_is_replaced_by_its_result(engine: Engine, tmp_path: Path) -> None:
    """e.g. an encrypted file reviewed again with its password, under the same versions."""
    success = reviewed("locked")
    save_review(engine, start_run(engine, MODEL, tmp_path), failed("locked"), [], [])
    save_review(engine, start_run(engine, MODEL, tmp_path), *success)
    assert row_counts(engine) == ONE_REVIEW
    assert find_review(engine, success[0].document.id, MODEL.key) == success[0]
    assert latest_reviews(engine) == [success[0]]


def test_a_later_failure_does_not_erase_a_result(engine: Engine, tmp_path: Path) -> None:
    success = reviewed("north")
    save_review(engine, start_run(engine, MODEL, tmp_path), *success)
    save_review(engine, start_run(engine, MODEL, tmp_path), failed("north"), [], [])
    assert row_counts(engine) == ONE_REVIEW
    assert find_review(engine, success[0].document.id, MODEL.key) == success[0]
    with engine.connect() as conn:
        document = conn.execute(select(documents_table)).one()._mapping
    kept = (document["title"], document["pages"], document["year"])
    assert kept == ("north digital strategy", 12, 2024)


def test_a_failing_save_leaves_nothing_behind(engine: Engine, tmp_path: Path) -> None:
    """A tag of a passage that was not saved breaks a foreign key: the whole document rolls back."""
    review, passages, tags = reviewed("north")
    with pytest.raises(IntegrityError):
        save_review(engine, start_run(engine, MODEL, tmp_path), review, passages[:1], tags)
    assert set(row_counts(engine).values()) == {0}


def test_latest_reviews_gives_the_newest_review_per_document(engine: Engine, tmp_path: Path) -> None:
    old_north, south = reviewed("north"), reviewed("south")
    new_north = reviewed("north", RETRAINED)
    first_run = start_run(engine, MODEL, tmp_path)
    save_review(engine, first_run, *old_north)
    save_review(engine, first_run, *south)
    save_review(engine, first_run, failed("locked"), [], [])
    save_review(engine, start_run(engine, RETRAINED, tmp_path), *new_north)
    latest = latest_reviews(engine)
    expected = sorted([new_north[0], south[0], failed("locked")], key=lambda r: r.document.id)
    assert latest == expected


def test_latest_reviews_follow_a_return_to_earlier_versions(engine: Engine, tmp_path: Path) -> None:
    """A tagger rolled back: the run under the old versions again makes the old result current."""
    north, retrained = reviewed("north"), reviewed("north", RETRAINED)
    save_review(engine, start_run(engine, MODEL, tmp_path), *north)
    save_review(engine, start_run(engine, RETRAINED, tmp_path), *retrained)
    assert latest_reviews(engine) == [retrained[0]]
    save_review(engine, start_run(engine, MODEL, tmp_path), *north)
    assert latest_reviews(engine) == [north[0]]
    assert row_counts(engine)["reviews"] == 2


def test_latest_reviews_of_an_empty_store_is_empty(engine: Engine) -> None:
    assert latest_reviews(engine) == []


def _save_from_a_process(url: str | None, out_dir: str, names: list[str], start: Any) -> None:
    """One writer process: open the store (maybe creating it) and save its share twice over,
    setting off together with the other writer each time."""
    start.wait()
    engine = open_store(url, Path(out_dir))
    run_id = start_run(engine, MODEL, Path(out_dir))
    start.wait()
    for name in names + names:
        save_review(engine, run_id, *reviewed(name))
    finish_run(engine, run_id, documents=len(names), failures=0)
    engine.dispose()


def test_concurrent_processes_write_no_duplicates_and_lose_nothing(store_url: str | None, tmp_path: Path) -> None:
    """Two processes open a fresh store together and each saves 6 documents of its own and 6 in
    common, interleaved, in step, so they keep colliding on the common ones."""
    common = [f"common-{i}" for i in range(6)]
    shares = [
        [name for pair in zip(common, [f"{who}-{i}" for i in range(6)], strict=False) for name in pair]
        for who in ("east", "west")
    ]
    spawn = multiprocessing.get_context("spawn")
    # A timeout breaks the barrier, so a writer that dies cannot leave the other waiting forever.
    start = spawn.Barrier(len(shares), timeout=30)
    writers = [
        spawn.Process(target=_save_from_a_process, args=(store_url, str(tmp_path), share, start), daemon=True)
        for share in shares
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0, 0]

    names = set(shares[0]) | set(shares[1])
    engine = open_store(store_url, tmp_path)
    assert row_counts(engine) == {table: n * len(names) for table, n in ONE_REVIEW.items()}
    for name in names:
        review = reviewed(name)[0]
        assert find_review(engine, review.document.id, MODEL.key) == review
    with engine.connect() as conn:
        finished = select(runs_table.c.documents).where(runs_table.c.finished_at.is_not(None))
        assert sorted(conn.execute(finished).scalars()) == [12, 12]
    engine.dispose()


def test_the_worker_that_computed_a_review_is_recorded(engine: Engine, tmp_path: Path) -> None:
    """Scale-out runs must show which worker process produced each review; a re-run elsewhere
    of the same versions keeps the original producer."""
    records = reviewed("north")
    save_review(engine, start_run(engine, MODEL, tmp_path), *records, worker=("node-a", 4242))
    save_review(engine, start_run(engine, MODEL, tmp_path), *records, worker=("node-b", 77))
    with engine.connect() as conn:
        stored = conn.execute(select(reviews_table.c.worker_host, reviews_table.c.worker_pid)).all()
    assert [tuple(row) for row in stored] == [("node-a", 4242)]


def test_a_store_from_an_older_schema_is_refused_by_name(tmp_path: Path) -> None:
    engine = open_store(None, tmp_path)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE reviews DROP COLUMN worker_pid")
    engine.dispose()
    with pytest.raises(StoreSchemaError, match=r"wgll\.sqlite: table reviews lacks worker_pid.*older wgll-review"):
        open_store(None, tmp_path)
