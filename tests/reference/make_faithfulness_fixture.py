#!/usr/bin/python3
"""Faithfulness and localization metrics written out plainly in numpy,
scipy and scikit-learn, for tests/engine/test-faithfulness.c
(engine/methods/attribution/vt-faithfulness*.c, vt-road-imputation.c).

Each metric is the straightforward per-image loop of the code it comes
from, on small random images and maps and a tiny fixed linear classifier
(logits = W x + b, written to the fixture so that the C test runs the same
classifier through its callback; logits are rounded to float32, as the
callback hands them back):

  deletion, insertion  RISE's CausalMetric.single_run (eclique/RISE
            evaluation.py): pixels by np.argsort(-map, kind="stable"),
            steps chunks [i HW // steps, (i+1) HW // steps), all three
            channels replaced; the softmax probability of the class
            predicted on the image; auc = (sum - y0/2 - yN/2) / N. The blur
            substrate is RISE's gkern(11, 5) (scipy's gaussian_filter of a
            delta) by a zero-padded 2-D correlation
            (scipy.signal.correlate2d), rounded to float32.
  ROAD      the official NoisyLinearImputer's system (tleemann/
            road_evaluation road/imputations.py: neighbours 1/6 direct,
            1/12 diagonal, diagonal -sum of the in-image weights) solved by
            scipy.sparse.linalg.spsolve; noise noise_c *
            RandomState(seed).standard_normal((3, n_removed)) per image and
            percentage, in that order; floor(HW p / 100) pixels removed, the
            most relevant (MoRF) or least relevant (LeRF) by the stable
            order. Accuracy against the labels, and pytorch-grad-cam's
            confidence change (after - before) of the predicted class.
  pixel AP  sklearn.metrics.average_precision_score per image with a
            non-empty mask, and their mean.
  COMET AP  Zood123/COMET's MaskEvaluator (accumulate + compute) with its
            confidence_list [i / 40 for i in 1..39], as a fraction.
  pointing  TorchRay's PointingGame.evaluate at np.argmax of the map.
  IoU curve top int(HW k / 100) pixels (stable order) against the mask,
            k = 5 .. 95.
  mask mass Score-CAM's energy-based pointing game: the share of the
            map's positive part on the mask, per image.

tests/fixtures/attribution/faithfulness-metrics.safetensors holds the
inputs (images, maps, masks, labels, targets, classifier.weight,
classifier.bias, image32, map32) and every expected result, with the
options in the metadata.

Run: /usr/bin/python3 tests/reference/make_faithfulness_fixture.py
"""
import json
import os
import sys

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import scipy.signal
import torch
from scipy.ndimage import gaussian_filter, gaussian_filter1d
from sklearn.metrics import average_precision_score

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "attribution", "faithfulness-metrics.safetensors")

N, H, W, K = 6, 8, 8, 4
HW = H * W
STEPS = 32
ODD_STEPS = 7
PERCENTAGES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
NOISE = [0.05, 0.04, 0.03]
SEED = 7
TOLERANCE = 3


# --- the classifier ----------------------------------------------------------

def make_classifier(rng):
    weight = (rng.standard_normal((K, 3 * HW)) * 0.2).astype(np.float32)
    bias = (rng.standard_normal(K) * 0.1).astype(np.float32)
    return weight, bias


def logits(classifier, x):
    weight, bias = classifier
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    return (flat @ weight.astype(np.float64).T + bias.astype(np.float64)).astype(np.float32)


def probabilities(classifier, x):
    z = logits(classifier, x).astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# --- RISE ---------------------------------------------------------------------

def gkern(klen, nsig):
    """RISE's kernel: a Gaussian-smoothed delta (one channel of it)."""
    inp = np.zeros((klen, klen))
    inp[klen // 2, klen // 2] = 1
    return gaussian_filter(inp, nsig)


def blur(image):
    k = gkern(11, 5)
    return np.stack([scipy.signal.correlate2d(image[c].astype(np.float64), k, mode="same", boundary="fill")
                     for c in range(3)]).astype(np.float32)


def rise_auc(arr):
    return (arr.sum() - arr[0] / 2 - arr[-1] / 2) / (arr.shape[0] - 1)


def causal_metric(classifier, image, saliency, mode, substrate, steps, target):
    substrate_image = blur(image) if substrate == "blur" else np.zeros_like(image)
    if mode == "del":
        start, finish = image.copy(), substrate_image
    else:
        start, finish = substrate_image, image.copy()
    start = start.reshape(3, HW)
    finish = finish.reshape(3, HW)
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    scores = np.empty(steps + 1)
    for i in range(steps + 1):
        scores[i] = probabilities(classifier, start.reshape(1, 3, H, W))[0, target]
        if i < steps:
            coords = order[i * HW // steps:(i + 1) * HW // steps]
            start[:, coords] = finish[:, coords]
    return scores


# --- ROAD ---------------------------------------------------------------------

NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12),
              ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]


