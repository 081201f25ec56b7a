#!/usr/bin/python3
"""PCA, t-SNE and the layout-quality measures in scikit-learn 1.2, for
test-projection.c.

Input: the ResNet-20 features of real CIFAR-10 JPEGs that make_cil_fixture.py
wrote (tests/fixtures/cil/train.safetensors: 200 training images per class,
2,000 x 64, grouped by class). "small" is every 10th of them (200 x 64).

On "small":
  pca            PCA(n_components=2, svd_solver="full"): components, explained
                 variance and ratio, the transformed layout
  pca3           the same with n_components=3 (the Embedding area's 3-D view
                 and the project step's "dimensions": 3)
  p_exact        _joint_probabilities (all pairs, perplexity 30), condensed
  p_nn           _joint_probabilities_nn over NearestNeighbors(k = 91), as a
                 dense (n, n) matrix
  layout         a fixed 2-D layout: RandomState(0).standard_normal((n, 2))
  exact_*        _kl_divergence at that layout with p_exact: KL and gradient
  bh_*           _kl_divergence_bh at that layout with p_nn, angle 0.5
  trust_*        trustworthiness(k = 10) of that layout and of the PCA layout
  knn_pca        leave-one-out 10-NN accuracy in the PCA layout (each point
                 labelled by its 10 nearest others, ties to the smaller label)
  umap_a, umap_b the curve 1 / (1 + a d^2b) fitted by scipy's curve_fit to
                 UMAP's min_dist 0.1 / spread 1 target (umap-learn's find_ab_params)
  umap_graph     UMAP's fuzzy simplicial set over 15 neighbours (the point
                 itself first), written here in numpy from the paper and
                 umap-learn's smooth_knn_dist / compute_membership_strengths /
                 fuzzy union, as a dense (n, n) matrix
On all 2,000: TSNE() with sklearn's defaults (perplexity 30, init "pca",
learning_rate "auto", random_state 0): trustworthiness(k = 10) and the 10-NN
accuracy of its layout, and the seconds it took.

Writes tests/fixtures/projection/{small.safetensors,expected.json}.
Run: /usr/bin/python3 tests/reference/make_projection_fixture.py   (about 10 s)
"""
import json
import os
import time

import numpy as np
import torch
from scipy.optimize import curve_fit
from scipy.spatial.distance import pdist, squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import (_joint_probabilities, _joint_probabilities_nn,
                                     _kl_divergence, _kl_divergence_bh)
from sklearn.neighbors import NearestNeighbors

import safetensors_io

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def knn_accuracy(layout, labels, k=10):
    neighbours = NearestNeighbors(n_neighbors=k).fit(layout).kneighbors(return_distance=False)
    votes = np.zeros((len(layout), labels.max() + 1), dtype=int)
    for i, row in enumerate(neighbours):
        for j in row:
            votes[i, labels[j]] += 1
    return float(np.mean(votes.argmax(axis=1) == labels))


def umap_curve(spread=1.0, min_dist=0.1):
    def curve(x, a, b):
        return 1.0 / (1.0 + a * x ** (2 * b))
    xv = np.linspace(0, spread * 3, 300)
    yv = np.where(xv < min_dist, 1.0, np.exp(-(xv - min_dist) / spread))
    (a, b), _ = curve_fit(curve, xv, yv)
    return float(a), float(b)


def umap_graph(x, k=15):
    """The fuzzy simplicial set: memberships exp(-(d - rho) / sigma) with rho
    the nearest other point's distance and sigma such that their sum over the
    k - 1 others is log2(k); then A + A^T - A*A^T."""
    distances, indices = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)
    distances = distances.astype(np.float32).astype(np.float64)
    n = len(x)
    # Each point is its own first neighbour; sklearn's brute force leaves a
    # rounding residue (~1e-7) where umap-learn's search gives exactly 0.
    assert np.all(indices[:, 0] == np.arange(n))
    distances[:, 0] = 0.0
    mean_distance = distances.mean()
    a = np.zeros((n, n))
    for i in range(n):
        row = distances[i]
        rho = row[row > 0][0]
        lo, hi, mid = 0.0, np.inf, 1.0
        for _ in range(64):
            d = row[1:] - rho
            total = np.sum(np.where(d > 0, np.exp(-d / mid), 1.0))
            if abs(total - np.log2(k)) < 1e-5:
                break
            if total > np.log2(k):
                hi = mid
                mid = (lo + hi) / 2
            else:
                lo = mid
                mid = mid * 2 if hi == np.inf else (lo + hi) / 2
        sigma = max(mid, 1e-3 * (row.mean() if rho > 0 else mean_distance))
        for j, d in zip(indices[i], row):
            if j != i:
                a[i, j] = 1.0 if d - rho <= 0 else np.exp(-(d - rho) / sigma)
    return a + a.T - a * a.T


