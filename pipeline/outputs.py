"""Every file of one review in the output folder: JSON, reviewer page and, when asked for, the
pre-briefing pack. Written once: an output folder that already holds exactly this review is left
alone, so unchanged re-runs render nothing."""

from __future__ import annotations

from pathlib import Path

from pipeline.models import DocumentReview
from pipeline.pack import pack_paths, write_pack
from pipeline.register import commitments_csv_path, write_commitments_csv
from pipeline.report import outputs_current, write_outputs
from pipeline.review_files import remove_legacy_files
from pipeline.taxonomy import Taxonomy


def review_files_current(review: DocumentReview, out_dir: Path, with_pack: bool) -> bool:
    """True when ``out_dir`` holds this review's JSON, page, register of commitments and
    (``with_pack``) pack."""
    packs = pack_paths(review, out_dir) if with_pack else ()
    return outputs_current(review, out_dir, *packs, commitments_csv_path(review, out_dir))


def write_review_files(review: DocumentReview, taxonomy: Taxonomy, out_dir: Path, with_pack: bool) -> bool:
    """Write the files of one review unless they are current; True when anything was written.
    The pack comes first and the JSON last, because a JSON equal to the review is what marks the
    set complete: a process killed half-way leaves a set that the next run redoes. Files of the
    same review under the old id-only naming are removed once the new set is complete."""
    if review_files_current(review, out_dir, with_pack):
        return False
    if with_pack:
        write_pack(review, taxonomy, out_dir)
    write_commitments_csv(review, out_dir)
    write_outputs(review, out_dir)
    remove_legacy_files(review, out_dir)
    return True
