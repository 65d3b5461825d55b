"""The quality report: one test per finding (its message and rows), and each fix's effect and sentence."""
from __future__ import annotations

import pandas as pd
import pytest

from core.data import quality_scan
from core.data.labels import LabelOptions, is_numeric, label_ids
from core.data.preparation import LeftOut, prepare_counted
from core.data.quality import CASEFOLD, FIXES, Finding, apply_fix, findings

CLEAN = [("the match ended with a late goal", "sport"), ("the striker scored twice", "sport"),
         ("fans filled the stadium", "sport"), ("bake the bread for forty minutes", "food"),
         ("add salt to the pasta water", "food"), ("the sauce needs more garlic", "food"),
         ("the new laptop has a faster chip", "tech"), ("update the phone software", "tech"),
         ("the server crashed overnight", "tech")]


def frame(rows: list[tuple], **columns: list) -> pd.DataFrame:
    """CLEAN plus `rows` as columns text and label, and any extra columns (one value per row of the result)."""
    texts, labels = zip(*(CLEAN + rows))
    return pd.DataFrame({"text": list(texts), "label": list(labels), **columns})


def only(df: pd.DataFrame, kind: str, **kwargs) -> Finding:
    found = [f for f in findings(df, "text", "label", **kwargs) if f.kind == kind]
    assert len(found) == 1, f"expected one {kind}, got {[f.kind for f in findings(df, 'text', 'label', **kwargs)]}"
    return found[0]


def kinds(df: pd.DataFrame, **kwargs) -> list[str]:
    return [f.kind for f in findings(df, "text", "label", **kwargs)]


def test_clean_frame_has_no_findings():
    assert findings(frame([]), "text", "label") == []
    assert findings(frame([], split=["train"] * 6 + ["test"] * 3), "text", "label", "split") == []


# findings

def test_empty_texts():
    found = only(frame([("", "sport"), ("   ", "food"), (None, "tech")]), "empty_text")
    assert found.level == "warning"
    assert "Rows without text (empty or only spaces): 3." in found.message
    assert found.rows == [9, 10, 11]
    assert (found.fix, found.fix_label) == ("drop_empty", "Drop the 3 rows without text or label")


def test_rows_without_a_label():
    found = only(frame([("a text with no label", None), ("another one", "  "), ("", None)]), "missing_label")
    assert "Rows without a label in column 'label': 3." in found.message
    assert found.rows == [9, 10, 11]
    assert found.fix_label == "Drop the 3 rows without text or label"


def test_rows_whose_label_is_written_as_missing_say_how_it_was_written():
    df = frame([("one", "NaN"), ("two", "null"), ("three", " NaN"), ("four", None), ("five", "N/A")])
    found = only(df, "missing_label")
    assert found.message.startswith("Rows without a label in column 'label': 5 (2 written 'NaN', 1 written 'null', "
                                    "1 written 'N/A': a missing value, not a class). A model cannot learn")
    assert found.rows == [9, 10, 11, 12, 13]
    prepared, left_out = prepare_counted(df, "text", "label")
    assert set(prepared["label"]) == {"sport", "food", "tech"} and left_out == LeftOut(unusable=5)


def test_exact_duplicates():
    df = frame([("fans filled the stadium", "sport"), ("  fans filled the stadium ", "sport"),
                ("bake the bread for forty minutes", "food")])
    found = only(df, "duplicates")
    assert found.message == ("Rows that repeat the text and label of an earlier row: 3, e.g. 'fans filled the "
                             "stadium'. Saving the dataset keeps the first of each and leaves these 3 out.")
    assert found.rows == [9, 10, 11]
    assert (found.level, found.fix) == ("info", None)  # nothing to do: saving drops them
    assert "near_duplicates" not in kinds(df)


def test_near_duplicates_differ_only_in_case_punctuation_spacing_or_unicode_form():
    df = frame([("The match ended with a LATE goal!", "sport"), ("the  match, ended with a late goal", "sport"),
                ("ｆａｎｓ filled the stadium", "sport"), ("the server crashed overnight 😢", "tech")])
    found = only(df, "near_duplicates")
    assert "nearly repeat an earlier row with the same label: 3" in found.message
    assert "'the match ended with a late goal' and 'The match ended with a LATE goal!'" in found.message
    assert found.rows == [9, 10, 11]  # the emoji makes row 12 a different text
    assert "Saving keeps them" in found.message
    assert (found.fix, found.fix_label) == ("drop_duplicates", "Drop the 3 near-duplicate rows")
    assert "duplicates" not in kinds(df)


