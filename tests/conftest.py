"""Fixtures shared by every test: an empty workspace per test and a tiny, easily separable dataset."""
from __future__ import annotations

import os
import random

import pandas as pd
import pytest

from core.store.store import Store

# No test reaches the Hugging Face Hub: a model that is not on disk fails at once instead of after half a minute
# of retries. Set before transformers is imported, which reads it once; worker processes inherit it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# A dashboard keeps a worker process ready (core/runs/standby.py); every page test would start one that imports PyTorch.
# The tests of that worker, and the browser tests' servers, turn it on where they need it.
os.environ["CLASSIFIER_STUDIO_WARM_WORKER"] = "0"

WORDS = {
    "sport": ["goal", "match", "team", "coach", "league", "score", "player", "stadium"],
    "food": ["pasta", "recipe", "cheese", "bake", "dinner", "sauce", "kitchen", "bread"],
    "tech": ["laptop", "software", "chip", "robot", "network", "code", "server", "phone"],
}
CHINESE = {
    "体育": ["足球", "比赛", "球队", "教练", "联赛", "进球", "球员", "冠军"],
    "美食": ["面条", "菜谱", "奶酪", "烘焙", "晚餐", "酱汁", "厨房", "甜点"],
    "科技": ["电脑", "软件", "芯片", "机器", "网络", "代码", "手机", "系统"],
}


def make_texts(n_per_class: int = 20, seed: int = 0) -> pd.DataFrame:
    """Short texts whose words give their class away, so any working model learns them fast."""
    rng = random.Random(seed)
    rows = [(" ".join(rng.choices(words, k=6)), label) for label, words in WORDS.items() for _ in range(n_per_class)]
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts its processes
def pytest_cmdline_main(config: pytest.Config) -> None:
    # The quick suite runs in two processes (pyproject.toml); a run with end-to-end tests in one. They start servers,
    # browsers and Ray clusters (and `ray stop` ends every Ray cluster of the machine), and are timed for a busy
    # machine, not for two of them at once.
    if "not e2e" not in (config.option.markexpr or ""):
        config.option.numprocesses = 0


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Store:
    """A fresh workspace folder, also seen by worker processes through the environment."""
    monkeypatch.setenv("CLASSIFIER_STUDIO_WORKSPACE", str(tmp_path / "workspace"))
    return Store(tmp_path / "workspace")


@pytest.fixture
def tiny_df() -> pd.DataFrame:
    return make_texts()
