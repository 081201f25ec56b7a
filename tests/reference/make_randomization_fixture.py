#!/usr/bin/python3
"""The model randomization sanity check (Adebayo et al. 2018, "Sanity
Checks for Saliency Maps") written out in PyTorch and scipy, for the test
/batch/faithfulness/randomization (tests/batch/test-batch.c) of
engine/methods/attribution/vt-randomization.c and the faithfulness step's
"randomization" metric.

The model is the real CIFAR ResNet-20 (shared/assets/models/cifar-resnet),
run in float64 from its float32 weights, on the first 4 CIFAR-10 test JPEGs
(samples 0-3 of the test split: test/airplane/0000 ... 0003.jpg). Its
layers, top first: head (linear), layer3.2 ... layer1.0, stem (conv1, bn1).

Re-initialization is PyTorch's default (torch.nn's reset_parameters):
conv and linear weights kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b) with
b = 1/sqrt(fan_in); the linear bias U(-b, b) with its weight's fan_in;
BatchNorm weight 1, bias 0 (its running statistics kept). The draws are
numpy's: RandomState(seed + the layer's position in the list, head 0), one
random_sample() per element, each parameter in the order Vitrine binds
them (a block's conv1.weight, bn1.*, conv2.weight, bn2.*), value
-b + 2 b u rounded to float32, so the C side draws the same weights
(vt-random.h reproduces RandomState).

After each step the maps are computed again for the classes predicted on
the trained model: Grad-CAM at layer3.out as pytorch-grad-cam does it
(make_cam_fixture.cam), and the gradient summed over the colour channels
(the gradient method); each map rounded to float32, as Vitrine stores it.
Then scipy.stats.spearmanr of each image's randomized map against its
trained map, and of their absolute values; and SSIM as scikit-image's
structural_similarity computes it with its defaults (scikit-image is not
packaged for Debian 12, so its code is written out below on
scipy.ndimage.uniform_filter: data_range 1, win_size 7, K1 0.01, K2 0.03,
the sample covariance, the mean of the map cropped by 3 on each side) of
the two maps each min-max scaled to [0, 1].

tests/fixtures/attribution/randomization-resnet20.safetensors holds
  input                (4, 3, 32, 32) the normalized images
  targets              (4) I64, the classes explained (predicted)
  <case>.<method>.rho, <case>.<method>.rho_abs, <case>.<method>.ssim
                       (steps, 4) for case cascading (all 11 layers) and
                       independent (layers head, layer2.1, stem)
  pairs.a, pairs.b     (6, 32, 32): map pairs (trained, randomized) of the
                       cascading case (Grad-CAM's and the gradient's, which
                       is signed), for Spearman on the SAME maps
  pairs.rho, pairs.rho_abs, pairs.ssim  (6) scipy's values on them
  reinit.linear.weight, reinit.layer3.2.conv1.weight
                       the re-initialized values of two parameters (seed 3)
with metadata "seed", "layers.cascading", "layers.independent".

Run: /usr/bin/python3 tests/reference/make_randomization_fixture.py
"""
import math
import os
import sys

import numpy as np
import scipy.ndimage
import scipy.stats
import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
import make_network_grad_fixtures as grad_fixtures  # noqa: E402
from make_cam_fixture import cam, cifar_resnet  # noqa: E402
from make_network_grad_fixtures import ASSETS, ROOT, images, load  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "attribution", "randomization-resnet20.safetensors")
CKPT = "models/cifar-resnet/resnet20-12fca82f.safetensors"
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
SEED = 3
METHODS = ["gradcam", "gradient"]
BLOCKS = ["layer%d.%d" % (s, i) for s in (3, 2, 1) for i in (2, 1, 0)]
LAYERS = ["head"] + BLOCKS + ["stem"]
INDEPENDENT = ["head", "layer2.1", "stem"]
# (cascading step, image, method) whose two maps go into the fixture
PAIRS = [(0, 0, "gradcam"), (0, 3, "gradient"), (5, 1, "gradcam"), (5, 2, "gradient"), (10, 0, "gradient"),
         (10, 3, "gradcam")]


