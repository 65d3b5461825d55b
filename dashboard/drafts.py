"""The draft on the Data page: the sample or kept upload being prepared, read once per reading settings, and what
the user chose for it (settings, columns, label options, fixes). For an upload the choices are kept beside the
file, so a refresh or a restarted server, which opens the upload again from the link, brings them back too."""
from __future__ import annotations

import streamlit as st

from core.data import multilabel_quality, quality
from core.data.labels import LabelOptions
from core.data.multilabel_shapes import LabelShape
from core.data.reading import ReadResult
from core.data.samples import SAMPLES
from core.store.uploads import keep_choices, keep_upload, kept_choices, kept_name, may_open
from dashboard.limits_views import too_big
from dashboard.reading_views import read_upload
from dashboard.state import DRAFT, FIXES, VIEWER, remember

REFUSED = "upload.refused"  # why the last upload was not kept, shown once by the Data page


@st.cache_resource(show_spinner="Loading the sample…")
def read_sample(name: str) -> ReadResult:
    return ReadResult(SAMPLES[name].load(), "built-in sample")


def start_sample(name: str) -> None:
    remember(DRAFT, {"name": SAMPLES[name].title, "sample": name, "key": f"read.{name}", "restored": {}})
    remember(FIXES, None)
    st.query_params.clear()
    st.query_params["sample"] = name


def on_upload() -> None:
    upload = st.session_state["upload"]
    if upload is None:
        return
    if why := too_big(upload):
        remember(REFUSED, f"{upload.name} was not kept. {why}")
        return
    viewer = st.session_state.get(VIEWER)
    sha = keep_upload(upload.getvalue(), upload.name, owner=viewer.id if viewer is not None else None)
    remember(DRAFT, {**_restored(sha, upload.name), "file_id": upload.file_id})
    remember(FIXES, None)
    st.query_params.clear()
    st.query_params["upload"] = sha


def reopened() -> dict | None:
    """The draft named in the URL, so a refresh or a restarted server opens the same file again."""
    sha, sample = st.query_params.get("upload"), st.query_params.get("sample")
    if sha and may_open(sha, st.session_state.get(VIEWER)) and (name := kept_name(sha)):
        return _restored(sha, name)
    if sample in SAMPLES:
        return {"name": SAMPLES[sample].title, "sample": sample, "key": f"read.{sample}", "restored": {}}
    return None


def _restored(sha: str, name: str) -> dict:
    """An upload's draft with the choices kept for it; its reading settings go back into their widgets."""
    restored = kept_choices(sha)
    for option, value in restored.get("options", {}).items():
        st.session_state[f"read.{sha}.{option}"] = value
    return {"name": name, "upload": sha, "key": f"read.{sha}", "restored": restored}


def restored_for(draft: dict, options: dict) -> dict:
    """The kept choices when they were made on this reading of the file (other settings bring other columns)."""
    return draft["restored"] if draft["restored"].get("options", {}) == options else {}


def read(draft: dict, options: dict) -> ReadResult:
    if draft.get("sample"):
        return read_sample(draft["sample"])
    upload = st.session_state.get("upload")
    # The bytes of this session's own upload spare reading the kept copy from the disk.
    same = upload is not None and upload.file_id == draft.get("file_id")
    return read_upload(draft["upload"], tuple(sorted(options.items())),
                       (upload.getvalue(), kept_name(draft["upload"])) if same else None)


def fixed(draft: dict, result: ReadResult, options: dict) -> dict:
    """The draft's table after its fixes: those of this session, else those kept for the upload, made again."""
    fixes = st.session_state.get(FIXES)
    if fixes is not None and fixes["for"] == (draft["key"], options):
        return fixes
    fixes = {"for": (draft["key"], options), "table": result.table, "done": [], "applied": [], "checked": {}}
    for record in restored_for(draft, options).get("fixes", []):
        try:
            fixes = apply(fixes, record)
        except Exception:  # noqa: BLE001 - kept choices only save clicks: one that no longer applies stops the replay
            break
    remember(FIXES, fixes)
    return fixes


def apply(fixes: dict, record: dict) -> dict:
    """`fixes` with one more fix; `record` says which, and on which columns and label options."""
    labels = LabelOptions(casefold=record["casefold"], names=record["names"])
    shape = LabelShape.from_dict(record.get("shape", {}))
    if shape.multilabel:
        table, message = multilabel_quality.apply_fix(fixes["table"], record["text"], record["label"], record["fix"],
                                                      record["split"], labels, shape)
    else:
        table, message = quality.apply_fix(fixes["table"], record["text"], record["label"], record["fix"],
                                           record["split"], labels)
    return {**fixes, "table": table, "done": [*fixes["done"], message], "applied": [*fixes["applied"], record],
            "checked": {}}


def keep(draft: dict, choices: dict) -> None:
    """Keep the choices of an upload's draft when they changed (a sample has nothing to keep)."""
    if draft.get("upload") and draft["restored"] != choices:
        keep_choices(draft["upload"], choices)
        draft["restored"] = choices
