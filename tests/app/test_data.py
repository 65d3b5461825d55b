"""Data page: samples, uploads read and explained, overrides, the quality report and its fixes, labels, the user's
own split, saving, reopening after a refresh, and the saved datasets list."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from core.store.uploads import source_hash
from dashboard.state import DATASET

HOSTILE = Path(__file__).resolve().parents[1] / "core" / "hostile"


def csv_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def upload(at, filename: str, content: bytes, mime: str = "text/csv"):
    at.file_uploader(key="upload").upload(filename, content, mime)
    return at.run()


def use_button(at):
    return [b for b in at.button if b.label == "Use this dataset"]


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def save(at):
    use_button(at)[0].click()
    return at.run()


def test_empty_page_asks_for_data(open_page):
    at = open_page("data")
    assert not at.exception
    assert at.info, "the page should ask for a sample or an upload"
    assert not use_button(at)


def class_table(at) -> pd.DataFrame:
    """The texts per class, the page's table after the preview of the rows."""
    return at.dataframe[1].value


def test_sample_button_loads_sms_spam(open_page):
    at = open_page("data")
    at.button(key="sample.sms_spam").click()
    at.run()
    assert not at.exception
    assert "5,574 rows and 2 columns read" in markdown(at)
    counts = class_table(at)
    assert counts["class"].tolist() == ["ham", "spam"] and counts["texts"].tolist() == [4827, 747]
    assert at.query_params["sample"] == "sms_spam"
    assert use_button(at)


def test_upload_guesses_columns_and_saves_dataset(open_page, store, tiny_df):
    # Columns out of the usual order, with an id column, so the guess has to look at names and content.
    table = tiny_df.rename(columns={"text": "message", "label": "category"})
    table.insert(0, "id", range(len(table)))
    raw = csv_bytes(table[["id", "category", "message"]])
    at = upload(open_page("data"), "topics.csv", raw)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert f"{len(table):,} rows and 3 columns read" in markdown(at)
    assert at.selectbox(key="text_col.topics.csv").value == "message"
    assert at.selectbox(key="label_col.topics.csv").value == "category"
    assert sorted(class_table(at)["class"]) == sorted(table["category"].unique())
    assert at.text_input(key="dataset_name.topics.csv").value == "topics"

    at = save(at)
    assert not at.exception
    (saved,) = store.list_datasets()
    assert (saved.name, saved.n_rows, saved.source_hash) == ("topics", len(table), source_hash(raw))
    assert sorted(saved.classes) == sorted(tiny_df["label"].unique())
    assert any("Saved" in s.value for s in at.success)
    assert at.session_state[DATASET] == saved.id
    assert at.get("page_link"), "a link on to the Train page is expected after saving"


def test_changing_the_label_column_revalidates(open_page, tiny_df):
    at = upload(open_page("data"), "topics.csv", csv_bytes(tiny_df))
    at.selectbox(key="label_col.topics.csv").set_value("text")
    at.run()
    assert not at.exception
    assert at.error, "choosing the text column as labels must be an error"
    assert not use_button(at)


def test_one_class_upload_is_an_error(open_page, store, tiny_df):
    one_class = tiny_df[tiny_df["label"] == "sport"]
    at = upload(open_page("data"), "sport.csv", csv_bytes(one_class))
    assert not at.exception
    assert any("one class" in e.value.lower() for e in at.error), [e.value for e in at.error]
    assert not use_button(at)
    assert store.list_datasets() == []


def test_ids_and_labels_without_texts_say_a_column_of_texts_is_needed(open_page, store):
    raw = ("id,y\n" + "".join(f"{i},{i % 2}\n" for i in range(1, 21))).encode()
    at = upload(open_page("data"), "ids.csv", raw)
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any(e.startswith("No column holds texts: 'id' holds numbers (ids), 'y' holds the labels.") for e in errors)
    assert not at.success and not use_button(at)


def test_labels_written_as_nan_or_null_are_counted_and_left_out_not_a_class(open_page, store, tiny_df):
    table = tiny_df.copy()
    table.loc[:2, "label"] = ["NaN", "null", "NaN"]
    at = upload(open_page("data"), "nan.csv", csv_bytes(table))
    assert not at.exception
    (missing,) = [w.value.replace("\\", "") for w in at.warning if "without a label" in w.value]
    assert missing.startswith("Rows without a label in column 'label': 3 (2 written 'NaN', 1 written 'null': a "
                              "missing value, not a class).")
    assert sorted(class_table(at)["class"]) == ["food", "sport", "tech"]
    at = save(at)
    assert not at.exception and store.list_datasets()[0].n_rows == len(table) - 3


