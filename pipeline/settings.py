"""One settings object for the whole pipeline, overridable by ``WGLL_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PdfReader = Literal["pdfium", "pdfplumber"]


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "wgll-review"


PackPrinter = Literal["auto", "chromium", "weasyprint"]


class Settings(BaseSettings):
    """Every tunable of the pipeline in one place (DESIGN.md: no constants scattered in modules)."""

    model_config = SettingsConfigDict(env_prefix="WGLL_", extra="ignore")

    taxonomy_path: Path = Field(PROJECT_ROOT / "labels" / "wgll.yaml", description="The WGLL taxonomy file.")
    labels_path: Path = Field(PROJECT_ROOT / "labels" / "passages.jsonl", description="Labelled training passages.")
    document_labels_path: Path = Field(
        PROJECT_ROOT / "labels" / "documents.jsonl",
        description="Every passage of whole strategies, labelled like labels_path: the criterion model trains on "
        "both, the measure tagger on labels_path alone (with these it was no better on real text and lost a "
        "measure of a bundled roadmap paragraph).",
    )
    tagger_path: Path = Field(
        PROJECT_ROOT / "pipeline" / "artifacts" / "tagger.joblib",
        description="The fitted tagger; its model card sits beside it as .json.",
    )
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="A sentence-transformers model name or local folder, loaded offline.",
    )
    embedding_batch_size: int = Field(32, ge=1)
    embedding_runtime: Literal["openvino", "onnx", "torch"] = Field(
        "openvino",
        description="What computes embeddings: OpenVINO (bf16 where the CPU has it, else fp32) or ONNX "
        "Runtime (fp32) on a graph exported once from the model, or PyTorch, which is also the fallback "
        "when the runtime or the export fails.",
    )
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Embedding cache.")

    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the results store; default an SQLite file in the output folder."
    )

    workers: int = Field(
        2, ge=1, description="Documents reviewed at once: threads, or the processes of a temporary Dask cluster."
    )
    task_runner: Literal["threads", "dask"] = Field(
        "threads",
        description="How a batch runs its documents: threads in this process, or Dask worker processes "
        "(a temporary local cluster, or the scheduler at dask_address).",
    )
    dask_address: str | None = Field(
        None, description="Scheduler of a running Dask cluster, e.g. tcp://10.0.0.5:8786; implies task_runner=dask."
    )
    prefect_server: Literal["background", "ephemeral"] = Field(
        "background",
        description="Without PREFECT_API_URL, where flow runs are recorded: a local Prefect "
        "server started on first use and kept running (`wgll server stop`), or Prefect's temporary server "
        "started by every command (8-12 s each).",
    )
    prefect_server_start_seconds: float = Field(
        180.0, gt=0, description="How long the first command waits for the background server to answer."
    )
    write_packs: bool = Field(
        True,
        description="Write each document's pre-briefing pack (HTML and PDF) in a batch; rendering "
        "the PDF takes seconds per document, which large audits can skip.",
    )
    pack_printer: PackPrinter = Field(
        "auto",
        description="What prints the pack's PDF: headless Chromium (an 80-page pack in about 2 s), or "
        "WeasyPrint (9-11 s); auto takes Chromium when it is installed (`make services`), else WeasyPrint.",
    )
    document_timeout_seconds: float = Field(
        900.0,
        gt=0,
        description="A document still being read, embedded or tagged after this long fails with "
        "timeout (its parsing process is killed at the limit; the later stages are checked between them).",
    )

    pdf_reader: PdfReader = Field(
        "pdfium",
        description="What reads the words of each page for layout: PDFium (about ten times "
        "faster) or pdfplumber; pages one cannot read are tried with the other.",
    )
    max_file_mb: float = Field(200.0, gt=0, description="Larger files are refused (too_large).")
    max_pages: int = Field(1000, ge=1, description="Documents with more pages are refused (too_many_pages).")
    parse_memory_mb: int = Field(
        2048,
        ge=256,
        description="Address-space limit of the process that parses a PDF; a file "
        "needing more is read by pypdfium2 alone, or refused (memory_limit).",
    )
    tesseract_command: str = Field(
        "tesseract",
        description="Tesseract executable for scanned pages; when it is absent such pages are listed as needing OCR.",
    )
    ocr_language: str = Field("eng", description="Tesseract language data used for OCR.")
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution at which pages are rendered for OCR.")
    ocr_page_timeout_seconds: float = Field(120.0, gt=0, description="OCR of one page may take this long.")
    max_garbled_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="A page whose text is more than this share of undecodable "
        "glyphs ((cid:NN) codes, private-use characters) is not trusted and read another way.",
    )
    max_unread_page_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="When more than this share of the pages with content could not "
        "be read, measures without evidence are 'unreadable', not 'no_evidence'.",
    )

    passage_max_words: int = Field(110, ge=20, description="Keeps passages well under 256 tokens.")
    passage_min_words: int = Field(8, ge=1, description="Shorter passages are dropped as noise.")
    skipped_section_headings: list[str] = Field(
        default=[
            "contents",
            "table of contents",
            "glossary",
            "acronyms",
            "abbreviations",
            "glossary of terms",
            "list of acronyms",
            "document control",
            "version control",
            "references",
            "acknowledgements",
            "contact us",
        ],
        description="Sections under these headings are navigation or reference, never evidence.",
    )

    measure_evidenced_passages: int = Field(
        3,
        ge=1,
        description="Passages above threshold for a measure to count as evidenced; "
        "its score is the mean of this many best passage scores.",
    )
    measure_weak_passages: int = Field(
        2,
        ge=1,
        description="Passages above threshold for a measure to count as weak; fewer is "
        "no_evidence, so one stray passage does not hide a gap.",
    )
    measure_single_passage_probability: float = Field(
        0.95,
        ge=0,
        le=1,
        description="A measure with fewer passages above its threshold than measure_weak_passages is still weak "
        "when one passage reaches this probability: a thin measure given a single paragraph is not a gap.",
    )
    criterion_evidenced_passages: int = Field(2, ge=1)
    criterion_weak_passages: int = Field(1, ge=1)
    criterion_mention_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Inside a measure with at least this share of its criteria found, a criterion no passage "
        "credits is weak on a mention (criterion_mention_probability); 1 turns mentions off.",
    )
    criterion_mention_probability: float = Field(
        0.3,
        ge=0,
        le=1,
        description="The least probability, besides the criterion's flag cut, at which a passage supporting "
        "the measure is a mention.",
    )
    evidence_shown: int = Field(5, ge=1, description="Evidence passages listed per measure.")
    reviewed_weight: int = Field(
        5,
        ge=1,
        description="In training, a reviewer's verdict counts as this many labelled passages: "
        "an expert's judgement of a real strategy outweighs a passage written to imitate one.",
    )
    scope_min_organisation_mentions: int = Field(
        3,
        ge=0,
        description="A document naming health or care organisations (NHS, ICS, trust, hospital...) fewer "
        "times than this is out of scope (benchmarks/scope_corpus.py measured the thresholds).",
    )
    scope_min_health_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="A document whose share of passages using health and care words is below this is out of scope.",
    )
    scope_min_digital_share: float = Field(
        0.4,
        ge=0,
        le=1,
        description="A document whose share of passages using digital, data and technology "
        "words is below this is out of scope.",
    )
    scope_min_tagged_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="A document whose share of passages evidencing any measure is below this "
        "is out of scope: little of the framework's substance.",
    )
    commitment_mention_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="In the audit, an earlier strategy's commitment counts as mentioned again "
        "when a sentence of the later review is at least this close in meaning (cosine of embeddings).",
    )
    why_neighbours: int = Field(
        2, ge=0, description="Nearest labelled passages shown with each piece of evidence, to say why it was tagged."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
