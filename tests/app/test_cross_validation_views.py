"""Cross-validation on the Results and Compare pages: each headline score's mean ± spread across folds, said in
plain words, and shown only for a run trained with it."""
from __future__ import annotations

import time

from core.runs.worker import execute_run
from core.store.records import Progress
from dashboard.components import escape_md


def results_of(open_page, run_id: int):
    at = open_page("results")
    next(s for s in at.selectbox if s.label == "Run").set_value(run_id)
    at.run()
    assert not at.exception
    return at

def test_results_say_the_cross_validated_scores_and_what_the_spread_means(open_page, store, dataset):
    plain = execute_run(store, store.create_run(dataset.id, "tfidf", {}))
    crossed = execute_run(store, store.create_run(dataset.id, "tfidf", {"cv_folds": 3}))
    assert crossed.status == "succeeded", crossed.error
    summary = crossed.result["cv"]["summary"]
    (accuracy, accuracy_spread), (f1, f1_spread) = summary["accuracy"], summary["macro_f1"]
    at = results_of(open_page, crossed.id)
    said = [i.value for i in at.info if "Cross\\-validation" in i.value]
    line = (f"Cross-validation, 3 folds: accuracy {accuracy:.3f} ± {accuracy_spread:.3f}, "
            f"macro-F1 {f1:.3f} ± {f1_spread:.3f}")
    assert said == [f"**{escape_md(line)}**"]
    assert any("3 more were trained with the same settings" in c.value and "how far their scores spread" in c.value
               for c in at.caption)

    at = open_page("compare")
    board = at.dataframe[1].value  # after the statistics behind the verdict
    by_model = dict(zip(board["Model"], board["Cross-validated"]))
    assert by_model == {f"#{plain.id} TF-IDF + linear model": "",
                        f"#{crossed.id} TF-IDF + linear model": f"{f1:.3f} ± {f1_spread:.3f}"}

    at = results_of(open_page, plain.id)
    assert not [i for i in at.info if "Cross\\-validation" in i.value]


def test_the_train_page_says_which_fold_is_training(open_page, store, running_run):
    now = time.time()
    store.set_progress(running_run.id, Progress(elapsed=10.0, phase="cross-validating", at=now,
                                                task="Cross-validating: fold 2 of 5", task_done=1500,
                                                task_total=5000, task_started=now - 10))
    at = open_page("train")
    assert not at.exception
    bar = at.get("progress")[0].proto
    assert bar.text.startswith("Cross-validating: fold 2 of 5 · ") and bar.value == 30


def test_the_train_page_starts_cheap_models_with_five_folds_and_others_with_none(open_page, dataset):
    at = open_page("train")
    assert next(n for n in at.number_input if n.label == "Cross-validation folds").value == 5  # TF-IDF, few texts
    next(r for r in at.radio if r.label == "Model").set_value("textcnn")
    at.run()
    assert next(n for n in at.number_input if n.label == "Cross-validation folds").value == 1