def layer_params(layer):
    """The layer's parameters in Vitrine's binding order."""
    if layer == "head":
        return ["linear.weight", "linear.bias"]
    if layer == "stem":
        return ["conv1.weight", "bn1.weight", "bn1.bias"]
    return ["%s.%s" % (layer, p) for p in ("conv1.weight", "bn1.weight", "bn1.bias",
                                            "conv2.weight", "bn2.weight", "bn2.bias")]


def reinit(w, layer):
    """PyTorch's default init of @layer's parameters, from numpy's stream."""
    rs = np.random.RandomState(SEED + LAYERS.index(layer))
    for name in layer_params(layer):
        shape = tuple(w[name].shape)
        if ".bn" in name or name.startswith("bn"):
            value = np.full(shape, 1.0 if name.endswith("weight") else 0.0)
        else:
            weight = w[name[:-len("bias")] + "weight"] if name.endswith("bias") else w[name]
            fan_in = weight.numel() // weight.shape[0]
            b = 1.0 / math.sqrt(fan_in)
            value = (-b + 2 * b * rs.random_sample(int(np.prod(shape)))).reshape(shape)
        w[name] = torch.from_numpy(value.astype(np.float32).astype(np.float64))


def maps_of(w, x32, targets, dtype=torch.float64):
    """{method: (B, H, W) float32} for the model with weights @w, run in
    @dtype."""
    w = {k: v.to(dtype) for k, v in w.items()}
    x = x32.to(dtype).requires_grad_(True)
    taps = {}
    logits = cifar_resnet(w, x, 20, taps)
    total = logits.gather(1, targets.view(-1, 1)).sum()
    a_grad, x_grad = torch.autograd.grad(total, [taps["layer3.out"], x])
    a = taps["layer3.out"].detach().numpy()
    g = a_grad.numpy()
    return {
        "gradcam": cam("gradcam", None, x.detach(), a.astype(np.float64), g.astype(np.float64),
                       None).astype(np.float32),
        "gradient": x_grad.sum(1).numpy().astype(np.float32),
    }, logits


def spearman(a, b):
    rho = scipy.stats.spearmanr(a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)).correlation
    return float("nan") if rho is None else float(rho)


def structural_similarity(im1, im2, data_range=1.0, win_size=7, K1=0.01, K2=0.03):
    """skimage.metrics.structural_similarity (0.19) for 2-D float images,
    gaussian_weights False, use_sample_covariance True."""
    im1, im2 = im1.astype(np.float64), im2.astype(np.float64)
    ndim = im1.ndim
    NP = win_size ** ndim
    cov_norm = NP / (NP - 1)
    ux = scipy.ndimage.uniform_filter(im1, size=win_size)
    uy = scipy.ndimage.uniform_filter(im2, size=win_size)
    uxx = scipy.ndimage.uniform_filter(im1 * im1, size=win_size)
    uyy = scipy.ndimage.uniform_filter(im2 * im2, size=win_size)
    uxy = scipy.ndimage.uniform_filter(im1 * im2, size=win_size)
    vx = cov_norm * (uxx - ux * ux)
    vy = cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    C1 = (K1 * data_range) ** 2
    C2 = (K2 * data_range) ** 2
    A1, A2, B1, B2 = 2 * ux * uy + C1, 2 * vxy + C2, ux ** 2 + uy ** 2 + C1, vx + vy + C2
    S = (A1 * A2) / (B1 * B2)
    pad = (win_size - 1) // 2
    return float(S[pad:-pad, pad:-pad].mean())


def min_max(x):
    x = x.astype(np.float64)
    lo, hi = x.min(), x.max()
    return None if not hi > lo else (x - lo) / (hi - lo)


def ssim(a, b):
    a, b = min_max(a), min_max(b)
    return float("nan") if a is None or b is None else structural_similarity(a, b)


def correlations(original, randomized):
    """(rho, rho_abs, ssim) per image."""
    rho = [spearman(o, r) for o, r in zip(original, randomized)]
    rho_abs = [spearman(np.abs(o), np.abs(r)) for o, r in zip(original, randomized)]
    similarity = [ssim(o, r) for o, r in zip(original, randomized)]
    return rho, rho_abs, similarity


