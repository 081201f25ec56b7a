#!/usr/bin/python3
"""The numpy side of tests/bench/cil.sh, and its data.

  cil_numpy.py data DIR N_TRAIN N_TEST DIM CLASSES
        random Gaussian features (np.random.seed(0)), labels i mod CLASSES,
        as Vitrine feature stores DIR/train.safetensors and DIR/test.safetensors
  cil_numpy.py run DIR METHOD SPLIT RANPAC_DIM
        the whole protocol for one method, timed, as JSON: seconds, peak RSS

The methods are written as a numpy user would write them for speed (matrix
products, statistics accumulated stage by stage), float64, the same
algorithms as tests/reference/make_cil_fixture.py.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402


def write(path, features, labels, classes):
    safetensors_io.write(path, {"features": torch.from_numpy(features), "labels": torch.from_numpy(labels),
                                "indices": torch.arange(len(labels), dtype=torch.int64)},
                         {"format": "vitrine feature store 1", "class_names": json.dumps(classes),
                          "skipped_samples": "0", "skipped_first": "[]"})


def data(out, n_train, n_test, dim, k):
    rng = np.random.RandomState(0)
    classes = [f"c{c}" for c in range(k)]
    # Class centres close enough, against unit noise, that accuracy is far from perfect.
    centers = 0.1 * rng.standard_normal((k, dim)).astype(np.float32)
    for name, n in (("train", n_train), ("test", n_test)):
        labels = np.arange(n, dtype=np.int64) % k
        feats = (centers[labels] + rng.standard_normal((n, dim)).astype(np.float32)).astype(np.float32)
        write(os.path.join(out, name + ".safetensors"), feats, labels, classes)


def load(path):
    t, _ = safetensors_io.read(path)
    return t["features"].astype(np.float64), t["labels"]


def run(folder, method, split, ranpac_dim):
    xtr, ltr = load(os.path.join(folder, "train.safetensors"))
    xte, lte = load(os.path.join(folder, "test.safetensors"))
    start = time.perf_counter()
    k = int(ltr.max()) + 1
    np.random.seed(1993)
    order = np.random.permutation(k)
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    ytr, yte = rank[ltr], rank[lte]
    base, step = (int(v) for v in split[1:].split("-Inc"))
    ends = list(range(base or step, k + 1, step))
    d = xtr.shape[1]
    sums, counts = np.zeros((k, d)), np.zeros(k)
    scatter, n_total = np.zeros((d, d)), 0
    if method == "ranpac":
        rs = np.random.RandomState(0)
        w_rand = rs.standard_normal((d, ranpac_dim))
        G, Q = np.zeros((ranpac_dim, ranpac_dim)), np.zeros((ranpac_dim, k))
    seen = []
    for t, end in enumerate(ends):
        first = ends[t - 1] if t else 0
        stage = (ytr >= first) & (ytr < end)
        x, y = xtr[stage], ytr[stage]
        mask = yte < end
        xt = xte[mask]
        if method in ("nmc", "simplecil", "gda"):
            src = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12) if method == "nmc" else x
            np.add.at(sums, y, src)
            counts += np.bincount(y, minlength=k)
            mu = sums[:end] / counts[:end, None]
        if method == "nmc":
            u = xt / np.maximum(np.linalg.norm(xt, axis=1, keepdims=True), 1e-12)
            pred = (2 * u @ mu.T - (mu ** 2).sum(1)).argmax(1)
        elif method == "simplecil":
            p = mu / np.linalg.norm(mu, axis=1, keepdims=True)
            pred = (xt @ p.T).argmax(1)
        elif method == "gda":
            c = x - mu[y]
            scatter += c.T @ c
            n_total += len(x)
            a = scatter + np.trace(scatter) / (n_total - 1) * np.eye(d)
            w = d * np.linalg.solve(a, mu.T)
            b = -0.5 * np.einsum("cd,dc->c", mu, w)
            pred = (xt @ w + b).argmax(1)
        else:
            h = np.maximum(x @ w_rand, 0)
            G += h.T @ h
            Q += h.T @ np.eye(k)[y]
            perm = rs.permutation(len(x))
            hs, ys = h[perm], np.eye(k)[y][perm][:, :end]
            n_fit = int(len(x) * 0.8)
            g_fit, q_fit = hs[:n_fit].T @ hs[:n_fit], hs[:n_fit].T @ ys[:n_fit]
            ridges = 10.0 ** np.arange(-8, 9)
            losses = [((hs[n_fit:] @ np.linalg.solve(g_fit + r * np.eye(ranpac_dim), q_fit) - ys[n_fit:]) ** 2).mean()
                      for r in ridges]
            wo = np.linalg.solve(G + ridges[int(np.argmin(losses))] * np.eye(ranpac_dim), Q[:, :end])
            pred = (np.maximum(xt @ w_rand, 0) @ wo).argmax(1)
        seen.append(float((pred == yte[mask]).mean()))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "last": seen[-1],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    if sys.argv[1] == "data":
        data(sys.argv[2], *(int(v) for v in sys.argv[3:7]))
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
