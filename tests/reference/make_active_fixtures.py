#!/usr/bin/python3
"""Active learning in plain numpy and PyTorch, for test-active.c and test-batch.c.

Written from the papers and kaist-dmlab/pcb rather than from Vitrine's code,
on the same inputs and the same random stream (SplitMix64, as
engine/methods/active/vt-active-rng.h states it):
  random             n draws without replacement: for i < n, swap perm[i]
                     with perm[i + below(U - i)]
  least_confidence   largest 1 - max p          } ties broken by the lower
  margin             smallest p(1) - p(2)       } index (np.lexsort)
  entropy            largest -sum p log p       }
  coreset            k-center greedy on squared Euclidean distances (float64)
  badge              k-means++ seeding on the explicit gradient embeddings
                     (p - onehot(argmax p)) (x) x: first the largest norm, then
                     the first index whose running sum of D^2 exceeds
                     uniform() * sum D^2
  pcb                trainers/active_learning/pcb.py's select(), line for
                     line, with our stream's shuffle and randint for Python's
                     random module's; and the next-class variant
The heads (linear, cosine with a scale) are trained in PyTorch with
torch.optim.SGD (momentum, weight decay) on F.cross_entropy from the same
initial weights and mini-batch order.

Writes tests/fixtures/active/{strategies,learner,pool,test}.safetensors and
expected.json.
Run: /usr/bin/python3 tests/reference/make_active_fixtures.py   (a few seconds)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "active")
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    # What pcb.py asks of Python's random module.
    def randint(self, a, b):
        return a + self.below(b - a + 1)

    def shuffle(self, x):
        for i in reversed(range(1, len(x))):
            j = self.below(i + 1)
            x[i], x[j] = x[j], x[i]


# ---- strategies -------------------------------------------------------------

def top(scores, n):
    order = np.lexsort((np.arange(len(scores)), -scores))
    return [int(i) for i in order[:n]]


def select(name, probs, features, labeled, n, rng):
    p = probs.astype(np.float64)
    u = len(p)
    if name == "random":
        perm = list(range(u))
        for i in range(n):
            j = i + rng.below(u - i)
            perm[i], perm[j] = perm[j], perm[i]
        return perm[:n]
    if name == "least_confidence":
        return top(1.0 - p.max(axis=1), n)
    if name == "margin":
        s = np.sort(p, axis=1)[:, ::-1]
        return top(-(s[:, 0] - s[:, 1]), n)
    if name == "entropy":
        e = np.zeros(u)
        for c in range(p.shape[1]):
            col = p[:, c]
            e -= np.where(col > 0, col * np.log(np.where(col > 0, col, 1.0)), 0.0)
        return top(e, n)
    x = features.astype(np.float64)
    if name == "coreset":
        nearest = np.full(u, np.inf)
        for row in labeled.astype(np.float64):
            nearest = np.minimum(nearest, np.sum((x - row) ** 2, axis=1))
        taken = np.zeros(u, bool)
        picks = []
        for t in range(n):
            if t == 0 and len(labeled) == 0:
                pick = rng.below(u)
            else:
                pick = int(np.argmax(np.where(taken, -np.inf, nearest)))
            picks.append(pick)
            taken[pick] = True
            nearest = np.minimum(nearest, np.sum((x - x[pick]) ** 2, axis=1))
        return picks
    if name == "badge":
        a = p - np.eye(p.shape[1])[np.argmax(probs, axis=1)]
        g = (a[:, :, None] * x[:, None, :]).reshape(u, -1)
        taken = np.zeros(u, bool)
        nearest = np.full(u, np.inf)
        picks = []
        for t in range(n):
            if t == 0:
                pick = int(np.argmax(np.sum(g * g, axis=1)))
            else:
                d2 = np.where(taken, 0.0, nearest)
                running = np.cumsum(d2)
                pick = None
                if running[-1] > 0:
                    threshold = rng.uniform() * running[-1]
                    above = np.nonzero(running > threshold)[0]
                    if len(above):
                        pick = int(above[0])
                if pick is None:
                    pick = int(np.nonzero(~taken)[0][0])
            picks.append(pick)
            taken[pick] = True
            nearest = np.minimum(nearest, np.sum((g - g[pick]) ** 2, axis=1))
        return picks
    raise ValueError(name)


# ---- PCB ----------------------------------------------------------------------

def pcb_official(U_index, pred, statistics, n_query, random):
    """pcb.py's select() after its forward pass; self.pred is pred[U_index]."""
    statistics = torch.tensor(statistics, dtype=torch.float32)
    pred = torch.tensor([pred[i] for i in U_index])
    num_unlabeled = len(U_index)
    Q_index = []
    while len(Q_index) < n_query:
        min_cls = int(torch.argmin(statistics))
        sub_pred = (pred == min_cls).nonzero().squeeze(dim=1).tolist()
        if len(sub_pred) == 0:
            num = random.randint(0, num_unlabeled - 1)
            while num in Q_index:
                num = random.randint(0, num_unlabeled - 1)
            Q_index.append(num)
        else:
            random.shuffle(sub_pred)
            for idx in sub_pred:
                if idx not in Q_index:
                    Q_index.append(idx)
                    statistics[min_cls] += 1
                    break
            else:
                num = random.randint(0, num_unlabeled - 1)
                while num in Q_index:
                    num = random.randint(0, num_unlabeled - 1)
                Q_index.append(num)
    return [U_index[idx] for idx in Q_index]


