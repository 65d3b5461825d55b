"""Labelling with active learning: the project kept on disk, margin sampling, the check set, rounds of the quick model
and the labelled texts as a dataset."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from core.labelling.dataset import make_dataset
from core.labelling.project import Project, create_project, list_projects, load_project
from core.labelling.rounds import Learner, curve
from core.labelling.sampling import CHECK, MARGIN, RANDOM, margins, next_query
from core.store.datasets import load_dataset
from core.store.store import Store
from tests.conftest import make_texts


@pytest.fixture
def truth():
    return make_texts(n_per_class=20)


@pytest.fixture
def project(workspace: Store, truth) -> Project:
    return create_project(truth["text"], "topics", classes=sorted(truth["label"].unique()), root=workspace.root)


def answer(project: Project, truth, learner: Learner | None = None, n: int = 1) -> None:
    """Answer `n` queries with the true labels, as a person would, the model refit when due."""
    for _ in range(n):
        if learner is not None:
            learner.update(project)
        query = next_query(project, learner.proba if learner else None)
        project.label(query.row, truth["label"][query.row], query.check)


def label_each_class(project: Project, truth, n: int) -> None:
    for name in project.classes:
        for row in truth.index[truth["label"] == name][:n]:
            project.label(int(row), name)


def test_margin_sampling_picks_the_closest_tie(project, truth):
    label_each_class(project, truth, 2)  # 6 asked: not a check turn
    proba = np.tile([0.9, 0.05, 0.05], (len(project.texts), 1))
    tie = project.unanswered()[-1]
    proba[tie] = [0.41, 0.40, 0.19]
    query = next_query(project, proba)
    assert (query.row, query.reason) == (tie, MARGIN)
    assert [name for name, _ in query.top] == project.classes[:2]
    assert query.top[0][1] == pytest.approx(0.41)
    assert margins(np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])) == pytest.approx([0.2, 0.4])


def test_random_until_every_class_has_two_training_labels(project, truth):
    first = truth.index[truth["label"] == project.classes[0]][:3]
    for row in first:
        project.label(int(row), project.classes[0])
    proba = np.full((len(project.texts), 3), 1 / 3)
    assert next_query(project, proba).reason == RANDOM


def test_every_fifth_text_asked_is_drawn_for_the_check_set(project, truth):
    reasons = []
    for _ in range(15):
        query = next_query(project, None)
        reasons.append(query.reason)
        project.label(query.row, truth["label"][query.row], query.check)
    assert [i for i, r in enumerate(reasons) if r == CHECK] == [4, 9, 14]
    assert [a.check for a in project.labels].count(True) == 3
    answer(project, truth, n=4)
    drawn = next_query(project, None)
    assert drawn.check
    project.skip(drawn.row)  # a skipped check text leaves the turn to the check set: another text is drawn
    assert next_query(project, None).check and next_query(project, None).row != drawn.row


def test_the_project_survives_a_reload_from_disk(project, truth, workspace):
    answer(project, truth, n=7)
    project.skip(project.unanswered()[0])
    project.add_class("extra")
    again = load_project(project.id, workspace.root)
    assert again.answers == project.answers
    assert again.classes == project.classes
    assert again.texts == project.texts
    assert next_query(again, None) == next_query(project, None)  # the same question comes back
    assert [p.id for p in list_projects(workspace.root)] == [project.id]
    with pytest.raises(DataError, match="no labelling project"):
        load_project("../../etc", workspace.root)


def test_undo_takes_back_the_last_answer_but_never_the_files_labels(workspace, truth):
    given = [truth["label"][0], None, *[None] * (len(truth) - 2)]
    project = create_project(truth["text"], "half", given=given, root=workspace.root)
    assert project.classes == [truth["label"][0]] and len(project.labels) == 1
    project.add_class("other")
    project.label(1, "other")
    project.skip(2)
    assert project.undo().row == 2
    assert project.undo().label == "other"
    assert project.undo() is None
    assert [a.row for a in load_project(project.id, workspace.root).answers] == [0]


def test_classes_are_checked(project):
    with pytest.raises(DataError, match="already"):
        project.add_class(project.classes[0])
    with pytest.raises(DataError, match="Type a class"):
        project.add_class("  ")
    with pytest.raises(DataError, match="not one of"):
        project.label(0, "nope")
    project.label(0, project.classes[0])
    with pytest.raises(DataError, match="undo them first"):
        project.remove_class(project.classes[0])
    with pytest.raises(DataError, match="answered already"):
        project.label(0, project.classes[1])


def test_the_model_is_refit_every_few_labels_and_scored_on_the_check_set(project, truth):
    learner = Learner(project)
    refits = []
    for _ in range(30):
        refits.append(learner.update(project))
        query = next_query(project, learner.proba)
        project.label(query.row, truth["label"][query.row], query.check)
    learner.update(project)
    assert refits[0] and sum(refits) in (6, 7)  # the first, then every 5 labels
    points = curve(project)
    assert points["labels"].is_monotonic_increasing and points["labels"].diff().dropna().ge(5).all()
    assert points["checked_on"].iloc[-1] == len(project.check_set())
    assert points["accuracy"].iloc[-1] >= 0.8  # the words give the class away
    assert {r.trained_on + r.checked_on for r in project.rounds} == set(points["labels"])


def test_the_labels_become_a_dataset_with_the_check_set_as_test(project, truth, workspace):
    with pytest.raises(DataError, match="at least two classes"):
        make_dataset(workspace, project, "too few")
    answer(project, truth, n=30)
    record, parts = make_dataset(workspace, project, "labelled topics")
    saved = load_dataset(workspace, record.id)
    assert len(saved) == 30 and record.classes == project.classes
    check = {truth["text"][a.row] for a in project.check_set()}
    assert set(saved.loc[saved["split"] == "test", "text"]) == check
    assert set(saved["split"]) == {"train", "val", "test"}
    at_random, _ = make_dataset(workspace, project, "random split", check_as_test=False)
    assert at_random.id != record.id
