"""The committed source text of the sample strategies, read with the generator's own parser."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import SAMPLE_DIR

GENERATOR = SAMPLE_DIR.parent / "generate_samples.py"


def generator() -> ModuleType:
    if "generate_samples" not in sys.modules:
        spec = importlib.util.spec_from_file_location("generate_samples", GENERATOR)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["generate_samples"] = module
        spec.loader.exec_module(module)
    return sys.modules["generate_samples"]


def source_of(pdf: Path):  # type: ignore[no-untyped-def]
    return generator().parse_source(SAMPLE_DIR / "src" / f"{pdf.stem}.md")


def plain(text: str) -> str:
    """Text as the PDF shows it: markup removed, whitespace collapsed."""
    return " ".join(generator().BOLD.sub(r"\1", text).split())
