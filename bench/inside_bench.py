"""Latency of the operations that look inside the network and where it fails (issue: inside the
network), on the shared 2-core machine, torch and OpenMP on one thread. Prints figures; asserts
nothing about time.

    .venv/bin/python bench/inside_bench.py                  # all of it
    .venv/bin/python bench/inside_bench.py tsne anchor      # only these parts

| goal | measured here |
|---|---|
| adversarial < 1 s per image | minimal change for 10 digits (cold and warm) |
| influence < 3 s per test image after a one-off precompute | precompute time; then per image |
| class visualisation < 5 s | one class; all ten |
| TCAV < 10 s with its random runs | one concept and class (20 runs + 20 random runs), cold and warm |
| t-SNE of 1,797 images cached, < 10 s cold | cold (layer + t-SNE), then cached |
| anchors < 2 s per row on credit | ten rows |
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

torch.set_num_threads(1)

from talk2model import Assistant  # noqa: E402
from talk2model.workspace import load_workspace  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run(bot, query):
    answer = bot.run(query)
    if answer.error:
        raise SystemExit(f"{query}: {answer.error}")
    return answer


PARTS = ("adversarial", "influence", "visualize", "tcav", "tsne", "anchor")


def main() -> None:
    wanted = set(sys.argv[1:]) or set(PARTS)
    if wanted - set(PARTS):
        raise SystemExit(f"parts: {', '.join(PARTS)}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    digits = load_workspace("digits")
    bot = Assistant(digits)
    held = [i for i in digits.ids if i not in digits.train_ids][:10]
    if "adversarial" in wanted:
        adversarial(bot, held)
    if "influence" in wanted:
        influence(bot, digits, held)
    if "visualize" in wanted:
        visualize(bot)
    if "tcav" in wanted:
        tcav(bot)
    if "tsne" in wanted:
        tsne(bot)
    if "anchor" in wanted:
        anchors()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def adversarial(bot, held) -> None:
    cold, _ = timed(lambda: run(bot, f"filter id == {held[0]} then adversarial"))
    warm = [timed(lambda i=i: run(bot, f"filter id == {i} then adversarial"))[0] for i in held[1:]]
    print(f"adversarial, one image: cold {cold:.2f} s (imports Captum), then median {statistics.median(warm):.2f} s, "
          f"max {max(warm):.2f} s over {len(warm)} images")
    t, _ = timed(lambda: run(bot, "filter label == 3 then adversarial"))
    print(f"adversarial over the 183 threes (robust accuracy on 37 held-out + fragility sweep of 37): {t:.2f} s")


def influence(bot, digits, held) -> None:
    from talk2model.explainers.influence import influence_index

    t_index, found = timed(lambda: influence_index(digits))
    t_pre, _ = timed(found.index.precompute)
    per = [timed(lambda i=i: run(bot, f"filter id == {i} then influence"))[0] for i in held]
    t_self, _ = timed(lambda: run(bot, "influence mislabelled"))
    print(f"influence: precompute {t_index + t_pre:.2f} s (5 checkpoints x 1,437 training images), then per image "
          f"median {statistics.median(per):.3f} s, max {max(per):.3f} s; self-influence of all training images "
          f"(once) {t_self:.2f} s")


def visualize(bot) -> None:
    t1, _ = timed(lambda: run(bot, "visualize_class class 4"))
    t10, _ = timed(lambda: run(bot, "visualize_class"))
    print(f"visualize_class: one class {t1:.2f} s; all ten (one batch) {t10:.2f} s")


def tcav(bot) -> None:
    tc_cold, _ = timed(lambda: run(bot, "filter label == 1 then concepts thick_strokes class 1"))
    tc_warm, _ = timed(lambda: run(bot, "filter label == 8 then concepts loops class 8"))
    tc_all, _ = timed(lambda: run(bot, "concepts class 1"))
    print(f"TCAV, one concept and class (20 + 20 random runs): cold {tc_cold:.2f} s (activations of all images), "
          f"warm {tc_warm:.2f} s; four built-in concepts for one class {tc_all:.2f} s")


def tsne(bot) -> None:
    from talk2model.explainers.embedding import clear_cache

    clear_cache()
    t_cold, _ = timed(lambda: run(bot, "embedding tsne"))
    t_cached, _ = timed(lambda: run(bot, "embedding tsne"))
    t_pca, _ = timed(lambda: run(bot, "embedding pca"))
    print(f"t-SNE of 1,797 images: cold {t_cold:.2f} s, cached {t_cached:.3f} s; PCA cold {t_pca:.2f} s")


def anchors() -> None:
    credit = Assistant("credit")
    rows = list(range(10))
    times, found_count = [], 0
    for i in rows:
        t, answer = timed(lambda i=i: run(credit, f"filter id == {i} then anchor"))
        times.append(t)
        found_count += bool(answer.result["found"])
    print(f"anchors on credit, rows 0-9: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"({found_count} of {len(rows)} reached 95% precision)")


if __name__ == "__main__":
    main()
