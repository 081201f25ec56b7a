#!/usr/bin/python3
"""The reference side of neighbors.sh: pynndescent 0.5 (Debian's
python3-pynndescent) with the settings umap-learn 0.5 gives it, and
scikit-learn's exact neighbours to measure both searches' recall.

    neighbors_pynndescent.py SOURCE N OURS

SOURCE is a feature store (.safetensors, its "features") or the
Fashion-MNIST folder (its training images' pixels / 255); the first N
rows. OURS holds Vitrine's approximate neighbours, (N, 14) uint32, as
bench-neighbors wrote them. Prints one JSON line: pynndescent's seconds
(after a warm-up run that compiles its numba code), scikit-learn's exact
search's seconds, and the recall of pynndescent and of Vitrine.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
from pynndescent import NNDescent
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import safetensors_io  # noqa: E402

K = 15  # UMAP's n_neighbors, the point itself included


def load(source, n):
    if source.endswith(".safetensors"):
        tensors, _ = safetensors_io.read(source)
        return np.array(tensors["features"][:n], dtype=np.float32)  # a writable copy: numba needs one
    with gzip.open(os.path.join(source, "train-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    return data[:n].astype(np.float32) / 255


def pynndescent_neighbours(x):
    # umap-learn 0.5's nearest_neighbors() for a Euclidean metric.
    n_trees = min(64, 5 + int(round((x.shape[0]) ** 0.5 / 20.0)))
    n_iters = max(5, int(round(np.log2(x.shape[0]))))
    index = NNDescent(x, n_neighbors=K, metric="euclidean", n_trees=n_trees, n_iters=n_iters,
                      max_candidates=60, low_memory=True, n_jobs=-1, random_state=0, verbose=False)
    indices, _ = index.neighbor_graph
    return indices


def without_self(indices):
    out = np.empty((len(indices), K - 1), dtype=np.int64)
    for i, row in enumerate(indices):
        others = [j for j in row if j != i]
        out[i] = others[:K - 1]
    return out


def recall(found, exact):
    return float(np.mean([len(set(a) & set(b)) for a, b in zip(found, exact)]) / exact.shape[1])


def main():
    source, n, ours_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x = load(source, n)
    pynndescent_neighbours(x[:1000])  # numba compiles here, not in the timing
    start = time.perf_counter()
    theirs = without_self(pynndescent_neighbours(x))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    exact = NearestNeighbors(n_neighbors=K - 1, algorithm="brute").fit(x).kneighbors(return_distance=False)
    exact_seconds = time.perf_counter() - start
    ours = np.fromfile(ours_path, dtype=np.uint32).reshape(len(x), K - 1)
    print(json.dumps({"seconds": round(seconds, 3), "exact_seconds": round(exact_seconds, 3),
                      "recall": round(recall(theirs, exact), 5), "ours_recall": round(recall(ours, exact), 5)}))


main()
