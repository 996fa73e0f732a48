"""The coverage audit page as headless Chromium renders it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.audit import write_audit
from tests.browser import Rendered, parse_dom, render, require_chromium
from tests.test_audit import sample_reviews


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    require_chromium()
    out = tmp_path_factory.mktemp("audit")
    files = write_audit(sample_reviews(), out)
    return render(Path(files.html), out, window=(1400, 1600))


def test_matrix_heatmap_gaps_and_changes_render(rendered: Rendered) -> None:
    page = parse_dom(rendered.dom)
    text = " ".join(" ".join(page.text).split())
    for expected in ("Marlshire", "Wyvern Vale", "Healthy populations", "no evidence", "unreadable", "2021", "2024"):
        assert expected in text, expected
    assert page.tags.get("table", 0) >= 3
    assert page.tags.get("img", 0) == 1, "the heatmap is embedded once, as an image"


def test_hostile_names_render_as_text(rendered: Rendered) -> None:
    page = parse_dom(rendered.dom)
    assert page.tags.get("script", 0) == 0
    assert "<script>" in " ".join(page.text)
