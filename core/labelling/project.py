"""A labelling project kept in the workspace: a pool of texts, the classes a person defined, and every answer they
gave in order (a label, or a skip), so nothing is lost when a tab closes or the server restarts.

Each project lives at `<workspace>/labelling/<id>/`: `texts.parquet` (the pool, written once) and `project.json`
(the classes, the answers and the learning curve's rounds, rewritten whole after every answer)."""
from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Sequence

import pandas as pd

from core.errors import DataError
from core.workspace import workspace_dir, write_json, written_aside

PROJECT_FILE = "project.json"
TEXTS_FILE = "texts.parquet"
_ID = re.compile(r"[0-9a-f]{12}")
MAX_CLASSES = 50  # buttons to choose from; the first nine have a digit key
CHECK_EVERY = 5  # every fifth text asked goes to the check set
RETRAIN_EVERY = 5  # labels between two rounds of the quick model


@dataclass(frozen=True)
class Answer:
    """One answer: `label` None for a skip; `at` None for a label the uploaded file gave; `check` for a text drawn at
    random for the held-out check set."""
    row: int
    label: str | None
    at: float | None
    check: bool = False


@dataclass(frozen=True)
class Round:
    """One point of the learning curve: the quick model after `labels` labels, trained on `trained_on` of them and
    scored on the other `checked_on` (None when the check set is empty)."""
    labels: int
    trained_on: int
    checked_on: int
    accuracy: float | None


