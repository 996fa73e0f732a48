"""The sentence-transformers model run as an exported ONNX graph by OpenVINO or ONNX Runtime: the
same weights several times faster than PyTorch on a small CPU, loaded in under a second, and with no
PyTorch in the reviewing process. PyTorch is needed once per model, in a child process, to export
the graph; ``pipeline.embed`` falls back to PyTorch itself when anything here fails.

Texts are tokenised with the model's own ``tokenizer.json`` and pooled as its modules say (the mean
of the token embeddings under the attention mask, then unit length), so the vectors are those of
``SentenceTransformer.encode(..., normalize_embeddings=True)``: equal in fp32, within a cosine of
1e-4 when OpenVINO computes in bf16.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from pipeline.file_lock import exclusive_lock
from pipeline.heap import release_freed_memory
from pipeline.isolated import call_isolated

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EXPORT_VERSION = 1  # names the exported graph's folder: bump when export_graph changes what it writes
EXPORT_TIMEOUT_SECONDS = 900.0
EXPORT_MEMORY_MB = 16384  # PyTorch's export maps far more address space than it uses
# A batch is computed in parts of at most this many tokens (rows times the batch's padded width):
# the same vectors to the bit, as the width stays the batch's, and smaller buffers in each OpenVINO
# stream, which sizes them by the largest call it computed. A batch of 32 passages of 128 tokens
# runs in four parts; three documents embedded in turn peaked at 637 MiB instead of 870, as fast
# (paired medians 19.0 s against 20.5 s on a busy machine).
TOKENS_PER_INFERENCE = 1024
# Every batch is padded to a width that is a multiple of this many tokens. OpenVINO's CPU plugin
# keeps compiled primitives for each input shape it meets (up to 5,000): with a width per batch,
# a document's sentences brought dozens of new shapes and the reviewing process grew by about
# 17 MiB per document (673, 713, 765 MiB after three); padded, 617, 614, 633, as fast. A vector
# moves by less than its batch-mates already move it (cosine >= 0.999985 on 6,773 labelled and
# sample passages; batches of 8 instead of 32: 0.999984), and no tagger decision changed.
WIDTH_STEP = 16
POOLED_MODULES = (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])

Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (input ids, attention mask) -> token embeddings


class UnsupportedModel(ValueError):
    """A model whose modules this runtime does not reproduce (only mean pooling of a transformer)."""


@lru_cache(maxsize=4)
def runtime_label(runtime: str) -> str:
    """The runtime, its version and the precision it computes in, e.g. ``openvino 2026.4.1 bf16``:
    part of the versions of every review and of every embedding cache key, so a change of any of
    them recomputes both. Raises ImportError when the runtime is not installed."""
    if runtime == "openvino":
        return f"openvino {metadata.version('openvino')} {_openvino_precision(import_openvino().Core())}"
    if runtime == "onnx":
        import onnxruntime

        return f"onnxruntime {onnxruntime.__version__} fp32"
    raise ValueError(f"no embedding runtime called {runtime!r}")


def import_openvino() -> ModuleType:
    """OpenVINO's runtime without its model converter, which ``import openvino`` loads too and which
    sends a usage event to Google Analytics on import from a forked process: network traffic no
    review asks for, and a fork of a process with threads, which here deadlocked on an OpenSSL lock
    and kept ``wgll review`` from exiting. The converter is not used (graphs are exported with
    PyTorch); OpenVINO imports without it when it is missing."""
    converter = "openvino.tools.ovc"
    hide = converter not in sys.modules
    if hide:
        sys.modules[converter] = None  # type: ignore[assignment]  # its import raises ImportError
    try:
        import openvino
    finally:
        if hide and sys.modules.get(converter, False) is None:
            del sys.modules[converter]
    return openvino


def _openvino_precision(core: object) -> str:
    """bf16 where the CPU computes it natively (OpenVINO's own default there: 2.5-3x fp32's
    speed), fp32 everywhere else, never OpenVINO's fp16 default of some ARM CPUs."""
    capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")  # type: ignore[attr-defined]
    return "bf16" if "BF16" in capabilities else "fp32"


