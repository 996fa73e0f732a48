"""Sentence embeddings from a local sentence-transformers model, cached on disk by model, runtime
and text; ``pipeline.encoder`` says what computes them."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.encoder import embedding_identity, load_encoder
from pipeline.models import Passage
from pipeline.settings import Settings, get_settings

SET_UP_ATTEMPTS = 40  # about 40 s of waiting in all


def _set_up(connection: sqlite3.Connection) -> None:
    """Switch the file to WAL and create the table, retrying while it is locked: when several
    processes (test workers, Dask workers, two reviews) open a new cache at once, SQLite answers
    "locked" at once, without waiting out the connection's timeout."""
    for attempt in range(1, SET_UP_ATTEMPTS + 1):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == SET_UP_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)


@dataclass(frozen=True)
class Embeddings:
    """Unit-length vectors, one row per id, so a dot product is a cosine similarity."""

    ids: list[str]
    vectors: np.ndarray


class EmbeddingCache:
    """Vectors keyed by a hash of (model and runtime, text) in one SQLite file, safe across processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, timeout=60)
        _set_up(self._connection)

    @staticmethod
    def key(model_name: str, text: str) -> str:
        return hashlib.sha256(f"{model_name}\0{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for first in range(0, len(keys), 500):
            chunk = list(keys[first : first + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
            found.update({key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows})
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._connection:
            self._connection.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(key, vector.astype(np.float32).tobytes()) for key, vector in items.items()],
            )

    def close(self) -> None:
        self._connection.close()


# Vectors this process already read from (or wrote to) each embedding cache folder, by cache key:
# a memo of that cache, so another folder (a new cache, a test's) starts with nothing remembered.
_recent: dict[Path, dict[str, np.ndarray]] = {}
RECENT_LIMIT = 200_000  # vectors remembered per cache folder (about 300 MiB)


def embed_texts(texts: Sequence[str], settings: Settings | None = None) -> np.ndarray:
    """Embed ``texts`` with the configured model, computing only what the caches lack."""
    settings = settings or get_settings()
    identity = embedding_identity(settings)
    keys = [EmbeddingCache.key(identity, text) for text in texts]
    recent = _recent.setdefault(settings.cache_dir, {})
    cached = {key: vector for key in keys if (vector := recent.get(key)) is not None}
    if len(cached) < len(set(keys)):
        found = _read_or_compute(keys, texts, cached, settings, identity)
        if found is None:  # the runtime failed to load just now: PyTorch's vectors, under its keys
            return embed_texts(texts, settings)
        cached.update(found)
        if len(recent) > RECENT_LIMIT:
            recent.clear()
        recent.update(cached)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([cached[key] for key in keys]).astype(np.float32)


def _read_or_compute(
    keys: list[str], texts: Sequence[str], known: dict[str, np.ndarray], settings: Settings, identity: str
) -> dict[str, np.ndarray] | None:
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    try:
        cached = cache.get_many([key for key in keys if key not in known])
        missing = sorted(
            {
                key: text for key, text in zip(keys, texts, strict=False) if key not in cached and key not in known
            }.items()
        )
        if missing:
            encoder = load_encoder(settings)
            if embedding_identity(settings) != identity:
                return None
            vectors = encoder.encode([text for _, text in missing], settings.embedding_batch_size)
            computed = {key: vector for (key, _), vector in zip(missing, vectors, strict=False)}
            cache.put_many(computed)
            cached.update(computed)
    finally:
        cache.close()
    return cached


def read_shipped_vectors(path: Path | None) -> dict[str, np.ndarray]:
    """Vectors saved by ``wgll train`` beside the tagger (``labelled-embeddings.npz``), by cache key."""
    if path is None or not path.is_file():
        return {}
    with np.load(path) as stored:
        return dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))


def seed_cache(shipped: Path, settings: Settings) -> int:
    """Put the shipped vectors this cache lacks into it, so that training or cross-validating on the
    labelled passages embeds only passages added since: on an empty cache (a new machine, CI) all
    ~4,700 would take over a minute on 2 cores. Keys carry the model and runtime, so vectors of
    another embedding are stored but never read. Returns how many were added."""
    vectors = read_shipped_vectors(shipped)
    if not vectors:
        return 0
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    try:
        missing = set(vectors) - set(cache.get_many(list(vectors)))
        cache.put_many({key: vectors[key] for key in missing})
    finally:
        cache.close()
    return len(missing)


def embed_passages(passages: Sequence[Passage], settings: Settings | None = None) -> Embeddings:
    """Embeddings of passages, keyed by passage id."""
    vectors = embed_texts([p.text for p in passages], settings)
    return Embeddings(ids=[p.passage_id for p in passages], vectors=vectors)
