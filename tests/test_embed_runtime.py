"""The embedding model through a compiled runtime: the same vectors as sentence-transformers on
PyTorch, its own versions and cache keys, and PyTorch when it is chosen or the runtime fails."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import numpy as np
import pytest

from pipeline import embed_runtime
from pipeline.embed import embed_texts
from pipeline.embed_runtime import graph_path, max_sequence_length
from pipeline.encoder import (
    TORCH,
    TorchEncoder,
    embedding_identity,
    embedding_runtime,
    load_encoder,
    load_model,
    resolve_model_location,
)
from pipeline.settings import Settings, get_settings
from pipeline.versions import current_versions

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES = ("openvino", "onnx")


def settings_for(runtime: str, **changes: object) -> Settings:
    return get_settings().model_copy(update={"embedding_runtime": runtime, **changes})


@pytest.fixture(scope="session")
def real_passages() -> list[str]:
    """Labelled passages of every length, one over the model's 256-token limit (so truncation is
    tested), and a passage of one word."""
    lines = (ROOT / "labels" / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[::150]]
    return texts + [" ".join(texts[:6]) * 2, "Interoperability."]


@pytest.fixture(scope="session")
def torch_vectors(real_passages: list[str]) -> np.ndarray:
    """sentence-transformers' own encode on PyTorch: the reference (loaded once per session)."""
    return TorchEncoder(load_model(get_settings().embedding_model)).encode(real_passages, 32)


