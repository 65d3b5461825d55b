"""Browser tests: the journey of a first-time user, by clicks only, in real headless Chromium against the
real server (fixtures in conftest.py). Screenshots of every step land in test-artifacts/e2e/<test name>/.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from core import load_model
from core.store.store import Store
from tests.conftest import make_texts
from tests.e2e.conftest import FIRST_LOAD_MS, TRAINING_MS, Server, free_port, shot

pytestmark = pytest.mark.e2e
HOSTILE = Path(__file__).resolve().parents[1] / "core" / "hostile"


# ------------------------------------------------------------------------------------------- helpers


def write_csv(tmp_path: Path) -> Path:
    """~90 short texts in 3 classes (sport, food, tech) whose words give the class away."""
    path = tmp_path / "news.csv"
    make_texts(n_per_class=30).to_csv(path, index=False)
    return path


def upload_and_use(page: "Page", server: Server, csv: Path, artifacts: Path | None = None) -> None:
    """Data page: upload the CSV, check the guessed columns, save the dataset and follow the link to Train."""
    server.goto(page, "data")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.locator("input[type=file]")).to_be_attached(timeout=FIRST_LOAD_MS)
    if artifacts:
        shot(page, artifacts, "01-data-page")

    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_text(f"{csv.name}: 90 rows and 2 columns read.")).to_be_visible()
    # The first widgets of a kind load their code on first use: allow the first-load time.
    expect(page.get_by_role("combobox", name="Column with the texts")).to_have_value("text", timeout=FIRST_LOAD_MS)
    expect(page.get_by_role("combobox", name="Column with the labels")).to_have_value("label")
    expect(page.get_by_test_id("stDataFrame").nth(1)).to_be_visible()  # the texts per class, after the rows
    if artifacts:
        shot(page, artifacts, "02-uploaded")

    page.get_by_role("button", name="Use this dataset").click()
    expect(page.get_by_text(re.compile(r"Saved .*training"))).to_be_visible()
    if artifacts:
        shot(page, artifacts, "03-dataset-saved")
    page.get_by_role("link", name="Next: train a model").click()
    expect(page).to_have_url(re.compile(r"/train$"))
    expect(page.get_by_role("button", name="Start training")).to_be_visible()
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value(re.compile(r"90 rows · 3 classes"))


def start_textcnn(page: "Page", epochs: int, batch_size: int = 4) -> None:
    """Train page: choose TextCNN, set epochs, a batch of 4 and no early stopping in Settings, press Start.

    Four texts a step makes many steps of the tiny dataset, so the run trains for several of the page's
    one-second refreshes even on a fast idle machine (at 32 a step, 30 epochs once took 2 s).
    """
    page.get_by_text("TextCNN", exact=True).click()
    expect(page.get_by_role("radio", name="TextCNN")).to_be_checked()
    page.get_by_text("Settings:").click()
    for name, value in (("Epochs", epochs), ("Batch size", batch_size), ("Early stopping patience", 0)):
        box = page.get_by_role("spinbutton", name=name, exact=True)
        expect(box).to_be_visible()
        box.fill(str(value))
        box.press("Enter")
        expect(box).to_have_value(str(value))
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(r"^#1 · TextCNN"))


def progress_text(page: "Page") -> str:
    """The live progress line ('Epoch 3 of 40 · step 5 of 80 · ...'), once the worker has begun."""
    line = page.get_by_text(re.compile(r"Epoch \d+ of \d+ · step")).first
    expect(line).to_be_visible(timeout=TRAINING_MS)
    return line.inner_text()


def step_of(progress: str) -> int:
    return int(re.search(r"step ([\d,]+) of", progress).group(1).replace(",", ""))


def download_model(page: "Page", kind: str, folder: Path, arch: str = "textcnn") -> Path:
    """Results page, Download tab: prepare the file of `kind` ("model bundle" or "ONNX") of a model of `arch`,
    download it into `folder`."""
    page.get_by_role("tab", name="Download").click()
    page.get_by_role("button", name=f"Prepare the {kind} file").click()
    suffix = "-onnx" if kind == "ONNX" else ""
    button = page.get_by_role("button", name=re.compile(rf"Download run-\d+-{arch}{suffix}\.zip"))
    expect(button).to_be_visible(timeout=TRAINING_MS)
    with page.expect_download() as info:
        button.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def ask(page: "Page", text: str):
    """Predict page: classify `text`; the 'Predicted label' figure."""
    page.get_by_role("textbox", name="Text to classify").fill(text)
    page.get_by_role("button", name="Predict", exact=True).click()
    return page.get_by_test_id("stMetric").filter(has_text="Predicted label")


def import_model(page: "Page", model: Path) -> None:
    """Predict page: import a downloaded model file and see it chosen."""
    page.get_by_text("Imported from a file").click()
    importer = page.get_by_test_id("stFileUploader").filter(has_text="A model file downloaded from Classifier Studio")
    importer.locator("input[type=file]").set_input_files(model)
    expect(page.get_by_role("combobox", name="Imported model")).to_have_value(re.compile(re.escape(model.name)),
                                                                                timeout=TRAINING_MS)


def serve_and_ask(model: Path, text: str) -> str:
    """`python -m core serve --model MODEL` as a user starts it; the label it answers for `text`."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", "--model", str(model), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps(
                    {"text": text}).encode(), headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=5) as response:
                    return json.load(response)["predictions"][0]["label"]
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=20)


