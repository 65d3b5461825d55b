"""`python -m core inspect FILE`: the Data page's reading report and quality findings, headless."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli.main import main

HOSTILE = Path(__file__).parent / "hostile"


def test_a_damaged_csv_is_explained_line_by_line(capsys):
    assert main(["inspect", str(HOSTILE / "unclosed_quote.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "unclosed_quote.csv: 9 rows and 2 columns read as CSV, UTF-8, separated by comma; 26 lines left out."
    assert out[1].startswith("  - A quote opens on line 7 and is not closed where the row ends")
    assert out[2].startswith("  - Left out line 7: a quote opens here and is not closed where the row ends")
    assert out[3].startswith("  - Left out lines 8, 9, 10, 11, 12 and 20 more: fewer values than the header's 2 columns")
    assert out[4] == "Columns: texts 'text', labels 'label'."
    assert out[5].startswith("error: Only one class ('ham') has rows with both a text and a label")


def test_json_has_everything_the_page_shows(capsys):
    assert main(["inspect", str(HOSTILE / "wrong_field_counts.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["read_as"], report["encoding"], report["separator"], report["rows"]) == ("CSV", "utf-8", "comma", 3)
    assert [(line["where"], line["content"]) for line in report["left_out_lines"]] == [
        ("line 3", "too, many, fields,a,web\n"), ("line 5", "too few,b\n")]
    assert (report["text_column"], report["label_column"]) == ("text", "label")
    assert [f["kind"] for f in report["findings"]] == ["rare_classes"]


def test_the_detected_settings_can_be_overridden(capsys):
    assert main(["inspect", str(HOSTILE / "semicolon.csv"), "--json", "--separator", "comma", "--no-header"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["separator"], report["header"], report["columns"]) == ("comma", False, ["column_1"])


def test_exit_1_when_every_line_was_left_out(tmp_path, capsys):
    path = tmp_path / "shifted.csv"
    path.write_text("text,label,source\nonly one\nstill one\n", encoding="utf-8")
    assert main(["inspect", str(path)]) == 1
    out = capsys.readouterr().out
    assert "0 rows and 3 columns read as CSV" in out and "Nothing usable was read." in out


@pytest.mark.parametrize("name", ["binary.csv", "header_only.csv"])
def test_exit_2_with_the_reason_when_the_file_cannot_be_read(name, capsys):
    assert main(["inspect", str(HOSTILE / name), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] in captured.err


def test_an_unknown_column_is_an_error_in_json_too(capsys):
    assert main(["inspect", str(HOSTILE / "semicolon.csv"), "--json", "--label-column", "stars"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "No column 'stars' in semicolon.csv. Columns: text, label."


def test_ids_and_labels_without_texts_are_an_error_not_no_problems(tmp_path, capsys):
    path = tmp_path / "ids.csv"
    path.write_text("id,y\n" + "".join(f"{i},{i % 2}\n" for i in range(1, 21)), encoding="utf-8")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "error: No column holds texts: 'id' holds numbers (ids), 'y' holds the labels." in out
    assert "No problems found." not in out


def test_a_chosen_text_column_of_numbers_is_said_to_hold_numbers(tmp_path, capsys):
    path = tmp_path / "scores.csv"
    path.write_text("score,review,label\n" + "".join(f"{i}.5,text number {i},{'pn'[i % 2]}\n" for i in range(12)),
                    encoding="utf-8")
    assert main(["inspect", str(path), "--text-column", "score"]) == 0
    assert ("error: Column 'score' holds numbers, not texts: a model learns from texts such as sentences, messages or "
            "reviews. Choose the column that holds them: 'review'.") in capsys.readouterr().out


def test_labels_written_as_nan_or_null_are_counted_as_missing(tmp_path, capsys):
    rows = [f"text number {i},{'NaN' if i < 3 else 'null' if i < 5 else 'pn'[i % 2]}" for i in range(14)]
    path = tmp_path / "nan.csv"
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    missing = [f["message"] for f in report["findings"] if f["kind"] == "missing_label"]
    assert missing and missing[0].startswith("Rows without a label in column 'label': 5 (3 written 'NaN', 2 written "
                                             "'null': a missing value, not a class).")
