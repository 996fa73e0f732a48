"""The benchmark corpus: generated on first use into an ignored folder, regenerated only when the
generator, its sources or its parameters change (a stamp holds their hash)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "corpora" / "generate_bench.py"
INPUTS = [
    GENERATOR,
    ROOT / "corpora" / "generate_samples.py",
    ROOT / "labels" / "wgll.yaml",
    *sorted((ROOT / "corpora" / "sample" / "src").glob("*.md")),
]


def corpus_stamp(documents: int, seed: int) -> str:
    digest = hashlib.sha256(f"{documents} {seed}".encode())
    for path in INPUTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_corpus(folder: Path, documents: int, seed: int) -> list[Path]:
    """The corpus PDFs in ``folder`` (with its manifest.csv), generated if missing or stale."""
    stamp_file = folder / ".stamp"
    stamp = corpus_stamp(documents, seed)
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        for old in folder.glob("*.pdf"):
            old.unlink()
        print(f"generating the benchmark corpus into {folder} ...", flush=True)
        subprocess.run(
            [sys.executable, str(GENERATOR), "--out", str(folder), "--documents", str(documents), "--seed", str(seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        stamp_file.write_text(stamp)
    return sorted(folder.glob("*.pdf"))