def main():
    tensors, _ = safetensors_io.read(os.path.join(ROOT, "cil", "train.safetensors"))
    x_all = np.ascontiguousarray(tensors["features"], dtype=np.float32)
    y_all = tensors["labels"].astype(np.int64)
    x = x_all[::10].copy()
    y = y_all[::10].copy()
    n = len(x)
    expected = {"small_stride": 10, "n_small": n, "perplexity": 30.0}

    pca = PCA(n_components=2, svd_solver="full").fit(x)
    pca_layout = pca.transform(x).astype(np.float32)
    expected["explained_variance"] = pca.explained_variance_.tolist()
    expected["explained_variance_ratio"] = pca.explained_variance_ratio_.tolist()
    pca3 = PCA(n_components=3, svd_solver="full").fit(x)
    pca3_layout = pca3.transform(x).astype(np.float32)
    expected["explained_variance_3"] = pca3.explained_variance_.tolist()
    expected["explained_variance_ratio_3"] = pca3.explained_variance_ratio_.tolist()

    p_exact = _joint_probabilities(squareform(pdist(x, "sqeuclidean")), 30.0, 0)

    k = min(n - 1, int(3.0 * 30.0 + 1))
    knn = NearestNeighbors(n_neighbors=k).fit(x)
    distances = knn.kneighbors_graph(mode="distance")
    distances.data **= 2
    p_nn = _joint_probabilities_nn(distances, 30.0, 0)

    layout = np.random.RandomState(0).standard_normal((n, 2))
    kl, gradient = _kl_divergence(layout.ravel(), p_exact, 1, n, 2)
    kl_bh, gradient_bh = _kl_divergence_bh(layout.ravel().astype(np.float32), p_nn, 1, n, 2, angle=0.5)
    expected["exact_kl"] = float(kl)
    expected["bh_kl"] = float(kl_bh)
    expected["trust_layout"] = float(trustworthiness(x, layout, n_neighbors=10))
    expected["trust_pca"] = float(trustworthiness(x, pca_layout, n_neighbors=10))
    expected["knn_pca"] = knn_accuracy(pca_layout, y)

    expected["umap_a"], expected["umap_b"] = umap_curve()
    graph = umap_graph(x)

    start = time.time()
    tsne = TSNE(n_components=2, init="pca", learning_rate="auto", random_state=0).fit_transform(x_all)
    expected["tsne_seconds"] = time.time() - start
    expected["n_tsne"] = len(x_all)
    expected["tsne_trustworthiness"] = float(trustworthiness(x_all, tsne, n_neighbors=10))
    expected["tsne_knn_accuracy"] = knn_accuracy(tsne, y_all)

    safetensors_io.write(os.path.join(ROOT, "projection", "small.safetensors"), {
        "features": torch.from_numpy(x),
        "labels": torch.from_numpy(y),
        "pca_components": torch.from_numpy(pca.components_.astype(np.float64)),
        "pca_layout": torch.from_numpy(pca_layout),
        "pca3_components": torch.from_numpy(pca3.components_.astype(np.float64)),
        "pca3_layout": torch.from_numpy(pca3_layout),
        "p_exact": torch.from_numpy(squareform(p_exact)),
        "p_nn": torch.from_numpy(p_nn.toarray().astype(np.float32)),
        "layout": torch.from_numpy(layout),
        "exact_gradient": torch.from_numpy(gradient.reshape(n, 2)),
        "bh_gradient": torch.from_numpy(gradient_bh.reshape(n, 2).astype(np.float64)),
        "umap_graph": torch.from_numpy(graph.astype(np.float32)),
    })
    with open(os.path.join(ROOT, "projection", "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(json.dumps(expected, indent=1))


if __name__ == "__main__":
    main()
