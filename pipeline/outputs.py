"""Every file of one review in the output folder, named as ``pipeline.review_files`` says: JSON
(DESIGN.md contract 1), reviewer page, register of commitments and, when asked for, the
pre-briefing pack. Written once: an output folder that already holds exactly this review is left
alone, so unchanged re-runs render nothing. Every piece of PDF text in the page is escaped by
Jinja2's autoescaping."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.html import html_templates
from pipeline.models import DocumentReview
from pipeline.pack import pack_paths, write_pack
from pipeline.register import commitments_csv_path, write_commitments_csv
from pipeline.review_files import remove_legacy_files, review_files
from pipeline.settings import PackPrinter
from pipeline.taxonomy import Taxonomy


def review_files_current(review: DocumentReview, out_dir: Path, with_pack: bool) -> bool:
    """True when ``out_dir`` holds this review's JSON, page, register of commitments and
    (``with_pack``) pack."""
    packs = pack_paths(review, out_dir) if with_pack else ()
    return outputs_current(review, out_dir, *packs, commitments_csv_path(review, out_dir))


def write_review_files(
    review: DocumentReview, taxonomy: Taxonomy, out_dir: Path, with_pack: bool, printer: PackPrinter
) -> bool:
    """Write the files of one review unless they are current; True when anything was written.
    The pack comes first and the JSON last, because a JSON equal to the review is what marks the
    set complete: a process killed half-way leaves a set that the next run redoes. Files of the
    same review under the old id-only naming are removed once the new set is complete."""
    if review_files_current(review, out_dir, with_pack):
        return False
    if with_pack:
        write_pack(review, taxonomy, out_dir, printer)
    write_commitments_csv(review, out_dir)
    write_outputs(review, out_dir)
    remove_legacy_files(review, out_dir)
    return True


def render_html(review: DocumentReview) -> str:
    gaps = [m for m in review.measures if m.status == "no_evidence"]
    unreadable = [m for m in review.measures if m.status == "unreadable"]
    return html_templates().get_template("review.html").render(review=review, gaps=gaps, unreadable=unreadable)


def review_json(review: DocumentReview) -> str:
    return json.dumps(review.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def outputs_current(review: DocumentReview, out_dir: Path, *extra: Path) -> bool:
    """True when ``out_dir`` already holds exactly this review (and the ``extra`` files made
    from it), so an unchanged re-run need not render anything again."""
    files = review_files(review, out_dir)
    if not all(path.is_file() for path in (files.json, files.page, *extra)):
        return False
    # Compared as data, not as text: writing the indented text again takes json's pure-Python
    # encoder (8 ms a review of the benchmark batch), reading the file back its C parser (2.5 ms).
    try:
        written = json.loads(files.json.read_bytes())
    except ValueError:  # a half-written or edited file is not this review
        return False
    return bool(written == review.model_dump(mode="json"))


def write_outputs(review: DocumentReview, out_dir: Path) -> tuple[Path, Path]:
    """Write the JSON and HTML of one review; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = review_files(review, out_dir)
    files.page.write_text(render_html(review), encoding="utf-8")
    files.json.write_text(review_json(review), encoding="utf-8")  # last: it marks the outputs complete
    return files.json, files.page
