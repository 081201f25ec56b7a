#!/usr/bin/python3
"""The Python side of umap-js.sh.

    umap_js_quality.py rows STORE N OUT.f32    every (N_store / N)-th row of a
                                                feature store, as bench-projection
                                                takes them, as raw float32
    umap_js_quality.py trust ROWS.f32 DIM LAYOUT.f32
                                                trustworthiness (k = 10) of a 2-D
                                                layout, as sklearn computes it
"""
import os
import sys

import numpy as np
from sklearn.manifold import trustworthiness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import safetensors_io  # noqa: E402


def main():
    if sys.argv[1] == "rows":
        path, n, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        tensors, _ = safetensors_io.read(path)
        features = np.ascontiguousarray(tensors["features"], dtype=np.float32)
        n = min(n, len(features))
        rows = np.arange(n) * (len(features) // n)
        features[rows].tofile(out)
        print(features.shape[1])
    else:
        rows, dim, layout = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        x = np.fromfile(rows, dtype=np.float32).reshape(-1, dim)
        y = np.fromfile(layout, dtype=np.float32).reshape(-1, 2)
        print(f"{trustworthiness(x, y, n_neighbors=10):.4f}")


if __name__ == "__main__":
    main()
