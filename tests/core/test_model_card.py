"""The model card: what a reader of the downloaded README needs, and the user's own names shown as text."""
from __future__ import annotations

import contextlib
import io
import zipfile

import pandas as pd

from core.architectures.tfidf import TfidfClassifier, TfidfConfig
from core.data.preparation import prepare
from core.data.splitting import split
from core.formats.thresholds import LabelThresholds
from core.models.bundle import run_zip, write_zip
from core.models.card import data_summary, threshold_lines, usage_code
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.wording import literal_markdown
from tests.conftest import make_texts
from tests.core.test_multilabel_models import TEST, TRAIN, VAL

HOSTILE = {"sport": "<img src=x onerror=alert(1)>", "food": "**bold**", "tech": "[x](javascript:alert(1))"}


def test_the_card_names_data_scores_and_limits_with_names_as_text(workspace):
    df = make_texts(n_per_class=20)
    df["label"] = df["label"].map(HOSTILE)
    dataset = save_dataset(workspace, split(prepare(df, "text", "label"), 0.1, 0.3, 42), "<b>news</b> | 2026")
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {}))
    with zipfile.ZipFile(run_zip(workspace, run.id, "bundle")) as archive:
        card = archive.read("README.md").decode()
    assert card.startswith("# \\<b\\>news\\</b\\> \\| 2026: TF-IDF + linear model")
    for raw in HOSTILE.values():
        assert raw not in card
    for value in HOSTILE.values():  # tests/core/test_wording.py renders literal_markdown's output as Markdown
        assert literal_markdown(value) in card
    assert f"accuracy {run.result['accuracy']:.3f} (95% interval" in card
    assert "| all classes | " in card and "## Intended use" in card and "## Limitations" in card
    assert "Fewer than 30 test texts for" in card  # 6 test texts per class
    assert '"architecture": "tfidf"' in card


def test_a_multilabel_card_counts_texts_per_label_and_lists_each_threshold():
    df = pd.DataFrame({"text": list("abcde"), "label": ["food|sport", "sport", "", "food", "tech"],
                       "split": ["train", "train", "train", "val", "test"]})
    summary = data_summary(df, multilabel=True)
    assert summary.loc["sport"].tolist() == [2, 0, 0] and summary.loc["food"].tolist() == [1, 1, 0]
    assert summary.loc["all texts"].tolist() == [3, 1, 1]
    lines = "\n".join(threshold_lines(LabelThresholds({"food": 0.25}, at_least_one=True), ["food", "sport"]))
    assert "| food | 0.250 |" in lines and "| sport | 0.500 |" in lines and "still gets its most likely label" in lines


def test_the_multilabel_snippet_picks_labels_by_their_thresholds(tmp_path, monkeypatch):
    model = TfidfClassifier(TfidfConfig(min_df=1)).fit(TRAIN, VAL)
    model.save(tmp_path / "model")
    write_zip(tmp_path / "model", {}, tmp_path / "model.zip")
    python, _ = usage_code("model.zip", multilabel=True)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(python.replace('"a text to classify"', repr(TEST.texts[0])), {})
    by_predict, by_thresholds = printed.getvalue().splitlines()
    assert by_predict == repr(model.predict(TEST.texts[:1]))
    assert eval(by_thresholds) == [list(model.predict(TEST.texts[:1])[0])]
