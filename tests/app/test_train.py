"""Train page: no dataset, a real worker run from Start to the final curves, a failed run, Stop."""
from __future__ import annotations

import random
import re
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch

from core.architectures import REGISTRY
from core.data.preparation import prepare
from core.data.splitting import split
from core.runs import jobs
from core.runs.backends.processes import process_started
from core.store.datasets import save_dataset
from core.store.records import Progress
from dashboard.new_run import OPEN_FORM
from dashboard.state import RUN
from tests.conftest import CHINESE, make_texts

WORKER_TIMEOUT = 90


def start_button(at):
    return next(b for b in at.button if b.label == "Start training")


def preset(at):
    return next(s for s in at.get("button_group") if s.label == "Preset")


def choose_model(at, arch: str) -> None:
    next(r for r in at.radio if r.label == "Model").set_value(arch)
    at.run()


def wait_for_finish(store, run_id: int, timeout: float = WORKER_TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = store.get_run(run_id)
        if not run.active:
            return run
        time.sleep(0.5)
    log = jobs.worker_log(store, run_id)
    pytest.fail(f"run {run_id} still {store.get_run(run_id).status} after {timeout} s; worker log:\n{log}")


def test_no_dataset_points_to_the_data_page(open_page):
    at = open_page("train")
    assert not at.exception
    assert at.info, "an empty workspace should say a dataset is needed"
    links = at.get("page_link")
    assert links and "data" in links[0].proto.page.lower()
    assert not [b for b in at.button if b.label == "Start training"]


def test_start_training_runs_a_worker_and_shows_the_result(open_page, store, dataset):
    at = open_page("train")
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "Dataset").value == dataset.id
    choose_model(at, "tfidf")
    preset(at).set_value("quick")
    at.run()
    start_button(at).click()
    at.run()
    assert not at.exception
    runs = store.list_runs()
    assert len(runs) == 1
    run = runs[0]
    assert (run.dataset_id, run.arch) == (dataset.id, "tfidf")
    assert at.session_state[RUN] == run.id
    assert not [b for b in at.button if b.label == "Start training"], "the form folds away: the run shows first"

    finished = wait_for_finish(store, run.id)
    assert finished.status == "succeeded", f"{finished.error}\n{finished.traceback}\n{jobs.worker_log(store, run.id)}"
    at.run()
    assert not at.exception
    assert at.success and "test accuracy" in at.success[0].value
    trivial = finished.result["baseline"]
    assert f"(always answering “{trivial['class']}”: {trivial['accuracy']:.1%})" in at.success[0].value
    # Fit in one go: one point per curve, so the scores are said in words instead of drawn.
    assert not at.get("plotly_chart")
    assert any(c.value.startswith("Fit in one go, so there are no curves to draw: on the validation texts it scored "
                                  "accuracy") for c in at.caption)
    assert not [b for b in at.button if b.key == f"stop.{run.id}"], "a finished run has no Stop button"
    assert not [b for b in at.button if b.label == "Start training"], "the result shows first too"
    at.button(key=OPEN_FORM).click()
    at.run()
    assert preset(at).value == "quick", "the form keeps the choices made before it folded"
    assert [b for b in at.button if b.label == "Start training"]


def test_failed_run_shows_error_and_traceback(open_page, store, dataset):
    run_id = store.create_run(dataset.id, "tfidf", {})
    assert store.transition(run_id, "running", pid=12345678)
    trace = 'Traceback (most recent call last):\n  File "core/runs/worker.py", line 1\nRuntimeError: out of memory'
    assert store.transition(run_id, "failed", error="RuntimeError: out of memory", traceback=trace)
    at = open_page("train")
    assert not at.exception
    assert at.error and "Training failed" in at.error[0].value and "out of memory" in at.error[0].value
    assert not at.code, "nothing of the details is sent before they are opened"
    at.session_state[f"details.{run_id}"] = True
    at.run()
    details = [e for e in at.expander if e.label == "Technical details"]
    assert details, [e.label for e in at.expander]
    assert trace in [c.value for c in details[0].code]


