"""The app with an image workspace: an image question draws the heatmap overlay and the
faithfulness table; an uploaded PNG is answered like a row."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client, handle_file

from talk2model import ui
from talk2model.store.turns import Store
from tests.test_app import files, free_port, texts


@pytest.fixture(scope="module")
def digits_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits-app")
    store = Store(f"sqlite:///{folder / 'audit.sqlite'}")
    demo = ui.build_app("digits", store=store)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url, store
    finally:
        demo.close()


def _drawn_png(path, digit: np.ndarray) -> str:
    from PIL import Image

    ink = np.kron(digit / 16, np.ones((12, 12)))
    paper = np.ones((120, 140))
    paper[12:108, 20:116] = 1 - ink
    Image.fromarray(np.round(paper * 255).astype(np.uint8), mode="L").save(path)
    return str(path)


def test_an_image_question_shows_the_overlay_and_the_faithfulness_table(digits_app):
    url, _ = digits_app
    c = Client(url, verbose=False, download_files=True)
    _, chat, _, answer, _ = c.predict("filter id == 12 then explain auto", api_name="/ask")
    (text,) = texts(chat)
    assert text.startswith("I understood: why the model predicts what it does for image 12.")
    assert "most faithful of 6 methods" in text
    assert "| method | kind | deletion AUC (lower better) |" in text.replace("\\|", "|")
    (png,) = files(chat)
    import matplotlib.image as mpimg

    assert mpimg.imread(png).shape[1] >= 600      # the image and the overlay side by side
    assert answer["figures"] == ["Why a 2 — image 12"]


def test_an_uploaded_png_is_answered(digits_app, tmp_path):
    from talk2model.workspace import load_workspace

    url, store = digits_app
    ws = load_workspace("digits")
    held = next(i for i in ws.ids if i not in ws.train_ids and ws.y[i] == 7)
    path = _drawn_png(tmp_path / "seven.png", ws.images[held, 0])
    c = Client(url, verbose=False, download_files=True)
    chat, selection, answer, _ = c.predict(handle_file(path), api_name="/image_ask")
    question, = [m["content"][0]["text"] for m in chat if m["role"] == "user"]
    assert question == ui.MSG_IMAGE_QUESTION.format(id=1797)
    (text,) = texts(chat)
    assert "image 1797" in text and "The model sees a 7 in image 1797" in text
    assert "most faithful" in text and len(files(chat)) == 1
    assert "(1 image)" in selection
    # the upload is a row of this conversation now
    _, chat, *_ = c.predict("filter id == 1797 then likelihood top 2", api_name="/ask")
    assert "top guesses for image 1797: a 7" in texts(chat)[-1]
    turns = store.turns(answer["session_id"])
    assert turns[0].question == ui.MSG_IMAGE_QUESTION.format(id=1797)
    # not an image: refused (Gradio's image component does not decode it; our own checks of the
    # bytes, size and pixels are tested in test_images.py), and the conversation goes on
    bad = tmp_path / "fake.png"
    bad.write_bytes(b"GIF89a not really")
    with pytest.raises(Exception):
        c.predict(handle_file(str(bad)), api_name="/image_ask")
    _, chat, *_ = c.predict("filter id == 1797 then predict", api_name="/ask")
    assert "The model predicts a 7 for image 1797" in texts(chat)[-1]


def test_image_upload_in_a_table_workspace_says_to_pick_digits(tmp_path):
    demo = ui.build_app("credit", use_store=False)
    _, url, _ = ui.launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        path = _drawn_png(tmp_path / "x.png", np.eye(8) * 16)
        with pytest.raises(Exception, match="choose digits first"):
            Client(url, verbose=False).predict(handle_file(path), api_name="/image_ask")
    finally:
        demo.close()
