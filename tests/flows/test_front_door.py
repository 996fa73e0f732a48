"""The reviewer's front door, end to end through the installed ``wgll`` command: two sample
strategies, a highway maintenance plan written for this test (a real kind of council document
that is no health and care strategy) and a file that is no PDF, reviewed and audited into one
folder. The files are named by strategy and short id, the run prints no Prefect warning and ends
by saying where the index and packs are, the plan is flagged out of scope everywhere a reviewer
looks, the samples are not, and the index links every file (checked in headless Chromium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image
from typer.testing import CliRunner

from flows.cli import app
from pipeline.feedback import find_reviews, open_existing_store
from pipeline.models import DocumentReview
from pipeline.review_files import read_reviews, review_files
from pipeline.settings import Settings
from tests.browser import parse_dom, render, require_chromium
from tests.conftest import SAMPLE_DIR
from tests.sources import generator

pytestmark = pytest.mark.slow

WGLL = Path(sys.executable).parent / "wgll"
SAMPLES = ("marlshire-ics-2023.pdf", "tamsey-valley-trust-2024.pdf")
PLAN_SOURCE = Path(__file__).resolve().parent.parent / "data" / "highways-asset-plan-2024.md"
PLAN = "highways-asset-plan-2024.pdf"
GREEN = (0x00, 0x7F, 0x3B)  # the index's "evidenced" cells


@dataclass(frozen=True)
class Run:
    out: Path
    review: subprocess.CompletedProcess[str]
    audit: subprocess.CompletedProcess[str]
    reviews: dict[str, DocumentReview]


def _wgll(prefect_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command as a user runs it, with Prefect's temporary server (its own home)."""
    return subprocess.run(
        [str(WGLL), *args],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, "COLUMNS": "200", "PREFECT_HOME": str(prefect_home)},
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, bad_pdfs: dict[str, Path]) -> Run:
    folder, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("front") / "out"
    for name in SAMPLES:
        shutil.copy(SAMPLE_DIR / name, folder)
    generator().render(generator().parse_source(PLAN_SOURCE), folder / PLAN)
    shutil.copy(bad_pdfs["not_pdf"], folder / "board-minutes.pdf")
    prefect_home = tmp_path_factory.mktemp("prefect")
    review = _wgll(prefect_home, "review", str(folder), "--out", str(out))
    assert out.is_dir(), review.stdout + review.stderr
    audit = _wgll(prefect_home, "audit", str(out))
    return Run(out, review, audit, {r.document.file: r for r in read_reviews(out)})


def test_files_start_with_the_strategy_name_and_a_short_id(run: Run) -> None:
    assert run.review.returncode == 1, run.review.stdout + run.review.stderr  # the non-PDF fails
    assert sorted(run.reviews) == sorted([*SAMPLES, PLAN, "board-minutes.pdf"])
    for file, review in run.reviews.items():
        stem = f"{Path(file).stem}.{review.document.id[:8]}"
        files = review_files(review, run.out)
        assert files.json.name == f"{stem}.json" and files.page.is_file(), file
        assert files.pack_html.is_file() and files.pack_pdf.is_file(), file
    assert not [p for p in run.out.iterdir() if p.name.startswith(tuple(r.document.id for r in run.reviews.values()))]


def test_an_ordinary_review_prints_no_prefect_warning_and_ends_with_where_to_look(run: Run) -> None:
    for command in (run.review, run.audit):
        printed = command.stdout + command.stderr
        assert "WARNING" not in printed and "Timeout of" not in printed, printed
    lines = run.review.stdout.strip().splitlines()
    assert lines[-1] == f"Index of every review in {run.out}: {run.out / 'index.html'}"
    marlshire = review_files(run.reviews["marlshire-ics-2023.pdf"], run.out)
    assert f"Pack: {marlshire.pack_html} (and {marlshire.pack_pdf.name})" in run.review.stdout
    assert f"index: {run.out / 'index.html'}" in run.audit.stdout


def test_the_plan_is_out_of_scope_and_the_samples_are_not(run: Run) -> None:
    plan = run.reviews[PLAN]
    [warning] = [w for w in plan.document.warnings if w.code == "out_of_scope"]
    assert warning.message.startswith(f"{PLAN} does not read like a health and care digital or data strategy")
    assert "names no health or care organisation" in warning.message
    assert len(plan.measures) == 7, "its verdicts are still computed"
    for name in SAMPLES:
        assert not [w for w in run.reviews[name].document.warnings if w.code == "out_of_scope"], name
    files = review_files(plan, run.out)
    for page in (files.page, files.pack_html):
        assert 'id="out-of-scope"' in page.read_text(encoding="utf-8"), page
    assert "out of scope" in (run.out / "index.html").read_text(encoding="utf-8")
    assert '<strong class="scope">out of scope</strong>' in (run.out / "audit" / "audit.html").read_text(
        encoding="utf-8"
    )
    assert "OUT OF SCOPE" in run.review.stdout


def test_the_index_renders_and_links_every_file(run: Run, tmp_path: Path) -> None:
    require_chromium()
    rendered = render(run.out / "index.html", tmp_path, window=(1400, 900))
    page = parse_dom(rendered.dom)
    text = " ".join(" ".join(page.text).split())
    assert "4 documents; 1 could not be read; 1 out of scope" in text
    assert page.tags.get("script", 0) == 0
    hrefs = [unquote(h) for h in _hrefs(rendered.dom)]
    assert "audit/audit.html" in hrefs
    for href in hrefs:
        assert (run.out / href).is_file(), href
    for review in run.reviews.values():
        files = review_files(review, run.out)
        assert {files.json.name, files.page.name, files.pack_html.name, files.pack_pdf.name} <= set(hrefs)
    with Image.open(rendered.screenshot) as image:
        pixels = image.convert("RGB").getcolors(image.width * image.height)
    assert any(colour == GREEN and count > 1000 for count, colour in pixels), "the status cells are not coloured"


def _hrefs(dom: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', dom)


@pytest.mark.parametrize("name", ["marlshire-ics-2023.pdf", "short name", "full id"])
def test_pack_and_feedback_commands_take_any_name(run: Run, name: str) -> None:
    review = run.reviews["marlshire-ics-2023.pdf"]
    key = {"short name": review_files(review, run.out).stem, "full id": review.document.id}.get(name, name)
    result = CliRunner().invoke(app, ["pack", key, "--out", str(run.out)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert str(review_files(review, run.out).pack_pdf) in result.output
    engine = open_existing_store(Settings(), run.out)
    [stored] = find_reviews(engine, [key], run.out)
    assert stored.review.document.id == review.document.id


def test_the_review_json_keeps_the_full_id(run: Run) -> None:
    review = run.reviews["tamsey-valley-trust-2024.pdf"]
    data = json.loads(review_files(review, run.out).json.read_text(encoding="utf-8"))
    assert len(data["document"]["id"]) == 64
