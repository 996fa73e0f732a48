from pathlib import Path

import pytest

from pipeline.errors import ModelCardMismatch
from pipeline.model_card import card_path, load_tagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

SETTINGS = Settings()


@pytest.fixture()
def copied_tagger(tmp_path: Path) -> Path:
    target = tmp_path / "tagger.joblib"
    target.write_bytes(SETTINGS.tagger_path.read_bytes())
    card_path(target).write_text(card_path(SETTINGS.tagger_path).read_text())
    return target


def test_shipped_tagger_loads_with_its_card() -> None:
    taxonomy = load_taxonomy(SETTINGS.taxonomy_path)
    tagger, card = load_tagger(SETTINGS.tagger_path, taxonomy, SETTINGS)
    assert card.taxonomy_version == taxonomy.version
    assert set(card.thresholds) == set(taxonomy.measure_ids)
    assert list(tagger.classes_) == taxonomy.measure_ids


def test_other_embedding_model_is_refused(copied_tagger: Path) -> None:
    settings = Settings(embedding_model="some/other-model")
    with pytest.raises(ModelCardMismatch, match="embedding model"):
        load_tagger(copied_tagger, load_taxonomy(settings.taxonomy_path), settings)


def test_other_taxonomy_version_is_refused(copied_tagger: Path, tmp_path: Path) -> None:
    changed = tmp_path / "wgll.yaml"
    changed.write_text(SETTINGS.taxonomy_path.read_text().replace('version: "1.0"', 'version: "9.9"', 1))
    taxonomy = load_taxonomy(changed)
    assert taxonomy.version == "9.9"
    with pytest.raises(ModelCardMismatch, match="taxonomy version"):
        load_tagger(copied_tagger, taxonomy, SETTINGS)


def test_tampered_tagger_file_is_refused(copied_tagger: Path) -> None:
    copied_tagger.write_bytes(copied_tagger.read_bytes() + b"\0")
    with pytest.raises(ModelCardMismatch, match="hash"):
        load_tagger(copied_tagger, load_taxonomy(SETTINGS.taxonomy_path), SETTINGS)


def test_missing_card_says_how_to_fix(copied_tagger: Path) -> None:
    card_path(copied_tagger).unlink()
    with pytest.raises(ModelCardMismatch, match="wgll train"):
        load_tagger(copied_tagger, load_taxonomy(SETTINGS.taxonomy_path), SETTINGS)
