"""`python -m core runs | cancel | resume | logs`: the training queue, as the Train page shows it."""
from __future__ import annotations

import argparse
import json
import sys
import time

from core.runs import jobs, run_log, run_queue
from core.runs.system import describe as describe_system, system_status
from core.store.shared_storage import run_files
from core.store.store import Run, Store
from core.wording import count, duration

# How long `cancel` waits for the worker to stop: the grace period, the forced stop, and the test-split
# measurement of the epoch it keeps.
CANCEL_WAIT_SECONDS = 120.0
FOLLOW_SECONDS = 1.0


def queue_places(store: Store) -> dict[int, int]:
    """Run id -> place in the queue (1 = next to start), read once for a whole listing."""
    return {r.id: place for place, r in enumerate(run_queue.waiting(store), start=1)}


def describe(run: Run, places: dict[int, int]) -> str:
    """Where a run stands, in a few words: 'waiting, number 2 in the queue', 'epoch 3 of 10, 42%, 1 min 05 s',
    'test accuracy 0.913, macro-F1 0.902'."""
    p = run.progress
    if run.status == "queued":
        return f"waiting, number {places[run.id]} in the queue" if run.id in places else "starting"
    if run.status == "running":
        if p.phase == "stopping":
            return "stopping"
        if p.phase == "preparing" or not p.total_steps:
            return "preparing"
        return f"epoch {min(p.epoch + 1, p.epochs)} of {p.epochs}, {p.step / p.total_steps:.0%}, {duration(p.elapsed)}"
    if run.has_model:
        kept = f", epoch {run.result['best_epoch']} kept" if run.status == "cancelled" and run.result.get("best_epoch") else ""
        return test_scores(run.result, 3) + kept
    return run.error or ""


def test_scores(result: dict, digits: int) -> str:
    """A finished run's test scores in a few words: accuracy and macro-F1, or micro- and macro-F1 for a run with
    several labels per text."""
    first = ("micro-F1", "micro_f1") if result.get("multilabel") else ("accuracy", "accuracy")
    return f"test {first[0]} {result[first[1]]:.{digits}f}, macro-F1 {result['macro_f1']:.{digits}f}"


def summary(run: Run, names: dict[str, str], places: dict[int, int]) -> dict:
    return {"id": run.id, "status": run.status, "arch": run.arch, "dataset_id": run.dataset_id,
            "dataset": names.get(run.dataset_id), "place_in_queue": places.get(run.id),
            "progress": run.progress.to_dict(),
            "result": run.result, "error": run.error, "has_model": run.has_model, "created_at": run.created_at,
            "started_at": run.started_at, "finished_at": run.finished_at, "detail": describe(run, places)}


def cmd_runs(args: argparse.Namespace) -> int:
    store = Store()
    jobs.reconcile(store)  # a worker that died since anyone last looked is reported as such, not as running
    runs = store.list_runs()
    if args.active:
        runs = [r for r in runs if r.active]
    places = queue_places(store)
    if args.json:
        names = {d.id: d.name for d in store.list_datasets()}
        print(json.dumps([summary(r, names, places) for r in runs], ensure_ascii=False))
        return 0
    status = system_status(store)
    print(f"{describe_system(status)} · {count(status.slots, 'training slot')}", file=sys.stderr)
    if not runs:
        print("No runs yet." if not args.active else "No run is training or waiting.", file=sys.stderr)
        return 0
    print(f"{'id':>5}  {'status':11}  {'model':19}  {'created':16}  detail")
    for r in runs:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at))
        print(f"{r.id:>5}  {r.status:11}  {r.arch:19}  {created:16}  {describe(r, places)}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    store = Store()
    run = jobs.cancel(store, args.run)
    if not args.wait or not run.active:
        print(f"run {run.id} {run.status}" + (": stopping" if run.active else ""))
        return 0
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while run.active and time.monotonic() < deadline:
        time.sleep(0.5)
        jobs.reconcile(store)  # forces the stop once the grace period is over, with no dashboard running
        run = store.get_run(args.run)
    if run.active:
        print(f"run {run.id} is still stopping; `python -m core runs` shows when it has.", file=sys.stderr)
        return 1
    print(f"run {run.id} {run.status}: {describe(run, {}) or 'no model kept'}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    store = Store()
    jobs.reconcile(store)  # a run whose worker died unnoticed becomes interrupted, and so resumable
    kept = jobs.checkpoint_kept(store, args.run)  # asked first: resuming may replace it
    run = jobs.resume(store, args.run)
    how = ("it resumes from its last checkpoint" if kept else
           "no checkpoint was kept, so it trains again from the start (with the same seed, to the same model)")
    print(f"run {run.id} {describe(run, queue_places(store))}; {how}.")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    store = Store()
    jobs.reconcile(store)  # a run whose worker died unnoticed shows, and ends, its log as interrupted
    run = store.get_run(args.run)
    folder = run_files(store, run.id)
    read = (lambda: jobs.worker_log(store, run.id)) if args.worker else (lambda: run_log.read(folder))
    shown = read()
    print(shown, end="")
    while args.follow:
        jobs.reconcile(store)  # a worker killed while followed ends the following, with no dashboard running
        active = store.get_run(run.id).active  # read before the log, so the lines of its last moments show
        time.sleep(FOLLOW_SECONDS)
        text = read()
        print(text[len(shown):], end="", flush=True)
        shown = text
        if not active:
            break
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    runs = sub.add_parser("runs", help="the runs, newest first: training, waiting (with their place) and finished")
    runs.add_argument("--active", action="store_true", help="only runs training or waiting")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(func=cmd_runs)
    cancel = sub.add_parser("cancel", help="stop a run; one stopped after an epoch keeps that epoch's model")
    cancel.add_argument("run", type=int)
    cancel.add_argument("--no-wait", dest="wait", action="store_false", help="return without waiting for the stop")
    cancel.set_defaults(func=cmd_cancel)
    resume = sub.add_parser("resume", help="queue a cancelled or interrupted run to carry on from its checkpoint")
    resume.add_argument("run", type=int)
    resume.set_defaults(func=cmd_resume)
    logs = sub.add_parser("logs", help="a run's log: settings, data, device, epochs, warnings and errors")
    logs.add_argument("run", type=int)
    logs.add_argument("--worker", action="store_true", help="the training process's raw output instead")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the run ends")
    logs.set_defaults(func=cmd_logs)
