"""`python -m core datasets [rename | delete]`: the saved datasets, as the Data page lists them."""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from core.store.datasets import delete_dataset
from core.store.store import DatasetRecord, Store
from core.wording import count


def find_dataset(store: Store, prefix: str) -> DatasetRecord:
    """The one dataset whose id starts with `prefix`, so a few characters of an id are enough, as in git."""
    matches = [d for d in store.list_datasets() if d.id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KeyError(f"'{prefix}' starts the ids of {len(matches)} datasets; give more of the id.")
    raise KeyError(f"No dataset with an id starting '{prefix}'. `python -m core datasets` lists them.")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_list(args: argparse.Namespace) -> int:
    store = Store()
    datasets = store.list_datasets()
    if not datasets:
        print("No datasets saved yet.", file=sys.stderr)
        return 0
    runs = Counter(r.dataset_id for r in store.list_runs())
    width = max(4, *(len(d.name) for d in datasets))
    print(f"{'id':16}  {'name':{width}}  {'rows':>9}  {'classes':>7}  {'created':16}  {'runs':>4}")
    for d in datasets:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.created_at))
        several = "  (several labels per text)" if d.multilabel else ""
        print(f"{d.id:16}  {d.name:{width}}  {d.n_rows:>9,}  {len(d.classes):>7}  {created:16}  {runs[d.id]:>4}"
              f"{several}")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    store = Store()
    try:
        dataset = store.rename_dataset(find_dataset(store, args.id).id, args.name)
    except (KeyError, ValueError) as exc:
        return _error(exc.args[0])
    print(f"dataset {dataset.id} is now named '{dataset.name}'")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store = Store()
    try:
        dataset = find_dataset(store, args.id)
    except KeyError as exc:
        return _error(exc.args[0])
    if not args.yes:
        runs = store.list_runs(dataset_id=dataset.id)
        active = sum(r.active for r in runs)
        print(f"would delete dataset {dataset.id} '{dataset.name}' ({dataset.n_rows:,} rows) and its "
              f"{count(len(runs), 'run')}" + (f", {active} of them still queued or training" if active else "")
              + "; run again with --yes to delete")
        return 1
    try:
        run_ids = delete_dataset(store, dataset.id)
    except ValueError as exc:  # runs still active: nothing was deleted
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"deleted dataset {dataset.id} '{dataset.name}' and {count(len(run_ids), 'run')}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `datasets` and its actions to the command line's subcommands."""
    datasets = sub.add_parser("datasets", help="list the saved datasets; rename or delete one")
    datasets.set_defaults(func=cmd_list)
    actions = datasets.add_subparsers(dest="action")
    rename = actions.add_parser("rename", help="give a dataset another name")
    rename.add_argument("id", help="the dataset's id, or enough of its start to tell it apart")
    rename.add_argument("name")
    rename.set_defaults(func=cmd_rename)
    delete = actions.add_parser("delete", help="delete a dataset with its runs and their files")
    delete.add_argument("id", help="the dataset's id, or enough of its start to tell it apart")
    delete.add_argument("--yes", action="store_true", help="delete; without it, only say what would be deleted")
    delete.set_defaults(func=cmd_delete)
