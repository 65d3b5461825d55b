"""A project's labelled texts saved as a dataset, which Train uses like any other: the check set as its test texts
(the texts drawn at random, so the test score is honest), or every label split at random."""
from __future__ import annotations

import pandas as pd

from core.errors import DataError
from core.labelling.project import Project
from core.store.datasets import save_dataset, split_table
from core.store.store import DatasetRecord, Store

PART = "part"  # the column saying which texts are the check set


def labelled_table(project: Project) -> pd.DataFrame:
    """The labelled texts: text, label, and `part` (test for the check set, train for the rest)."""
    table = project.table()
    return pd.DataFrame({"text": table["text"], "label": table["label"],
                         PART: table["check_set"].map({True: "test", False: "train"})})


def make_dataset(store: Store, project: Project, name: str, check_as_test: bool = True, val_share: float = 0.1,
                 test_share: float = 0.2, seed: int = 42) -> tuple[DatasetRecord, pd.DataFrame]:
    """Save the labelled texts as a dataset; returns it and its rows. `check_as_test`: the check set is the test
    split (validation held out from the rest), else texts are held out at random by `val_share` and `test_share`."""
    table = labelled_table(project)
    if table["label"].nunique() < 2:
        raise DataError("A dataset needs labels of at least two classes. Label more texts first.")
    if check_as_test and not (table[PART] == "test").any():
        raise DataError("The check set is empty, so it cannot be the test texts. Label more texts (every "
                        f"{project.check_every}th goes to the check set), or hold test texts out at random.")
    parts, _ = split_table(table, "text", "label", split_col=PART if check_as_test else None, val_share=val_share,
                           test_share=test_share, seed=seed)
    return save_dataset(store, parts, name), parts
