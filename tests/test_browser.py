"""The app in a real browser: Debian's chromium driven by Playwright (no browser download).

`make browser` installs chromium with apt-get. Outside CI a machine without it skips this test;
in CI (CI=true) a missing chromium is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from talk2model.assistant import AI_NOTICE
from tests.test_app import AMBIGUOUS, READINGS, launched_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.browser


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api") if not _in_ci() else __import__(
        "playwright.sync_api", fromlist=["sync_playwright"])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from launched_app(tmp_path_factory.mktemp("browser"))


def _ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def _bot_texts(page) -> list[str]:
    return page.locator("#chat .message.bot, #chat [data-testid='bot']").all_inner_texts()


def test_chat_in_a_real_browser(browser, app_url, credit, tmp_path):
    url, store = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    page.locator("#question textarea").wait_for()
    assert AI_NOTICE in page.locator("#ai-notice").inner_text()
    page.wait_for_function(  # filled in once the workspace has loaded in the background
        "t => document.querySelector('#selection').innerText.includes(t)",
        arg=f"all {len(credit.data):,} applicants")
    page.locator("#workspace-info").get_by_text(credit.model.kind).wait_for()

    # a question: the reading, the answer, and a plot that really loaded
    _ask(page, "filter age > 60 then statistic target")
    chat = page.locator("#chat")
    chat.get_by_text("I understood:").first.wait_for()
    image = chat.locator("img[src*='.png']").first
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 300", arg=image.element_handle())
    n60 = int((credit.data["age"] > 60).sum())
    page.wait_for_function(
        "n => document.querySelector('#selection').innerText.includes(`(${n} applicants)`)", arg=n60)
    assert "age is above 60" in page.locator("#selection").inner_text()
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)

    # the thumbs on the answer in the chat are stored against its turn
    page.locator("#chat button[aria-label='Like']").first.click()
    page.locator("#feedback-status").get_by_text("feedback on turn 1 was saved").wait_for()

    # an ambiguous question: the readings are buttons; clicking one answers it
    _ask(page, AMBIGUOUS)
    choice = page.locator("#choice-1")
    choice.wait_for(state="visible")
    assert choice.inner_text().strip() == READINGS[1][0]
    assert page.locator("#choice-0").inner_text().strip() == READINGS[0][0]
    choice.click()
    n50 = int((credit.data["age"] > 50).sum())
    chat.get_by_text(re.compile(rf"{n50} of the 1,000 applicants")).first.wait_for()
    page.locator("#choice-0").wait_for(state="hidden")

    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

    # clear the selection in force
    page.locator("#clear-selection").click()
    page.wait_for_function(
        "t => document.querySelector('#selection').innerText.includes(t)",
        arg=f"all {len(credit.data):,} applicants")

    # thumbs up on the last answer is acknowledged
    page.locator("#thumbs-up").click()
    page.locator("#feedback-status").get_by_text("feedback on turn 3 was saved").wait_for()
    assert all((tmp_path / name).stat().st_size > 20_000 for name in ("answer.png", "chat.png"))
    # fully offline: the page fetched nothing from anywhere but the app itself
    foreign = [u for u in requested if not u.startswith((url.rstrip("/"), "data:", "blob:"))]
    assert requested and foreign == []
    session_id = next(s.id for s in store.sessions() if s.turn_count == 3)
    turns = store.turns(session_id)
    assert [t.question for t in turns] == ["filter age > 60 then statistic target", AMBIGUOUS, READINGS[1][0]]
    assert [(f.turn_id, f.rating) for f in store.feedback(session_id=session_id)] == [
        (turns[0].id, 1), (turns[2].id, 1)]
    page.close()


def test_two_browser_sessions_are_isolated(browser, app_url, credit):
    url, _ = app_url
    first = browser.new_context().new_page()
    second = browser.new_context().new_page()
    for page in (first, second):
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.locator("#question textarea").wait_for()
    _ask(first, "How many applicants are older than 50?")  # plain English, the real parser
    first.locator("#chat").get_by_text("I understood:").first.wait_for()
    first.wait_for_function("() => document.querySelector('#selection').innerText.includes('age is above 50')")
    second.reload()
    second.locator("#question textarea").wait_for()
    second.wait_for_function("t => document.querySelector('#selection').innerText.includes(t)",
                             arg=f"all {len(credit.data):,} applicants")
    assert second.locator("#chat").get_by_text("I understood:").count() == 0
    _ask(second, "count")
    second.locator("#chat").get_by_text("There are 1,000 applicants").first.wait_for()
    assert "age is above 50" in first.locator("#selection").inner_text()
    assert first.locator("#chat").get_by_text("There are 1,000 applicants").count() == 0
    first.context.close()
    second.context.close()


def test_upload_a_table_and_model_in_a_real_browser(browser, app_url, tmp_path):
    """Bring your own: upload a CSV and a .skops model made here, pick the target, use it, ask,
    and check the answer against pandas; the picker then names the upload."""
    import numpy as np
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"x": rng.normal(size=200).round(3), "label": 0, "z": rng.normal(size=200).round(3)})
    frame["label"] = (frame["x"] + 0.5 * frame["z"] + rng.normal(scale=0.3, size=200) > 0).astype(int)
    model = LogisticRegression().fit(frame[["x", "z"]], frame["label"])
    data_path, model_path = tmp_path / "toy.csv", tmp_path / "toy.skops"
    frame.to_csv(data_path, index=False)
    sio.dump(model, model_path)

    url, store = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#question textarea").wait_for()
    page.locator("#byo").get_by_text("Bring your own model").click()
    page.locator("#byo-data input[type=file]").set_input_files(str(data_path))
    page.locator("#byo-status").get_by_text("200 rows and 3 columns").wait_for()
    # the target is not the last column: pick it from the list
    page.locator("#byo-target input").click()
    page.get_by_role("option", name="label", exact=True).click()
    page.locator("#byo-status").get_by_text("target label").wait_for()
    page.locator("#byo-model input[type=file]").set_input_files(str(model_path))
    page.locator("#byo-model").get_by_text("toy.skops").wait_for()
    page.locator("#byo-use").click()
    page.locator("#workspace-info").get_by_text("uploaded from toy.csv").wait_for()
    assert page.locator("#workspace input").input_value() == "uploaded: toy.csv"
    page.wait_for_function("t => document.querySelector('#selection').innerText.includes(t)",
                           arg="all 200 rows")

    _ask(page, "filter x > 0 then count")
    n = int((frame["x"] > 0).sum())
    page.locator("#chat").get_by_text(f"{n} of the 200 rows").first.wait_for()
    _ask(page, "filter id == 3 then predict")
    expected = int(model.predict(frame.loc[[3], ["x", "z"]])[0])
    answer = page.locator("#chat").get_by_text(re.compile(r"predicts label \d for row 3"))
    answer.wait_for()
    assert f"label {expected}" in answer.inner_text() and f"label {1 - expected}" not in answer.inner_text()
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    assert (tmp_path / "upload.png").stat().st_size > 20_000
    page.close()


def test_an_image_question_in_a_real_browser_shows_the_overlay(browser, app_url, tmp_path):
    """Switch to the digits workspace, ask one image question (in the query language), and see
    the heatmap overlay drawn and the faithfulness table."""
    url, _ = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#question textarea").wait_for()
    page.locator("#workspace input").click()
    page.get_by_role("option", name="digits", exact=True).click()
    page.locator("#workspace-info").get_by_text("Handwritten digits (neural network)").wait_for()
    _ask(page, "filter id == 12 then explain auto")
    chat = page.locator("#chat")
    chat.get_by_text("The model sees a 2 in image 12").first.wait_for()
    image = chat.locator("img[src*='.png']").first
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth >= 600", arg=image.element_handle())
    chat.get_by_text("deletion AUC (lower better)").first.wait_for()
    page.screenshot(path=str(tmp_path / "overlay.png"), full_page=True)
    assert (tmp_path / "overlay.png").stat().st_size > 20_000
    page.close()
