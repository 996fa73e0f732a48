"""The criterion model's card is checked like the tagger's: another taxonomy, another embedding
model or a changed file is refused with a message that names the file and says what to do."""

from pathlib import Path

import pytest

from pipeline.criteria_card import (
    CriteriaCard,
    criteria_card_path,
    criteria_model_path,
    read_criteria_card,
    write_criteria_card,
)
from pipeline.errors import ModelCardMismatch


def _saved(tmp_path: Path) -> Path:
    path = criteria_model_path(tmp_path / "tagger.joblib")
    path.write_bytes(b"a fitted model")
    write_criteria_card(
        CriteriaCard(
            method="pairwise",
            taxonomy_version="1.0",
            embedding_model="m",
            training_data_hash="h",
            n_training_passages=3,
            thresholds={"M1.ICS.1": 0.4},
            flag_ratio=0.9,
            cv_metrics={"macro_f1": 0.7},
            created="2026-12-06",
        ),
        path,
    )
    return path


def test_a_matching_card_is_read_with_the_file_hash(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    card = read_criteria_card(path, "1.0", "m")
    assert path.name == "criteria.joblib" and criteria_card_path(path).name == "criteria.json"
    assert len(card.model_hash) == 64 and card.flag_ratio == 0.9


@pytest.mark.parametrize(
    ("taxonomy", "model", "tamper", "message"),
    [
        ("9.9", "m", False, "taxonomy version 1.0, not 9.9; run `wgll train`"),
        ("1.0", "other", False, "embedding model 'm', not 'other'"),
        ("1.0", "m", True, "does not match its model card's hash"),
    ],
)
def test_a_mismatched_model_is_refused(tmp_path: Path, taxonomy: str, model: str, tamper: bool, message: str) -> None:
    path = _saved(tmp_path)
    if tamper:
        path.write_bytes(b"another model")
    with pytest.raises(ModelCardMismatch, match=message.replace("(", r"\(").replace("`", ".")):
        read_criteria_card(path, taxonomy, model)


def test_a_missing_card_says_to_train(tmp_path: Path) -> None:
    with pytest.raises(ModelCardMismatch, match="no criterion model card; run `wgll train`"):
        read_criteria_card(tmp_path / "criteria.joblib", "1.0", "m")