def test_texts_with_conflicting_labels():
    df = frame([("fans filled the stadium", "food"), ("Fans filled the stadium!", "tech"),
                ("update the phone software", "food")])
    found = only(df, "conflicts")
    assert ("2 texts appear with different labels, e.g. 'fans filled the stadium' as 'sport' and 'food'; "
            "'Fans filled the stadium!' as 'tech' "
            "(5 rows in all)") in found.message
    assert found.rows == [2, 7, 9, 10, 11]
    assert (found.fix, found.fix_label) == ("drop_conflicts", "Drop the 5 rows with conflicting labels")


def test_one_conflicting_text_names_both_labels_and_what_saving_keeps_of_it():
    found = only(frame([("free entry now", "spam")] * 3 + [("free entry now", "ham")] * 3), "conflicts")
    assert "1 text appears with different labels, e.g. 'free entry now' as both 'spam' and 'ham'" in found.message
    assert found.message.endswith("If they stay, saving keeps the first row of each text written exactly alike and "
                                  "leaves out 1 later row with another label.")  # the other 4 are exact repeats


def test_class_imbalance():
    rows = [(f"a football report number {i}", "sport") for i in range(27)]
    found = only(frame(rows), "imbalance")
    assert found.level == "warning" and found.fix is None
    assert "'sport' has 30 rows and 'tech' only 3" in found.message


def test_classes_too_small_to_split():
    found = only(frame([("a poem about the sea", "poetry"), ("rain again today", "weather"),
                        ("sunny tomorrow", "weather")]), "rare_classes")
    assert "Classes with fewer than 3 rows: 'weather' (2), 'poetry' (1)." in found.message
    assert found.rows == [9, 10, 11]
    assert (found.fix, found.fix_label) == ("merge_rare", "Merge the 2 small classes into 'other'")


def test_very_long_texts():
    found = only(frame([("word " * 1200, "sport"), ("x" * 5001, "food")]), "long_texts")
    assert found.level == "info"
    assert "Texts longer than 5,000 characters: 2 (the longest has 5,999)" in found.message
    assert "cut" in found.message
    assert found.rows == [9, 10]


def test_test_rows_that_nearly_repeat_a_training_text_leak():
    df = frame([("the match ended with a late goal", "sport"), ("Fans filled the stadium!!", "sport"),
                ("a brand new test text", "tech")], split=["train"] * 9 + ["test"] * 3)
    found = only(df, "leakage", split_col="split")
    assert found.message.startswith("Test rows that nearly repeat a training text, differing only in capitals, "
                                    "punctuation or spacing: 1, e.g. 'Fans filled the stadium!!'.")
    assert "scores look better" in found.message
    assert found.rows == [10]  # the exact copy (row 9) is a repeat that saving leaves out: it cannot leak
    assert only(df, "duplicates", split_col="split").rows == [9]
    assert (found.fix, found.fix_label) == ("drop_leaks", "Drop the 1 leaking test row")
    assert "leakage" not in kinds(df)  # no split column, no leakage check


def test_the_report_counts_the_rows_that_saving_leaves_out():
    df = frame([("", "sport"), ("a text without a label", None), ("fans filled the stadium", "sport"),
                (" fans filled the stadium", "sport"), ("fans filled the stadium", "food"),
                ("Fans filled the stadium!", "sport")])
    found = {f.kind: f for f in findings(df, "text", "label")}
    prepared, left_out = prepare_counted(df, "text", "label")
    assert left_out == LeftOut(unusable=2, repeats=2, relabelled=1)
    assert found["empty_text"].fix_label == "Drop the 2 rows without text or label"
    assert "earlier row: 2," in found["duplicates"].message and "leaves these 2 out" in found["duplicates"].message
    assert "leaves out 1 later row with another label" in found["conflicts"].message
    assert "earlier row with the same label: 1," in found["near_duplicates"].message
    assert "Fans filled the stadium!" in set(prepared["text"])  # a near duplicate is kept, as the report says
    assert len(prepared) == len(df) - 5
    assert left_out.sentence() == ("Left out 2 rows without text or label, 2 rows that repeat the text and label of "
                                   "an earlier row and 1 row whose text an earlier row has with another label (the "
                                   "earlier row's label is kept).")


