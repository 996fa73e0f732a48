"""Measures the out-of-scope check (pipeline/scope.py) on the real-world corpus and the samples:
reviews them (``wgll review``, packs off) unless given the output folders of an earlier run, then
prints, per file, the three signs the check reads and whether it is flagged, against what is
expected: the Ministry of Justice digital strategy, the action plan on women and the economy and
the research and innovation strategy out of scope, every sample in scope. The corpus's other files
(tax forms, scans, papers, minutes; no health and care digital strategy among them) have no
expectation: flagging them is right, but they are not what the thresholds were chosen on.

    python benchmarks/scope_corpus.py                       # review both (about 8 min on 2 cores), then measure
    python benchmarks/scope_corpus.py --reuse OUT_RW OUT_SAMPLES   # measure earlier outputs again

Thresholds come from the settings, so ``WGLL_SCOPE_MIN_TAGGED_SHARE=0.2 python ... --reuse ...``
tries another value without reviewing anything again: the store holds every passage and its scores.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.scope import scope_reasons, scope_signs  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.stamps import SQLITE_FILE  # noqa: E402
from pipeline.store import latest_reviews, stored_reviews  # noqa: E402
from pipeline.store_schema import open_store  # noqa: E402

REALWORLD = Path(os.environ.get("WGLL_REALWORLD_PDFS", ROOT.parent / "shared" / "corpora" / "realworld-pdfs"))
SAMPLES = ROOT / "corpora" / "sample"
OUT_OF_SCOPE = {"moj-digital-strategy.pdf", "government-action-plan.pdf", "sharedristrategy_contents_final.pdf"}


def corpus_folder(corpus: Path, into: Path) -> Path:
    """The corpus copied beside a manifest of ours (passwords included): a manifest may only name
    files in its own folder."""
    with (corpus / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (into / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "ics", "organisation_level", "year", "password"])
        for row in rows:
            shutil.copy(corpus / row["filename"], into / row["filename"])
            writer.writerow([row["filename"], "", "", "", row["password"]])
    return into


def review(folder: Path, out: Path) -> None:
    wgll = Path(sys.executable).parent / "wgll"
    subprocess.run(
        [str(wgll), "review", str(folder), "--out", str(out)],
        check=False,
        env={**os.environ, "WGLL_WRITE_PACKS": "false"},
    )


def measure(
    out: Path, settings: Settings, expected: dict[str, bool] | bool | None
) -> list[tuple[str, bool, bool | None]]:
    """(file, flagged, expected flagged) for every readable document reviewed into ``out``;
    ``expected`` by file name, or one value for all, or None where nothing is expected."""
    engine = open_store(None, out)
    ids = [r.document.id for r in latest_reviews(engine) if not r.errors]
    results = []
    print(f"\n{out}: {len(ids)} documents read")
    print(f"{'file':<52} {'passages':>8} {'orgs':>5} {'health':>7} {'digital':>7} {'tagged':>7}  verdict")
    for stored in sorted(stored_reviews(engine, document_ids=ids), key=lambda s: s.review.document.file):
        thresholds = stored.review.model.thresholds
        signs = scope_signs(stored.passages, stored.tags, thresholds)  # type: ignore[arg-type]
        reasons = scope_reasons(signs, settings)
        file = stored.review.document.file
        flagged = bool(reasons)
        wanted = expected.get(file) if isinstance(expected, dict) else expected
        mark = "" if wanted in (None, flagged) else "   <-- expected " + ("flagged" if wanted else "not flagged")
        print(
            f"{file[:52]:<52} {signs.passages:>8} {signs.organisation_mentions:>5} {signs.health_share:>7.2f} "
            f"{signs.digital_share:>7.2f} {signs.tagged_share:>7.2f}  {'FLAGGED' if flagged else 'in scope'}{mark}"
        )
        results.append((file, flagged, wanted))
    engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--reuse",
        nargs=2,
        type=Path,
        metavar=("OUT_REALWORLD", "OUT_SAMPLES"),
        help="Output folders of an earlier run of this script (or of wgll review).",
    )
    parser.add_argument("--keep", type=Path, help="Review into this folder (kept) instead of a temporary one.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wgll-scope-") as temporary:
        if args.reuse:
            out_realworld, out_samples = args.reuse
        else:
            work = args.keep or Path(temporary)
            out_realworld, out_samples = work / "out-realworld", work / "out-samples"
            if not (REALWORLD / "MANIFEST.csv").is_file():
                print(f"real-world corpus not found at {REALWORLD} (set WGLL_REALWORLD_PDFS)", file=sys.stderr)
                return 2
            copies = work / "realworld"
            copies.mkdir(parents=True, exist_ok=True)
            review(corpus_folder(REALWORLD, copies), out_realworld)
            review(SAMPLES, out_samples)
        for out in (out_realworld, out_samples):
            if not (out / SQLITE_FILE).is_file():
                print(f"{out}: no results store ({SQLITE_FILE})", file=sys.stderr)
                return 2
        settings = Settings()
        results = measure(out_realworld, settings, dict.fromkeys(OUT_OF_SCOPE, True)) + measure(
            out_samples, settings, False
        )
    wrong = [(file, flagged) for file, flagged, expected in results if expected not in (None, flagged)]
    flagged = sorted(file for file, is_flagged, _ in results if is_flagged)
    print(f"\nflagged {len(flagged)} of {len(results)} documents read: {', '.join(flagged) or 'none'}")
    print("every expectation met" if not wrong else f"{len(wrong)} expectation(s) missed: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
