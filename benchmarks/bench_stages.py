"""Where a cold review spends its time beyond the raw libraries: the stages after ingestion and
embedding, timed in this process on a few documents already read and embedded by the other
benchmarks (so their vectors come from the in-process memo and cost nothing here)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pipeline.classify import tag_passages
from pipeline.coverage import assess_coverage
from pipeline.criteria import credit_criteria
from pipeline.embed import embed_passages
from pipeline.models import Document, Passage
from pipeline.pack import write_pack
from pipeline.report import build_review, write_outputs
from pipeline.review import load_components
from pipeline.settings import Settings
from pipeline.versions import model_summary


def bench_stages(documents: list[Document], passages: dict[str, list[Passage]], settings: Settings) -> dict[str, object]:
    """Mean seconds per document of tagging (measures and criteria), coverage, the JSON and HTML page, and the pack
    (HTML and PDF)."""
    components = load_components(settings)
    model = model_summary(components.card, settings)
    seconds: dict[str, list[float]] = {"tag": [], "coverage": [], "json_and_html": [], "pack_html_and_pdf": []}
    with tempfile.TemporaryDirectory() as out:
        for document in documents:
            found = passages[document.file]
            embeddings = embed_passages(found, settings)
            started = time.perf_counter()
            tags = tag_passages(found, embeddings, components.tagger)
            tags = credit_criteria(found, tags, components.criteria, components.card.thresholds)
            tagged = time.perf_counter()
            measures = assess_coverage(found, tags, components.taxonomy, components.card.thresholds, settings)
            review = build_review(document, measures, model)
            assessed = time.perf_counter()
            write_outputs(review, Path(out))
            written = time.perf_counter()
            write_pack(review, components.taxonomy, Path(out))
            packed = time.perf_counter()
            for name, elapsed in zip(seconds, (tagged - started, assessed - tagged, written - assessed, packed - written)):
                seconds[name].append(elapsed)
    return {
        "documents": [d.file for d in documents],
        **{f"{name}_seconds_per_document": round(sum(v) / len(v), 2) for name, v in seconds.items()},
    }