def main():
    trained = {k[len("module."):]: v.double() for k, v in load(os.path.join(ASSETS, CKPT)).items()
               if v.is_floating_point()}
    test_dir = os.path.join(ASSETS, "datasets", "cifar10-jpg", "test", "airplane")
    grad_fixtures.IMAGES = ["test/airplane/" + f for f in sorted(os.listdir(test_dir))[:4]]
    x32 = images(*IMAGENET)
    with torch.no_grad():
        targets = cifar_resnet(trained, x32.double(), 20, {}).argmax(1)
    original, _ = maps_of(trained, x32, targets)
    original32, _ = maps_of(trained, x32, targets, torch.float32)
    tensors = {"input": x32.float(), "targets": targets.long()}
    pairs_a, pairs_b, pairs_rho, pairs_rho_abs, pairs_ssim = [], [], [], [], []

    deviation = {m: 0.0 for m in METHODS}
    for case, layers in (("cascading", LAYERS), ("independent", INDEPENDENT)):
        rho = {m: [] for m in METHODS}
        rho_abs = {m: [] for m in METHODS}
        similarity = {m: [] for m in METHODS}
        w = dict(trained)
        for s, layer in enumerate(layers):
            if case == "independent":
                w = dict(trained)
            reinit(w, layer)
            if case == "cascading" and layer == "head":
                tensors["reinit.linear.weight"] = w["linear.weight"].float()
            if case == "cascading" and layer == "layer3.2":
                tensors["reinit.layer3.2.conv1.weight"] = w["layer3.2.conv1.weight"].float()
            randomized, _ = maps_of(w, x32, targets)
            # PyTorch's own float32 pass on the same weights: how far
            # float32 rounding alone moves the correlations, the yardstick
            # for Vitrine's float32 maps.
            randomized32, _ = maps_of(w, x32, targets, torch.float32)
            for m in METHODS:
                r, ra, ss = correlations(original[m], randomized[m])
                r32, ra32, ss32 = correlations(original32[m], randomized32[m])
                rho[m].append(r)
                rho_abs[m].append(ra)
                similarity[m].append(ss)
                deviation[m] = max(deviation[m], float(np.nanmax(np.abs(np.array(r + ra + ss) -
                                                                        np.array(r32 + ra32 + ss32)))))
            for step, image, method in PAIRS:
                if case == "cascading" and step == s:
                    a, b = original[method][image], randomized[method][image]
                    pairs_a.append(a)
                    pairs_b.append(b)
                    pairs_rho.append(spearman(a, b))
                    pairs_rho_abs.append(spearman(np.abs(a), np.abs(b)))
                    pairs_ssim.append(ssim(a, b))
        for m in METHODS:
            tensors["%s.%s.rho" % (case, m)] = torch.tensor(rho[m], dtype=torch.float64)
            tensors["%s.%s.rho_abs" % (case, m)] = torch.tensor(rho_abs[m], dtype=torch.float64)
            tensors["%s.%s.ssim" % (case, m)] = torch.tensor(similarity[m], dtype=torch.float64)
            print("%s %s: mean rho per step %s, SSIM %s" % (case, m, np.round(np.nanmean(rho[m], axis=1), 4).tolist(),
                                                          np.round(np.nanmean(similarity[m], axis=1), 4).tolist()))
    tensors["pairs.a"] = torch.from_numpy(np.stack(pairs_a))
    tensors["pairs.b"] = torch.from_numpy(np.stack(pairs_b))
    tensors["pairs.rho"] = torch.tensor(pairs_rho, dtype=torch.float64)
    tensors["pairs.rho_abs"] = torch.tensor(pairs_rho_abs, dtype=torch.float64)
    tensors["pairs.ssim"] = torch.tensor(pairs_ssim, dtype=torch.float64)
    print("PyTorch float32 against float64: largest change of a correlation %s" % deviation)
    safetensors_io.write(OUT, tensors, {
        "float32_deviation.gradcam": "%.3g" % deviation["gradcam"],
        "float32_deviation.gradient": "%.3g" % deviation["gradient"],
        "seed": str(SEED), "layers.cascading": ",".join(LAYERS), "layers.independent": ",".join(INDEPENDENT),
        "producer": "tests/reference/make_randomization_fixture.py, torch %s, scipy %s" % (
            torch.__version__, scipy.__version__)})
    print("%s: %d bytes; targets %s" % (OUT, os.path.getsize(OUT), targets.tolist()))


if __name__ == "__main__":
    main()