def test_stop_requests_cancel_of_an_active_run(open_page, store, running_run):
    at = open_page("train")
    assert not at.exception
    progress = at.get("progress")
    assert progress and "Epoch 2 of 4 · step 10 of 40" in progress[0].proto.text
    at.button(key=f"stop.{running_run.id}").click()
    at.run()
    assert not at.exception, at.exception
    run = store.get_run(running_run.id)
    assert run.cancel_requested and run.cancel_at
    assert run.status == "running"  # the worker, not the page, ends the run
    at.run()
    assert not at.exception
    assert "Stopping…" in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == f"stop.{running_run.id}"]


@pytest.mark.parametrize("phase, before", [("training", ""), ("testing", "Training done. ")])
def test_long_work_outside_the_steps_shows_texts_done_and_time_left(open_page, store, running_run, phase, before):
    """A model fit in one go and the test pass count the texts done, with the elapsed time and what is left."""
    now = time.time()
    store.set_progress(running_run.id, Progress(epoch=0, epochs=1, step=0, total_steps=1, elapsed=25.0,
                                                eta=None, phase=phase, at=now, task="Turning texts into vectors",
                                                task_done=1000, task_total=4000, task_started=now - 20))
    at = open_page("train")
    assert not at.exception
    bar = at.get("progress")[0].proto
    assert bar.text.startswith(f"{before}Turning texts into vectors: 1,000 of 4,000 · ")
    assert bar.value == 25
    # 20 s for the first quarter: a minute for the rest, less the seconds the page took to open.
    left = re.search(r"about (?:1 min 00 s|(\d+) s) left", bar.text)
    assert left and 30 <= int(left.group(1) or 60) <= 60, bar.text


