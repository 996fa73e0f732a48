from pathlib import Path

import pytest
import yaml

from pipeline.errors import TaxonomyError
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy


def test_bundled_taxonomy_has_seven_measures_with_both_levels() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    assert taxonomy.measure_ids == ["M1", "M2", "M3", "M4", "M5", "M6", "M7"]
    assert taxonomy.version
    for measure in taxonomy.measures:
        levels = {c.level for c in measure.criteria}
        assert levels == {"ICS", "ORG"}, measure.id
        assert all(c.terms and c.description for c in measure.criteria)
    assert "M2.ICS.4" in {c.id for c in taxonomy.criteria}
    assert "M2.ORG.3" in {c.id for c in taxonomy.criteria}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "wgll.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_malformed_yaml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(_write(tmp_path, "measures: [unclosed"))


def test_criterion_under_the_wrong_measure_is_named(tmp_path: Path) -> None:
    raw = yaml.safe_load(Settings().taxonomy_path.read_text())
    raw["measures"][0]["criteria"][0]["id"] = "M2.ICS.99"
    with pytest.raises(TaxonomyError, match=r"M2\.ICS\.99"):
        load_taxonomy(_write(tmp_path, raw))


def test_missing_measure_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(Settings().taxonomy_path.read_text())
    raw["measures"] = raw["measures"][:6]
    with pytest.raises(TaxonomyError, match="malformed taxonomy"):
        load_taxonomy(_write(tmp_path, raw))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_twins_pair_the_same_substance_across_levels() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    assert taxonomy.twin_of("M2.ICS.2") == "M2.ORG.2" and taxonomy.twin_of("M2.ORG.2") == "M2.ICS.2"
    assert taxonomy.twin_of("M4.ORG.4") is None
    assert taxonomy.substance_of("M2.ORG.2") == taxonomy.substance_of("M2.ICS.2") == "M2.ICS.2"
    assert taxonomy.substance_of("M6.ORG.4") == "M6.ORG.4"
    assert len(taxonomy.substances) == len(taxonomy.criteria) - sum(1 for c in taxonomy.criteria if c.twin) // 2
    assert taxonomy.shown_as("M2.ICS.2", "ORG") == "M2.ORG.2"
    assert taxonomy.shown_as("M2.ORG.2", "ICS") == "M2.ICS.2"
    assert taxonomy.shown_as("M2.ICS.2", None) == "M2.ICS.2"
    assert taxonomy.shown_as("M6.ORG.4", "ICS") == "M6.ORG.4"


@pytest.mark.parametrize("twin", ["M2.ICS.3", "M3.ORG.2", "M2.ICS.99"])
def test_a_twin_that_is_not_a_mirror_is_named(tmp_path: Path, twin: str) -> None:
    raw = yaml.safe_load(Settings().taxonomy_path.read_text())
    m2 = raw["measures"][1]["criteria"]
    net_zero = next(c for c in m2 if c["id"] == "M2.ICS.2")
    net_zero["twin"] = twin  # same level, another measure, or no such criterion
    with pytest.raises(TaxonomyError, match=r"M2\.ICS\.2: twin"):
        load_taxonomy(_write(tmp_path, raw))
