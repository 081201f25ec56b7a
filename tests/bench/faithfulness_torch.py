#!/usr/bin/python3
"""The PyTorch side of tests/bench/faithfulness.sh.

  faithfulness_torch.py prepare N OUT.safetensors
      decodes the first N / 10 CIFAR-10 test JPEGs of each class (Pillow),
      normalizes them, runs ResNet-20 and writes the images, their labels
      and Grad-CAM maps at layer3 (mean gradient weights, ReLU, bilinear
      up-sampling, min-max; the maps both sides score) to OUT.
  faithfulness_torch.py run IN.safetensors N_IMAGES
      the metrics on the first N_IMAGES of IN, the straightforward way the
      anchors write them: RISE's CausalMetric.single_run per image (one
      forward pass per step, deletion to zeros and insertion from blur,
      32 steps); ROAD's NoisyLinearImputer per image and percentage (its
      vectorized system, scipy's spsolve) with the model on batches of 32
      as its run_road's DataLoader, MoRF and LeRF over 10 … 90 %, noise
      0.01 / std_c on normalized pixels, numpy's RandomState(0) drawn as
      Vitrine draws it. Prints seconds and the results as JSON.

Threads: torch.set_num_threads(THREADS from the environment, 1).
"""
import json
import os
import sys
import time

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter
from scipy.sparse import csc_matrix, lil_matrix
from scipy.sparse.linalg import spsolve

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402
from make_cifar_fixture import load, pixels, test_files  # noqa: E402

STEPS = 32
PERCENTAGES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
NOISE = 0.01 / np.array([0.229, 0.224, 0.225])
NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12),
              ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]


def prepare(n, out):
    model = load(20)
    root, _, files = test_files()
    per_class = n // 10
    chosen = [f for label in range(10) for f in [g for g in files if g[1] == label][:per_class]]
    x = torch.stack([pixels(os.path.join(root, path)) for path, _ in chosen])
    labels = torch.tensor([label for _, label in chosen], dtype=torch.int64)
    maps = []
    for i in range(0, len(x), 100):
        batch = x[i:i + 100].clone()
        taps = {}
        logits = model(batch, taps)
        act = taps["layer3.out"]
        act.retain_grad()
        target = logits.argmax(1)
        logits.gather(1, target[:, None]).sum().backward()
        cam = F.relu((act.grad.mean((2, 3), keepdim=True) * act).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=(32, 32), mode="bilinear", align_corners=False)[:, 0]
        cam = cam - cam.amin((1, 2), keepdim=True)
        maps.append((cam / (cam.amax((1, 2), keepdim=True) + 1e-7)).detach())
    safetensors_io.write(out, {"images": x.contiguous(), "maps": torch.cat(maps).contiguous(), "labels": labels})


def gkern(klen=11, nsig=5):
    inp = np.zeros((klen, klen))
    inp[klen // 2, klen // 2] = 1
    return gaussian_filter(inp, nsig)


def probabilities(model, x):
    with torch.no_grad():
        return torch.softmax(model(x).double(), dim=1)


def single_run(model, image, saliency, mode, kernel):
    """RISE's CausalMetric.single_run: one image, one forward per step."""
    hw = image.shape[1] * image.shape[2]
    step = hw // STEPS
    substrate = np.stack([scipy.signal.correlate2d(c, kernel, mode="same") for c in image.numpy()]) \
        if mode == "ins" else np.zeros_like(image.numpy())
    start = image.numpy().copy() if mode == "del" else substrate.astype(np.float32)
    finish = substrate.astype(np.float32) if mode == "del" else image.numpy().copy()
    target = int(probabilities(model, image[None]).argmax())
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    scores = np.empty(STEPS + 1)
    for i in range(STEPS + 1):
        scores[i] = probabilities(model, torch.from_numpy(start)[None])[0, target]
        if i < STEPS:
            coords = order[step * i:step * (i + 1)]
            start.reshape(3, hw)[:, coords] = finish.reshape(3, hw)[:, coords]
    return (scores.sum() - scores[0] / 2 - scores[-1] / 2) / STEPS


def impute(img, kept, rng):
    """NoisyLinearImputer.__call__, its system set up as the official
    vectorized setup_sparse_system does it."""
    h, w = kept.shape
    maskflt = kept.reshape(-1)
    imgflat = img.reshape(3, -1).astype(np.float64)
    indices = np.argwhere(maskflt == 0).flatten()
    coords_to_vidx = np.zeros(len(maskflt), dtype=int)
    coords_to_vidx[indices] = np.arange(len(indices))
    a = lil_matrix((len(indices), len(indices)))
    b = np.zeros((len(indices), 3))
    sum_neighbors = np.ones(len(indices))
    for (d0, d1), weight in NEIGHBOURS:
        c1 = indices % w + d1
        c0 = indices // w + d0
        inside = ~((c0 < 0) | (c1 < 0) | (c0 >= h) | (c1 >= w))
        new = (indices + d0 * w + d1)[inside]
        ids = np.argwhere(inside).flatten()
        known = maskflt[new] > 0.5
        b[ids[known], :] -= weight * imgflat[:, new[known]].T
        a[ids[~known], coords_to_vidx[new[~known]]] = weight
        sum_neighbors[np.argwhere(~inside).flatten()] -= weight
    a[np.arange(len(indices)), np.arange(len(indices))] = -sum_neighbors
    res = spsolve(csc_matrix(a), b).T
    res = res + NOISE[:, None] * rng.standard_normal((3, len(indices)))
    out = imgflat.copy()
    out[:, indices] = res
    return out.reshape(img.shape).astype(np.float32)


def road(model, images, maps, labels, order_name):
    rng = np.random.RandomState(0)
    hw = maps.shape[1] * maps.shape[2]
    accuracy = []
    for p in PERCENTAGES:
        imputed = []
        for b in range(len(images)):
            order = np.argsort(-maps[b].reshape(-1), kind="stable")
            count = int(hw * p / 100.0)
            kept = np.ones(hw, dtype=np.uint8)
            kept[order[:count] if order_name == "morf" else order[::-1][:count]] = 0
            imputed.append(impute(images[b], kept.reshape(maps[b].shape), rng))
        correct = 0
        for i in range(0, len(imputed), 32):
            with torch.no_grad():
                predicted = model(torch.from_numpy(np.stack(imputed[i:i + 32]))).argmax(1)
            correct += int((predicted == torch.from_numpy(labels[i:i + 32])).sum())
        accuracy.append(correct / len(images))
    return accuracy


def run(path, n):
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    model = load(20)
    tensors, _ = safetensors_io.read(path)
    images = torch.from_numpy(tensors["images"][:n].astype(np.float32))
    maps = tensors["maps"][:n].astype(np.float32)
    labels = tensors["labels"][:n].astype(np.int64)
    kernel = gkern()
    t0 = time.perf_counter()
    deletion = np.mean([single_run(model, images[b], maps[b], "del", kernel) for b in range(n)])
    insertion = np.mean([single_run(model, images[b], maps[b], "ins", kernel) for b in range(n)])
    t1 = time.perf_counter()
    morf = road(model, images.numpy(), maps, labels, "morf")
    lerf = road(model, images.numpy(), maps, labels, "lerf")
    t2 = time.perf_counter()
    print(json.dumps({"n": n, "deletion_insertion_s": t1 - t0, "road_s": t2 - t1, "deletion_auc": deletion,
                      "insertion_auc": insertion, "road_morf": morf, "road_lerf": lerf}))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]), sys.argv[3])
    else:
        run(sys.argv[2], int(sys.argv[3]))