def test_only_one_usable_class_is_an_error():
    found = only(pd.DataFrame({"text": ["a", "b", "c", "d"], "label": ["spam", "spam", "spam", None]}), "one_class")
    assert found.level == "error"
    assert "Only one class ('spam')" in found.message


def test_no_usable_rows_is_an_error():
    found = only(pd.DataFrame({"text": ["", None], "label": ["a", "b"]}), "one_class")
    assert found.level == "error" and "No class has" in found.message


def test_rows_are_index_labels_and_capped(monkeypatch):
    monkeypatch.setattr(quality_scan, "ROW_LIMIT", 2)
    df = frame([("", "sport")] * 4)
    df.index = [f"r{i}" for i in range(len(df))]
    found = only(df, "empty_text")
    assert found.rows == ["r9", "r10"]
    assert "Rows without text (empty or only spaces): 4." in found.message


def test_label_options_are_applied_before_checking():
    df = frame([("a poem about the sea", "Poetry"), ("a sonnet", "poetry "), ("an ode", "POETRY")])
    assert "rare_classes" in kinds(df)
    assert findings(df, "text", "label", labels=LabelOptions(casefold=True)) == []


# fixes

def test_drop_empty_keeps_other_columns_and_index_labels():
    df = frame([("", "sport"), ("a text with no label", None)], extra=list(range(11)))
    before = df.copy()
    out, message = apply_fix(df, "text", "label", "drop_empty")
    assert message == "Dropped 2 rows without text or label; 9 remain."
    assert list(out.index) == list(range(9)) and list(out.columns) == ["text", "label", "extra"]
    pd.testing.assert_frame_equal(df, before)  # the input is untouched
    assert findings(out, "text", "label") == []


def test_drop_duplicates_drops_exact_and_near_ones_keeping_the_first():
    df = frame([("Fans filled the stadium!", "sport"), ("fans filled the stadium", "sport")])
    out, message = apply_fix(df, "text", "label", "drop_duplicates")
    assert message == ("Dropped 1 near-duplicate row and 1 exact repeat, which saving would have left out anyway; "
                       "9 remain.")
    assert out.loc[2, "text"] == "fans filled the stadium" and 9 not in out.index and 10 not in out.index
    out, message = apply_fix(df.head(10), "text", "label", "drop_duplicates")
    assert (message, len(out)) == ("Dropped 1 near-duplicate row; 9 remain.", 9)


def test_a_repeat_of_a_dropped_near_duplicate_goes_with_it():
    df = frame([("Fans filled the stadium!", "sport"), ("Fans filled the stadium!", "sport")])
    out, _ = apply_fix(df, "text", "label", "drop_duplicates")
    assert "fans filled the stadium" in set(out["text"]) and findings(out, "text", "label") == []


def test_drop_conflicts_drops_every_row_of_the_text():
    df = frame([("fans filled the stadium", "food")])
    out, message = apply_fix(df, "text", "label", "drop_conflicts")
    assert message == "Dropped 2 rows with conflicting labels; 8 remain."
    assert "fans filled the stadium" not in set(out["text"])


def test_merge_rare_relabels_small_classes_as_other():
    df = frame([("a poem about the sea", "poetry"), ("rain again today", "weather"), ("sunny tomorrow", "weather")])
    out, message = apply_fix(df, "text", "label", "merge_rare")
    assert message == "Merged 2 classes with fewer than 3 rows ('weather', 'poetry') into 'other', which now has 3 rows."
    assert list(out["label"].iloc[9:]) == ["other"] * 3
    assert list(out["label"].iloc[:9]) == list(df["label"].iloc[:9])
    assert "rare_classes" not in kinds(out)


