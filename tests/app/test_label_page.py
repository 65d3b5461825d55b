"""The Label page: start from a sample with its labels hidden, take its classes, label by clicking, undo, and make
a dataset that Train then offers."""
from __future__ import annotations

import pytest

from core.data.samples import get_sample
from core.labelling.project import create_project, list_projects
from core.store.store import Store
from dashboard.components import escape_md
from dashboard.state import DATASET


@pytest.fixture
def label_page(open_page):
    return open_page("label")


def counts(at) -> dict[str, int]:
    table = at.dataframe[0].value
    return dict(zip(table["class"], table["labels"]))


def shown_text(at) -> str:
    """The text asked about, as the page writes it (escaped for Markdown)."""
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def test_labelling_a_sample_by_clicking(label_page, store: Store):
    at = label_page
    assert not at.exception, at.exception
    at.button(key="label.sample.sms_spam").click().run()
    assert "Add at least two classes" in at.info[0].value
    at.button(key="label.sample_classes").click().run()
    assert not at.exception, at.exception

    sample = get_sample("sms_spam").load()
    truth = {f"#### {escape_md(text)}": label for text, label in zip(sample["text"], sample["label"])}
    classes = ["ham", "spam"]
    # Spam is one message in eight: label until the model has met it twice, as a person would.
    while counts(at).get("spam", 0) < 2 or sum(counts(at).values()) < 12:
        at.button(key=f"label.class.{classes.index(truth[shown_text(at)])}").click().run()
        assert not at.exception, at.exception
    given = sum(counts(at).values())
    project = list_projects(store.root)[0]
    assert len(project.labels) == given and len(project.check_set()) == given // 5  # every fifth text asked

    at.button(key="label.class.0").click().run()
    assert sum(counts(at).values()) == given + 1
    next(b for b in at.button if b.label == "Undo").click().run()
    assert sum(counts(at).values()) == given

    next(b for b in at.button if b.label == "Make a dataset and train").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    dataset = store.get_dataset(at.session_state[DATASET])
    assert dataset.n_rows == given and set(dataset.classes) <= set(classes)


def test_a_project_reopens_from_the_link_after_a_restart(store: Store, open_page):
    project = create_project(["good film", "bad film", "great plot", "dull plot"], "reviews.csv",
                             given=["good", "bad", None, None], root=store.root)
    at = open_page("label")
    assert escape_md("reviews.csv") not in [h.value for h in at.subheader]
    at.query_params["project"] = project.id
    at.run()
    assert not at.exception, at.exception
    assert escape_md("reviews.csv") in [h.value for h in at.subheader]
    assert counts(at) == {"good": 1, "bad": 1}  # the file's labels are kept
    assert next(b for b in at.button if b.label == "Undo").disabled  # and are not the person's to undo


def test_the_class_names_suggest_a_label_before_any_is_given(store: Store, open_page):
    texts = ["the team scored a late goal to win the match", "bake the bread dough for dinner tonight"]
    project = create_project(texts, "news.csv", classes=["sport", "cooking"], root=store.root)
    at = open_page("label")
    at.query_params["project"] = project.id
    at.run()
    assert all(b.proto.type == "primary" for b in at.button if b.key and b.key.startswith("label.class."))
    at.toggle(key=f"label.suggest.{project.id}").set_value(True).run()
    assert not at.exception and not at.warning, (at.exception, [w.value for w in at.warning])
    expected = "sport" if "goal" in shown_text(at) else "cooking"
    kinds = {b.label: b.proto.type for b in at.button if b.key and b.key.startswith("label.class.")}
    assert kinds == {expected: "primary", ({"sport", "cooking"} - {expected}).pop(): "secondary"}
    assert any(c.value.startswith("suggested from the class names") for c in at.caption)
