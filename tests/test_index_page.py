"""The reviews folder's index.html: a row per review with its verdicts, errors and warnings, links
to exactly the files that exist, the audit when there is one, and PDF text kept as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from pipeline.index_page import write_index
from pipeline.models import DocumentReview, ReviewWarning
from pipeline.outputs import write_outputs
from pipeline.review_files import review_files
from tests.test_audit import HOSTILE_FILE, HOSTILE_ICS, sample_reviews

SCOPE_MESSAGE = "x.pdf does not read like a health and care digital or data strategy: it names no health organisation"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.hrefs += [value for name, value in attrs if name == "href" and value]


def _out_of_scope(review: DocumentReview) -> DocumentReview:
    document = review.document.model_copy(
        update={"warnings": [ReviewWarning(code="out_of_scope", message=SCOPE_MESSAGE)]}
    )
    return review.model_copy(update={"document": document})


def _folder(tmp_path: Path, with_audit: bool) -> tuple[Path, list[DocumentReview]]:
    reviews = sample_reviews()
    reviews[0] = _out_of_scope(reviews[0])
    for review in reviews:
        write_outputs(review, tmp_path)
    packs = review_files(reviews[1], tmp_path)
    packs.pack_html.write_text("<html></html>")
    packs.pack_pdf.write_bytes(b"%PDF-1.4")
    if with_audit:
        (tmp_path / "audit").mkdir()
        (tmp_path / "audit" / "audit.html").write_text("<html></html>")
    return tmp_path, reviews


def test_every_review_has_a_row_with_its_verdicts_and_links_to_its_files(tmp_path: Path) -> None:
    folder, reviews = _folder(tmp_path, with_audit=True)
    html = write_index(folder).read_text(encoding="utf-8")
    body = html[html.index("<tbody>") :]
    assert body.count("<tr") == len(reviews)
    links = Links()
    links.feed(html)
    for href in links.hrefs:
        assert (folder / unquote(href)).is_file(), f"link to a missing file: {href}"
    for review in reviews:
        files = review_files(review, folder)
        assert files.json.name in links.hrefs and files.page.name in links.hrefs
    packed = review_files(reviews[1], folder)
    assert {packed.pack_html.name, packed.pack_pdf.name} <= set(links.hrefs)
    assert sum(1 for href in links.hrefs if href.endswith("-pack.html")) == 1, "only packs that exist are linked"
    assert "audit/audit.html" in links.hrefs
    # Marlshire's statuses, eeneeen, as coloured cells in measure order.
    marlshire = body[body.index("Marlshire digital strategy") :]
    cells = re.findall(r'class="cell status-(\w+)"', marlshire[: marlshire.index("</tr>")])
    assert cells == ["evidenced", "evidenced", "no_evidence", "evidenced", "evidenced", "evidenced", "no_evidence"]


def test_errors_and_out_of_scope_warnings_are_shown(tmp_path: Path) -> None:
    folder, _ = _folder(tmp_path, with_audit=False)
    html = write_index(folder).read_text(encoding="utf-8")
    assert "1 could not be read" in html and "1 out of scope" in html
    assert "not reviewed: encrypted" in html and "tamsey-encrypted.pdf: the PDF is encrypted" in html
    assert ">out of scope</span> " + SCOPE_MESSAGE in html
    assert "No coverage audit yet" in html and "audit/audit.html" not in html


def test_pdf_text_is_escaped_and_the_page_stands_alone(tmp_path: Path) -> None:
    folder, _ = _folder(tmp_path, with_audit=True)
    html = write_index(folder).read_text(encoding="utf-8")
    links = Links()
    links.feed(html)
    assert links.tags.get("script", 0) == 0 and links.tags.get("img", 0) == 0
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    assert HOSTILE_ICS not in html and HOSTILE_FILE not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html, re.I)
    assert "<link" not in html and "@import" not in html


def test_an_empty_folder_gets_an_index_saying_so(tmp_path: Path) -> None:
    html = write_index(tmp_path / "new").read_text(encoding="utf-8")
    assert "No review in this folder yet" in html