def pcb_next_class(U_index, pred, statistics, n_query, random):
    """The next-class option: an exhausted class closes for this call and the
    class with the next fewest labels is asked; random only when none is left."""
    statistics = list(statistics)
    closed = set()
    Q_index = []

    def fewest():
        open_ = [c for c in range(len(statistics)) if c not in closed]
        return min(open_, key=lambda c: (statistics[c], c)) if open_ else None

    def take(cls):
        sub = [j for j in range(len(U_index)) if pred[U_index[j]] == cls]
        if not sub:
            return None
        random.shuffle(sub)
        for j in sub:
            if j not in Q_index:
                return j
        return None

    n_query = min(n_query, len(U_index))
    while len(Q_index) < n_query:
        cls = fewest()
        j = take(cls)
        while j is None:
            closed.add(cls)
            cls = fewest()
            if cls is None:
                break
            j = take(cls)
        if j is None:
            j = random.randint(0, len(U_index) - 1)
            while j in Q_index:
                j = random.randint(0, len(U_index) - 1)
        else:
            statistics[cls] += 1
        Q_index.append(j)
    return [U_index[idx] for idx in Q_index]


# ---- learners -------------------------------------------------------------

def train(kind, features, rows, labels, k, epochs, batch, lr, momentum, wd, scale, seed):
    d = features.shape[1]
    rng = SplitMix64(seed)
    bound = 1.0 / np.sqrt(d)
    w0 = np.array([(2.0 * rng.uniform() - 1.0) * bound for _ in range(k * d)]).astype(np.float32).reshape(k, d)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.zeros(k, requires_grad=True)
    params = [w, b] if kind == "linear" else [w]
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    x_all = torch.tensor(features)
    y_all = torch.tensor(labels, dtype=torch.int64)
    n = len(rows)
    bsz = n if batch == 0 or batch > n else batch
    order = list(range(n))
    order_rng = SplitMix64(seed + 1)
    for _ in range(epochs):
        if bsz < n:
            order_rng.shuffle(order)
        for start in range(0, n, bsz):
            part = order[start:start + bsz]
            x = x_all[[rows[i] for i in part]]
            y = y_all[part]
            if kind == "linear":
                logits = x @ w.t() + b
            else:
                logits = scale * F.normalize(x, dim=-1) @ F.normalize(w, dim=-1).t()
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return w.detach(), b.detach()