def test_a_waiting_run_shows_its_place_in_the_queue(open_page, store, dataset, running_run, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    first = store.create_run(dataset.id, "tfidf", {"C": 2.0})
    second = store.create_run(dataset.id, "tfidf", {"C": 3.0})
    at = open_page("train")
    at.query_params["run"] = str(second)
    at.switch_page("../pages/train.py")
    at.run()
    assert not at.exception
    assert store.get_run(second).status == "queued" and store.get_run(first).pid is None  # the one slot is busy
    assert any(f"2nd in line. The slot is busy with run #{running_run.id}. It starts by itself" in i.value
               for i in at.info), [i.value for i in at.info]
    assert at.button(key=f"stop.{second}")  # a waiting run can be cancelled too


def test_a_repeated_start_starts_one_run_and_says_so(open_page, store, dataset, stand_in_worker, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    monkeypatch.setattr(jobs, "DOUBLE_SUBMIT_SECONDS", 600.0)  # the second Start counts as a repeat however slow
    busy = store.create_run(dataset.id, "tfidf", {"C": 9.0})  # holds the slot, so the new run waits
    worker = stand_in_worker()
    store.transition(busy, "running", pid=worker.pid, process_started=process_started(worker.pid))
    at = open_page("train")
    for _ in range(2):
        at.button(key=OPEN_FORM).click()  # the page watches a run that trains: the form is folded away
        at.run()
        choose_model(at, "tfidf")
        start_button(at).click()
        at.run()
        assert not at.exception
    runs = store.list_runs()
    assert len(runs) == 2
    started = runs[0]
    assert at.session_state[RUN] == started.id and started.status == "queued"
    notice = [i.value for i in at.info if "had already started" in i.value]
    assert notice and f"Run #{started.id} had already started, at " in notice[0], [i.value for i in at.info]
    assert "so pressing Start again did not start a second run" in notice[0]
    assert not [b for b in at.button if b.label == "Start training"], "the form folds away again"


def test_while_the_watched_run_trains_the_form_folds_into_one_button(open_page, running_run):
    at = open_page("train")
    assert not at.exception
    assert not [b for b in at.button if b.label == "Start training"]
    assert not [r for r in at.radio if r.label == "Model"]
    assert at.get("progress"), "the progress comes right after the run picker"
    at.button(key=OPEN_FORM).click()
    at.run()
    assert not at.exception
    assert [b for b in at.button if b.label == "Start training"] and at.get("progress")


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_a_stopped_run_with_a_model_offers_results_and_resume(open_page, store, stopped_run):
    run_id = stopped_run.id
    at = open_page("train")
    assert not at.exception
    assert any("This run was stopped at step 1. Its model keeps the weights it had reached: test accuracy" in w.value
               for w in at.warning), [w.value for w in at.warning]
    assert {"See the results", "Try predictions"} <= {link.proto.label for link in at.get("page_link")}
    assert not at.code and not at.get("download_button"), "the run log is read and drawn once opened"
    at.session_state[f"log.open.{run_id}"] = True
    at.run()
    log = next(e for e in at.expander if e.label == "Run log")
    assert "Settings: seed=42" in log.code[0].value and "Stopped by the user" in log.code[0].value
    assert at.get("download_button")
    at.button(key=f"resume.{run_id}").click()
    at.run()
    assert not at.exception
    assert store.get_run(run_id).status in ("queued", "running", "succeeded")
    assert wait_for_finish(store, run_id).status == "succeeded"


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_an_interrupted_run_says_so_and_can_resume(open_page, store, dataset):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_id = store.create_run(dataset.id, "tfidf", {})
    store.transition(run_id, "running", pid=gone.pid)
    at = open_page("train")  # the app reconciles at start: the dead worker's run is interrupted
    assert not at.exception
    assert store.get_run(run_id).status == "interrupted"
    assert any("The training process stopped without finishing" in w.value for w in at.warning)
    assert [e for e in at.expander if e.label == "Technical details"]
    at.button(key=f"resume.{run_id}").click()
    at.run()
    assert not at.exception
    assert wait_for_finish(store, run_id).status == "succeeded"


def number_input(at, label: str):
    return next(n for n in at.number_input if n.label == label)


def test_presets_fill_the_settings_and_the_length_preview_shows_the_cut(open_page, dataset):
    at = open_page("train")
    choose_model(at, "textcnn")
    balanced = number_input(at, "Epochs").value
    preset(at).set_value("quick")
    at.run()
    assert not at.exception
    quick = number_input(at, "Epochs").value
    assert quick < balanced
    few = next(e.label for e in at.expander if "will be cut" in e.label)
    assert few.startswith("0% of the training texts") and few.endswith("few enough")
    number_input(at, "Max length (tokens)").set_value(8)
    at.run()
    assert not at.exception
    cut = next(e.label for e in at.expander if "will be cut" in e.label)
    assert "of the training texts" in cut and "maximum length of 8 tokens" in cut
    assert "train.lengths" in [c.key for c in at.get("plotly_chart")]


def test_a_pretrained_model_that_does_not_know_the_language_is_flagged_before_training(open_page, store):
    rng = random.Random(0)
    rows = [("".join(rng.choices(words, k=4)), label) for label, words in CHINESE.items() for _ in range(20)]
    chinese = save_dataset(store, split(prepare(pd.DataFrame(rows, columns=["text", "label"]), "text", "label"),
                                        0.1, 0.2, 42), "中文")
    at = open_page("train")
    choose_model(at, "finetune")
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "Dataset").value == chinese.id
    assert next(s for s in at.selectbox if s.label == "Pretrained model").value == "sentence-transformers/all-MiniLM-L6-v2"
    warnings = [w.value.replace("\\", "") for w in at.warning]  # shown with Markdown escaped
    assert any("unknown to sentence-transformers/all-MiniLM-L6-v2" in w for w in warnings), warnings
    assert any("will be cut" in e.label for e in at.expander)
    model = next(r for r in at.radio if r.label == "Model")
    marked = [option for option in model.options if "Recommended" in option]
    assert len(marked) == 1 and "TF-IDF" in marked[0], "on Chinese, fine-tuning is not recommended"


def test_the_model_list_marks_the_models_recommended_for_the_data(open_page, dataset):
    at = open_page("train")
    model = next(r for r in at.radio if r.label == "Model")
    assert model.value == "tfidf"
    marks = {option.split(" · ")[0].strip("*"): option for option in model.options}
    assert set(marks) == {a.title for a in REGISTRY.values()}
    assert "Recommended first" in marks[REGISTRY["tfidf"].title]
    assert "Recommended for accuracy" in marks[REGISTRY["finetune"].title]
    assert "Recommended for few labels" in marks[REGISTRY["few_shot"].title]  # the tiny dataset's classes are small
    assert sum("Recommended" in option for option in model.options) == 3
    model.set_value("finetune")
    at.run()
    details = next(c.value for c in at.caption if c.value.startswith(REGISTRY["finetune"].description))
    assert "**Recommended for accuracy:**" in details and "99.4%" in details


def test_the_tfidf_form_shows_only_the_chosen_classifiers_settings_and_keeps_the_others(open_page, dataset):
    at = open_page("train")
    labels = lambda: {w.label for w in (*at.number_input, *at.selectbox, *at.checkbox)}  # noqa: E731
    assert {"Classifier", "Regularization (C)", "Most solver iterations"} <= labels()
    assert "Smoothing (alpha)" not in labels() and not {"Svm c", "Nb alpha", "C"} & labels()
    number_input(at, "Regularization (C)").set_value(3.0)
    at.run()
    classifier = next(s for s in at.selectbox if s.label == "Classifier")
    classifier.set_value("naive_bayes")
    at.run()
    assert "Smoothing (alpha)" in labels()
    assert not {"Regularization (C)", "Most solver iterations"} & labels()
    classifier = next(s for s in at.selectbox if s.label == "Classifier")
    classifier.set_value("logistic_regression")
    at.run()
    assert not at.exception
    assert number_input(at, "Regularization (C)").value == 3.0, "a hidden setting keeps its value"


def test_mixed_precision_is_not_offered_without_a_gpu_that_trains_in_bfloat16(open_page, dataset, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    at = open_page("train")
    choose_model(at, "textcnn")
    assert not at.exception
    assert number_input(at, "Epochs") and not [c for c in at.checkbox if "Mixed precision" in c.label]


def test_a_run_that_stopped_early_while_getting_worse_suggests_the_next_step(open_page, store, dataset):
    quick = REGISTRY["fasttext"].config_cls.preset("quick", 42).to_dict()
    run_id = store.create_run(dataset.id, "fasttext", quick)
    assert store.transition(run_id, "running", pid=12345678)
    for epoch, loss in enumerate([0.62, 0.55, 0.58], start=1):
        store.log_metrics(run_id, epoch * 3, float(epoch), "val", {"loss": loss, "accuracy": 0.7, "macro_f1": 0.7})
    assert store.transition(run_id, "succeeded", result={
        "accuracy": 0.77, "macro_f1": 0.76, "n_test": 18, "train_seconds": 3.0, "best_epoch": 2, "warnings": [],
        "stop_reason": "validation macro_f1 did not improve for 1 epochs"})
    at = open_page("train")
    assert not at.exception
    advice = next(i.value for i in at.info if "The model was getting worse on the validation texts" in i.value)
    assert "the Balanced preset" in advice and "TF-IDF + linear model" in advice


def test_many_texts_cut_short_is_a_warning(open_page, store):
    df = make_texts()
    df["text"] = df["text"] + " " + df["text"]  # 12 tokens a text
    save_dataset(store, split(prepare(df, "text", "label"), 0.1, 0.2, 42), "longer texts")
    at = open_page("train")
    choose_model(at, "textcnn")
    assert not [w for w in at.warning if "will be cut" in w.value]
    number_input(at, "Max length (tokens)").set_value(8)
    at.run()
    assert not at.exception
    cut = next(w.value for w in at.warning if "will be cut" in w.value)
    assert cut.startswith("100% of the training texts") and "Raise the maximum length" in cut
    assert "Text lengths in tokens" in [e.label for e in at.expander]
