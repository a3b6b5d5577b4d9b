"""Attributions and faithfulness against oracles computed another way (no Captum in the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from talk2model import Assistant
from talk2model.explainers import faithfulness as F
from talk2model.explainers.captum_backend import CaptumExplainer, occlusion_window, randomised_copy
from talk2model.workspace import load_workspace


@pytest.fixture(scope="module")
def digits():
    return load_workspace("digits")


def logits(ws, x) -> np.ndarray:
    with torch.no_grad():
        return ws.model.module(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()


def explain_json(ws, image_id: int, method: str) -> dict:
    query = {"steps": [{"op": "filter", "where": {"feature": "id", "cmp": "==", "value": image_id}},
                       {"op": "explain", "method": method}]}
    answer = Assistant(ws).run(query)
    assert answer.error is None, answer.text
    return answer.to_json()["result"]


@pytest.mark.parametrize("method, tolerance", [("integrated_gradients", 0.02), ("deeplift", 1e-3)])
@pytest.mark.parametrize("image_id", [0, 12, 77, 1118])
def test_completeness_on_the_cnn(digits, method, tolerance, image_id):
    """base_value + sum(attributions) = output_value within 2% (IG) / 0.1% (DeepLIFT, exact with
    average pooling) of |output - base|; output and base are the module's own logits."""
    r = explain_json(digits, image_id, method)
    x = digits.pixels([image_id])
    own = logits(digits, x)[0]
    target = int(own.argmax())
    assert r["target_class"] == digits.model.classes[target]
    assert r["output_value"] == pytest.approx(float(own[target]), abs=1e-4)
    blank = logits(digits, np.zeros_like(x))[0, target]
    assert r["base_value"] == pytest.approx(float(blank), abs=1e-4)
    att = np.asarray(r["attributions"])
    assert att.shape == (8, 8)
    gap = abs(r["output_value"] - r["base_value"])
    assert abs(r["base_value"] + att.sum() - r["output_value"]) <= tolerance * gap
    # the reported delta is the completeness error itself
    assert r["convergence_delta"] == pytest.approx(att.sum() - (r["output_value"] - r["base_value"]), abs=1e-3)


def test_deep_shap_is_additive_over_its_background(digits):
    from talk2model.explainers.images import image_explainer

    r = explain_json(digits, 40, "deep_shap")
    background = image_explainer(digits).captum.background.numpy()
    target = digits.model.classes.index(r["target_class"])
    expected_base = float(logits(digits, background)[:, target].mean())
    assert r["base_value"] == pytest.approx(expected_base, abs=1e-4)
    assert np.sum(r["attributions"]) == pytest.approx(r["output_value"] - r["base_value"], abs=1e-3)


def test_saliency_is_the_gradient(digits):
    r = explain_json(digits, 5, "saliency")
    x = torch.as_tensor(digits.pixels([5])).requires_grad_(True)
    out = digits.model.module(x)
    target = digits.model.classes.index(r["target_class"])
    (grad,) = torch.autograd.grad(out[0, target], x)
    np.testing.assert_allclose(np.asarray(r["attributions"]), grad[0, 0].numpy(), rtol=1e-5, atol=1e-6)