@pytest.mark.parametrize("filename, content", [
    ("garbage.xlsx", b"\x00\x01 this is not a spreadsheet \xff\xfe" * 20),
    ("garbage.parquet", b"PAR1 not really parquet"),
    ("empty.csv", b""),
    ("binary.csv", bytes(range(256)) * 10),
    ("broken.json", b"[1, 2"),
])
def test_unreadable_upload_shows_an_error(open_page, store, filename, content):
    at = upload(open_page("data"), filename, content, "application/octet-stream")
    assert not at.exception
    assert at.error, "an unreadable file must be reported with st.error"
    assert filename.split(".")[0] in at.error[0].value  # the message names the file
    assert at.info, "with nothing read, the page asks for a sample or an upload again"
    assert not use_button(at)
    assert store.list_datasets() == []


def test_left_out_lines_are_listed_and_downloadable(open_page):
    at = upload(open_page("data"), "wrong_field_counts.csv", (HOSTILE / "wrong_field_counts.csv").read_bytes())
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("Left out line 3: more values than the header's 3 columns" in w.replace("\\", "") for w in warnings)
    assert any("Left out line 5: fewer values" in w.replace("\\", "") for w in warnings)
    (download,) = [d for d in at.get("download_button") if "left-out lines" in d.proto.label]
    assert download.proto.label == "Download the 2 left-out lines"


def test_the_encoding_can_be_picked_by_hand(open_page):
    at = upload(open_page("data"), "gbk.csv", (HOSTILE / "gbk.csv").read_bytes())
    assert "体育" in at.dataframe[0].value["label"].tolist()
    picker = at.selectbox(key=f"read.{source_hash((HOSTILE / 'gbk.csv').read_bytes())}.encoding")
    picker.set_value("cp1252")
    at.run()
    assert not at.exception
    assert "体育" not in at.dataframe[0].value["label"].tolist()  # garbled, as the user asked


def test_a_fix_drops_duplicates_and_undo_brings_them_back(open_page, tiny_df):
    table = pd.concat([tiny_df, tiny_df.head(5).assign(text=lambda d: d["text"].str.upper())], ignore_index=True)
    at = upload(open_page("data"), "dupes.csv", csv_bytes(table))
    assert any("nearly repeat" in w.value for w in at.warning)
    at.button(key="fix.drop_duplicates").click()
    at.run()
    assert not at.exception
    assert "Dropped 5 near-duplicate rows; 60 remain" in markdown(at).replace("\\", "")
    assert not any("nearly repeat" in w.value for w in at.warning)
    at.button(key="fix.undo").click()
    at.run()
    assert any("nearly repeat" in w.value for w in at.warning)


def test_saving_says_what_it_left_out_as_the_report_counted_it(open_page, store, tiny_df):
    table = pd.concat([tiny_df, tiny_df.head(5), pd.DataFrame({"text": ["  "], "label": ["sport"]})], ignore_index=True)
    at = upload(open_page("data"), "repeats.csv", csv_bytes(table))
    assert not at.exception
    (repeats,) = [i.value.replace("\\", "") for i in at.info if "repeat the text and label" in i.value]
    assert repeats.endswith("Saving the dataset keeps the first of each and leaves these 5 out.")
    assert not [b for b in at.button if b.key == "fix.drop_duplicates"]  # nothing to offer: saving drops them
    at = save(at)
    assert not at.exception
    (saved,) = [s.value.replace("\\", "") for s in at.success]
    assert saved.endswith("test texts. Left out 1 row without text or label and 5 rows that repeat the text and "
                                "label of an earlier row.")
    assert store.list_datasets()[0].n_rows == len(table) - 6


