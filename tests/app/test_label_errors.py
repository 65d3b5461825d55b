"""The Data page's 'Labels that may be wrong' for a saved dataset: the search, a decision made and undone, a relabel
by a click, and the reviewed dataset saved as a new version; and the Results page's section for a run trained with
cross-validation."""
from __future__ import annotations

import numpy as np

from core.evaluation.cross_validation import CrossValidation, save_out_of_fold
from core.evaluation.label_errors import label_errors_of_run
from core.store import label_review
from core.store.datasets import load_dataset
from core.workspace import run_dir
from dashboard.label_error_views import TITLE
from dashboard.state import DATASET, RUN
from tests.app.test_data import csv_bytes, markdown, save, upload
from tests.core.test_label_errors import FLIPPED, separable


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_wrong_labels_are_found_reviewed_and_saved_as_a_new_version(open_page, store):
    df = separable()
    at = save(upload(open_page("data"), "news.csv", csv_bytes(df)))
    assert not at.exception
    dataset_id = at.session_state[DATASET]
    assert TITLE in [h.value for h in at.subheader]
    button(at, "Look for labels that may be wrong").click()
    at.run()
    assert not at.exception
    found = label_review.load_found(store, dataset_id)
    saved = load_dataset(store, dataset_id)
    flipped = set(df.loc[list(FLIPPED), "text"])
    assert set(saved.loc[found["row"].head(3), "text"]) == flipped
    assert (found["split"] != "test").all()
    first = found.iloc[0]
    assert first["text"] in markdown(at).replace("\\", "")

    at.button(key=f"data.{dataset_id}.{first['row']}.drop").click()
    at.run()
    assert [d.action for d in label_review.decisions(store, dataset_id)] == ["drop"]
    button(at, "Undo the last").click()
    at.run()
    assert label_review.decisions(store, dataset_id) == []
    assert button(at, "Save as a new version").disabled

    at.button(key=f"data.{dataset_id}.{first['row']}.to.{first['suggested']}").click()
    at.run()
    assert [(d.action, d.label) for d in label_review.decisions(store, dataset_id)] == \
        [("relabel", first["suggested"])]
    button(at, "Save as a new version").click()
    at.run()
    assert not at.exception
    assert any("news (reviewed 1)" in s.value.replace("\\", "") for s in at.success)
    reviewed = next(d for d in store.list_datasets() if d.name == "news (reviewed 1)")
    assert at.session_state[DATASET] == reviewed.id
    assert load_dataset(store, reviewed.id).loc[first["row"], "label"] == first["suggested"]
    assert load_dataset(store, dataset_id).loc[first["row"], "label"] == first["label"]


def test_results_show_the_rows_of_a_run_trained_with_cross_validation(open_page, store, trained_run):
    rows = load_dataset(store, trained_run.dataset_id)
    rows = rows[rows["split"] != "test"].copy()
    classes = sorted(rows["label"].unique())
    # Out-of-fold probabilities sure of every given label but one's, which they give to another class.
    proba = np.full((len(rows), len(classes)), 0.05)
    proba[np.arange(len(rows)), np.searchsorted(classes, rows["label"])] = 0.9
    wrong = rows.index[0]
    rows.loc[wrong, "label"] = next(c for c in classes if c != rows.loc[wrong, "label"])
    cv = CrossValidation(classes, proba, np.arange(len(rows)) % 3, [])
    folder = run_dir(trained_run.id, store.root)
    save_out_of_fold(cv, rows, folder)
    found = label_errors_of_run(folder)
    assert wrong in set(found["row"])
    at = open_page("home")
    at.session_state[RUN] = trained_run.id
    at.query_params["tab"] = TITLE
    at.switch_page("../pages/results.py")
    at.run()
    assert not at.exception
    assert "This run's model, trained once per fold" in markdown(at)
    at.button(key=f"run.{trained_run.id}.{wrong}.keep").click()
    at.run()
    assert [(d.row, d.action) for d in label_review.decisions(store, trained_run.dataset_id)] == [(wrong, "keep")]
    assert "Kept at" in markdown(at)
