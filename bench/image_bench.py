"""Image explanations: per-method latency for one digit, the full faithfulness comparison, and
the overhead of talk2model over calling Captum directly. Prints figures; asserts nothing.

    .venv/bin/python bench/image_bench.py [--threads 1]

Goals (issue 12, one image, 2 cores): saliency and Grad-CAM < 50 ms; IG (50 steps), DeepLIFT and
Deep SHAP < 500 ms; occlusion < 1 s; the full faithfulness comparison < 3 s; overhead < 1.2x.
Each figure is the best of ROUNDS runs after a warm-up (the machine is shared with other work).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROUNDS = 15
IMAGE = 12


def best(fn, rounds: int = ROUNDS) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def direct_calls(module, x, target, background, layer):
    """The same attributions written straight against Captum, as a user of Captum would."""
    from captum import attr

    base = torch.zeros_like(x)
    return {
        "saliency": lambda: attr.Saliency(module).attribute(x.clone().requires_grad_(), target=target, abs=False),
        "integrated_gradients": lambda: attr.IntegratedGradients(module).attribute(
            x, baselines=base, target=target, n_steps=50, method="gausslegendre", return_convergence_delta=True),
        "deeplift": lambda: attr.DeepLift(module).attribute(x, baselines=base, target=target,
                                                            return_convergence_delta=True),
        "deep_shap": lambda: attr.DeepLiftShap(module).attribute(x, baselines=background, target=target,
                                                                 return_convergence_delta=True),
        "gradcam": lambda: attr.LayerAttribution.interpolate(
            attr.LayerGradCam(module, layer).attribute(x, target=target), (8, 8), interpolate_mode="bilinear"),
        "occlusion": lambda: attr.Occlusion(module).attribute(
            x, sliding_window_shapes=(1, 2, 2), strides=(1, 1, 1), baselines=base, target=target,
            perturbations_per_eval=64),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: what talk2model sets, 1)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from talk2model import Assistant
    from talk2model.explainers.faithfulness import compare
    from talk2model.explainers.images import image_explainer
    from talk2model.workspace import load_workspace

    ws = load_workspace("digits")
    ex = image_explainer(ws)          # sets torch to one thread
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"digits, image {IMAGE}; torch threads {torch.get_num_threads()}; load average "
          f"{os.getloadavg()[0]:.2f}; best / median of {ROUNDS}")
    x_np = ws.pixels([IMAGE])[0]
    target = ex.targets(ws, [IMAGE])[0]
    x = torch.as_tensor(x_np[None])
    direct = direct_calls(ws.model.module, x, target, ex.captum.background, ws.model.gradcam_layer)
    print(f"{'method':22s} {'talk2model':>12s} {'Captum direct':>14s} {'overhead':>9s}")
    for method in ex.methods():
        ours, ours_med = best(lambda: ex.captum.attribute(x_np, method, target))
        theirs, _ = best(direct[method])
        print(f"{method:22s} {ours * 1000:9.1f} ms {theirs * 1000:11.1f} ms {ours / theirs:8.2f}x"
              f"   (median {ours_med * 1000:.1f} ms)")
    full, full_med = best(lambda: compare(ex.captum, x_np, target, randomised=ex.randomised), rounds=5)
    print(f"{'full faithfulness (6 methods, sanity check included)':55s} {full:.3f} s (median {full_med:.3f} s)")
    bot = Assistant(ws)
    bot.run(f"filter id == {IMAGE} then explain auto")
    answer, _ = best(lambda: bot.run(f"filter id == {IMAGE + 1} then explain integrated_gradients"), rounds=1)
    cold, _ = best(lambda: Assistant(ws).run("filter id == 100 then explain auto"), rounds=1)
    print(f"{'answer: explain auto, an image asked before (from memory)':55s} {cold:.3f} s")
    started = time.perf_counter()
    Assistant(ws).run("filter label == 3 then importance")
    print(f"{'importance over the 183 threes (first: picks auto on 10 images)':55s} {time.perf_counter() - started:.3f} s")

    mlp = load_workspace("diabetes-mlp")
    from talk2model.explainers import explainer_for

    tab = explainer_for(mlp)
    rows = mlp.data.iloc[:1]
    for method in ("integrated_gradients", "deeplift", "deep_shap"):
        t, _ = best(lambda: tab.attributions(rows, method, cacheable=False))
        print(f"diabetes-mlp, one row, {method:22s} {t * 1000:8.1f} ms")
    t, _ = best(lambda: tab.faithfulness(rows), rounds=3)
    print(f"diabetes-mlp, one row, faithfulness of 4 methods    {t:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
