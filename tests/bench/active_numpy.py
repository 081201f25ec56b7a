#!/usr/bin/python3
"""The numpy and PyTorch side of tests/bench/active.sh.

  active_numpy.py data DIR U K D L N   writes DIR/active.safetensors
  active_numpy.py run DIR REPEATS      times the same work, prints one JSON line

Same work as bench-active.c: entropy and margin scores over the pool and
the 100 best (np.lexsort, ties by index), coreset (k-center greedy) and
BADGE (k-means++ seeding on the gradient embeddings) picking 100 with the
distances as x2 + c2 - 2 X @ c (the form Vitrine uses; BADGE's from the
factored embedding (p - onehot) (x) x), and 100 full-batch epochs of the
linear head in PyTorch (SGD, momentum 0.9, weight decay 5e-4). The
strategies are those of tests/reference/make_active_fixtures.py, which
checks them pick for pick; here they run with numpy's own random stream.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402


def top(scores, n):
    return np.lexsort((np.arange(len(scores)), -scores))[:n]


def entropy(p, n):
    p = p.astype(np.float64)
    return top(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1), n)


def margin(p, n):
    s = np.sort(p.astype(np.float64), axis=1)
    return top(-(s[:, -1] - s[:, -2]), n)


def coreset(x, labeled, n):
    x2 = np.sum(x.astype(np.float64) ** 2, axis=1)
    nearest = np.full(len(x), np.inf)
    for c in labeled:
        nearest = np.minimum(nearest, np.maximum(0, x2 + np.dot(c, c) - 2.0 * (x @ c)))
    taken = np.zeros(len(x), bool)
    picks = []
    for _ in range(n):
        pick = int(np.argmax(np.where(taken, -np.inf, nearest)))
        picks.append(pick)
        taken[pick] = True
        c = x[pick]
        nearest = np.minimum(nearest, np.maximum(0, x2 + x2[pick] - 2.0 * (x @ c)))
    return picks


def badge(p, x, n, rng):
    a = p.astype(np.float64) - np.eye(p.shape[1])[np.argmax(p, axis=1)]
    a2 = np.sum(a * a, axis=1)
    x2 = np.sum(x.astype(np.float64) ** 2, axis=1)
    taken = np.zeros(len(x), bool)
    nearest = np.full(len(x), np.inf)
    picks = []
    for t in range(n):
        if t == 0:
            pick = int(np.argmax(a2 * x2))
        else:
            running = np.cumsum(np.where(taken, 0.0, nearest))
            pick = int(np.searchsorted(running, rng.uniform() * running[-1], side="right"))
        picks.append(pick)
        taken[pick] = True
        d = a2 * x2 + a2[pick] * x2[pick] - 2.0 * (a @ a[pick]) * (x @ x[pick])
        nearest = np.minimum(nearest, np.maximum(0, d))
    return picks


def train(x, y, k, epochs=100):
    w = torch.empty(k, x.shape[1]).uniform_(-1 / np.sqrt(x.shape[1]), 1 / np.sqrt(x.shape[1])).requires_grad_()
    b = torch.zeros(k, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=5e-4)
    for _ in range(epochs):
        loss = F.cross_entropy(x @ w.t() + b, y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def main():
    if sys.argv[1] == "data":
        out, u, k, d, l, n = sys.argv[2], *map(int, sys.argv[3:8])
        g = np.random.default_rng(0)
        probs = torch.softmax(torch.tensor(g.normal(size=(u, k)) * 2, dtype=torch.float32), dim=1)
        safetensors_io.write(os.path.join(out, "active.safetensors"), {
            "probs": probs,
            "features": torch.tensor(g.normal(size=(u, d)), dtype=torch.float32),
            "labeled": torch.tensor(g.normal(size=(l, d)), dtype=torch.float32),
            "train_x": torch.tensor(g.normal(size=(n, d)), dtype=torch.float32),
            "train_y": torch.tensor(g.integers(0, k, size=n), dtype=torch.int64)})
        return
    out, repeats = sys.argv[2], int(sys.argv[3])
    t, _ = safetensors_io.read(os.path.join(out, "active.safetensors"))
    p, x, labeled = t["probs"], t["features"], t["labeled"]
    times = {name: [] for name in ["entropy_ms", "margin_ms", "coreset_s", "badge_s", "train_s"]}
    first = [0, 0, 0, 0]
    for _ in range(repeats):
        for i, (name, fn) in enumerate([("entropy_ms", lambda: entropy(p, 100)), ("margin_ms", lambda: margin(p, 100)),
                                        ("coreset_s", lambda: coreset(x, labeled, 100)),
                                        ("badge_s", lambda: badge(p, x, 100, np.random.default_rng(0)))]):
            start = time.perf_counter()
            picks = fn()
            times[name].append((time.perf_counter() - start) * (1000 if name.endswith("_ms") else 1))
            first[i] = int(picks[0])
        tx, ty = torch.tensor(t["train_x"]), torch.tensor(t["train_y"])
        start = time.perf_counter()
        train(tx, ty, p.shape[1])
        times["train_s"].append(time.perf_counter() - start)
    result = {name: float(np.median(v)) for name, v in times.items()}
    result["first"] = first
    print(json.dumps(result))


if __name__ == "__main__":
    main()
