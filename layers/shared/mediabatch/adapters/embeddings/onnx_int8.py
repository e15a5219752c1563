"""all-MiniLM-L6-v2 as a dynamically quantised (int8, per channel) ONNX model on onnxruntime.

A mean cosine of 0.99 to torch's embeddings of the corpus' chunks and the same top-3 hit rate on
a fixed query set (bench/documents.py measures both). What makes it fast, measured on the
corpus' 256-token chunks (CPU seconds, one thread): the model is exported with the eager
attention (torch's SDPA path exports masks through Where/Cast chains that cost 1.6x the CPU
of the whole eager graph once quantised); chunks are batched by token length (little padding);
worker threads sleep rather than spin between runs (spinning steals the cores extraction
of the next file needs).
The model is exported once from the bundled weights (`python -m
mediabatch.adapters.embeddings.onnx_int8 DIR`; the container image does it at build time) and
then needs neither torch nor transformers: tokenizers + onnxruntime + numpy."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mediabatch.adapters.embeddings.model_files import DIMENSION, MAX_SEQ_LENGTH, bundled_model_dir

MODEL_FILE = "minilm-l6-int8-eager.onnx"  # a new name whenever the export changes
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


def ensure_exported(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 model in cache_dir, exported (about 3 s) if it is not there yet."""
    target = cache_dir / MODEL_FILE
    with _export_lock:
        if not target.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            _export(model_dir, target)
    return target


def _export(model_dir: Path, target: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class _Encoder(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.model(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state
            return hidden

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            # The legacy exporter warns about itself and about shape checks it fixes as
            # constants (none depends on the batch: the mask always matches the tokens).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Encoder(model),
                (sample, sample, torch.zeros_like(sample)),
                str(fp32),
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*_INPUTS, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        partial = Path(tmp) / MODEL_FILE
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(partial, target)  # atomic: a concurrent reader sees the whole model or none


class OnnxInt8Embedder:
    def __init__(self, model_dir: Path, cache_dir: Path, *, batch_size: int = 16) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = ensure_exported(model_dir, cache_dir)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One intra-op thread per physical core (onnxruntime's default), sleeping between runs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Attention buffers grow with batch x tokens^2; without the arena they are returned after
        # each run, and batches of 16 (not 32) halve the peak at the same speed (about 550 MiB
        # instead of 1 GiB for 256-token chunks, measured on 2 cores).
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        self._tokenizer.no_padding()  # each batch is padded to its own longest text below
        self._batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Texts of similar token length share a batch (padding costs as much as text); the
        vectors come back in the order of `texts`."""
        tokens = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        out: list[list[float]] = [[] for _ in tokens]
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            for i, vector in zip(batch, self._embed_batch([tokens[i] for i in batch]), strict=True):
                out[i] = vector
        return out

    def _embed_batch(self, tokens: list[list[int]]) -> list[list[float]]:
        width = max(len(t) for t in tokens)
        ids = np.zeros((len(tokens), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for row, t in enumerate(tokens):
            ids[row, : len(t)] = t
            mask[row, : len(t)] = 1
        with self._lock:  # onnxruntime parallelises one run over the cores already
            (hidden,) = self._session.run(
                ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
        # Mean pooling over real tokens, then unit length (what the model's Pooling + Normalize do).
        summed = (hidden * mask[..., None]).sum(axis=1)
        mean = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
        unit = mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)
        return [[float(x) for x in row] for row in unit]


if __name__ == "__main__":  # build step of the container image: export into a folder
    print(ensure_exported(bundled_model_dir(), Path(sys.argv[1])))
