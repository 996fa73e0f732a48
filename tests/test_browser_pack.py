"""The pre-briefing pack as a browser renders it: the tables and the silent section are there, the
styles apply, and hostile PDF text stays text (no script or image element comes out of it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pipeline.models import DocumentReview, DocumentSummary, ReviewErrorRecord
from pipeline.pack import write_pack
from pipeline.settings import get_settings
from pipeline.taxonomy import Taxonomy, load_taxonomy
from tests.browser import Rendered, parse_dom, render, require_chromium
from tests.test_pack import GENERATED, MODEL, _review

NHS_BLUE = (0x00, 0x5E, 0xB8)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(get_settings().taxonomy_path)


@pytest.fixture(scope="module")
def rendered(taxonomy: Taxonomy, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    require_chromium()
    out = tmp_path_factory.mktemp("pack")
    html_path, _ = write_pack(_review(taxonomy), taxonomy, out, "auto", generated=GENERATED)
    return render(html_path, out)


def test_measure_table_and_silent_section_render(rendered: Rendered, taxonomy: Taxonomy) -> None:
    page = parse_dom(rendered.dom)
    text = " ".join(" ".join(page.text).split())
    assert {"measure-table", "silent", "run"} <= page.ids
    for measure in taxonomy.measures:
        assert f"{measure.id} {measure.name}" in text
    assert "Where the strategy is silent" in text
    assert taxonomy.measure("M7").criteria[0].questions[0] in text


def test_no_script_or_image_element_comes_from_pdf_text(rendered: Rendered) -> None:
    page = parse_dom(rendered.dom)
    assert page.tags.get("script", 0) == 0
    assert page.tags.get("img", 0) == 0
    text = " ".join(page.text)
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(1)>" in text


def test_screenshot_shows_the_styled_pack(rendered: Rendered) -> None:
    with Image.open(rendered.screenshot) as image:
        assert image.size == (1200, 2000)
        masthead = image.convert("RGB").crop((0, 0, image.width, 120))
    colours = {colour: count for count, colour in masthead.getcolors(masthead.width * masthead.height)}
    assert colours.get(NHS_BLUE, 0) > masthead.width * masthead.height // 4, "the inline stylesheet did not apply"


def test_unreadable_pack_renders_its_error(taxonomy: Taxonomy, tmp_path: Path) -> None:
    require_chromium()
    review = DocumentReview(
        document=DocumentSummary(id="ab" * 32, file="minutes.pdf", ics=None, title=None, pages=None),
        model=MODEL,
        measures=[],
        errors=[ReviewErrorRecord(code="not_pdf", message="minutes.pdf: not a PDF file (starts with 'These are')")],
    )
    html_path, _ = write_pack(review, taxonomy, tmp_path, "auto", generated=GENERATED)
    text = " ".join(" ".join(parse_dom(render(html_path, tmp_path).dom).text).split())
    assert "This strategy could not be read" in text and "not_pdf" in text
    assert "Where the strategy is silent" not in text