def max_sequence_length(model_dir: Path) -> int:
    """The token limit sentence-transformers truncates at, after checking that the model is a
    transformer whose token embeddings are mean-pooled (and possibly normalised), as MiniLM is."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise UnsupportedModel(
            f"{model_dir}: not a sentence-transformers folder this runtime can read ({exc})"
        ) from exc
    modes = {key for key, value in pooling.items() if key.startswith("pooling_mode") and value}
    if kinds not in POOLED_MODULES or modes != {"pooling_mode_mean_tokens"}:
        raise UnsupportedModel(f"{model_dir}: modules {kinds} pooled by {sorted(modes)}; only mean pooling is exported")
    if config.get("do_lower_case") or not config.get("max_seq_length") or not (model_dir / "tokenizer.json").is_file():
        raise UnsupportedModel(f"{model_dir}: needs a tokenizer.json, a max_seq_length and no do_lower_case")
    return int(config["max_seq_length"])


@lru_cache(maxsize=4)
def model_digest(model_dir: Path) -> str:
    """A hash of every file of the model, so an exported graph is never used for other weights."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(model_dir)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def graph_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the model's exported graph is kept: by model content and export version."""
    return cache_dir / "embedding-runtime" / f"{model_digest(model_dir)}-export{EXPORT_VERSION}" / "model.onnx"


def open_on_pytorch(location: str) -> SentenceTransformer:
    """The model on PyTorch, offline: nothing may be fetched from a model hub, so the model must
    be on this machine. Used to export the graph, and by ``pipeline.encoder`` as the fallback."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return SentenceTransformer(location, device="cpu")


def export_graph(model_dir: str, target: str) -> None:
    """Export the model's transformer to ONNX: token ids and attention mask in, token embeddings
    out, batch and length dynamic. Run in a child process (``ensure_graph``): it imports PyTorch."""
    import torch

    transformer = open_on_pytorch(model_dir)[0].auto_model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=512)
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    partial = Path(target).with_suffix(f".{os.getpid()}.partial")
    with torch.no_grad():
        torch.onnx.export(
            TokenEmbeddings(),
            example,
            str(partial),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            dynamo=True,
            external_data=False,
            verbose=False,
            dynamic_shapes={"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}},
        )
    partial.replace(target)  # concurrent exporters each write whole files; the last one wins


def ensure_graph(model_dir: Path, cache_dir: Path) -> Path:
    """The exported graph, exported now in a child process when this cache lacks it (once per
    model and cache folder: about 20 s)."""
    graph = graph_path(model_dir, cache_dir)
    if not graph.is_file():
        graph.parent.mkdir(parents=True, exist_ok=True)
        call_isolated(
            "pipeline.embed_runtime:export_graph",
            {"model_dir": str(model_dir), "target": str(graph)},
            timeout=EXPORT_TIMEOUT_SECONDS,
            memory_mb=EXPORT_MEMORY_MB,
        )
    return graph


def _openvino_runner(graph: Path) -> tuple[Callable[[], Runner], int, Callable[[], None]]:
    """OpenVINO's throughput mode: one stream per core, each computing one batch on one thread.
    On 2 busy cores it embedded 1.4x faster than one stream with both threads on one batch.
    Each stream keeps the buffers of the largest batch it computed (about 240 MiB for 32 texts
    of 256 tokens) until ``release_memory``, the third item, frees them."""
    core = import_openvino().Core()
    precision = {"bf16": "bf16", "fp32": "f32"}[_openvino_precision(core)]
    compiled = core.compile_model(
        str(graph),
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "THROUGHPUT",
            "CACHE_DIR": str(graph.parent / f"openvino-{metadata.version('openvino')}"),
        },
    )

    def new_runner() -> Runner:  # an inference request serves one thread at a time
        request = compiled.create_infer_request()
        return lambda ids, mask: request.infer({"input_ids": ids, "attention_mask": mask})[0]

    return new_runner, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")), compiled.release_memory


def _onnx_runner(graph: Path) -> tuple[Callable[[], Runner], int, Callable[[], None]]:
    """One thread per batch and one batch per core, as OpenVINO's streams; threads that sleep
    rather than spin while they wait, since the cores are shared with the rest of a batch."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    run: Runner = lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]  # noqa: E731
    return (lambda: run), os.cpu_count() or 1, lambda: None  # a session serves several threads at once


