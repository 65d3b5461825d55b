"""Where a run stands, as the Train page shows it: its place in the queue, progress, result, why it stopped,
what to do next (Stop, Resume), and its log."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.access.ownership import can_change
from core.architectures.advice import after_early_stop
from core.errors import StorageError
from core.runs import jobs, run_log, run_queue
from core.runs.backends.choice import backend_for
from core.runs.backends.local import GONE
from core.store.shared_storage import run_files
from core.store.store import Run, Store
from core.wording import duration
from dashboard import navigation
from dashboard.components import escape_md

LOG_TAIL = 4000  # characters of the worker's raw output shown for a failed or interrupted run


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def waiting(store: Store, run: Run) -> None:
    if backend_for(run).cluster:
        st.info("Handed to the Ray cluster, which starts it as soon as a node has room for it. It starts by itself; "
                "you can close this tab.")
        return
    place = run_queue.place_in_queue(store, run.id)
    if place is None:
        st.progress(0.0, text="Starting the training process…")
        return
    if why := run_queue.held_back(store, run):
        st.info(f"Waiting, {ordinal(place)} in line. {why} It starts by itself; you can close this tab.")
        return
    busy = ", ".join(f"run #{r.id}" for r in store.list_runs(status=("running",))) or "a run"
    slots = jobs.slots()
    taken = f"All {slots} slots are" if slots > 1 else "The slot is"
    st.info(f"Waiting for a free training slot: {ordinal(place)} in line. {taken} busy with {busy}. It starts by "
            "itself; you can close this tab.")


def ticking(run: Run) -> tuple[float, float | None]:
    """Seconds since the run started and the time left, both moved on to now: the worker writes them at most twice
    a second, and not at all while it is busy between steps (loading a model, a long test pass)."""
    p = run.progress
    since = max(0.0, time.time() - p.at) if p.at is not None else 0.0
    elapsed = time.time() - run.started_at if run.started_at else p.elapsed
    eta = p.eta
    if p.task and p.task_done:
        spent = p.at - p.task_started
        eta = spent / p.task_done * (p.task_total - p.task_done)
    return elapsed, None if eta is None else max(0.0, eta - since)


def times(elapsed: float, eta: float | None) -> str:
    return f"{duration(elapsed)} elapsed" + (f" · about {duration(eta)} left" if eta is not None and eta >= 1 else "")


def training(run: Run) -> None:
    p = run.progress
    elapsed, eta = ticking(run)
    if p.phase == "stopping":
        st.progress(min(1.0, p.step / max(p.total_steps, 1)),
                    text="Stopping: scoring the best epoch so far on the test texts, to keep it as the model…")
    elif p.phase == "cross-validating":
        # Counted in folds, each in parts of its own: no count of texts to show.
        st.progress(min(1.0, p.task_done / p.task_total) if p.task_total else 0.0,
                    text=f"{p.task} · {times(elapsed, eta)}")
    elif p.task:
        # Long work counted in texts: a model fit in one go, or the test pass.
        done, total = p.task_done, p.task_total
        before = "Training done. " if p.phase == "testing" else ""
        st.progress(min(1.0, done / total) if total else 0.0,
                    text=f"{before}{p.task}: {done:,} of {total:,} · {times(elapsed, eta)}")
    elif p.phase == "testing":
        st.progress(1.0, text=f"Training done: scoring the test texts… · {times(elapsed, None)}")
    elif p.phase == "preparing" or not p.total_steps:
        st.progress(0.0, text=f"Preparing the data and the model… · {times(elapsed, None)}")
    else:
        st.progress(min(1.0, p.step / p.total_steps),
                    text=f"Epoch {min(p.epoch + 1, p.epochs)} of {p.epochs} · step {p.step:,} of {p.total_steps:,} · "
                         f"{times(elapsed, eta)}")
        if p.accumulation > 1:
            st.caption(f"The GPU ran short of memory, so each step now takes {p.accumulation} smaller passes "
                       "whose gradients add up: the same learning, a little slower. The run log says when.")


def succeeded(store: Store, run: Run) -> None:
    r = run.result
    base = r.get("baseline")
    if r.get("multilabel"):
        st.success(f"Finished in {duration(r.get('train_seconds'))}: test micro-F1 {r['micro_f1']:.3f}, macro-F1 "
                   f"{r['macro_f1']:.3f}, every label right on {r['subset_accuracy']:.1%} of {r['n_test']:,} "
                   "held-out texts.")
    else:
        trivial = f" (always answering “{escape_md(base['class'])}”: {base['accuracy']:.1%})" if base else ""
        st.success(f"Finished in {duration(r.get('train_seconds'))}: test accuracy {r['accuracy']:.1%}{trivial}, "
                   f"macro-F1 {r['macro_f1']:.3f} on {r['n_test']:,} held-out texts.")
    why = f"Training stopped early: {r['stop_reason']}. " if r.get("stop_reason") else ""
    best = (f"The model keeps the weights of epoch {r['best_epoch']}, the one that did best on the validation texts."
            if r.get("best_epoch") is not None else "")
    if why or best:
        st.caption(why + best)
    for warning in r.get("warnings", []):
        st.warning(escape_md(warning))
    if advice := early_stop_advice(store, run):
        st.info(advice, icon=":material/lightbulb:")
    next_steps()


def early_stop_advice(store: Store, run: Run) -> str | None:
    """What to try after a run that stopped early, if anything (see core.architectures.advice.after_early_stop)."""
    if not run.result.get("stop_reason"):
        return None  # the run ran its course: no need to read its curves
    losses = [m["value"] for m in store.metrics_since(run.id) if m["split"] == "val" and m["name"] == "loss"]
    return after_early_stop(run.arch, run.config, run.result, losses)


def next_steps() -> None:
    left, right = st.columns(2)
    with left:
        navigation.link(navigation.RESULTS, "See the results")
    with right:
        navigation.link(navigation.PREDICT, "Try predictions")


def stopped(store: Store, run: Run) -> None:
    r = run.result
    if run.has_model:
        kept = (f"the weights of epoch {r['best_epoch']}, the best on the validation texts" if r.get("best_epoch")
                else "the weights it had reached")
        st.warning(f"This run was stopped at step {r.get('stopped_at_step', 0):,}. Its model keeps {kept}: test "
                   f"accuracy {r['accuracy']:.1%}, macro-F1 {r['macro_f1']:.3f} on {r['n_test']:,} held-out texts. "
                   "The curves up to the stop are kept below.")
        next_steps()
    elif not run.started_at:
        st.warning("This run was cancelled before it started.")
    elif run.progress.epoch < 1:
        st.warning("This run was stopped before its first epoch ended, so there is no model to use yet. The curves "
                   "up to the stop are kept below.")
    else:
        st.warning("This run was stopped by force before it could keep a model (its training process did not stop "
                   "in time). The curves up to the stop are kept below.")
    resume_button(store, run, "Resume: carry on from where it stopped" if run.started_at else "Start it after all")


def broken(store: Store, run: Run) -> None:
    if run.status == "failed":
        st.error(f"Training failed: {escape_md(run.error)}")
    else:
        st.warning(f"{escape_md(run.error or GONE)} The curves up to that point are kept below.")
        resume_button(store, run, "Resume from the last checkpoint")
    details = st.expander("Technical details", key=f"details.{run.id}", on_change="rerun")
    if details.open:
        with details:
            if store.viewer is not None and not store.viewer.admin:
                # A traceback shows the server's folders and code: with sign-in on, for administrators only.
                st.caption("The technical details (where in the program it failed) are kept for the server's "
                           "administrators: tell one the run number if it fails again.")
            else:
                st.code("\n\n".join(filter(None, [run.traceback, jobs.worker_log(store, run.id)[-LOG_TAIL:]])) or
                        "The training process left no log.", language=None)


def resume_button(store: Store, run: Run, label: str) -> None:
    if not can_change(store.viewer, run):
        return
    if st.button(label, key=f"resume.{run.id}", icon=":material/play_arrow:"):
        try:
            jobs.resume(store, run.id)
        except (ValueError, KeyError, PermissionError, StorageError) as exc:
            st.error(escape_md(exc))
        else:
            st.rerun()


def status(store: Store, run: Run) -> None:
    """The run's state and the actions it allows, for any status."""
    if run.status == "queued":
        waiting(store, run)
    elif run.status == "running":
        training(run)
    elif run.status == "succeeded":
        succeeded(store, run)
    elif run.status == "cancelled":
        stopped(store, run)
    else:
        broken(store, run)
    if run.active and can_change(store.viewer, run):
        if run.cancel_requested:
            st.caption("Stopping…")
        else:
            st.button("Stop", key=f"stop.{run.id}", on_click=jobs.cancel, args=(store, run.id),
                      icon=":material/stop:", help="Stop training. A run stopped after an epoch keeps the best "
                                                   "epoch's model, and can be resumed later.")


