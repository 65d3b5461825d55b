"""`python -m core label-errors`: the training and validation rows whose label may be wrong, most doubtful first,
as the Data page (a dataset's quick TF-IDF cross-validation) and the Results page (a run's out-of-fold
probabilities) show them."""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from core.cli.datasets import find_dataset
from core.evaluation.label_errors import WHY_NOT_TEST, label_errors_of_dataset, label_errors_of_run
from core.store.datasets import load_dataset
from core.store.label_review import save_found
from core.store.shared_storage import run_files
from core.store.store import Store
from core.wording import count


def cmd_label_errors(args: argparse.Namespace) -> int:
    if args.top is not None and args.top < 1:
        raise ValueError(f"--top takes the number of rows to print, 1 or more; {args.top} was given.")
    try:
        found = _found(Store(), args)
    except KeyError as exc:  # no such dataset or run, said without the quotes a KeyError prints
        raise ValueError(exc.args[0]) from None
    print(f"{count(len(found), 'row')} whose label may be wrong; test rows are never flagged: {WHY_NOT_TEST}",
          file=sys.stderr)
    shown = found.head(args.top) if args.top else found
    if args.format == "json":
        print(shown.to_json(orient="records", force_ascii=False))
    else:
        shown.to_csv(sys.stdout, index=False, float_format="%.4f")
    return 0


def _found(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    if args.dataset is not None:
        dataset = find_dataset(store, args.dataset)
        print(f"cross-validating TF-IDF on the training and validation texts of '{dataset.name}' ({args.folds} "
              "folds)…", file=sys.stderr)
        found = label_errors_of_dataset(load_dataset(store, dataset.id), dataset.multilabel, args.folds)
        save_found(store, dataset.id, found)  # the Data page shows these without searching again
    else:
        run = store.get_run(args.run)
        found = label_errors_of_run(run_files(store, run.id), store.get_dataset(run.dataset_id).multilabel)
        if found is None:
            raise ValueError(f"Run {run.id} was trained without cross-validation, so it has no out-of-fold "
                             "probabilities; train with `--cv 5`, or use --dataset for a quick TF-IDF search.")
    return found


def register(sub: argparse._SubParsersAction) -> None:
    """Add `label-errors` to the command line's subcommands."""
    parser = sub.add_parser("label-errors", help="rows whose label may be wrong, most doubtful first (CSV or JSON)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", metavar="ID", help="a saved dataset (enough of its id's start to tell it "
                        "apart): cross-validates TF-IDF on its training and validation texts")
    source.add_argument("--run", type=int, metavar="RUN_ID", help="a run trained with --cv: its out-of-fold "
                        "probabilities")
    parser.add_argument("--format", choices=["csv", "json"], default="csv", help="how the rows are printed")
    parser.add_argument("--top", type=int, metavar="N", help="only the N most doubtful rows")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds of --dataset (default 5)")
    parser.set_defaults(func=cmd_label_errors)
