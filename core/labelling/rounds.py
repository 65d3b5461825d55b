"""Rounds of the quick model: refit every few labels, each round scored on the check set and kept as a point of the
learning curve (accuracy against labels spent)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.labelling.learner import PoolModel
from core.labelling.project import Project, Round


class Learner:
    """A project's quick model and its latest probabilities for every text of the pool. The pool's features are
    computed once; `update` refits when a round is due."""

    def __init__(self, project: Project, pool: PoolModel | None = None):
        self.pool = pool or PoolModel(project.texts)
        self.proba: np.ndarray | None = None
        self._fitted_on: tuple[int, tuple[str, ...]] | None = None  # labels spent and classes at the last fit

    def due(self, project: Project) -> bool:
        """A refit is due every `retrain_every` labels, when the classes change, and when there is no model yet
        (a restarted server keeps the curve, not the model)."""
        if self._fitted_on is None or self._fitted_on[1] != tuple(project.classes):
            return True
        return abs(len(project.labels) - self._fitted_on[0]) >= max(1, project.retrain_every)

    def update(self, project: Project) -> bool:
        """Refit when due; a refit at a new number of labels adds a point to the curve. Returns whether it refit."""
        if not self.due(project):
            return False
        training = project.training()
        self.proba = self.pool.fit_predict([a.row for a in training], [a.label for a in training], project.classes)
        spent = len(project.labels)
        self._fitted_on = (spent, tuple(project.classes))
        if self.proba is not None and (not project.rounds or spent > project.rounds[-1].labels):
            project.add_round(score(project, self.proba))
        return True


def score(project: Project, proba: np.ndarray) -> Round:
    """The model's accuracy on the check set, as a point of the curve."""
    check = project.check_set()
    accuracy = None
    if check:
        guessed = np.asarray(project.classes)[proba[[a.row for a in check]].argmax(axis=1)]
        accuracy = float(np.mean(guessed == np.asarray([a.label for a in check])))
    return Round(len(project.labels), len(project.training()), len(check), accuracy)


def curve(project: Project) -> pd.DataFrame:
    """The learning curve: labels spent, check-set accuracy and the check set's size, one row per scored round."""
    rows = [(r.labels, r.accuracy, r.checked_on) for r in project.rounds if r.accuracy is not None]
    return pd.DataFrame(rows, columns=["labels", "accuracy", "checked_on"])
