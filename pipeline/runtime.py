"""What a review needs from its process, kept apart from the stage sequence in
``pipeline.review``: the components loaded once per process under a lock (taxonomy, tagger, the
criterion model, the labelled passages) and a background thread that loads them while the first PDF
is parsed."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from threading import Lock, Thread
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipeline.criteria import load_criterion_model
from pipeline.criteria_card import CriteriaCard
from pipeline.encoder import load_encoder
from pipeline.explain import LabelledIndex, build_labelled_index, labelled_vectors_path
from pipeline.labels import read_labelled
from pipeline.model_card import ModelCard, load_tagger
from pipeline.pack_pdf import start_printer
from pipeline.segment import build_segmenter
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy, load_taxonomy


class Components(BaseModel):
    """What every review needs and is loaded once per process: taxonomy, tagger, model card, the
    criterion model beside the tagger, and the embedded labelled passages that explain tags."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    taxonomy: Taxonomy
    tagger: Any
    card: ModelCard
    labelled: LabelledIndex
    criteria: Any
    criteria_card: CriteriaCard


_loading = Lock()
_preloading = Lock()
_preloaded: set[str] = set()


def load_components(settings: Settings) -> Components:
    """Taxonomy, tagger and card for these settings, loaded once per process and thread-safe."""
    with _loading:
        return _load(settings.taxonomy_path, settings.tagger_path, settings.model_dump_json())


@lru_cache(maxsize=4)
def _load(taxonomy_path: Path, tagger_path: Path, settings_json: str) -> Components:
    settings = Settings.model_validate_json(settings_json)
    taxonomy = load_taxonomy(taxonomy_path)
    tagger, card = load_tagger(tagger_path, taxonomy, settings)
    criteria, criteria_card = load_criterion_model(tagger_path, taxonomy, settings)
    labelled = build_labelled_index(
        read_labelled(settings.labels_path, taxonomy.measure_ids), settings, labelled_vectors_path(tagger_path)
    )
    return Components(
        taxonomy=taxonomy, tagger=tagger, card=card, labelled=labelled, criteria=criteria, criteria_card=criteria_card
    )


def preload(settings: Settings) -> None:
    """Start loading what a review needs besides its PDF (the browser that prints packs, spaCy's
    segmenter, the tagger and its labelled passages, the embedding model: about 10 s) in a
    background thread, once per process.
    A process's first review then parses its PDF in a child process meanwhile, instead of first.
    A failure is left for the review itself to meet and report."""
    key = settings.model_dump_json()
    with _preloading:
        if key in _preloaded:
            return
        _preloaded.add(key)

    def load() -> None:
        try:
            if settings.write_packs:
                start_printer(settings.pack_printer)
            build_segmenter()
            load_components(settings)
            load_encoder(settings)
        except Exception:  # noqa: BLE001 - raised again, with its context, where the review loads it
            pass

    Thread(target=load, name="wgll-preload", daemon=True).start()