def impute_system(image, kept):
    """The official system: for removed pixel i, A[i, i] = -(sum of its
    in-image weights), A[i, j] = w for removed neighbours j, b[i] = -sum
    of w v over kept neighbours; solved by spsolve."""
    h, w = kept.shape
    removed = np.flatnonzero(kept.reshape(-1) == 0)
    index = {p: i for i, p in enumerate(removed)}
    a = scipy.sparse.lil_matrix((len(removed), len(removed)))
    b = np.zeros((len(removed), 3))
    flat = image.reshape(3, -1).astype(np.float64)
    for i, p in enumerate(removed):
        y, x = divmod(int(p), w)
        total = 0.0
        for (dy, dx), weight in NEIGHBOURS:
            ny, nx = y + dy, x + dx
            if ny < 0 or nx < 0 or ny >= h or nx >= w:
                continue
            total += weight
            q = ny * w + nx
            if kept[ny, nx]:
                b[i] -= weight * flat[:, q]
            else:
                a[i, index[q]] = weight
        a[i, i] = -total
    return removed, scipy.sparse.linalg.spsolve(scipy.sparse.csc_matrix(a), b).reshape(len(removed), 3)


def impute(image, kept, noise, rng):
    removed, solution = impute_system(image, kept)
    values = solution.T
    if rng is not None:
        values = values + np.array(noise)[:, None] * rng.standard_normal((3, len(removed)))
    out = image.reshape(3, -1).copy()
    out[:, removed] = values.astype(np.float32)
    return out.reshape(image.shape)


def removal_mask(saliency, order_name, percentage):
    count = int(saliency.size * percentage / 100.0)
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    gone = order[:count] if order_name == "morf" else order[::-1][:count]
    kept = np.ones(saliency.size, dtype=np.uint8)
    kept[gone] = 0
    return kept.reshape(saliency.shape)


def road(classifier, images, maps, order_name, labels, targets, noise, seed):
    rng = np.random.RandomState(seed)
    accuracy = np.zeros((N, len(PERCENTAGES)))
    change = np.zeros((N, len(PERCENTAGES)))
    before = probabilities(classifier, images)
    for j, p in enumerate(PERCENTAGES):
        for b in range(N):
            imputed = impute(images[b], removal_mask(maps[b], order_name, p), noise, rng)
            z = logits(classifier, imputed[None])[0]
            accuracy[b, j] = float(np.argmax(z) == labels[b])
            change[b, j] = probabilities(classifier, imputed[None])[0, targets[b]] - before[b, targets[b]]
    return accuracy, change


# --- localization -------------------------------------------------------------

def comet_ap(maps, masks):
    """MaskEvaluator(confidence_list = [i / 40 for i in 1..39]): accumulate
    over the images, then compute, without the final x 100."""
    confidence_list = [i / 40.0 for i in range(1, 40)]
    edges = np.append(confidence_list, [1.0])
    true_hist = np.zeros(len(confidence_list))
    false_hist = np.zeros(len(confidence_list))
    for scoremap, gt_mask in zip(maps, masks):
        assert not ((scoremap > 1).any() or (scoremap < 0).any())
        true_hist += np.histogram(scoremap[gt_mask == 1], bins=edges)[0]
        false_hist += np.histogram(scoremap[gt_mask == 0], bins=edges)[0]
    tp = true_hist[::-1].cumsum()
    fn = true_hist.sum() - tp
    fp = false_hist[::-1].cumsum()
    tp = np.insert(tp, 0, 1)
    fp = np.insert(fp, 0, 0)
    fn = np.insert(fn, 0, 10000)
    non_zero = (tp + fp) != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
    return (precision[1:] * np.diff(recall))[non_zero[1:]].sum()


def pointing(saliency, mask, tolerance):
    v, u = np.unravel_index(np.argmax(saliency), saliency.shape)
    yy, xx = np.meshgrid((np.arange(mask.shape[0], dtype=np.float32) - v) ** 2,
                         (np.arange(mask.shape[1], dtype=np.float32) - u) ** 2, indexing="ij")
    accept = (yy + xx) < tolerance ** 2
    return float((mask.astype(bool) & accept).any())


def iou_curve(saliency, mask):
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    flat = mask.reshape(-1).astype(bool)
    out = []
    for k in range(5, 100, 5):
        top = np.zeros(HW, dtype=bool)
        top[order[:int(HW * k / 100)]] = True
        out.append((top & flat).sum() / (top | flat).sum())
    return np.array(out)


