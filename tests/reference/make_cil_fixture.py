#!/usr/bin/python3
"""Class-incremental methods in plain numpy, for test-cil.c.

Features: the demo ResNet-20 (PyTorch) on real CIFAR-10 JPEGs, the first 200
training and the first 100 test images of every class, written as Vitrine
feature stores (safetensors: features F32, labels I64, indices I64; metadata
"format" and "class_names") so the C test reads the very same numbers.

Then, for each configuration below, every method in float64 numpy, written
from the papers and the authors' code rather than from Vitrine's:
  NMC        class means of L2-normalized features, nearest in Euclidean distance
  SimpleCIL  class-mean prototypes, largest cosine similarity
  GDA        class means and the pooled within-class covariance of all seen
             classes; KS shrinkage as in Wang et al.'s training-free CLIP code
             (d · pinv((N−1)·cov + tr(cov)·I)), or Avalanche's ridge
             (pinv((1−ε)·S + ε·I), S biased); linear discriminant scores
  RanPAC     W = standard_normal((d, M)) from np.random.seed(seed), h = relu(xW),
             G and Q summed over stages, λ from 10^-8..10^8 by the MSE of a fit
             on 80% of the stage (after np.random.permutation from the same
             stream) against the other 20%, W_out = solve(G + λI, Q)
with the class order np.random.seed(1993); np.random.permutation(10), and the
metrics: accuracy matrix, seen accuracy per stage, average incremental
accuracy, last accuracy, forgetting as PILOT prints it.

Also the class orders numpy gives for a few seeds and sizes.

Writes tests/fixtures/cil/{train,test}.safetensors and expected.json.
Run: /usr/bin/python3 tests/reference/make_cil_fixture.py   (about 20 s)
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_cifar_fixture import load as load_cifar_resnet, pixels  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CIFAR = os.path.join(ROOT, "..", "shared", "assets", "datasets", "cifar10-jpg")
OUT = os.path.join(ROOT, "tests", "fixtures", "cil")
CONFIGS = [
    {"split": "B0-Inc2", "gda": "ks", "ranpac_dim": 1000, "ranpac_seed": 0},
    {"split": "B4-Inc3", "gda": "ridge", "ranpac_dim": 500, "ranpac_seed": 7},
]


def extract(model, split, per_class):
    root = os.path.join(CIFAR, split)
    classes = sorted(os.listdir(root))
    files, labels = [], []
    for label, c in enumerate(classes):
        for name in sorted(os.listdir(os.path.join(root, c)))[:per_class]:
            files.append(os.path.join(root, c, name))
            labels.append(label)
    feats = []
    with torch.inference_mode():
        for start in range(0, len(files), 500):
            taps = {}
            model(torch.stack([pixels(f) for f in files[start:start + 500]]), taps)
            feats.append(taps["pre_logits"])
    features = torch.cat(feats)
    # Interleave the classes, as a shuffled store would hold them, so the
    # methods cannot lean on class-sorted input.
    order = np.random.RandomState(5).permutation(len(files))
    return classes, features[order], torch.tensor(labels)[order], torch.tensor(order, dtype=torch.int64)


def write_store(path, classes, features, labels, indices):
    safetensors_io.write(path, {"features": features, "labels": labels.to(torch.int64), "indices": indices},
                         {"format": "vitrine feature store 1", "class_names": json.dumps(classes),
                          "skipped_samples": "0", "skipped_first": "[]"})


def parse_split(text, n_classes):
    base, step = text[1:].split("-Inc")
    base, step = int(base), int(step)
    first = base or step
    return list(range(first, n_classes + 1, step))


class NMC:
    def __init__(self, config, dim, n_classes):
        self.means = {}

    def learn(self, x, y):
        xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        for c in np.unique(y):
            self.means[c] = xn[y == c].mean(axis=0)

    def predict(self, x):
        xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        means = np.stack([self.means[c] for c in range(len(self.means))])
        distances = ((xn[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
        return distances.argmin(axis=1)


class SimpleCIL:
    def __init__(self, config, dim, n_classes):
        self.prototypes = {}

    def learn(self, x, y):
        for c in np.unique(y):
            self.prototypes[c] = x[y == c].mean(axis=0)

    def predict(self, x):
        p = np.stack([self.prototypes[c] for c in range(len(self.prototypes))])
        p = p / np.linalg.norm(p, axis=1, keepdims=True)
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        return (xn @ p.T).argmax(axis=1)


class GDA:
    def __init__(self, config, dim, n_classes):
        self.kind = config["gda"]
        self.x, self.y = [], []

    def learn(self, x, y):
        # The statistics of every class seen so far (each class comes once).
        self.x.append(x)
        self.y.append(y)
        xs, ys = np.concatenate(self.x), np.concatenate(self.y)
        k, d = ys.max() + 1, xs.shape[1]
        self.mu = np.stack([xs[ys == c].mean(axis=0) for c in range(k)])
        center = xs - self.mu[ys]
        if self.kind == "ks":
            cov = np.cov(center.T)
            self.precision = d * np.linalg.pinv((len(xs) - 1) * cov + np.trace(cov) * np.eye(d))
        else:
            s = center.T @ center / len(xs)
            self.precision = np.linalg.pinv((1 - 1e-4) * s + 1e-4 * np.eye(d))

    def predict(self, x):
        w = self.precision @ self.mu.T
        b = -0.5 * np.einsum("cd,dc->c", self.mu, w)
        return (x @ w + b).argmax(axis=1)


class RanPAC:
    def __init__(self, config, dim, n_classes):
        self.rng = np.random.RandomState(config["ranpac_seed"])
        m = config["ranpac_dim"]
        self.w_rand = self.rng.standard_normal((dim, m))
        self.G = np.zeros((m, m))
        self.Q = np.zeros((m, n_classes))
        self.lambdas = []

    def learn(self, x, y):
        k = y.max() + 1
        h = np.maximum(x @ self.w_rand, 0)
        onehot = np.eye(self.Q.shape[1])[y]
        self.G += h.T @ h
        self.Q += h.T @ onehot
        perm = self.rng.permutation(len(x))
        hs, ys = h[perm], onehot[perm][:, :k]
        n_fit = int(len(x) * 0.8)
        g_fit = hs[:n_fit].T @ hs[:n_fit]
        q_fit = hs[:n_fit].T @ ys[:n_fit]
        losses = []
        ridges = 10.0 ** np.arange(-8, 9)
        for ridge in ridges:
            wo = np.linalg.solve(g_fit + ridge * np.eye(len(g_fit)), q_fit)
            losses.append(((hs[n_fit:] @ wo - ys[n_fit:]) ** 2).mean())
        ridge = ridges[int(np.argmin(losses))]
        self.lambdas.append(float(ridge))
        self.w_out = np.linalg.solve(self.G + ridge * np.eye(len(self.G)), self.Q[:, :k])

    def predict(self, x):
        return (np.maximum(x @ self.w_rand, 0) @ self.w_out).argmax(axis=1)


METHODS = {"nmc": NMC, "simplecil": SimpleCIL, "gda": GDA, "ranpac": RanPAC}


def run(config, train, test, n_classes):
    np.random.seed(1993)
    order = np.random.permutation(n_classes)
    rank = np.empty(n_classes, dtype=int)
    rank[order] = np.arange(n_classes)
    ends = parse_split(config["split"], n_classes)
    xtr, ytr = train[0].numpy().astype(np.float64), rank[train[1].numpy()]
    xte, yte = test[0].numpy().astype(np.float64), rank[test[1].numpy()]
    results = {}
    for name, cls in METHODS.items():
        method = cls(config, xtr.shape[1], n_classes)
        s = len(ends)
        acc = np.full((s, s), np.nan)
        seen = []
        for t, end in enumerate(ends):
            first = ends[t - 1] if t else 0
            stage = (ytr >= first) & (ytr < end)
            method.learn(xtr[stage], ytr[stage])
            mask = yte < end
            pred = method.predict(xte[mask])
            truth = yte[mask]
            seen.append(float((pred == truth).mean()))
            for j in range(t + 1):
                lo = ends[j - 1] if j else 0
                task = (truth >= lo) & (truth < ends[j])
                acc[t, j] = (pred[task] == truth[task]).mean()
        # PILOT: rows are tasks after transposing, max over stages minus final.
        table = np.nan_to_num(acc).T
        forgetting = float(np.mean((np.max(table, axis=1) - table[:, s - 1])[:s - 1])) if s > 1 else None
        final = method.predict(xte)
        results[name] = {
            "accuracy": [[None if np.isnan(v) else float(v) for v in row] for row in acc],
            "seen_accuracy": seen,
            "average_incremental": float(np.mean(seen)),
            "last": seen[-1],
            "forgetting": forgetting,
            "final_predictions": final.tolist(),
        }
        if name == "ranpac":
            results[name]["lambdas"] = method.lambdas
    return {"config": config, "order": order.tolist(), "test_labels_ordered": yte.tolist(), "methods": results}


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    model = load_cifar_resnet(20)
    classes, ftr, ltr, itr = extract(model, "train", 200)
    _, fte, lte, ite = extract(model, "test", 100)
    write_store(os.path.join(OUT, "train.safetensors"), classes, ftr, ltr, itr)
    write_store(os.path.join(OUT, "test.safetensors"), classes, fte, lte, ite)
    orders = []
    for seed, n in ((1993, 10), (1993, 100), (0, 7), (42, 200)):
        np.random.seed(seed)
        orders.append({"seed": seed, "n": n, "order": np.random.permutation(n).tolist()})
    runs = [run(config, (ftr, ltr), (fte, lte), len(classes)) for config in CONFIGS]
    for r in runs:
        print(r["config"]["split"], {k: round(v["last"], 4) for k, v in r["methods"].items()})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"orders": orders, "runs": runs}, f)


if __name__ == "__main__":
    main()