def test_merge_rare_says_when_other_is_still_too_small():
    out, message = apply_fix(frame([("a poem about the sea", "poetry")]), "text", "label", "merge_rare")
    assert "which now has 1 row. That is still fewer than 3" in message


def test_merge_rare_keeps_numeric_ids_nameable():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(7)], "label": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]})
    names = LabelOptions(names={"0": "ham", "1": "spam"})
    out, message = apply_fix(df, "text", "label", "merge_rare", labels=names)
    assert "('2') into 'other'" in message
    assert list(out["label"]) == ["0", "0", "0", "1", "1", "1", "other"]
    assert findings(out, "text", "label", labels=names)[0].message.startswith("Classes with fewer than 3 rows: 'other'")


def test_drop_leaks_drops_only_test_rows():
    df = frame([("The match ended with a late goal!", "sport"), ("something new", "food")],
               split=["train"] * 9 + ["test"] * 2)
    out, message = apply_fix(df, "text", "label", "drop_leaks", split_col="split")
    assert message == "Dropped 1 test row that nearly repeats a training text; 10 remain."
    assert 9 not in out.index and 0 in out.index
    with pytest.raises(ValueError, match="split column"):
        apply_fix(df, "text", "label", "drop_leaks")


def test_fix_with_nothing_to_do_says_so():
    out, message = apply_fix(frame([]), "text", "label", "drop_duplicates")
    assert message == "Nothing to drop: there are no duplicate rows."
    assert len(out) == len(CLEAN)


def test_unknown_fix_is_refused():
    with pytest.raises(ValueError, match="Unknown fix"):
        apply_fix(frame([]), "text", "label", "make_it_better")


def test_every_offered_fix_exists():
    df = frame([("", "sport"), ("Fans filled the stadium!", "sport"), ("fans filled the stadium", "food"),
                ("a poem", "poetry")], split=["train"] * 9 + ["test"] * 4)
    offered = {f.fix for f in findings(df, "text", "label", "split") if f.fix}
    assert offered == set(FIXES)


def test_labels_differing_only_in_capitals_offer_to_ignore_capitals():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(12)],
                       "label": ["Sport", "sport", "SPORT", "food"] * 3})
    (case,) = [f for f in findings(df, "text", "label") if f.kind == "label_case"]
    assert case.message.startswith("Labels that differ only in capitals are separate classes now: 'Sport' and "
                                   "'sport' and 'SPORT'.")
    assert (case.fix, case.fix_label) == (CASEFOLD, "Ignore capitals in labels")
    assert not [f for f in findings(df, "text", "label", labels=LabelOptions(casefold=True)) if f.kind == "label_case"]


def test_imbalance_is_weighed_among_classes_big_enough_to_test():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(44)], "label": ["big"] * 40 + ["mid"] * 3 + ["tiny"]})
    (imbalance,) = [f for f in findings(df, "text", "label") if f.kind == "imbalance"]
    assert "'big' has 40 rows and 'mid' only 3" in imbalance.message


def test_after_merging_numeric_ids_stay_nameable_and_other_is_not_offered_again():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(9)], "label": [0, 0, 0, 1, 1, 1, 2, 2, 3]})
    merged, _ = apply_fix(df, "text", "label", "merge_rare")
    assert is_numeric(merged["label"]) and label_ids(merged["label"]).tolist()[-3:] == ["other"] * 3
    df = pd.DataFrame({"text": [f"text {i}" for i in range(8)], "label": ["a"] * 3 + ["b"] * 3 + ["other"] * 2})
    (rare,) = [f for f in findings(df, "text", "label") if f.kind == "rare_classes"]
    assert rare.fix is None and rare.message.endswith("Add rows to it.")


def test_a_conflict_between_near_copies_quotes_each_as_written():
    df = pd.DataFrame({"text": ["Is it good?", "Is it good.", "fine", "fine too", "ok", "ok then"],
                       "label": ["pos", "neg", "pos", "neg", "pos", "neg"]})
    (conflict,) = [f for f in findings(df, "text", "label") if f.kind == "conflicts"]
    assert "e.g. 'Is it good?' as 'pos'; 'Is it good.' as 'neg' (2 rows in all)" in conflict.message
