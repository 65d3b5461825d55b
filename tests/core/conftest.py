"""Fixtures for the core tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizer

from core.store.store import Store
from tests.conftest import CHINESE, WORDS


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models train several times faster on one thread than on threads that wait for each other."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A folder holding a randomly initialised two-layer BERT, saved as a real checkpoint is, whose vocabulary is
    the words and Chinese characters of the tiny datasets: the pretrained families load and train it in a
    fraction of a second, with no Hub and no large download."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    words = {w for ws in WORDS.values() for w in ws} | {c for ws in CHINESE.values() for w in ws for c in w}
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)])}
    BertTokenizer(vocab=vocab, model_max_length=64).save_pretrained(folder)
    # Larger starting weights than BERT's 0.02 and no dropout: a random model then learns the tiny data in the few
    # dozen steps the tests give it (with BERT's own values some seeds end with two classes merged).
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=64, initializer_range=0.1,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture
def cli(workspace: Store, tmp_path: Path):
    """Run `python -m core ARGS` in tmp_path with the test's workspace; returns the finished process."""
    assert os.environ["CLASSIFIER_STUDIO_WORKSPACE"] == str(workspace.root)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "core", *args], cwd=tmp_path, env=os.environ.copy(),
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def tiny_csv(tmp_path: Path, tiny_df: pd.DataFrame) -> Path:
    path = tmp_path / "tiny.csv"
    tiny_df.to_csv(path, index=False)
    return path