def main():
    rng = np.random.RandomState(20)
    images = rng.standard_normal((N, 3, H, W)).astype(np.float32)
    maps = rng.random_sample((N, H, W)).astype(np.float32)
    maps[0, 0, :3] = 0.01                       # below COMET's first edge, tied
    maps[1, 2, 2] = 1.0                         # COMET's closed last bin
    maps[2] = np.round(maps[2] * 3) / 3         # four values, many ties
    maps[3] = 0.5                               # constant: every pixel tied
    masks = np.zeros((N, H, W), dtype=np.float32)
    for b in range(N - 1):
        y, x = rng.randint(0, H - 3), rng.randint(0, W - 3)
        masks[b, y:y + rng.randint(2, 5), x:x + rng.randint(2, 5)] = 1
    # masks[N - 1] stays empty: that image does not count.
    classifier = make_classifier(rng)
    predicted = np.argmax(logits(classifier, images), axis=1)
    labels = rng.randint(0, K, N)
    targets = rng.randint(0, K, N)

    tensors = {
        "images": images, "maps": maps, "masks": masks,
        "classifier.weight": classifier[0], "classifier.bias": classifier[1],
        "labels": labels.astype(np.int64), "targets": targets.astype(np.int64),
        "predicted": predicted.astype(np.int64),
    }
    for mode, game in (("del", "deletion"), ("ins", "insertion")):
        for substrate in ("zeros", "blur"):
            curves = np.stack([causal_metric(classifier, images[b], maps[b], mode, substrate, STEPS, predicted[b])
                               for b in range(N)])
            tensors[f"{game}.{substrate}"] = curves
            tensors[f"{game}.{substrate}.auc"] = np.array([rise_auc(c) for c in curves])
            tensors[f"{game}.{substrate}.mean_auc"] = np.array([rise_auc(curves.mean(axis=0))])
    # Given targets, and steps that do not divide HW (chunks of 9 and 10).
    tensors["deletion.zeros.targets.steps7"] = np.stack([
        causal_metric(classifier, images[b], maps[b], "del", "zeros", ODD_STEPS, targets[b]) for b in range(N)])
    tensors["blur.image0"] = blur(images[0])
    # gkern(11, 5) is separable: the outer product of the 1-D filter of a
    # delta, which the C code applies rows then columns.
    delta = np.zeros(11)
    delta[5] = 1
    kernel = gaussian_filter1d(delta, 5)
    assert np.abs(np.outer(kernel, kernel) - gkern(11, 5)).max() < 1e-15
    tensors["blur.kernel"] = kernel

    # ROAD: one 32 x 32 imputation at 90 % against spsolve, then the curves.
    image32 = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    map32 = rng.random_sample((1, 32, 32)).astype(np.float32)
    tensors["image32"] = image32
    tensors["map32"] = map32
    removed32, solution32 = impute_system(image32[0], removal_mask(map32[0], "morf", 90))
    tensors["road.removed32"] = removed32.astype(np.int64)
    tensors["road.solution32"] = solution32.T.copy()    # (3, n) float64
    for order_name in ("morf", "lerf"):
        accuracy, change = road(classifier, images, maps, order_name, labels, predicted, NOISE, SEED)
        tensors[f"road.accuracy.{order_name}"] = accuracy
        tensors[f"road.confidence.{order_name}"] = change
    # The classifier must not sit on a tie anywhere the C test compares
    # classes: the smallest top-2 margin of the imputed images' logits.
    margins = [np.sort(z)[-1] - np.sort(z)[-2] for z in logits(classifier, images)]
    for order_name in ("morf", "lerf"):
        rng_check = np.random.RandomState(SEED)
        for p in PERCENTAGES:
            for b in range(N):
                imputed = impute(images[b], removal_mask(maps[b], order_name, p), NOISE, rng_check)
                z = np.sort(logits(classifier, imputed[None])[0])
                margins.append(z[-1] - z[-2])
    assert min(margins) > 1e-4, min(margins)

    counted = [b for b in range(N) if masks[b].any()]
    ap = np.full(N, np.nan)
    for b in counted:
        ap[b] = average_precision_score(masks[b].reshape(-1), maps[b].reshape(-1).astype(np.float64))
    tensors["pixel_ap"] = ap
    tensors["comet_ap"] = np.array([comet_ap(maps, masks)])
    point = np.full(N, np.nan)
    for b in counted:
        point[b] = pointing(maps[b], masks[b], TOLERANCE)
    tensors["pointing"] = point
    iou = np.full((N, 19), np.nan)
    for b in counted:
        iou[b] = iou_curve(maps[b], masks[b])
    tensors["iou"] = iou
    mass = np.full(N, np.nan)
    for b in counted:
        positive = np.maximum(maps[b].astype(np.float64), 0)
        mass[b] = (positive * masks[b]).sum() / positive.sum()
    tensors["mask_mass"] = mass

    torch_tensors = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in tensors.items()}
    metadata = {"steps": str(STEPS), "odd_steps": str(ODD_STEPS), "percentages": json.dumps(PERCENTAGES),
                "noise": json.dumps(NOISE), "seed": str(SEED), "tolerance": str(TOLERANCE)}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    safetensors_io.write(OUT, torch_tensors, metadata)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes); smallest class margin {min(margins):.3g}; "
          f"pixel AP {np.nanmean(ap):.4f}, COMET AP {tensors['comet_ap'][0]:.4f}, "
          f"deletion AUC {tensors['deletion.zeros.mean_auc'][0]:.4f}")


if __name__ == "__main__":
    main()
