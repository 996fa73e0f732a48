"""Generate the benchmark corpus: 20 fictional strategies of 30 to 80 pages each.

The text is recombined from our own sample sources (corpora/sample/src/) and the taxonomy
(labels/wgll.yaml): sentences shuffled into new paragraphs, sections drawn from different samples,
place names replaced, so no two documents share passages (shared passages would let the
embedding cache make a "cold" run look warm). Rendering reuses generate_samples.py, so the PDFs
have the same furniture (cover, contents, running header and footer, some two-column bodies).
Seeded: the same seed gives the same PDFs, byte for byte.

Usage (from the repository root):
    python corpora/generate_bench.py --out benchmarks/corpus [--documents 20] [--seed 6]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml
from generate_samples import DEFAULT_SRC, Block, Source, parse_source, render

HERE = Path(__file__).resolve().parent
TAXONOMY = HERE.parent / "labels" / "wgll.yaml"
SAMPLE_SYSTEMS = re.compile(r"Marlshire|Severn Coast|Tamsey Valley|Wyvern Vale")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
SECTION_NUMBER = re.compile(r"^[\d.]+\s+")
WORDS_PER_PAGE = 330  # calibrated on the rendered output: body words per A4 page, tables included
MIN_PAGES, MAX_PAGES = 30, 80
PLACE_STARTS = [
    "Ash",
    "Bram",
    "Cal",
    "Dun",
    "Elm",
    "Fern",
    "Gold",
    "Hal",
    "Kes",
    "Lang",
    "Mor",
    "Nor",
    "Orr",
    "Pen",
    "Rav",
    "Sil",
    "Thorn",
    "Wes",
    "Yar",
    "Brock",
]
PLACE_ENDS = ["shire", "dale", " Vale", " Coast", "moor", "mere"]


@dataclass
class Section:
    """A level-2 section of a sample (or a level-1 one without subsections): its material."""

    heading: str
    sentences: list[str]
    bullets: list[str]
    tables: list[Block]


def sample_sections(sources: list[Source]) -> list[Section]:
    """Every section of the samples that has prose to recombine (glossaries left out)."""
    sections: list[Section] = []
    for source in sources:
        current: Section | None = None
        for block in source.blocks:
            if block.kind in ("h1", "h2"):
                current = Section(SECTION_NUMBER.sub("", block.lines[0]), [], [], [])
                sections.append(current)
            elif current is None:
                continue
            elif block.kind == "paragraph":
                current.sentences += SENTENCE_END.split(" ".join(block.lines))
            elif block.kind == "bullets":
                current.bullets += block.lines
            elif block.kind == "table":
                current.tables.append(block)
    return [s for s in sections if len(s.sentences) >= 2 and "glossary" not in s.heading.lower()]


def taxonomy_sections(path: Path) -> list[Section]:
    """One section per criterion: its title as heading, its description as prose."""
    taxonomy = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Section(c["title"], SENTENCE_END.split(c["description"].strip()), [], [])
        for m in taxonomy["measures"]
        for c in m["criteria"]
    ]


def place_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(PLACE_STARTS) + rng.choice(PLACE_ENDS)
        if name not in taken:
            taken.add(name)
            return name


def compose_section(
    rng: random.Random, number: str, main: Section, extra: Section, place: str, used: set[str]
) -> list[Block]:
    """A new section: the main section's sentences with a few borrowed ones, shuffled into
    paragraphs of 3 to 6 sentences, and sometimes its bullets or one of its tables. A paragraph
    already in ``used`` (composed for another document by chance) is left out."""
    sentences = main.sentences + rng.sample(extra.sentences, k=min(3, len(extra.sentences)))
    rng.shuffle(sentences)
    blocks = [Block("h2", 0, [f"{number} {main.heading}"])]
    while sentences:
        size = rng.randint(3, 6)
        if len(sentences) - size < 3:  # no short leftover paragraph: those repeat between documents
            size = len(sentences)
        paragraph, sentences = sentences[:size], sentences[size:]
        text = SAMPLE_SYSTEMS.sub(place, " ".join(paragraph))
        if text in used:
            continue
        used.add(text)
        blocks.append(Block("paragraph", 0, [text]))
        if main.bullets and rng.random() < 0.25:
            items = rng.sample(main.bullets, k=min(len(main.bullets), rng.randint(2, 5)))
            blocks.append(Block("bullets", 0, [SAMPLE_SYSTEMS.sub(place, item) for item in items]))
    if main.tables and rng.random() < 0.5:
        table = rng.choice(main.tables)
        rows = [[SAMPLE_SYSTEMS.sub(place, cell) for cell in row] for row in table.rows]
        blocks.append(Block("table", 0, [], rows=rows))
    return blocks


def compose_strategy(
    rng: random.Random, sections: list[Section], place: str, pages: int, path: Path, used: set[str]
) -> Source:
    """Chapters of 3 to 6 sections until the text fills about ``pages`` pages."""
    year = rng.randint(2021, 2025)
    two_column = rng.random() < 0.3
    meta = {
        "title": f"{place} Integrated Care System",
        "subtitle": f"Digital and Data Strategy {year} to {year + 3}",
        "running_header": f"{place} ICS - Digital and Data Strategy {year}-{(year + 3) % 100:02d}",
        "publisher": f"NHS {place} Integrated Care Board",
        "date": f"{rng.choice(['March', 'June', 'September', 'November'])} {year}",
        "layout": "two-column" if two_column else "single",
    }
    words_wanted = (pages - 2) * WORDS_PER_PAGE * (1.25 if two_column else 1.0)
    blocks: list[Block] = []
    words = 0
    chapter = 0
    while words < words_wanted:
        chapter += 1
        chosen = rng.sample(sections, k=rng.randint(3, 6))
        blocks.append(Block("h1", 0, [f"{chapter} {chosen[0].heading}"]))
        for number, main in enumerate(chosen, start=1):
            composed = compose_section(rng, f"{chapter}.{number}", main, rng.choice(sections), place, used)
            blocks += composed
            words += sum(len(" ".join(b.lines).split()) + 8 * len(b.rows) for b in composed)
        blocks.append(Block("pagebreak", 0, ["[pagebreak]"]))
    return Source(path, meta, blocks[:-1])


@dataclass(frozen=True)
class Planned:
    file: str
    place: str
    year: int
    level: str
    source: Source


def plan_corpus(documents: int, seed: int) -> list[Planned]:
    rng = random.Random(seed)
    sections = sample_sections([parse_source(p) for p in sorted(DEFAULT_SRC.glob("*.md"))])
    sections += taxonomy_sections(TAXONOMY)
    taken: set[str] = set()
    used: set[str] = set()
    planned = []
    for index in range(documents):
        place = place_name(rng, taken)
        pages = rng.randint(MIN_PAGES + 4, MAX_PAGES - 8)
        file = f"bench-{index + 1:02d}-{place.lower().replace(' ', '-')}.pdf"
        source = compose_strategy(random.Random(rng.random()), sections, place, pages, Path(file), used)
        year = int(source.meta["date"].split()[-1])
        planned.append(Planned(file, place, year, rng.choice(["ICS", "ICS", "ICS", "trust"]), source))
    return planned


def _render(job: tuple[Source, Path]) -> int:
    return render(*job)


def generate(out: Path, documents: int = 20, seed: int = 6) -> list[tuple[str, int]]:
    """Write the PDFs and a manifest.csv into ``out``; return (file, pages) per document."""
    out.mkdir(parents=True, exist_ok=True)
    planned = plan_corpus(documents, seed)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pages = list(pool.map(_render, [(p.source, out / p.file) for p in planned]))
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "ics", "organisation_level", "year"])
        writer.writerows([p.file, p.place, p.level, p.year] for p in planned)
    return [(p.file, n) for p, n in zip(planned, pages, strict=False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PDFs and manifest.csv")
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    written = generate(args.out, args.documents, args.seed)
    for file, pages in written:
        print(f"{file}: {pages} pages")
    outside = [file for file, pages in written if not MIN_PAGES <= pages <= MAX_PAGES]
    if outside:
        print(f"error: outside {MIN_PAGES}-{MAX_PAGES} pages: {', '.join(outside)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