def click_confusion_cell(page: "Page", matrix) -> None:
    """Click the diagonal cell of a class other than the one listed, and see that class's texts listed."""
    classes = ["food", "sport", "tech"]  # the axes' order: the model's sorted classes
    true_box = page.get_by_role("combobox", name="True class")
    target = next(c for c in classes if c != true_box.input_value())
    area = matrix.locator(".nsewdrag").first.bounding_box()
    i = classes.index(target)
    x, y = area["x"] + (i + 0.5) * area["width"] / 3, area["y"] + (i + 0.5) * area["height"] / 3
    # Plotly picks the clicked point from the last hover, so the pointer moves onto the cell before the click.
    page.mouse.move(x - 5, y - 5)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.up()
    expect(true_box).to_have_value(target)
    expect(page.get_by_role("combobox", name="Predicted class")).to_have_value(target)
    line = page.get_by_text(re.compile(rf"^\d+ test texts of {target} correctly labelled"))
    expect(line).to_be_visible()
    listed = int(line.inner_text().split()[0])
    table = page.get_by_test_id("stDataFrame").filter(visible=True).first
    expect(table).to_contain_text(target)
    # The grid draws on a canvas; its text content still holds every row: the class appears twice per row.
    others = [c for c in classes if c != target]
    content = table.text_content()
    assert content.count(target) >= 2 * listed and not any(c in content for c in others), content


# --------------------------------------------------------------------------------------------- tests