def several(n: int = 30) -> pd.DataFrame:
    """Texts with one or two of four topics each, every topic on at least 3 texts."""
    topics = ["food", "money", "sport", "tech"]
    return pd.DataFrame({"text": [f"text {i} about {topics[i % 4]} and {topics[i // 4 % 4]}" for i in range(n)],
                         "tags": ["|".join(sorted({topics[i % 4], topics[i // 4 % 4]})) for i in range(n)]})


def test_several_labels_per_text_are_found_shown_and_saved(open_page, store):
    at = upload(open_page("data"), "tags.csv", csv_bytes(several()))
    assert not at.exception
    shown = [i.value.replace("\\", "") for i in at.info]  # as written, without the escapes of Markdown
    assert any(i.startswith("Column 'tags': Several labels per text, separated by '|': 30 texts, 4 labels, 1.8 "
                            "labels per text on average.") for i in shown), shown
    assert at.checkbox(key="several_labels.tags.csv.tags").value, "'|' is taken as several labels by itself"
    counts = class_table(at)
    assert counts["class"].tolist() == ["food", "money", "sport", "tech"] and counts["texts"].sum() > 30
    at = save(at)
    assert any("several labels per text" in s.value for s in at.success), [s.value for s in at.success]
    (dataset,) = store.list_datasets()
    assert dataset.multilabel and dataset.classes == ["food", "money", "sport", "tech"]


def test_texts_with_an_empty_label_cell_are_kept_when_the_person_ticks_so(open_page, store):
    df = several().assign(tags=lambda d: d["tags"].mask(d.index % 10 == 0, ""))
    at = upload(open_page("data"), "tags.csv", csv_bytes(df))
    keep = at.checkbox(key="empty_is_none.tags.csv.tags")
    assert not keep.value and "keep those 3 texts" in keep.label
    at = save(keep.check().run())
    (dataset,) = store.list_datasets()
    assert dataset.multilabel and dataset.n_rows == 30


def test_commas_wait_for_a_tick_and_yes_no_columns_are_ticked_in_a_list(open_page, store):
    at = upload(open_page("data"), "commas.csv", csv_bytes(several().assign(tags=lambda d: d["tags"].str.replace(
        "|", ","))))
    assert not at.checkbox(key="several_labels.commas.csv.tags").value
    at.checkbox(key="several_labels.commas.csv.tags").check().run()
    assert class_table(at)["class"].tolist() == ["food", "money", "sport", "tech"]
    df = several()
    for topic in ["food", "money", "sport", "tech"]:
        df[topic] = df["tags"].str.contains(topic).map({True: "yes", False: "no"})
    at = upload(at, "columns.csv", csv_bytes(df.drop(columns="tags")))
    assert not at.exception
    assert at.checkbox(key="label_columns_on.columns.csv").value
    assert at.multiselect(key="label_columns.columns.csv").value == ["food", "money", "sport", "tech"]
    at = save(at)
    datasets = {d.name: d for d in store.list_datasets()}
    assert datasets["columns"].multilabel and datasets["columns"].classes == ["food", "money", "sport", "tech"]


def test_numeric_labels_can_be_named(open_page, store, tiny_df):
    ids = {"sport": 0, "food": 1, "tech": 2}
    at = upload(open_page("data"), "ids.csv", csv_bytes(tiny_df.assign(label=tiny_df["label"].map(ids))))
    assert [d.value["label"].tolist() for d in at.dataframe if d.key == "label_names.ids.csv.label.0-1-2"] == [
        ["0", "1", "2"]], "numeric labels offer a table to name them"
    at.session_state["label_names.ids.csv.label.0-1-2"] = {"edited_rows": {0: {"name": "sport"}, 1: {"name": "food"}},
                                                    "added_rows": [], "deleted_rows": []}
    at.run()
    save(at)
    (saved,) = store.list_datasets()
    assert sorted(saved.classes) == ["2", "food", "sport"]


def test_the_users_own_split_column_is_used(open_page, store, tiny_df):
    table = tiny_df.assign(part=["test" if i % 4 == 0 else "train" for i in range(len(tiny_df))])
    at = upload(open_page("data"), "split.csv", csv_bytes(table))
    assert at.selectbox(key="split_col.split.csv").value == "part"
    # The file marks no validation rows: only that share, of the training rows, is left to choose.
    assert [s.label for s in at.slider] == ["Validation share of the training rows (%)"]
    save(at)
    (saved,) = store.list_datasets()
    parts = pd.read_parquet(saved.path)
    assert parts["split"].value_counts().to_dict() == {"train": 40, "test": 15, "val": 5}
    assert set(parts.loc[parts["split"] == "test", "text"]) == set(table.loc[table["part"] == "test", "text"])


def test_a_split_column_with_validation_rows_is_used_as_it_is(open_page, store, tiny_df):
    table = tiny_df.assign(part=[("test", "val", "train", "train")[i % 4] for i in range(len(tiny_df))])
    at = upload(open_page("data"), "split.csv", csv_bytes(table))
    assert not at.slider, "with the user's whole split there are no shares to choose"
    save(at)
    (saved,) = store.list_datasets()
    assert pd.read_parquet(saved.path)["split"].value_counts().to_dict() == {"train": 30, "test": 15, "val": 15}


def test_a_refresh_reopens_the_upload_from_the_url(open_page, tiny_df):
    raw = csv_bytes(tiny_df)
    upload(open_page("data"), "topics.csv", raw)
    at = open_page("home")
    at.query_params["upload"] = source_hash(raw)
    at.switch_page("../pages/data.py")
    at.run()
    assert not at.exception
    assert f"{len(tiny_df)} rows and 2 columns read" in markdown(at)


def test_the_same_file_uploaded_again_is_recognised(open_page, store, tiny_df):
    raw = csv_bytes(tiny_df)
    save(upload(open_page("data"), "topics.csv", raw))
    at = upload(open_page("data"), "topics again.csv", raw)
    assert any("You saved this file before, as **topics**" in i.value for i in at.info)
    at.button(key="use_earlier").click()
    at.run()
    assert at.session_state[DATASET] == store.list_datasets()[0].id


def test_saved_datasets_can_be_renamed_and_deleted(open_page, store, dataset):
    at = open_page("data")
    at.text_input(key=f"datasets.name.{dataset.id}").set_value("renamed topics")
    at.button(key=f"datasets.rename.{dataset.id}").click()
    at.run()
    assert store.get_dataset(dataset.id).name == "renamed topics"
    at.button(key=f"datasets.delete.{dataset.id}").click()
    at.run()
    assert not at.exception
    assert store.list_datasets() == [] and not Path(dataset.path).exists()


def test_labels_differing_in_capitals_are_merged_by_one_click(open_page, tiny_df):
    table = tiny_df.assign(label=[label.upper() if i % 2 else label for i, label in enumerate(tiny_df["label"])])
    at = upload(open_page("data"), "caps.csv", csv_bytes(table))
    assert any("differ only in capitals" in w.value for w in at.warning)
    at.button(key="fix.casefold").click()
    at.run()
    assert at.checkbox(key="casefold.caps.csv").value
    assert not any("differ only in capitals" in w.value for w in at.warning)


def test_another_excel_sheet_can_be_chosen(open_page):
    raw = (HOSTILE / "two_sheets.xlsx").read_bytes()
    at = upload(open_page("data"), "two_sheets.xlsx", raw,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert any("only one column" in e.value for e in at.error)
    at.selectbox(key=f"read.{source_hash(raw)}.sheet").set_value("Data")
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="text_col.two_sheets.xlsx.sheet=Data").value == "review"


def test_a_zip_of_class_folders_becomes_texts_and_labels(open_page, store):
    at = upload(open_page("data"), "class_folders.zip", (HOSTILE / "class_folders.zip").read_bytes(), "application/zip")
    assert not at.exception
    assert "7 rows and 3 columns read; 2 left out" in markdown(at)
    assert (at.selectbox(key="text_col.class_folders.zip").value,
            at.selectbox(key="label_col.class_folders.zip").value) == ("text", "label")


def test_a_refresh_brings_back_the_choices_and_the_fixes(open_page, tiny_df):
    table = pd.concat([tiny_df, tiny_df.head(5).assign(text=lambda d: d["text"].str.upper())], ignore_index=True)
    table["note"] = table["text"].str.len().astype(str) + " characters, noted by hand"
    raw = csv_bytes(table)
    at = upload(open_page("data"), "dupes.csv", raw)
    at.selectbox(key="text_col.dupes.csv").set_value("note")
    at.run()
    at.selectbox(key="text_col.dupes.csv").set_value("text")
    at.run()
    at.checkbox(key="casefold.dupes.csv").check()
    at.run()
    at.button(key="fix.drop_duplicates").click()
    at.run()
    assert "Dropped 5 near-duplicate rows; 60 remain" in markdown(at).replace("\\", "")

    again = open_page("home")
    again.query_params["upload"] = source_hash(raw)
    again.switch_page("../pages/data.py")
    again.run()
    assert not again.exception
    assert "Dropped 5 near-duplicate rows; 60 remain" in markdown(again).replace("\\", "")
    assert again.selectbox(key="text_col.dupes.csv").value == "text"
    assert again.checkbox(key="casefold.dupes.csv").value
    assert not any("nearly repeat" in w.value for w in again.warning)


def test_merging_small_classes_of_numeric_labels_keeps_them_nameable(open_page, store, tiny_df):
    labels = [str(i % 3) for i in range(len(tiny_df))]
    labels[:2] = ["7", "8"]
    at = upload(open_page("data"), "ids.csv", csv_bytes(tiny_df.assign(label=labels)))
    at.button(key="fix.merge_rare").click()
    at.run()
    assert not at.exception
    assert [d.value["label"].tolist() for d in at.dataframe if (d.key or "").startswith("label_names.")] == [
        ["0", "1", "2"]]
