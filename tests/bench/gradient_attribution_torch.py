#!/usr/bin/python3
"""The PyTorch side of tests/bench/gradient-attribution.sh: the gradient
attributions done the straightforward way, image after image as Captum
runs them (one batch per image: the image itself, its 25 noisy copies,
its 50 points on the path), on the real CIFAR ResNet-20 in float32
(make_cifar_fixture.py's model), with the formulas of
tests/reference/make_gradient_attribution_fixture.py.

  gradient_attribution_torch.py CIFAR10_JPG_DIR N REPEATS [METHODS]

METHODS (comma-separated, default all but gradcam) picks among gradient,
gradient_x_input, smoothgrad_25, ig_gausslegendre_50 and gradcam
(Grad-CAM at layer3 with pytorch-grad-cam's post-processing, one forward
and backward per image, as tests/bench/attribution.sh times it).

Image i is test/<class i mod 10>/<i / 10, 4 digits>.jpg, as
bench-gradient-attribution reads them; the targets are the predicted
classes. Each method runs over the N images REPEATS times after a
warm-up; prints the median milliseconds per image as JSON. Threads:
torch.set_num_threads(THREADS from the environment, 1).
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import make_cifar_fixture  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def input_gradient(model, x, target):
    """x (n, 3, H, W) -> d logits[:, target] / dx (n, 3, H, W)."""
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[:, target].sum(), [x])
    return g


def gradient(model, x, target):
    return input_gradient(model, x[None], target)[0].sum(0)


def gradient_x_input(model, x, target):
    return (x * input_gradient(model, x[None], target)[0]).sum(0)


def smoothgrad(model, x, target, rs, samples=25, level=0.15):
    sigma = level * float(x.max() - x.min())
    noise = torch.from_numpy(rs.standard_normal((samples,) + tuple(x.shape)).astype(np.float32))
    return input_gradient(model, x[None] + sigma * noise, target).mean(0).sum(0)


def integrated_gradients(model, x, target, steps=50):
    t, v = np.polynomial.legendre.leggauss(steps)
    alphas = torch.from_numpy(0.5 * (1 + t)).float().view(-1, 1, 1, 1)
    weights = torch.from_numpy(0.5 * v).float().view(-1, 1, 1, 1)
    baseline = torch.zeros_like(x)
    g = input_gradient(model, baseline[None] + alphas * (x - baseline)[None], target)
    return ((x - baseline) * (weights * g).sum(0)).sum(0)


def gradcam(model, x, target):
    taps = {}
    # The parameters are frozen (main): the graph to layer3 hangs on x.
    logits = model(x[None].clone().requires_grad_(True), taps)
    act = taps["layer3.out"]
    (g,) = torch.autograd.grad(logits[0, target], [act])
    cam = torch.relu((g.mean((2, 3), keepdim=True) * act).sum(1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=x.shape[1:], mode="bilinear", align_corners=False)[0, 0]
    cam = cam - cam.min()
    return cam / (cam.max() + 1e-7)


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    root, n, repeats = sys.argv[1], int(sys.argv[2]), max(int(sys.argv[3]), 1)
    model = make_cifar_fixture.load(20)
    for p in model.parameters():
        p.requires_grad_(False)
    images = torch.stack([make_cifar_fixture.pixels(os.path.join(root, "test", CLASSES[i % 10], "%04d.jpg" % (i // 10)))
                          for i in range(n)])
    with torch.no_grad():
        targets = model(images).argmax(1).tolist()
    rs = np.random.RandomState(0)
    methods = {"gradient": lambda x, t: gradient(model, x, t),
               "gradient_x_input": lambda x, t: gradient_x_input(model, x, t),
               "smoothgrad_25": lambda x, t: smoothgrad(model, x, t, rs),
               "ig_gausslegendre_50": lambda x, t: integrated_gradients(model, x, t),
               "gradcam": lambda x, t: gradcam(model, x, t)}
    chosen = sys.argv[4].split(",") if len(sys.argv) > 4 else [k for k in methods if k != "gradcam"]
    methods = {k: methods[k] for k in chosen}
    out = {}
    for key, method in methods.items():
        times = []
        for k in range(repeats + 1):
            start = time.perf_counter()
            for i in range(n):
                method(images[i], targets[i])
            if k > 0:   # the first is a warm-up
                times.append((time.perf_counter() - start) * 1000 / n)
        out[key + "_ms"] = statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