class TwoLayer(nn.Module):
    """conv 3x3 (2 maps) -> ReLU -> flatten -> linear (3 classes): Grad-CAM has a closed form."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).flatten(1))


def test_gradcam_matches_its_closed_form_on_a_two_layer_net():
    net = TwoLayer().eval()
    x = torch.rand(1, 1, 4, 4, generator=torch.Generator().manual_seed(0)) * 3
    ex = CaptumExplainer(net, baseline=np.zeros((1, 4, 4), np.float32), gradcam_layer=net.relu)
    for target in range(3):
        got = ex.attribute(x[0].numpy(), "gradcam", target).values[0]
        with torch.no_grad():
            maps = net.relu(net.conv(x))[0].numpy()                  # A_k: 2 x 4 x 4
        weights = net.fc.weight.detach().numpy()[target].reshape(2, 4, 4)   # d y / d A_k[i, j]
        alpha = weights.mean(axis=(1, 2))                             # Grad-CAM's channel weights
        expected = np.tensordot(alpha, maps, axes=1)                  # sum_k alpha_k A_k (no ReLU: signed)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_occlusion_matches_a_hand_loop():
    net = TwoLayer().eval()
    x = torch.rand(1, 1, 4, 4, generator=torch.Generator().manual_seed(1)) * 2
    ex = CaptumExplainer(net, baseline=np.zeros((1, 4, 4), np.float32))
    window, strides = occlusion_window((1, 4, 4))
    assert window == (1, 2, 2) and strides == (1, 1, 1)
    target = 1
    with torch.no_grad():
        full = net(x)[0, target].item()
        total = np.zeros((4, 4))
        covered = np.zeros((4, 4))
        for i in range(3):
            for j in range(3):
                hidden = x.clone()
                hidden[0, 0, i:i + 2, j:j + 2] = 0.0
                drop = full - net(hidden)[0, target].item()
                total[i:i + 2, j:j + 2] += drop
                covered[i:i + 2, j:j + 2] += 1
    got = ex.attribute(x[0].numpy(), "occlusion", target)
    np.testing.assert_allclose(got.values[0], total / covered, rtol=1e-5, atol=1e-6)
    assert got.forward_passes == 9 + 1


class Linear(nn.Module):
    """Two logits, the second w.x: the perfect attribution of class 1 is w * x (from 0)."""

    def __init__(self, w: np.ndarray) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, x):
        z = (x.flatten(1) * self.w).sum(1)
        return torch.stack([torch.zeros_like(z), z], dim=1)


def test_deletion_of_a_perfect_attribution_beats_random_and_its_reverse_loses():
    rng = np.random.default_rng(0)
    w = rng.normal(size=16).astype(np.float32)
    x = np.abs(rng.normal(size=(1, 4, 4))).astype(np.float32) + 0.5
    net = Linear(w).eval()
    ex = CaptumExplainer(net, baseline=np.zeros((1, 4, 4), np.float32), hooks=False)
    perfect = (w.reshape(1, 4, 4) * x)
    prob = F.probability_fn(ex, 1)
    xt = torch.as_tensor(x)
    best = F.auc(F.deletion_curve(prob, xt, ex.baseline[0], np.argsort(-perfect.ravel())))
    worst = F.auc(F.deletion_curve(prob, xt, ex.baseline[0], np.argsort(perfect.ravel())))
    random = F.random_auc(prob, xt, ex.baseline[0], 16)
    assert best < random < worst
    # the curve is the class probability, recomputed by hand at the half-way point
    order = np.argsort(-perfect.ravel())
    curve = F.deletion_curve(prob, xt, ex.baseline[0], order)
    kept = np.ones(16, bool)
    kept[order[:8]] = False
    z = float((w * x.ravel() * kept).sum())
    assert curve[8] == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-5)


def test_infidelity_is_zero_for_the_exact_attribution_of_a_linear_model():
    rng = np.random.default_rng(1)
    w = rng.normal(size=16).astype(np.float32)
    x = rng.normal(size=(1, 4, 4)).astype(np.float32)
    net = Linear(w).eval()
    ex = CaptumExplainer(net, baseline=np.zeros((1, 4, 4), np.float32), hooks=False)
    exact = ex.attribute(x, "integrated_gradients", 1)
    np.testing.assert_allclose(exact.values, w.reshape(1, 4, 4) * x, rtol=1e-4, atol=1e-5)
    assert F.relative_infidelity(ex, torch.as_tensor(x), exact) == pytest.approx(0.0, abs=1e-6)
    noise = type(exact)(**{**exact.__dict__, "values": rng.normal(size=(1, 4, 4)).astype(np.float32)})
    assert F.relative_infidelity(ex, torch.as_tensor(x), noise) > 0.3
    # saliency (the gradient w) is judged on the actual change of the input: exact too
    grad = ex.attribute(x, "saliency", 1)
    assert F.relative_infidelity(ex, torch.as_tensor(x), grad) == pytest.approx(0.0, abs=1e-6)


def test_randomised_copy_redraws_every_weight_and_keeps_buffers(digits):
    module = digits.model.module
    clone = randomised_copy(module)
    for (name, a), (_, b) in zip(module.named_parameters(), clone.named_parameters()):
        assert not torch.equal(a, b), name
    assert torch.equal(module.scale, clone.scale)
    assert torch.equal(randomised_copy(module).conv1.weight, clone.conv1.weight)   # seeded


def test_sanity_check_flags_an_attribution_that_ignores_the_model():
    """An 'attribution' that is the input itself does not change with the weights: similarity 1."""
    x = np.arange(16, dtype=float)
    assert F.similarity(x, x * 3) == pytest.approx(1.0)
    assert F.similarity(x, -x) == pytest.approx(1.0)          # |.|: the sign may flip
    assert F.similarity(np.r_[x, np.zeros(40)], np.r_[x[::-1], np.zeros(40)]) == pytest.approx(-1.0)


def test_auto_picks_the_method_with_the_best_deletion_among_those_that_pass(digits):
    r = explain_json(digits, 12, "auto")
    table = {row["method"]: row for row in r["faithfulness"]}
    assert set(table) == {"saliency", "integrated_gradients", "deeplift", "deep_shap", "gradcam", "occlusion"}
    passing = [row for row in table.values() if row["passes_sanity"] is not False]
    best_auc = min(row["deletion_auc"] for row in passing)
    assert table[r["method"]]["passes_sanity"] is not False
    assert table[r["method"]]["deletion_auc"] <= best_auc + F.TIE
    # its map is the chosen method's own
    again = explain_json(digits, 12, r["method"])
    np.testing.assert_allclose(r["attributions"], again["attributions"])


def test_tabular_mlp_gains_integrated_gradients_and_deeplift():
    ws = load_workspace("diabetes-mlp")
    module = ws.model.estimator.module
    for method in ("integrated_gradients", "deeplift"):
        answer = Assistant(ws).run(f"filter id == 51 then explain {method}")
        assert answer.error is None, answer.text
        r = answer.to_json()["result"]
        row = torch.as_tensor(ws.data.loc[[51], ws.model.feature_names].to_numpy(dtype=np.float32))
        with torch.no_grad():
            out = float(module(row)[0, 0])
        assert r["output_value"] == pytest.approx(out, abs=1e-4)
        gap = abs(r["output_value"] - r["base_value"])
        assert abs(r["base_value"] + sum(r["attributions"].values()) - r["output_value"]) <= 0.02 * gap


def test_captum_deep_shap_agrees_with_shap_on_the_mlp():
    """The randomised twin of Deep SHAP on the MLP is Captum's DeepLiftShap: on the trained model
    it gives shap's DeepExplainer values (the same rule over the same background)."""
    from talk2model.explainers import explainer_for

    ws = load_workspace("diabetes-mlp")
    ex = explainer_for(ws)
    rows = ws.data.iloc[:5]
    shap_values = ex.attributions(rows, "deep_shap", cacheable=False).values.to_numpy()
    Z = ex.encoding.transform(rows).astype(np.float32)
    captum_values = np.stack([a.values for a in ex.captum.attribute_many(Z, "deep_shap", [0] * 5)])
    np.testing.assert_allclose(captum_values, shap_values, rtol=1e-3, atol=1e-4)


def test_faithfulness_on_the_mlp_and_methods_that_do_not_apply():
    ws = load_workspace("diabetes-mlp")
    answer = Assistant(ws).run("filter id == 51 then faithfulness")
    assert answer.error is None, answer.text
    methods = {m["method"] for m in answer.to_json()["result"]["methods"]}
    assert methods == {"saliency", "integrated_gradients", "deeplift", "deep_shap"}
    assert "Grad-CAM explains image models" in Assistant(ws).run("filter id == 51 then explain gradcam").text
    credit = Assistant("credit").run("filter id == 1 then explain integrated_gradients")
    assert "reads a PyTorch model's gradients" in credit.text