def one_shot_scores(metrics: pd.DataFrame, multilabel: bool = False) -> None:
    """A model fit in one go has one point per curve, so its scores on the validation texts are said in words."""
    scores = metrics[metrics["split"] == "val"].set_index("name")["value"] if len(metrics) else pd.Series(dtype=float)
    if not {"accuracy", "macro_f1"} <= set(scores.index):
        return
    if multilabel:
        st.caption(f"Fit in one go, so there are no curves to draw: on the validation texts, at a threshold of 0.5 for "
                   f"every label, it got every label right on {scores['accuracy']:.1%} of them and scored macro-F1 "
                   f"{scores['macro_f1']:.3f}; then each label's own threshold was tuned on them.")
        return
    st.caption(f"Fit in one go, so there are no curves to draw: on the validation texts it scored accuracy "
               f"{scores['accuracy']:.1%} and macro-F1 {scores['macro_f1']:.3f}.")


def log(store: Store, run: Run) -> None:
    # Read and drawn only once opened: the code view of a long log took half a second of the browser's time on
    # every load of the Train page.
    expander = st.expander("Run log", key=f"log.open.{run.id}", on_change="rerun")
    if not expander.open:
        return
    folder = run_files(store, run.id)
    text = run_log.read(folder)
    with expander:
        if not text:
            st.caption("Nothing logged yet.")
        else:
            st.code(text, language=None, wrap_lines=True)
        if run.active and backend_for(run).cluster:
            st.caption("The run trains on the Ray cluster: its log arrives here when it ends. Meanwhile Ray's own "
                       "dashboard shows its output as it goes.")
        elif run.active:
            st.caption("Shown as it was when the run's status last changed; the download has every line so far.")
        # Read when clicked, so a training run's download holds its latest lines.
        st.download_button("Download the run log", lambda: run_log.read(folder).encode("utf-8"),
                           file_name=f"run-{run.id}.log", mime="text/plain", key=f"log.{run.id}", on_click="ignore")
