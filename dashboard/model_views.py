"""Taking a model away (the Results page's downloads and how to use them) and bringing one back (the Predict
page's import)."""
from __future__ import annotations

import time

import streamlit as st

from core.access.ownership import can_change
from core.disk_space import disk_full_message, is_disk_full
from core.errors import BundleError
from core.models.bundle import file_name, run_zip
from core.models.card import INSTALL, usage_code
from core.models.imported import ImportedModel, delete_imported, import_model, imported_models, share_imported
from core.store.records import Run
from core.store.shared_storage import run_files
from core.store.store import Store
from core.wording import first_line
from core.workspace import EXPORT_DIR
from dashboard.components import escape_md
from dashboard.sharing_views import ownership
from dashboard.url_ids import url_id

FORMATS = {
    "bundle": ("Model bundle", "The model exactly as trained: weights (safetensors), tokenizer, labels, settings, "
               "test scores and a model card. For this app's Predict page, `python -m core predict` and "
               "`python -m core serve`."),
    "onnx": ("ONNX", "For ONNX Runtime, without PyTorch; the neural models also outside Python (C#, Java, "
             "JavaScript, C++). Checked, before you get it, to give the same probabilities as the model on every test "
             "text."),
}
IMPORT_RESULT = "predict.import.result"


def take_away(store: Store, run: Run) -> None:
    """Download buttons for both formats, each made on first request, and how to use the file."""
    st.write("Download the model as one file, to use it in this app on another server, from the command line, as a "
             "web service or in your own code. Each file has a README with what the model is for and how well it "
             "does.")
    folder = run_files(store, run.id)
    for column, (kind, (title, about)) in zip(st.columns(2), FORMATS.items()):
        with column:
            st.markdown(f"**{title}**")
            st.caption(about)
            name = file_name(run.id, run.arch, kind)
            ready = folder / EXPORT_DIR / name
            if not ready.exists():
                if not st.button(f"Prepare the {title.lower() if kind == 'bundle' else title} file",
                                 key=f"export.{kind}.{run.id}"):
                    continue
                try:
                    with st.spinner("Exporting and checking the model…" if kind == "onnx" else "Packing the model…"):
                        run_zip(store, run.id, kind)
                except ValueError as exc:  # our own messages say what to do
                    st.error(escape_md(exc))
                    continue
                except Exception as exc:  # noqa: BLE001 - an exporter's failure is shown, not a traceback page
                    st.error(f"The {escape_md(title)} file could not be made: {escape_md(first_line(exc))}. The "
                             "model bundle holds the model exactly; download that instead.")
                    continue
                st.rerun()  # drawn again with the download in place of the button
            st.download_button(f"Download {name}", ready.read_bytes, file_name=name, mime="application/zip",
                               on_click="ignore", type="primary", key=f"export.download.{kind}.{run.id}",
                               help=f"{ready.stat().st_size / 1e6:.1f} MB")
    st.markdown("**Using the file**")
    st.caption(f"On the Predict page of any Classifier Studio: choose *Imported from a file*. From Python or the "
               f"command line, with Classifier Studio installed ({INSTALL}):")
    python, bash = usage_code(file_name(run.id, run.arch, "bundle"))
    st.code(python, language="python")
    st.code(bash, language="bash")


def import_box(store: Store) -> None:
    """The uploader that checks and keeps a downloaded model; its outcome is kept per file so a rerun does not
    unpack the same file again."""
    upload = st.file_uploader("A model file downloaded from Classifier Studio (.zip: model bundle or ONNX)",
                              type=["zip"], key="predict.import",
                              help="Files up to Streamlit's upload limit (server.maxUploadSize); a larger model works "
                                   "from the command line: python -m core predict --model FILE.zip")
    if upload is None:
        return
    done = st.session_state.get(IMPORT_RESULT)
    if done is None or done[0] != upload.file_id:
        asked = time.time()
        try:
            with st.spinner("Checking and loading the model…"):
                info = import_model(upload.getvalue(), upload.name, store.root, store.owner)
        except (BundleError, OSError) as exc:  # OSError: the workspace could not take it (a full disk)
            done = (upload.file_id, disk_full_message(store.root) if is_disk_full(exc) else str(exc))
        else:
            done = (upload.file_id, None)
            st.session_state["predict.imported"] = info.id
            st.toast(f"Imported {escape_md(upload.name)}." if info.imported_at >= asked
                     else f"This file was imported before, as {escape_md(info.name)}: that model is chosen below.")
        st.session_state[IMPORT_RESULT] = done
    if done[1]:
        st.error(f"{escape_md(upload.name)} was not imported. {escape_md(done[1])}")


def imported_label(model: ImportedModel) -> str:
    return f"{model.name} · {model.arch} · {len(model.classes)} labels"


def imported_picker(store: Store) -> ImportedModel | None:
    """Import a model file, and choose among those imported; None when there are none yet, or none is picked yet
    after a link to a model that is not here."""
    models = imported_models(store.root, store.viewer)
    with st.expander("Import a model file", expanded=not models):
        import_box(store)
    models = imported_models(store.root, store.viewer)
    if not models:
        st.info("No model imported yet: download one from a Results page (here or on another server) and import it "
                "above.")
        return None
    by_id = {m.id: m for m in models}
    if st.session_state.get("predict.imported") not in by_id:
        asked, asked_id = st.query_params.get("imported", ""), url_id("imported")
        if asked.strip() and asked_id not in by_id:
            # Never another model under the link's name: nothing is chosen until the person picks one.
            shown = asked if len(asked) <= 20 else f"{asked[:20]}…"
            st.warning(f"This link asks for imported model '{escape_md(shown)}', which is not here: it was removed, "
                       "or it is not shared with you. Pick one from the list below.")
            st.session_state["predict.imported"] = None
        else:
            st.session_state["predict.imported"] = asked_id or models[0].id
    picked = st.selectbox("Imported model", list(by_id), format_func=lambda i: imported_label(by_id[i]),
                          key="predict.imported", placeholder="Pick a model")
    if picked is None:
        return None
    chosen = by_id[picked]
    # In the address bar, so a refresh or a shared link shows the same model.
    st.query_params["imported"] = str(chosen.id)
    ownership(store, chosen, f"predict.imported.share.{chosen.id}",
              lambda on: share_imported(chosen, on, store.root, store.viewer), "this model and predict with it")
    if not can_change(store.viewer, chosen):
        return chosen
    with st.popover("Remove this imported model"):
        st.write(f"Remove {escape_md(chosen.name)} from this server? Its file on your computer stays.")
        if st.button("Yes, remove it", key="predict.imported.remove"):
            delete_imported(chosen, store.root, store.viewer)
            del st.session_state["predict.imported"]
            st.query_params.pop("imported", None)
            st.rerun()
    return chosen
