"""The model card: what a reader of the downloaded README needs, and the user's own names shown as text."""
from __future__ import annotations

import zipfile

from core.data.preparation import prepare
from core.data.splitting import split
from core.models.bundle import run_zip
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.wording import literal_markdown
from tests.conftest import make_texts

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