class RuntimeEncoder:
    """Encodes texts like the sentence-transformers model in ``model_dir``, through ``runtime``."""

    def __init__(self, model_dir: Path, runtime: str, cache_dir: Path) -> None:
        from tokenizers import Tokenizer

        max_length = max_sequence_length(model_dir)
        self.identity = runtime_label(runtime)
        # One process at a time exports and compiles into a cache folder: when one OpenVINO process
        # read a compiled blob another was still writing, one of them failed ("cannot set
        # permissions" on the blob) and embedded with PyTorch for the rest of its life.
        with exclusive_lock(graph_path(model_dir, cache_dir).with_name(".lock"), EXPORT_TIMEOUT_SECONDS + 60):
            graph = ensure_graph(model_dir, cache_dir)
            self._new_runner, self._parallel, self._release = (
                _openvino_runner(graph) if runtime == "openvino" else _onnx_runner(graph)
            )
        self._encoding = 0  # encode calls running now, in any thread
        self._encoding_lock = threading.Lock()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()  # padded here per batch, to the batch's longest text
        self._tokenizer.enable_truncation(max_length=max_length)
        # One inference on this thread first: OpenVINO's binding initialises its NumPy interface
        # on first use, and two threads doing that at once deadlocked (seen under pytest-xdist).
        self._new_runner()(*self._padded([[self._pad_id]]))

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Unit vectors, one row per text. Texts of similar length are batched together, and
        batches computed side by side (the runtimes let go of the GIL). The runtime's buffers are
        freed when no other thread is encoding: a batch reviews two documents at once, and
        OpenVINO's, kept between documents, were 480 MiB of the reviewing process while the other
        document's pack printed (the batch's peak). Allocating them again costs no measurable time."""
        with self._encoding_lock:
            self._encoding += 1
        try:
            return self._encode(texts, batch_size)
        finally:
            with self._encoding_lock:  # held while releasing: no inference may start meanwhile
                self._encoding -= 1
                if self._encoding == 0:
                    self._release()
                    release_freed_memory()

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        token_ids = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        order = np.argsort([-len(ids) for ids in token_ids], kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        runners = threading.local()

        def embed(rows: np.ndarray) -> np.ndarray:
            if not hasattr(runners, "run"):
                runners.run = self._new_runner()
            ids, mask = self._padded([token_ids[row] for row in rows])
            step = -(-len(rows) // -(-ids.size // TOKENS_PER_INFERENCE))  # rows in even parts within the limit
            parts = [runners.run(ids[at : at + step], mask[at : at + step]) for at in range(0, len(rows), step)]
            return mean_pool(np.concatenate(parts), mask)

        with ThreadPoolExecutor(min(self._parallel, len(batches))) as pool:
            pooled = list(pool.map(embed, batches))
        vectors = np.empty((len(texts), pooled[0].shape[1]), dtype=np.float32)
        for rows, batch in zip(batches, pooled, strict=False):
            vectors[rows] = batch
        return vectors

    def _padded(self, token_ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        longest = max(len(ids) for ids in token_ids)
        width = -(-longest // WIDTH_STEP) * WIDTH_STEP
        ids = np.full((len(token_ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for line, row in enumerate(token_ids):
            ids[line, : len(row)] = row
            mask[line, : len(row)] = 1
        return ids, mask


def mean_pool(token_embeddings: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling and normalisation, in fp32: the mean of the unmasked
    token embeddings (count clamped at 1e-9), divided by its length (clamped at 1e-12)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (np.asarray(token_embeddings, dtype=np.float32) * weights).sum(axis=1)
    means = summed / np.maximum(weights.sum(axis=1), 1e-9)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