@dataclass
class Project:
    id: str
    name: str
    folder: Path
    classes: list[str]
    answers: list[Answer] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    owner: str | None = None
    source: str | None = None  # the sample's name, or the uploaded file's hash
    check_every: int = CHECK_EVERY  # 0: no check set
    retrain_every: int = RETRAIN_EVERY
    seed: int = 0

    @cached_property
    def texts(self) -> list[str]:
        return pd.read_parquet(self.folder / TEXTS_FILE)["text"].tolist()

    # ------------------------------------------------------------------------------------------------- reading

    @property
    def labels(self) -> list[Answer]:
        return [a for a in self.answers if a.label is not None]

    @property
    def asked(self) -> int:
        """How many texts the person labelled here (the file's own labels not counted): it paces the check set."""
        return sum(a.label is not None and a.at is not None for a in self.answers)

    def training(self) -> list[Answer]:
        return [a for a in self.labels if not a.check]

    def check_set(self) -> list[Answer]:
        return [a for a in self.labels if a.check]

    def counts(self) -> dict[str, int]:
        """Labels per class, in the classes' order."""
        counts = dict.fromkeys(self.classes, 0)
        for answer in self.labels:
            counts[answer.label] = counts.get(answer.label, 0) + 1
        return counts

    def unanswered(self) -> list[int]:
        """The rows neither labelled nor skipped, in pool order."""
        answered = {a.row for a in self.answers}
        return [row for row in range(len(self.texts)) if row not in answered]

    def table(self) -> pd.DataFrame:
        """The labels as a table to export: text, label, whether it is in the check set, and when it was given."""
        labels = self.labels
        return pd.DataFrame({
            "text": [self.texts[a.row] for a in labels],
            "label": [a.label for a in labels],
            "check_set": [a.check for a in labels],
            "labelled_at": pd.to_datetime([a.at for a in labels], unit="s", utc=True),
        })

    # ------------------------------------------------------------------------------------------------ changing

    def label(self, row: int, label: str, check: bool = False) -> None:
        if label not in self.classes:
            raise DataError(f"'{label}' is not one of this project's classes ({', '.join(self.classes)}); add it "
                            "first.")
        self._answer(Answer(row, label, time.time(), check))

    def skip(self, row: int) -> None:
        self._answer(Answer(row, None, time.time()))

    def _answer(self, answer: Answer) -> None:
        if not 0 <= answer.row < len(self.texts):
            raise DataError(f"There is no text {answer.row} in this project: it holds {len(self.texts):,}.")
        if any(a.row == answer.row for a in self.answers):
            raise DataError("This text was answered already; undo that answer to change it.")
        self.answers.append(answer)
        self.save()

    def undo(self) -> Answer | None:
        """Take back the person's last answer (a label or a skip); the uploaded file's own labels stay."""
        for i in range(len(self.answers) - 1, -1, -1):
            if self.answers[i].at is not None:
                answer = self.answers.pop(i)
                self.save()
                return answer
        return None

    def add_class(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise DataError("Type a class name first.")
        if name in self.classes:
            raise DataError(f"There is a class '{name}' already.")
        if len(self.classes) >= MAX_CLASSES:
            raise DataError(f"A project has at most {MAX_CLASSES} classes, too many to choose from already. Remove "
                            "one first.")
        self.classes.append(name)
        self.save()

    def remove_class(self, name: str) -> None:
        if n := self.counts().get(name, 0):
            raise DataError(f"'{name}' has {n:,} labels; undo them first, so none is lost.")
        self.classes.remove(name)
        self.save()

    def add_round(self, point: Round) -> None:
        self.rounds.append(point)
        self.save()

    def save(self) -> None:
        # vars rather than asdict, which copies every answer field by field: a long project saves after each one.
        state = {key: value for key, value in vars(self).items() if key not in ("folder", "texts")}
        state.update(answers=[vars(a) for a in self.answers], rounds=[vars(r) for r in self.rounds])
        write_json(self.folder / PROJECT_FILE, state)


def projects_dir(root: Path | None = None) -> Path:
    return (root or workspace_dir()) / "labelling"


def create_project(texts: Sequence[str], name: str, classes: Sequence[str] = (),
                   given: Sequence[str | None] | None = None, root: Path | None = None, owner: str | None = None,
                   source: str | None = None, check_every: int = CHECK_EVERY, retrain_every: int = RETRAIN_EVERY,
                   seed: int = 0) -> Project:
    """A new project over `texts`; `given`, one label or None per text (from an uploaded file), keeps the labels it
    has as answers, and their classes."""
    texts = [str(t) for t in texts]
    if not any(t.strip() for t in texts):
        raise DataError("There are no texts to label: the column chosen is empty. Choose the column with the texts.")
    if given is not None and len(given) != len(texts):
        raise DataError("There must be one label (or none) per text.")
    kept = [(row, str(label).strip()) for row, label in enumerate(given or ())
            if label is not None and not pd.isna(label) and str(label).strip()]
    known = list(dict.fromkeys([str(c).strip() for c in classes if str(c).strip()] + [label for _, label in kept]))
    if len(known) > MAX_CLASSES:
        raise DataError(f"The labels name {len(known)} classes; a project has at most {MAX_CLASSES}, to choose "
                        "from with one click. Merge classes first, or choose the column with the labels.")
    folder = projects_dir(root) / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True)
    with written_aside(folder / TEXTS_FILE) as partial:
        pd.DataFrame({"text": texts}).to_parquet(partial, index=False)
    project = Project(folder.name, name, folder, known, [Answer(row, label, None) for row, label in kept],
                      owner=owner, source=source, check_every=check_every, retrain_every=retrain_every, seed=seed)
    project.save()
    return project


def load_project(project_id: str, root: Path | None = None) -> Project:
    if not isinstance(project_id, str) or not _ID.fullmatch(project_id):
        raise DataError(f"There is no labelling project '{project_id}'.")
    folder = projects_dir(root) / project_id
    try:
        state = json.loads((folder / PROJECT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"There is no labelling project '{project_id}'; it may have been deleted.") from None
    state["answers"] = [Answer(**a) for a in state["answers"]]
    state["rounds"] = [Round(**r) for r in state["rounds"]]
    return Project(folder=folder, **state)


def list_projects(root: Path | None = None, owner: str | None = None) -> list[Project]:
    """The projects of `owner` (everyone's when sign-in is off), newest first."""
    folders = sorted(projects_dir(root).glob("*/" + PROJECT_FILE), key=lambda p: p.stat().st_mtime, reverse=True)
    found = [load_project(path.parent.name, root) for path in folders if _ID.fullmatch(path.parent.name)]
    return [p for p in found if owner is None or p.owner == owner]