def test_upload_train_results_predict(server, open_page, artifacts, tmp_path):
    """The whole journey of a first-time user, by clicking only."""
    page = open_page()
    upload_and_use(page, server, write_csv(tmp_path), artifacts)
    shot(page, artifacts, "04-train-page")

    start_textcnn(page, epochs=40)
    # While it trains: the Stop button, the progress bar and then the live curves.
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible(timeout=TRAINING_MS)
    assert "of 40" in progress_text(page)
    expect(page.get_by_test_id("stProgress").first).to_be_visible()
    shot(page, artifacts, "05-training")
    # `.first` below: while Streamlit swaps the live view for the final one, both can be on the page for a moment.
    # Visible ones only: the token-length histogram waits, hidden, in its closed expander above the curves.
    curves = page.get_by_test_id("stPlotlyChart").filter(visible=True)
    expect(curves.first).to_be_visible(timeout=TRAINING_MS)  # loss and score curves

    expect(page.get_by_text("Finished in").first).to_be_visible(timeout=TRAINING_MS)
    expect(page.get_by_text(re.compile(r"test accuracy \d+\.\d%")).first).to_be_visible()
    expect(curves.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
    shot(page, artifacts, "06-finished")

    page.get_by_role("link", name="See the results").click()
    expect(page).to_have_url(re.compile(r"/results"))
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Accuracy")).to_contain_text(re.compile(r"\d+\.\d%"))
    matrix = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first
    expect(matrix).to_be_visible()
    expect(matrix).to_contain_text("predicted class")
    for label in ("sport", "food", "tech"):
        expect(matrix).to_contain_text(label)
    shot(page, artifacts, "07-results")
    click_confusion_cell(page, matrix)
    shot(page, artifacts, "07b-clicked-cell")

    # Take the model away: both files download, and each works from Python, the command line and as a service.
    bundle = download_model(page, "model bundle", tmp_path)
    onnx = download_model(page, "ONNX", tmp_path)
    shot(page, artifacts, "07c-downloads")
    sport = "the coach said the team will score a goal in the match"
    for model in (bundle, onnx):
        assert load_model(model).predict([sport]).tolist() == ["sport"]
        assert serve_and_ask(model, sport) == "sport"
    pd.DataFrame({"message": [sport]}).to_csv(tmp_path / "texts.csv", index=False)
    out = subprocess.run([sys.executable, "-m", "core", "predict", "--model", str(onnx), "--input",
                          str(tmp_path / "texts.csv"), "--text-col", "message"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert pd.read_csv(io.StringIO(out.stdout))["predicted"].tolist() == ["sport"]

    page.get_by_role("link", name="Try the model on your own sentences").click()
    expect(page).to_have_url(re.compile(r"/predict"))
    prediction = ask(page, sport)
    expect(prediction).to_be_visible()
    expect(prediction).to_contain_text("sport")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()  # the probability of each class
    shot(page, artifacts, "08-predict")

    # The downloaded ONNX file imported back, as from another server.
    import_model(page, onnx)
    expect(ask(page, sport)).to_contain_text("sport")
    shot(page, artifacts, "09-imported")


def test_a_damaged_upload_is_explained_and_survives_a_refresh(server, open_page, artifacts):
    """A CSV whose quote never closes: the page names the lines, offers them for download, and a refresh (or
    a restarted server) opens the same file again from the link."""
    page = open_page()
    server.goto(page, "data")
    expect(page.locator("input[type=file]")).to_be_attached(timeout=FIRST_LOAD_MS)
    page.locator("input[type=file]").set_input_files(HOSTILE / "unclosed_quote.csv")
    summary = page.get_by_text("unclosed_quote.csv: 9 rows and 2 columns read; 26 left out.")
    expect(summary).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text(re.compile(r"A quote opens on line 7 and is not closed"))).to_be_visible()
    expect(page.get_by_role("button", name="Download the 26 left-out lines")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/data\?upload=[0-9a-f]{64}$"))
    shot(page, artifacts, "01-explained")

    server.restart()
    page.reload()
    expect(summary).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text(re.compile(r"Only one class \('ham'\)"))).to_be_visible()
    shot(page, artifacts, "02-after-restart-and-refresh")


def test_training_survives_closing_the_tab(server, open_page, artifacts, tmp_path):
    """A run keeps training in its worker process after the page that started it is closed."""
    page = open_page()
    upload_and_use(page, server, write_csv(tmp_path))
    start_textcnn(page, epochs=80)  # long enough to still be training when the new page opens
    before = step_of(progress_text(page))
    shot(page, artifacts, "01-training-before-close")
    page.context.close()

    page = open_page()
    server.goto(page, "train")
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(r"^#1 · TextCNN"),
                                                                           timeout=FIRST_LOAD_MS)
    finished = page.get_by_text("Finished in").first
    progress = page.get_by_text(re.compile(r"Epoch \d+ of 80 · step")).first
    expect(finished.or_(progress).first).to_be_visible(timeout=TRAINING_MS)
    if progress.is_visible():  # still training: the step count keeps going up in the new page
        shot(page, artifacts, "02-still-training-after-reopen")
        deadline = time.monotonic() + TRAINING_MS / 1000
        while time.monotonic() < deadline and not finished.is_visible():
            try:
                if step_of(progress.inner_text(timeout=2_000)) > before:
                    break
            except Exception:  # noqa: BLE001 - the line vanishes when the run ends; the loop checks again
                pass
            time.sleep(0.5)
        else:
            if not finished.is_visible():
                pytest.fail(f"The run stopped advancing after the tab was closed (stuck at step {before}).")
    expect(finished).to_be_visible(timeout=TRAINING_MS)
    shot(page, artifacts, "03-finished-after-reopen")

    runs = Store(server.workspace).list_runs()
    assert [(r.id, r.status) for r in runs] == [(1, "succeeded")], "closing the tab must neither stop nor repeat the run"


def test_training_survives_a_server_restart_then_stops_and_resumes(server, open_page, artifacts, tmp_path):
    """Restarting the server mid-run loses nothing: the worker trains on and a new page reattaches to it. Stop
    keeps the best epoch so far as a usable model; Resume carries on to the end."""
    page = open_page()
    upload_and_use(page, server, write_csv(tmp_path))
    start_textcnn(page, epochs=200, batch_size=1)  # one text a step, for minutes: still training after the restart
    before = step_of(progress_text(page))
    shot(page, artifacts, "01-training-before-restart")

    server.restart()
    assert Store(server.workspace).get_run(1).status == "running"  # reconciled, not interrupted
    page = open_page()
    server.goto(page, "train")
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(r"^#1 · TextCNN"),
                                                                           timeout=FIRST_LOAD_MS)
    assert step_of(progress_text(page)) > before
    shot(page, artifacts, "02-still-training-after-restart")

    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile(r"This run was stopped at step [\d,]+\. Its model keeps the weights of epoch"))
           ).to_be_visible(timeout=TRAINING_MS)
    # The page's first links load their code on first use, on a machine busy with the stopped worker's last writes.
    expect(page.get_by_role("link", name="See the results")).to_be_visible(timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "03-stopped-with-a-model")
    stopped = Store(server.workspace).get_run(1)
    assert stopped.status == "cancelled" and stopped.has_model

    page.get_by_role("button", name="Resume: carry on from where it stopped").click()
    resumed = page.get_by_text(re.compile(r"Epoch \d+ of 200 · step")).first
    expect(resumed).to_be_visible(timeout=TRAINING_MS)
    deadline = time.monotonic() + TRAINING_MS / 1000
    while step_of(resumed.inner_text()) <= stopped.progress.step:  # it carries on past the stop
        assert time.monotonic() < deadline, "the resumed run did not advance"
        time.sleep(0.5)
    shot(page, artifacts, "04-training-after-resume")
    run = Store(server.workspace).get_run(1)
    assert run.status == "running" and run.started_at > stopped.finished_at
    log = (server.workspace / "runs" / "1" / "run.log").read_text(encoding="utf-8")
    assert "Resumed from the checkpoint at step" in log