def write_store(path, classes, features, labels, indices):
    safetensors_io.write(path, {"features": torch.tensor(features), "labels": torch.tensor(labels, dtype=torch.int64),
                                "indices": torch.tensor(indices, dtype=torch.int64)},
                         {"format": "vitrine feature store 1", "class_names": json.dumps(classes),
                          "skipped_samples": "0", "skipped_first": "[]"})


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = np.random.default_rng(21)
    expected = {}
    # The stream itself, as decimal strings (beyond JSON's exact integers).
    expected["rng"] = [{"seed": seed, "next": [str(r.next()) for r in [SplitMix64(seed)] for _ in range(5)]}
                       for seed in [0, 123, MASK]]

    # Strategies: 200 samples, 5 classes, 8 features; rows 190..199 copy
    # rows 0..9 so that every score has exact ties.
    u, k, d = 200, 5, 8
    logits = gen.normal(size=(u, k)) * 2.0
    logits[:, 4] -= 6.0            # class 4 is (almost) never predicted
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32), dim=1).numpy()
    features = gen.normal(size=(u, d)).astype(np.float32)
    probs[190:] = probs[:10]
    features[190:] = features[:10]
    labeled = gen.normal(size=(6, d)).astype(np.float32)
    cases = []
    for name in ["random", "least_confidence", "margin", "entropy", "coreset", "badge"]:
        for seed, n, with_labeled in [(0, 20, True), (7, 37, True), (3, 15, False)]:
            lab = labeled if with_labeled else labeled[:0]
            cases.append({"strategy": name, "seed": seed, "n": n, "labeled": with_labeled,
                          "picks": select(name, probs, features, lab, n, SplitMix64(seed))})
    expected["strategies"] = cases
    safetensors_io.write(os.path.join(OUT, "strategies.safetensors"),
                         {"probs": torch.tensor(probs), "features": torch.tensor(features),
                          "labeled": torch.tensor(labeled)})

    # PCB: candidates from entropy (40 of 200), predictions by argmax.
    pred = [int(c) for c in np.argmax(probs, axis=1)]
    pcb = []
    for seed, counts, n in [(1, [3, 0, 2, 5, 1], 12), (2, [0, 0, 0, 0, 0], 30), (5, [4, 4, 1, 9, 0], 40)]:
        cand = select("entropy", probs, features, labeled, 40, SplitMix64(0))
        pcb.append({"seed": seed, "counts": counts, "n": n, "candidates": cand, "fallback": "random",
                    "picks": pcb_official(cand, pred, counts, n, SplitMix64(seed))})
        pcb.append({"seed": seed, "counts": counts, "n": n, "candidates": cand, "fallback": "next_class",
                    "picks": pcb_next_class(cand, pred, counts, n, SplitMix64(seed))})
    expected["pcb"] = pcb
    expected["predicted"] = pred

    # Learners: 60 samples, 8 features, 4 classes; trained on 40 rows.
    n, d, k = 60, 8, 4
    labels = gen.integers(0, k, size=n)
    centers = gen.normal(size=(k, d)) * 1.5
    feats = (centers[labels] + gen.normal(size=(n, d))).astype(np.float32)
    rows = [i for i in range(n) if i % 3 != 0]
    runs = []
    for kind, epochs, batch, seed in [("linear", 30, 0, 4), ("linear", 10, 16, 5), ("cosine", 30, 0, 6),
                                      ("cosine", 10, 16, 7)]:
        w, b = train(kind, feats, rows, labels[rows], k, epochs, batch, 0.1, 0.9, 5e-4, 10.0, seed)
        runs.append({"kind": kind, "epochs": epochs, "batch": batch, "seed": seed, "lr": 0.1, "momentum": 0.9,
                     "weight_decay": 5e-4, "scale": 10.0, "weight": w.flatten().tolist(), "bias": b.tolist()})
    expected["learner"] = {"rows": rows, "runs": runs}
    safetensors_io.write(os.path.join(OUT, "learner.safetensors"),
                         {"features": torch.tensor(feats), "labels": torch.tensor(labels, dtype=torch.int64)})

    # Stores for the batch step: 300 pool and 100 test samples, 16
    # features, 4 classes of which one is rare in the pool.
    classes = ["ant", "bee", "cicada", "dragonfly"]
    centers = gen.normal(size=(4, 16)) * 1.2
    pool_labels = np.concatenate([np.repeat([0, 1, 2], 90), np.repeat([3], 30)])
    test_labels = np.repeat([0, 1, 2, 3], 25)
    pool = (centers[pool_labels] + gen.normal(size=(300, 16))).astype(np.float32)
    test = (centers[test_labels] + gen.normal(size=(100, 16))).astype(np.float32)
    write_store(os.path.join(OUT, "pool.safetensors"), classes, pool, pool_labels, np.arange(300) + 1000)
    write_store(os.path.join(OUT, "test.safetensors"), classes, test, test_labels, np.arange(100))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
