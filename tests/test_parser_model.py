"""The reader's network against independent implementations: its MiniLM encoder against
sentence-transformers (the package the weights come with), and the ONNX export that answers
questions against the torch network it was exported from."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from talk2model.parser.encode import encode
from talk2model.parser.grounding import Grounder
from talk2model.parser.reader import Reader, artifact_paths
from talk2model.parser.train.net import OUTPUT_NAMES, ReaderNet, minilm_dir
from talk2model.workspace import load_workspace

SENTENCES = ["why was applicant 12 denied?", "how many patients over 60 have a bmi above 30",
             "could you please tell me what the model would predict for defendant 1595 if he were 10 years older"]


@pytest.mark.slow
def test_encoder_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm_dir()), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    net = ReaderNet.from_minilm().eval()
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()          # the file pads to a fixed length: one sentence, no padding
    for sentence, want in zip(SENTENCES, reference):
        ids = torch.tensor([tok.encode(sentence).ids])
        mask = torch.ones_like(ids)
        with torch.no_grad():
            x = net.lower(ids, torch.zeros_like(ids), mask)
            bias = torch.zeros(1, 1, 1, ids.shape[1])
            for layer in net.layers[3:]:
                x = layer(x, bias)
        got = torch.nn.functional.normalize(x.mean(1), dim=-1)[0].numpy()
        assert np.abs(got - want).max() < 1e-5


def test_onnx_reader_matches_the_torch_network():
    from peft import get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    from talk2model.parser.train.fit import lora_config

    weights, _ = artifact_paths()
    model = get_peft_model(ReaderNet.from_minilm(), lora_config())
    set_peft_model_state_dict(model, load_file(str(weights)))
    net = model.merge_and_unload().eval()
    reader = Reader.shared()
    grounder = Grounder(load_workspace("compas"))
    for sentence in SENTENCES:
        e = encode(grounder.ground(sentence), "after explain about one defendant")
        feed = {"ids": e.ids[None], "segments": e.segments[None], "span_types": e.span_types[None],
                "mask": np.ones((1, len(e)), dtype=np.int64)}
        onnx_out = reader.session.run(None, feed)
        with torch.no_grad():
            torch_out = net(*(torch.from_numpy(feed[k]) for k in ("ids", "segments", "span_types", "mask")))
        assert [o.name for o in reader.session.get_outputs()] == OUTPUT_NAMES
        for a, b in zip(onnx_out, torch_out):
            assert np.abs(a - b.numpy()).max() < 1e-3


def test_each_epoch_sees_every_written_example_and_each_generated_one_once_over_the_run():
    from collections import Counter
    from types import SimpleNamespace

    from talk2model.parser.train.fit import SETTINGS, epoch_plan

    examples = [SimpleNamespace(item=SimpleNamespace(source="generated" if k % 3 else "a_single"), k=k)
                for k in range(100)]
    written = {e.k for e in examples if e.item.source != "generated"}
    made = {e.k for e in examples if e.item.source == "generated"}
    plan = epoch_plan(examples, 3)
    assert SETTINGS["generated_once"] and len(plan) == 3
    for part in plan:                       # every written example in every epoch, once
        assert Counter(e.k for e in part if e.k in written) == Counter(written)
    seen = Counter(e.k for part in plan for e in part if e.k in made)
    assert set(seen) == made and set(seen.values()) == {1}
    assert max(len(p) for p in plan) - min(len(p) for p in plan) <= 1     # the generated ones shared out


def test_a_question_two_sources_hold_is_trained_on_once():
    from talk2model.parser.train.data import Item, distinct

    before = [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": 3}}, {"op": "predict"}]
    why = [{"op": "previous_filter"}, {"op": "explain", "method": "auto"}]
    items = [Item("german", "Why?", why, before, 1, 0, "a"), Item("german", "why? ", why, before, 1, 0, "b"),
             Item("german", "why?", why, None, None, None, "c"),          # alone: another example
             Item("compas", "why?", why, before, 1, 0, "d"),              # another workspace
             Item("german", "why?", [{"op": "explain", "method": "shap"}], before, 1, 0, "e")]
    assert [it.source for it in distinct(items)] == ["a", "c", "d", "e"]
