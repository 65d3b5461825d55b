"""Raw uploads kept in the workspace: reopened after a refresh or restart, recognised when uploaded again, and
safe against whatever file name and hash a browser or URL sends."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from core.data.splitting import split
from core.store.datasets import save_dataset
from core.store.store import Store
from core.store.uploads import (forget_upload, keep_choices, keep_upload, kept_choices, kept_name, open_upload,
                                source_hash)


@pytest.fixture
def raw(tiny_df) -> bytes:
    return tiny_df.to_csv(index=False).encode()


def test_kept_upload_reopens_after_a_restart(workspace, raw):
    sha = keep_upload(raw, "reviews.csv")
    assert sha == source_hash(raw)
    assert open_upload(sha) == (raw, "reviews.csv")
    assert [p.name for p in (workspace.root / "uploads" / sha).iterdir()] == ["reviews.csv"]  # no temporary left
    # A restarted server knows only the workspace folder and the hash from the URL.
    assert open_upload(sha, root=workspace.root) == (raw, "reviews.csv")
    assert kept_name(sha) == "reviews.csv"
    forget_upload(sha)
    assert open_upload(sha) is None and kept_name(sha) is None and not (workspace.root / "uploads" / sha).exists()
    forget_upload(sha)  # forgetting twice is harmless


def test_same_file_uploaded_twice_is_recognised(workspace, raw):
    sha = keep_upload(raw, "reviews.csv")
    data, name = open_upload(sha)
    saved = save_dataset(workspace, split(pd.read_csv(io.BytesIO(data)), seed=0), name, source_hash=sha)
    forget_upload(sha)

    again = keep_upload(raw, "reviews (1).csv")
    assert again == sha
    assert [d.id for d in Store(workspace.root).datasets_from_source(again)] == [saved.id]
    assert keep_upload(raw + b"\n", "reviews.csv") != sha


def test_same_bytes_keep_their_first_name(workspace, raw):
    sha = keep_upload(raw, "first.csv")
    assert keep_upload(raw, "second.csv") == sha
    assert open_upload(sha) == (raw, "first.csv")


@pytest.mark.parametrize("filename, kept", [
    ("../../etc/passwd.csv", "passwd.csv"),
    ("..\\..\\windows\\x.csv", "x.csv"),
    ("/abs/path/data.tsv", "data.tsv"),
    ("..", "upload"),
    ("", "upload"),
    (".hidden.csv", "hidden.csv"),
    ("a\x00b\n.csv", "ab.csv"),
    ("x" * 300 + ".xlsx", "x" * 95 + ".xlsx"),
])
def test_browser_file_names_stay_inside_the_upload_folder(workspace, filename, kept):
    sha = keep_upload(filename.encode() + b"!", filename)
    assert open_upload(sha)[1] == kept
    files = [p for p in (workspace.root / "uploads").rglob("*") if p.is_file()]
    assert [p.relative_to(workspace.root / "uploads").parts for p in files] == [(sha, kept)]


@pytest.mark.parametrize("sha", [
    "", "abc", "../" + "a" * 61, "A" * 64, "g" * 64, "a" * 63, "a" * 65, "a" * 64 + "\n", None, 123,
])
def test_bad_hashes_are_rejected(workspace, raw, sha):
    good = keep_upload(raw, "reviews.csv")
    assert open_upload(sha) is None and kept_name(sha) is None
    forget_upload(sha)
    assert open_upload(good) == (raw, "reviews.csv")


def test_upload_under_a_valid_but_unknown_hash(workspace):
    assert open_upload("0" * 64) is None


def test_choices_are_kept_beside_the_upload_and_never_taken_for_it(workspace, raw):
    sha = keep_upload(raw, "choices.json")
    assert kept_choices(sha) == {}
    keep_choices(sha, {"columns": {"text": "message"}, "fixes": [{"fix": "drop_duplicates"}]})
    assert kept_choices(sha, root=workspace.root)["columns"] == {"text": "message"}
    assert open_upload(sha) == (raw, "choices.json")
    keep_choices("not a sha", {"x": 1})
    assert kept_choices("not a sha") == {}
    forget_upload(sha)
    assert kept_choices(sha) == {}


@pytest.mark.parametrize("kept", ['[]', '"x"', 'null', '{"options": []}', '{"columns": []}', '{"fixes": [5]}', '{"x'])
def test_a_choices_file_of_another_shape_is_ignored(workspace, raw, kept):
    sha = keep_upload(raw, "reviews.csv")
    (workspace.root / "uploads" / sha / ".choices.json").write_text(kept, encoding="utf-8")
    assert kept_choices(sha) == {}
