"""The front page of a reviews folder, ``index.html``: one row per reviewed document with its
details, its seven verdicts and what went wrong, linking to every file written for it and to the
audit. One self-contained file (inline CSS, relative links), so it opens from a file browser
with no server; every piece of PDF text is escaped by Jinja2's autoescaping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.html import html_templates
from pipeline.models import DocumentReview
from pipeline.review_files import FoundReview, find_reviews
from pipeline.stamps import AUDIT_PAGE, INDEX_FILE, INDEX_MARK, index_inputs

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class IndexRow:
    """One document as the index shows it; links are file names relative to the index, or None
    where the file was not written (no pack when packs are switched off)."""

    review: DocumentReview
    statuses: dict[str, str]
    page: str | None
    pack_html: str | None
    pack_pdf: str | None
    json: str

    @property
    def out_of_scope(self) -> bool:
        return any(w.code == OUT_OF_SCOPE for w in self.review.document.warnings)


def _link(path: Path) -> str | None:
    return path.name if path.is_file() else None


def _row(found: FoundReview) -> IndexRow:
    files = found.files
    return IndexRow(
        review=found.review,
        statuses={m.id: m.status for m in found.review.measures},
        page=_link(files.page),
        pack_html=_link(files.pack_html),
        pack_pdf=_link(files.pack_pdf),
        json=files.json.name,
    )


def audit_links(folder: Path) -> list[str]:
    """Audit pages written in a subfolder of ``folder`` (``wgll audit`` writes ``audit/`` by
    default), as relative links."""
    return [f"{page.parent.name}/{page.name}" for page in sorted(folder.glob(f"*/{AUDIT_PAGE}"))]


def render_index(found: list[FoundReview], audits: list[str]) -> str:
    rows = sorted((_row(f) for f in found), key=lambda r: (r.review.document.file.lower(), r.json))
    names: dict[str, str] = {}
    for row in rows:
        names.update({m.id: m.name for m in row.review.measures if m.id not in names})
    return (
        html_templates()
        .get_template("index.html")
        .render(
            rows=rows,
            measures=sorted(names) or [f"M{n}" for n in range(1, 8)],
            names=names,
            audits=audits,
            failed=sum(1 for r in rows if r.review.errors),
            out_of_scope=sum(1 for r in rows if r.out_of_scope),
        )
    )


def write_index(folder: Path) -> Path:
    """Write ``folder/index.html`` from the reviews now in ``folder``. A broken review JSON is
    left out of the index rather than stopping it (``wgll audit`` names such files). A closing
    comment names the inputs, taken before they are read, so a re-run can tell the page is current."""
    path = folder / INDEX_FILE
    folder.mkdir(parents=True, exist_ok=True)
    inputs = index_inputs(str(folder))
    page = render_index(find_reviews(folder, strict=False), audit_links(folder)) + f"{INDEX_MARK}{inputs} -->\n"
    partial = path.with_suffix(".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)  # a browser open on the old page never sees half a new one
    return path
