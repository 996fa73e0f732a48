"""Lays out a sample of the real-world corpus for CI: the files of at most ``--max-pages`` pages
(unknown counts included), linked into OUT with their rows of MANIFEST.csv, so that
``WGLL_REALWORLD_PDFS=OUT pytest -m realworld`` runs every real-world test on them. The four
longest reports (104 to 400 pages, half the corpus's pages) are left to ``make test``; every file
a test names has at most 90 pages. Writes nothing, and says so, where the corpus is absent (the
tests then skip, saying so too)."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("WGLL_REALWORLD_PDFS", ROOT.parent / "shared" / "corpora" / "realworld-pdfs"))


def write_sample(corpus: Path, out: Path, max_pages: int) -> int:
    """Link the kept files into ``out`` beside a MANIFEST.csv of their rows; return how many."""
    with (corpus / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if int(row["pages"] or 0) <= max_pages]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for row in rows:
        (out / row["filename"]).symlink_to((corpus / row["filename"]).resolve())
    with (out / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to (re)create for the sample")
    parser.add_argument("--max-pages", type=int, default=90)
    args = parser.parse_args()
    if not (CORPUS / "MANIFEST.csv").is_file():
        print(f"realworld_sample: no corpus at {CORPUS}; nothing written")
        return
    kept = write_sample(CORPUS, args.out, args.max_pages)
    print(f"realworld_sample: {kept} files of at most {args.max_pages} pages from {CORPUS} in {args.out}")


if __name__ == "__main__":
    main()
