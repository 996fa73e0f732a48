"""Training bookkeeping around reviewer verdicts: what the previous model saw, when a new model
may replace it, how much a verdict weighs, and a training-data hash that did not move."""

from __future__ import annotations

import hashlib

from pipeline.labels import PROVENANCE_FIELDS, REVIEWED, LabelledPassage, read_labelled
from pipeline.model_card import BeforeReview, ModelCard
from pipeline.settings import Settings
from pipeline.train import data_hash, previous_training_set, refusal, training_weights

SETTINGS = Settings()
LABELLED = [
    LabelledPassage(id="w-1", text="Written passage one.", measures=["M1"]),
    LabelledPassage(id="r-1", text="Reviewed earlier.", measures=["M2"], origin=REVIEWED, source="d", reviewer="p"),
    LabelledPassage(id="r-2", text="Reviewed since.", measures=[], origin=REVIEWED, source="d", reviewer="p"),
]


def _card(macro_f1: float, before: float | None, reviewed_ids: tuple[str, ...] = ()) -> ModelCard:
    metrics = {"macro_f1": macro_f1, "micro_f1": macro_f1, "n": 3, "per_measure": {}}
    return ModelCard(
        tagger="MeasureTagger",
        taxonomy_version="1.0",
        embedding_model="m",
        training_data_hash="h",
        n_training_passages=3,
        thresholds={},
        cv_metrics=metrics,
        created="2026-11-23",
        cv_folds=3,
        reviewed_ids=list(reviewed_ids),
        before=None
        if before is None
        else BeforeReview(
            training_data_hash="g", n_training_passages=2, cv_metrics={**metrics, "macro_f1": before}, exact=True
        ),
    )


def test_previous_training_set_is_everything_but_verdicts_its_card_does_not_list() -> None:
    assert previous_training_set(LABELLED, _card(0.8, None, ["r-1"])).tolist() == [True, True, False]
    assert previous_training_set(LABELLED, _card(0.8, None)).tolist() == [True, False, False]


def test_a_drop_in_macro_f1_on_the_same_folds_is_refused() -> None:
    assert refusal(_card(0.79, None)) is None  # nothing to compare with
    assert refusal(_card(0.80, 0.80)) is None
    reason = refusal(_card(0.79, 0.80))
    assert reason is not None and "0.8000" in reason and "0.7900" in reason and "3 folds" in reason


def test_reviewer_verdicts_weigh_more_than_written_passages() -> None:
    assert training_weights(LABELLED, 5).tolist() == [1, 5, 5]


def test_labels_without_provenance_hash_as_before_the_fields_existed() -> None:
    """So a model card written before reviews and writers existed still names its training data
    exactly: the first set's records carry a level, which their hash never covered."""
    first = [p for p in read_labelled(SETTINGS.labels_path) if not p.writer]
    assert len(first) == 1721 and all(p.level for p in first)
    digest = hashlib.sha256()
    for passage in first:
        digest.update(passage.model_dump_json(exclude={*PROVENANCE_FIELDS, "level"}).encode())
    assert data_hash(first) == digest.hexdigest()
    with_provenance = LABELLED[1]
    assert '"reviewer":"p"' in with_provenance.identity_json() and "reviewed_on" not in with_provenance.identity_json()


def test_register_passages_keep_their_writer_and_level() -> None:
    register = [p for p in read_labelled(SETTINGS.labels_path) if p.writer]
    assert {p.writer for p in register} >= {"board-papers", "trade-press"} and {p.level for p in register} == {
        "ICS",
        "ORG",
    }
    identity = register[0].identity_json()
    assert f'"writer":"{register[0].writer}"' in identity and f'"level":"{register[0].level}"' in identity
