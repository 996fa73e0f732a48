"""Embedding passages/s: our ``embed_passages`` (empty cache: hashing, SQLite, memo and encode)
against raw ``SentenceTransformer.encode`` of the same passage texts with the same model object,
batch size and normalisation, document by document in alternating order."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pipeline.embed import embed_passages, load_model
from pipeline.models import Passage
from pipeline.settings import Settings


def raw_encode(texts: list[str], settings: Settings) -> None:
    load_model(settings.embedding_model).encode(
        texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True,
        convert_to_numpy=True, show_progress_bar=False,
    )


def bench_embed(passages_by_document: dict[str, list[Passage]], settings: Settings) -> dict[str, object]:
    """Seconds per document for both; the model is loaded and warmed before timing either."""
    raw_encode(["warming up the model before anything is timed"] * 64, settings)
    seconds: dict[str, list[float]] = {"ours": [], "encode": []}
    with tempfile.TemporaryDirectory() as empty_cache:
        cold = settings.model_copy(update={"cache_dir": Path(empty_cache)})
        for index, passages in enumerate(passages_by_document.values()):
            texts = [p.text for p in passages]
            runs = [("ours", lambda: embed_passages(passages, cold)), ("encode", lambda: raw_encode(texts, settings))]
            for name, run in runs if index % 2 == 0 else runs[::-1]:
                started = time.perf_counter()
                run()
                seconds[name].append(time.perf_counter() - started)
    count = sum(len(p) for p in passages_by_document.values())
    unique = len({p.text for passages in passages_by_document.values() for p in passages})
    return {
        "passages": count,
        "unique_passages": unique,
        "per_document": {
            name: {"passages": len(passages), "ours": round(seconds["ours"][i], 3), "encode": round(seconds["encode"][i], 3)}
            for i, (name, passages) in enumerate(passages_by_document.items())
        },
        **{f"{name}_seconds": round(sum(values), 2) for name, values in seconds.items()},
        **{f"{name}_passages_per_second": round(count / sum(values), 1) for name, values in seconds.items()},
        "ours_over_encode": round(sum(seconds["ours"]) / sum(seconds["encode"]), 3),
    }
