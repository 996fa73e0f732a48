"""The benchmark corpus plan: the same seed gives the same strategies, and no paragraph appears in
two documents (a shared passage would be found in the embedding cache and warm a "cold" run)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from types import ModuleType

from tests.sources import GENERATOR, generator


def bench_generator() -> ModuleType:
    generator()  # generate_bench imports generate_samples by name
    if "generate_bench" not in sys.modules:
        spec = importlib.util.spec_from_file_location("generate_bench", GENERATOR.parent / "generate_bench.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["generate_bench"] = module
        spec.loader.exec_module(module)
    return sys.modules["generate_bench"]


def paragraphs(planned) -> list[str]:  # type: ignore[no-untyped-def]
    return [" ".join(b.lines) for b in planned.source.blocks if b.kind == "paragraph"]


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    module = bench_generator()
    first, again, other = module.plan_corpus(4, 6), module.plan_corpus(4, 6), module.plan_corpus(4, 7)
    assert [paragraphs(p) for p in first] == [paragraphs(p) for p in again]
    assert [p.file for p in first] == [p.file for p in again]
    assert [paragraphs(p) for p in first] != [paragraphs(p) for p in other]


def test_no_paragraph_is_shared_between_documents() -> None:
    planned = bench_generator().plan_corpus(20, 6)
    assert len({p.place for p in planned}) == 20
    seen_in = Counter(text for p in planned for text in set(paragraphs(p)))
    shared = [text for text, documents in seen_in.items() if documents > 1]
    assert not shared, f"{len(shared)} paragraphs appear in more than one document, e.g. {shared[0][:80]!r}"
