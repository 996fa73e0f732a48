"""Embedding passages/s: our ``embed_passages`` (empty cache: hashing, SQLite, memo, and the
configured runtime, OpenVINO by default) against raw ``SentenceTransformer.encode`` on PyTorch of the
same passage texts with the same batch size and normalisation, document by document in alternating
order; plus the cosine between the two vectors of every passage.

Run on its own (``python benchmarks/bench_embed.py``), it checks that the runtime leaves the
tagger's decisions as they were: it embeds the labelled passages, the holdout and the passages of
the sample strategies both ways, and counts (and lists) the ``MeasureTagger.predict`` decisions
that change. Writes benchmarks/results/embed-decisions.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pipeline.embed import embed_passages, embed_texts
from pipeline.encoder import embedding_runtime, load_encoder, load_model
from pipeline.models import Passage
from pipeline.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


def raw_encode(texts: list[str], settings: Settings) -> np.ndarray:
    return load_model(settings.embedding_model).encode(
        texts,
        batch_size=settings.embedding_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def bench_embed(passages_by_document: dict[str, list[Passage]], settings: Settings) -> dict[str, object]:
    """Seconds per document for both; both models are loaded and warmed before timing either.
    The empty cache borrows the exported graph: exporting it is set-up, once per cache folder."""
    warm = ["warming up the model before anything is timed"] * 64
    raw_encode(warm, settings)
    seconds: dict[str, list[float]] = {"ours": [], "encode": []}
    cosines: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as empty_cache:
        cold = settings.model_copy(update={"cache_dir": Path(empty_cache)})
        load_encoder(settings)
        if (settings.cache_dir / "embedding-runtime").is_dir():
            (cold.cache_dir / "embedding-runtime").symlink_to(settings.cache_dir / "embedding-runtime")
        load_encoder(cold).encode(warm, settings.embedding_batch_size)
        for index, passages in enumerate(passages_by_document.values()):
            texts = [p.text for p in passages]
            vectors: dict[str, np.ndarray] = {}
            runs = [
                ("ours", lambda: embed_passages(passages, cold).vectors),
                ("encode", lambda: raw_encode(texts, settings)),
            ]
            for name, run in runs if index % 2 == 0 else runs[::-1]:
                started = time.perf_counter()
                vectors[name] = run()
                seconds[name].append(time.perf_counter() - started)
            if texts:
                cosines.append(np.sum(vectors["ours"] * vectors["encode"], axis=1))
    count = sum(len(p) for p in passages_by_document.values())
    unique = len({p.text for passages in passages_by_document.values() for p in passages})
    cosine = np.concatenate(cosines) if cosines else np.ones(1)
    return {
        "runtime": embedding_runtime(settings),
        "passages": count,
        "unique_passages": unique,
        "per_document": {
            name: {
                "passages": len(passages),
                "ours": round(seconds["ours"][i], 3),
                "encode": round(seconds["encode"][i], 3),
            }
            for i, (name, passages) in enumerate(passages_by_document.items())
        },
        **{f"{name}_seconds": round(sum(values), 2) for name, values in seconds.items()},
        **{f"{name}_passages_per_second": round(count / sum(values), 1) for name, values in seconds.items()},
        "ours_over_encode": round(sum(seconds["ours"]) / sum(seconds["encode"]), 3),
        "cosine_to_encode": {"min": round(float(cosine.min()), 6), "mean": round(float(cosine.mean()), 6)},
    }


@contextmanager
def runtime(name: str) -> Iterator[Settings]:
    """The process-wide settings with ``name`` as the embedding runtime: the tagger's own embedder
    reads them, so this is how its predictions are made with one runtime or the other."""
    previous = os.environ.get("WGLL_EMBEDDING_RUNTIME")
    os.environ["WGLL_EMBEDDING_RUNTIME"] = name
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        if previous is None:
            del os.environ["WGLL_EMBEDDING_RUNTIME"]
        else:
            os.environ["WGLL_EMBEDDING_RUNTIME"] = previous
        get_settings.cache_clear()


def sample_passages(settings: Settings) -> list[tuple[str, str]]:
    """(source, text) of every passage of the sample strategies, as a review finds them."""
    from pipeline.ingest import read_document
    from pipeline.runtime import load_components
    from pipeline.segment import split_passages

    names = [m.name for m in load_components(settings).taxonomy.measures]
    found = []
    for pdf in sorted((ROOT / "corpora" / "sample").glob("*.pdf")):
        document = read_document(pdf, settings)
        found += [(pdf.name, p.text) for p in split_passages(document, settings, listing_names=names)]
    return found


def labelled_passages() -> list[tuple[str, str]]:
    found = []
    for name in ("passages.jsonl", "holdout.jsonl"):
        for line in (ROOT / "labels" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                found.append((f"{name}:{record['id']}", record["text"]))
    return found


def compare_decisions(candidate: str) -> dict[str, object]:
    """Vectors and tagger decisions of every labelled, holdout and sample passage, on PyTorch and
    on ``candidate``; each changed decision listed with both probabilities."""
    from pipeline.runtime import load_components

    labelled = labelled_passages()
    with runtime("torch") as settings:
        passages = labelled + sample_passages(settings)
    texts = [text for _, text in passages]
    outcome: dict[str, dict[str, object]] = {}
    for name in ("torch", candidate):
        with runtime(name) as settings:
            tagger = load_components(settings).tagger
            outcome[name] = {
                "label": embedding_runtime(settings),
                "vectors": embed_texts(texts, settings),
                "decisions": tagger.predict(texts),
                "probabilities": tagger.predict_proba(texts),
            }
    ours, theirs = outcome[candidate], outcome["torch"]
    cosine = np.sum(ours["vectors"] * theirs["vectors"], axis=1)
    changed = np.argwhere(ours["decisions"] != theirs["decisions"])
    measures = list(tagger.classes_)
    return {
        "runtime": ours["label"],
        "reference": theirs["label"],
        "passages": len(texts),
        "labelled_and_holdout": len(labelled),
        "decisions": int(ours["decisions"].size),
        "decisions_changed": len(changed),
        "cosine": {"min": round(float(cosine.min()), 6), "mean": round(float(cosine.mean()), 7)},
        "max_probability_change": round(float(np.abs(ours["probabilities"] - theirs["probabilities"]).max()), 5),
        "changes": [
            {
                "source": passages[row][0],
                "text": passages[row][1][:160],
                "measure": measures[column],
                "torch": round(float(theirs["probabilities"][row, column]), 4),
                candidate: round(float(ours["probabilities"][row, column]), 4),
            }
            for row, column in changed
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime", default="openvino", choices=["openvino", "onnx"])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "embed-decisions.json")
    args = parser.parse_args()
    report = compare_decisions(args.runtime)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{report['runtime']} against {report['reference']}: {report['passages']} passages "
        f"({report['labelled_and_holdout']} labelled or holdout), cosine min {report['cosine']['min']}, "
        f"mean {report['cosine']['mean']}; {report['decisions_changed']} of {report['decisions']} tagger "
        f"decisions changed; largest probability change {report['max_probability_change']}"
    )
    for change in report["changes"]:
        print(
            f"  {change['source']} {change['measure']}: torch {change['torch']} -> "
            f"{args.runtime} {change[args.runtime]}: {change['text']}"
        )


if __name__ == "__main__":
    main()