def test_the_first_ten_minutes_on_the_full_sms_sample(server, open_page, artifacts, tmp_path):
    """A new user's journey on a real sample with the model the app recommends first, all by clicking: the sample,
    Start with the defaults, Results, a prediction, the model bundle downloaded, imported and predicting."""
    page = open_page()
    server.goto(page, "data")
    page.get_by_role("button", name="SMS spam").click(timeout=FIRST_LOAD_MS)
    page.get_by_role("button", name="Use this dataset").click(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text(re.compile(r"Saved SMS spam: [\d,]+ training"))).to_be_visible()
    shot(page, artifacts, "01-dataset-saved")
    page.get_by_role("link", name="Next: train a model").click()
    expect(page.get_by_role("radio", name=re.compile("TF-IDF"))).to_be_checked(timeout=FIRST_LOAD_MS)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Finished in").first).to_be_visible(timeout=TRAINING_MS)
    shot(page, artifacts, "02-finished")

    page.get_by_role("link", name="See the results").click()
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy")
    expect(accuracy).to_contain_text(re.compile(r"9\d\.\d%"), timeout=FIRST_LOAD_MS)  # a first load, on a busy machine
    matrix = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first
    expect(matrix).to_contain_text("spam")
    # TF-IDF cross-validates by default: five more fits give the spread of its scores, and out-of-fold probabilities
    # that point at labels that may be wrong.
    expect(page.get_by_text(re.compile(r"Cross-validation, 5 folds: accuracy 0\.9\d\d ± 0\.0\d\d"))).to_be_visible()
    shot(page, artifacts, "03-results")
    bundle = download_model(page, "model bundle", tmp_path, arch="tfidf")

    page.get_by_role("tab", name="Labels that may be wrong").click()
    expect(page.get_by_text(re.compile(r"[\d,]+ texts found; 0 reviewed"))).to_be_visible(timeout=FIRST_LOAD_MS)
    page.get_by_role("button", name="Drop", exact=True).first.click()
    expect(page.get_by_text(re.compile(r"1 reviewed, 1 change to save"))).to_be_visible()
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text(re.compile(r"Saved SMS spam \(reviewed 1\) \([\d,]+ rows\)"))).to_be_visible()
    shot(page, artifacts, "03b-label-dropped-and-saved")

    spam = "WINNER! You have won a free prize of 1000 cash. Text CLAIM to 80086 now to collect your reward"
    page.get_by_role("link", name="Try the model on your own sentences").click()
    expect(ask(page, spam)).to_contain_text("spam")
    shot(page, artifacts, "04-predict")

    import_model(page, bundle)
    expect(ask(page, spam)).to_contain_text("spam")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    shot(page, artifacts, "05-imported-bundle-predicts")
