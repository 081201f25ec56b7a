#!/usr/bin/python3
"""The scikit-learn 1.2 side of projection.sh: PCA and t-SNE on every
(N_store / N)-th sample of a feature store, as bench-projection takes them.

    projection_sklearn.py STORE N QUALITY

Prints one JSON line: PCA and t-SNE seconds (sklearn's defaults:
PCA(n_components=2), TSNE(init="pca", learning_rate="auto", random_state=0),
Barnes-Hut), and with QUALITY=1 the layout's trustworthiness (k = 10) and
leave-one-out 10-NN accuracy; the kNN accuracy alone with QUALITY=0.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import safetensors_io  # noqa: E402


def knn_accuracy(layout, labels, k=10):
    neighbours = NearestNeighbors(n_neighbors=k).fit(layout).kneighbors(return_distance=False)
    votes = np.zeros((len(layout), labels.max() + 1), dtype=int)
    np.add.at(votes, (np.repeat(np.arange(len(layout)), k), labels[neighbours.ravel()]), 1)
    return float(np.mean(votes.argmax(axis=1) == labels))


def main():
    path, n, quality = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    tensors, _ = safetensors_io.read(path)
    features = np.ascontiguousarray(tensors["features"], dtype=np.float32)
    labels = tensors["labels"].astype(np.int64)
    n = min(n, len(features))
    rows = np.arange(n) * (len(features) // n)
    x, y = features[rows], labels[rows]

    start = time.time()
    PCA(n_components=2).fit_transform(x)
    pca_seconds = time.time() - start
    start = time.time()
    layout = TSNE(n_components=2, init="pca", learning_rate="auto", random_state=0).fit_transform(x)
    result = {"n": n, "pca_seconds": pca_seconds, "tsne_seconds": time.time() - start,
              "knn_accuracy": knn_accuracy(layout, y)}
    if quality:
        result["trustworthiness"] = float(trustworthiness(x, layout, n_neighbors=10))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
