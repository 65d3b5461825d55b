"""Which text to ask about next: one drawn at random for the check set every few texts, so the learning curve's
estimate is unbiased; otherwise the text the quick model is least sure about ("breaking ties", margin sampling),
or one at random while the model cannot be trusted yet."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.labelling.project import Project

MIN_PER_CLASS = 2  # training labels each class needs before the model's doubts are worth following

CHECK, MARGIN, RANDOM = "check", "margin", "random"


@dataclass(frozen=True)
class Query:
    """The text to ask about and why: CHECK (drawn at random for the check set), MARGIN (the model's closest call
    between its two likeliest classes, `top`), or RANDOM (before the model knows every class)."""
    row: int
    reason: str
    top: tuple[tuple[str, float], ...] = ()

    @property
    def check(self) -> bool:
        return self.reason == CHECK


def is_check_turn(project: Project) -> bool:
    """Whether the next text asked goes to the check set: every `check_every`-th one."""
    every = project.check_every
    return every > 0 and project.asked % every == every - 1


def ready(project: Project) -> bool:
    """Whether every class has enough training labels for margin sampling."""
    counts = dict.fromkeys(project.classes, 0)
    for answer in project.training():
        counts[answer.label] += 1
    return len(counts) >= 2 and min(counts.values()) >= MIN_PER_CLASS


def margins(proba: np.ndarray) -> np.ndarray:
    """Each row's gap between its two likeliest classes: 0 is a perfect tie."""
    top_two = np.sort(proba, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def next_query(project: Project, proba: np.ndarray | None) -> Query | None:
    """The next text to ask about, or None when every text is answered. `proba`: the quick model's probabilities for
    every text of the pool over `project.classes`, or None before there is a model."""
    left = np.array(project.unanswered(), dtype=int)
    if not len(left):
        return None
    # Seeded by the answers so far: the same question comes back after a reload, another one after a skip.
    rng = np.random.default_rng([project.seed, len(project.answers)])
    if is_check_turn(project):
        return Query(int(rng.choice(left)), CHECK)
    if proba is None or not ready(project):
        return Query(int(rng.choice(left)), RANDOM)
    gaps = margins(proba[left])
    row = int(left[np.argmin(gaps)])
    best = np.argsort(proba[row])[::-1][:2]
    return Query(row, MARGIN, tuple((project.classes[i], float(proba[row, i])) for i in best))