def test_the_longest_passage_is_over_the_token_limit(real_passages: list[str]) -> None:
    model_dir = Path(resolve_model_location(get_settings().embedding_model))
    assert max_sequence_length(model_dir) == 256
    assert len(real_passages[-2].split()) > 256


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_runtime_vectors_match_pytorch(runtime: str, real_passages: list[str], torch_vectors: np.ndarray) -> None:
    encoder = load_encoder(settings_for(runtime))
    assert encoder.identity == embedding_runtime(settings_for(runtime)) != TORCH
    vectors = encoder.encode(real_passages, 4)  # several batches, of different lengths
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vectors * torch_vectors, axis=1)
    assert cosine.min() >= 0.9999, f"{runtime}: cosine {cosine.min()} to PyTorch"
    if encoder.identity.endswith("fp32"):
        assert np.abs(vectors - torch_vectors).max() < 1e-5


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_batch_computed_in_parts_gives_the_same_vectors_to_the_bit(
    runtime: str, real_passages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of a batch keep its padded width, so the vectors cannot move; here every batch of 32
    (up to 256 tokens wide) runs whole, then one row at a time."""
    encoder = load_encoder(settings_for(runtime))
    monkeypatch.setattr(embed_runtime, "TOKENS_PER_INFERENCE", 32 * 256)
    whole = encoder.encode(real_passages, 32)
    monkeypatch.setattr(embed_runtime, "TOKENS_PER_INFERENCE", 1)
    assert np.array_equal(encoder.encode(real_passages, 32), whole)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_texts_of_every_length_reach_the_runtime_in_a_few_widths(runtime: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenVINO keeps compiled primitives for every input shape it meets: with one width per batch,
    each document's sentences brought new shapes and a reviewing process grew by about 17 MiB per
    document. Texts of 1 to 150 words, 4 to a batch, arrive in widths that are multiples of 16."""
    encoder = load_encoder(settings_for(runtime))
    widths: set[int] = set()
    new_runner = encoder._new_runner

    def recording_runner() -> embed_runtime.Runner:
        run = new_runner()
        return lambda ids, mask: widths.add(ids.shape[1]) or run(ids, mask)

    monkeypatch.setattr(encoder, "_new_runner", recording_runner)
    texts = [" ".join(["interoperability"] * words) for words in range(1, 151)]
    vectors = encoder.encode(texts, 4)
    assert vectors.shape[0] == len(texts) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert widths and all(width % 16 == 0 for width in widths) and len(widths) <= 16  # 38 batches


def test_versions_and_cache_keys_change_with_the_runtime() -> None:
    labels = {runtime: embedding_runtime(settings_for(runtime)) for runtime in (*RUNTIMES, "torch")}
    assert labels["torch"] == TORCH and labels["onnx"].startswith("onnxruntime ") and labels["onnx"].endswith(" fp32")
    assert labels["openvino"].split()[0] == "openvino" and labels["openvino"].split()[-1] in ("bf16", "fp32")
    versions = {runtime: current_versions(settings_for(runtime)) for runtime in labels}
    assert {v.embedding_runtime for v in versions.values()} == set(labels.values())
    assert len({v.key for v in versions.values()}) == 3
    identities = {embedding_identity(settings_for(runtime)) for runtime in labels}
    assert len(identities) == 3
    # PyTorch's vectors keep the keys they had before there were runtimes
    assert embedding_identity(settings_for("torch")) == get_settings().embedding_model


def test_torch_setting_embeds_with_pytorch(real_passages: list[str], torch_vectors: np.ndarray, tmp_path: Path) -> None:
    settings = settings_for("torch", cache_dir=tmp_path)
    assert isinstance(load_encoder(settings), TorchEncoder)
    assert np.allclose(embed_texts(real_passages, settings), torch_vectors, atol=1e-6)
    assert not (tmp_path / "embedding-runtime").exists(), "nothing exported for PyTorch"


def test_a_broken_runtime_falls_back_to_pytorch_and_says_so(
    real_passages: list[str], torch_vectors: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged exported graph in the cache: OpenVINO cannot read it, PyTorch does the work,
    a warning names the runtime and the reason, and the vectors are cached under PyTorch's key.
    Other tests embed the same passages with the runtime first: what this process remembers of
    their cache folder must not answer for this new one."""
    settings = settings_for("openvino", cache_dir=tmp_path)
    model_dir = Path(resolve_model_location(settings.embedding_model))
    graph = graph_path(model_dir, tmp_path)
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"not an ONNX graph")
    assert embedding_runtime(settings) != TORCH
    with caplog.at_level(logging.WARNING, logger="pipeline.encoder"):
        vectors = embed_texts(real_passages[:3], settings)
    assert np.allclose(vectors, torch_vectors[:3], atol=1e-6)
    assert "embedding runtime 'openvino' failed" in caplog.text and "PyTorch instead" in caplog.text
    assert embedding_runtime(settings) == TORCH and embedding_identity(settings) == settings.embedding_model
    assert embedding_runtime(settings_for("openvino")) != TORCH, "other caches keep the runtime"


def test_processes_filling_one_cache_at_once_all_use_the_runtime(tmp_path: Path) -> None:
    """Reviews started together on a new cache, as test workers or several users' commands are:
    OpenVINO's compiled-model cache broke when one process read a blob another was writing ("cannot
    set permissions" on it), and the loser embedded with PyTorch for good. Without the lock this
    failed in 3 runs of 3; the processes start their loads 0.2 s apart, past their imports."""
    model_dir = Path(resolve_model_location(get_settings().embedding_model))
    graph = graph_path(model_dir, tmp_path)
    graph.parent.mkdir(parents=True)
    shutil.copyfile(embed_runtime.ensure_graph(model_dir, get_settings().cache_dir), graph)
    start = tmp_path / "go"

    def loader(delay: float) -> str:
        return (
            "import time\n"
            "from pathlib import Path\n"
            "from pipeline.encoder import load_encoder\n"
            "from pipeline.settings import get_settings\n"
            f"while not Path({str(start)!r}).exists():\n"
            "    time.sleep(0.005)\n"
            f"time.sleep({delay})\n"
            f"changes = {{'embedding_runtime': 'openvino', 'cache_dir': Path({str(tmp_path)!r})}}\n"
            "settings = get_settings().model_copy(update=changes)\n"
            "print(load_encoder(settings).identity)\n"
        )

    command = [sys.executable, "-c"]
    processes = [
        subprocess.Popen([*command, loader(0.2 * i)], stdout=PIPE, stderr=PIPE, text=True, cwd=ROOT) for i in range(4)
    ]
    time.sleep(3)  # all past their imports
    start.touch()
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0 and stdout.startswith("openvino "), stderr[-2000:]


def test_a_review_process_does_not_import_torch(sample_pdfs: list[Path]) -> None:
    """A whole review of a sample strategy (read, segment, embed, tag, explain) in a fresh process
    with the default runtime: PyTorch never loads."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.manifest import BatchItem\n"
        "from pipeline.review import review_item\n"
        "from pipeline.settings import get_settings\n"
        "from pipeline.versions import current_versions\n"
        "settings = get_settings()\n"
        f"result = review_item(BatchItem(path=Path({str(sample_pdfs[0])!r})), settings, current_versions(settings))\n"
        "assert not result.review.errors, result.review.errors\n"
        "print(result.review.model.embedding_runtime)\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('torch', 'transformers', 'sentence_transformers')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    runtime, modules = done.stdout.strip().splitlines()[-2:]
    assert runtime == embedding_runtime(get_settings()) != TORCH
    assert modules == "[]", f"imported: {modules}"


def test_openvino_is_loaded_without_its_telemetry() -> None:
    """Importing OpenVINO the runtime's way leaves out its model converter, which sends a usage
    event over the network from a forked process on import (one such fork deadlocked and kept a
    review from exiting); OpenVINO still finds its devices."""
    script = (
        "import sys\n"
        "from pipeline.embed_runtime import import_openvino, runtime_label\n"
        "assert runtime_label('openvino').startswith('openvino ')\n"
        "assert import_openvino().Core().available_devices\n"
        "print(sorted(m for m in sys.modules if m.startswith(('openvino_telemetry', 'openvino.tools'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
