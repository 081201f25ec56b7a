#!/usr/bin/python3
"""Gradient attributions, for tests/engine/test-gradient-attribution.c
(engine/methods/attribution/vt-gradient-attribution.c), on Debian's
PyTorch (1.13) autograd.

Captum is not packaged for Debian 12, so its published definitions are
written out below: the step sizes and alphas of its riemann_trapezoid and
gausslegendre rules (captum/attr/_utils/approximation_methods.py),
attributions (x - x') * sum_k w_k grad(x' + a_k (x - x')) and the
convergence delta sum(attributions) - (F(x) - F(x')). SmoothGrad is
Smilkov et al.'s (sigma = level * (max - min) of the image), gradient
rollout Chefer et al. 2021's (Transformer-MM-Explainability's
generate_relevance: R = I; R += mean_heads(clamp(grad * attn, min=0)) @ R;
the class token's row over the patches), up-sampled with
F.interpolate(bilinear, align_corners=False). Every map that reads the
input gradient sums it over the three channels, signed.

The models run in float64 from their float32 weights and inputs. Every
input the model sees (noisy copies, points on the path, baselines) is made
in float64 and rounded to float32 first, as the C code makes it, so both
sides evaluate the network at the same points. The random draws are
numpy's RandomState(seed): SmoothGrad's standard_normal((3, H, W)) for
each image, then each copy; the noise baseline's random_sample((3, H, W))
for each image (vt-random.c reproduces that stream). The blur baseline is
scipy.ndimage.gaussian_filter(channel, sigma, mode="reflect", truncate=4).

tests/fixtures/attribution/grad-<case>.safetensors holds
  input       (B, 3, H, W) the normalized images
  targets     (B) I64, the classes explained (the logit y)
  predicted   (B) I64, the argmax of the logits
  gradient, gradient_x_input, smoothgrad
              (B, H, W)
  ig.<rule>.<baseline>.<steps>
              (B, H, W) Integrated Gradients, ".gap" (B) F64 its
              completeness gap and ".difference" (B) F64 y(x) - y(x')
  baseline.<name>
              (B, 3, H, W) the baselines blur and noise (zeros and black
              are constants)
  gradient_rollout
              (B, H, W), for the ViTs
with metadata "checkpoint" ("shared:" + a path under ../shared/assets),
"mean" and "std" (the checkpoint's normalization, as Vitrine's preset has
it), "samples", "noise_level", "seed", "blur_sigma".

Cases:
  cifar_resnet20  the real CIFAR ResNet-20 on 3 CIFAR-10 test JPEGs (those
                  of make_cam_fixture.py), targets the true classes
  vit_cls         timm's ViT (shared/assets/reference/timm), 2 images,
                  targets the predicted classes
  deit_distilled  timm's DeiT (class and distillation tokens)

Run: /usr/bin/python3 tests/reference/make_gradient_attribution_fixture.py
With --float32 it writes nothing and prints how far PyTorch's own float32
autograd is from its float64 on the ResNet-20 case (see the test's
RELU_NOISY_TOLERANCE).
"""
import os
import sys

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_cam_fixture import cifar_resnet  # noqa: E402
from make_network_grad_fixtures import ASSETS, ROOT, images, load, timm_vit  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "attribution")
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
SAMPLES, NOISE_LEVEL, SEED, BLUR_SIGMA = 25, 0.15, 0, 5.0
# (rule, baseline, steps): every baseline with Gauss-Legendre at 50 steps,
# the trapezoid rule, and 5 steps to see the gap shrink with more.
IG_CASES = [("gausslegendre", "zeros", 50), ("gausslegendre", "black", 50), ("gausslegendre", "blur", 50),
            ("gausslegendre", "noise", 50), ("riemann_trapezoid", "zeros", 50), ("riemann_trapezoid", "black", 20),
            ("gausslegendre", "zeros", 5)]


def f32(a):
    """Rounded to float32 as C's (float) cast does, kept as float64."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


# --- Captum's rules ------------------------------------------------------------

def rule_points(rule, n):
    if rule == "gausslegendre":
        t, v = np.polynomial.legendre.leggauss(n)
        return list(0.5 * (1 + t)), list(0.5 * v)
    assert rule == "riemann_trapezoid" and n > 1
    deltas = [1 / n] * n
    deltas[0] /= 2
    deltas[-1] /= 2
    return list(np.linspace(0, 1, n)), deltas


def gradients(forward, x, classes):
    """x (N, 3, H, W) float64 numpy -> (d logit[class_i] / dx_i (N, 3, H, W), logits (N, K))."""
    x = torch.from_numpy(x).requires_grad_(True)
    logits = forward(x, {})
    total = logits.gather(1, torch.as_tensor(classes).view(-1, 1)).sum()
    (g,) = torch.autograd.grad(total, [x])
    return g.numpy(), logits.detach().numpy()


def logits_of(forward, x):
    with torch.no_grad():
        return forward(torch.from_numpy(x), {}).numpy()


def baseline(name, x, mean, std, rs):
    """x (3, H, W) float64 (float32 values) -> x' (3, H, W), rounded to float32."""
    m, s = f32(mean)[:, None, None], f32(std)[:, None, None]
    if name == "zeros":
        return np.zeros_like(x)
    if name == "black":
        return f32(np.broadcast_to(-m / s, x.shape))
    if name == "blur":
        return f32(np.stack([scipy.ndimage.gaussian_filter(c, BLUR_SIGMA, mode="reflect", truncate=4.0) for c in x]))
    if name == "noise":
        return f32((rs.random_sample(x.shape) - m) / s)
    raise ValueError(name)


def integrated_gradients(forward, x, targets, rule, name, steps, mean, std):
    alphas, weights = rule_points(rule, steps)
    rs = np.random.RandomState(SEED)
    maps, gaps, bases, differences = [], [], [], []
    for b in range(x.shape[0]):
        x0 = baseline(name, x[b], mean, std, rs)
        path = np.stack([f32(x0 + a * (x[b] - x0)) for a in alphas])
        g, _ = gradients(forward, path, [targets[b]] * steps)
        total = sum(w * g[k] for k, w in enumerate(weights))
        attributions = (x[b] - x0) * total
        y = logits_of(forward, np.stack([x[b], x0]))[:, targets[b]]
        maps.append(attributions.sum(0))
        gaps.append(attributions.sum() - (y[0] - y[1]))
        differences.append(y[0] - y[1])
        bases.append(x0)
    return np.stack(maps), np.array(gaps), np.array(differences), np.stack(bases)


def smoothgrad(forward, x, targets):
    rs = np.random.RandomState(SEED)
    maps = []
    for b in range(x.shape[0]):
        sigma = NOISE_LEVEL * (x[b].max() - x[b].min())
        noisy = np.stack([f32(x[b] + sigma * rs.standard_normal(x[b].shape)) for _ in range(SAMPLES)])
        g, _ = gradients(forward, noisy, [targets[b]] * SAMPLES)
        maps.append(g.mean(0).sum(0))
    return np.stack(maps)


def gradient_rollout(forward, x, targets, prefix):
    xt = torch.from_numpy(x).requires_grad_(True)
    taps = {}
    logits = forward(xt, taps)
    names = sorted((k for k in taps if k.endswith("attn_probs")), key=lambda k: int(k.split(".")[1]))
    total = logits.gather(1, torch.as_tensor(targets).view(-1, 1)).sum()
    grads = torch.autograd.grad(total, [taps[n] for n in names])
    maps = []
    for b in range(x.shape[0]):
        t = taps[names[0]].shape[-1]
        r = torch.eye(t, dtype=torch.float64)
        for name, g in zip(names, grads):
            cam = (g[b] * taps[name][b].detach()).clamp(min=0).mean(0)
            r = r + cam @ r
        row = r[0, prefix:]
        side = int(round((t - prefix) ** 0.5))
        up = F.interpolate(row.reshape(1, 1, side, side), size=x.shape[-2:], mode="bilinear", align_corners=False)
        maps.append(up[0, 0].numpy())
    return np.stack(maps)


def write_case(case, checkpoint, x32, forward, mean, std, targets=None, prefix=None):
    x = x32.double().numpy()
    predicted = logits_of(forward, x).argmax(1)
    targets = predicted.copy() if targets is None else np.array(targets)
    g, _ = gradients(forward, x, targets)
    tensors = {"input": x32.float(), "targets": torch.from_numpy(targets).long(),
               "predicted": torch.from_numpy(predicted).long(),
               "gradient": torch.from_numpy(g.sum(1)).float(),
               "gradient_x_input": torch.from_numpy((x * g).sum(1)).float(),
               "smoothgrad": torch.from_numpy(smoothgrad(forward, x, targets)).float()}
    for rule, name, steps in IG_CASES:
        maps, gaps, differences, bases = integrated_gradients(forward, x, targets, rule, name, steps, mean, std)
        key = "ig.%s.%s.%d" % (rule, name, steps)
        tensors[key] = torch.from_numpy(maps).float()
        tensors[key + ".gap"] = torch.from_numpy(gaps)
        tensors[key + ".difference"] = torch.from_numpy(differences)
        if name in ("blur", "noise"):
            tensors["baseline." + name] = torch.from_numpy(bases).float()
    if prefix is not None:
        tensors["gradient_rollout"] = torch.from_numpy(gradient_rollout(forward, x, targets, prefix)).float()
    path = os.path.join(OUT, "grad-%s.safetensors" % case)
    safetensors_io.write(path, tensors, {
        "checkpoint": checkpoint, "mean": " ".join(repr(v) for v in mean), "std": " ".join(repr(v) for v in std),
        "samples": str(SAMPLES), "noise_level": repr(NOISE_LEVEL), "seed": str(SEED), "blur_sigma": repr(BLUR_SIGMA),
        "producer": "tests/reference/make_gradient_attribution_fixture.py, torch " + torch.__version__,
        "precision": "float64 autograd from float32 weights and inputs"})
    print("%s: %d bytes; targets %s, predicted %s" % (path, os.path.getsize(path), targets.tolist(),
                                                      predicted.tolist()))


CIFAR_CKPT = "models/cifar-resnet/resnet20-12fca82f.safetensors"
CIFAR_TARGETS = [3, 8, 5]


def cifar_resnet20_weights(dtype):
    return {k[len("module."):]: v.to(dtype) for k, v in load(os.path.join(ASSETS, CIFAR_CKPT)).items()
            if v.is_floating_point()}


def cifar_images():
    import make_network_grad_fixtures as grad_fixtures
    grad_fixtures.IMAGES = ["test/cat/0000.jpg", "test/ship/0003.jpg", "test/dog/0001.jpg"]
    return images(*IMAGENET)


def cifar_resnet20():
    w = cifar_resnet20_weights(torch.float64)
    write_case("cifar_resnet20", "shared:" + CIFAR_CKPT, cifar_images(), lambda x, taps: cifar_resnet(w, x, 20, taps),
               *IMAGENET, targets=CIFAR_TARGETS)


def float32_deviation():
    """How far PyTorch's own float32 autograd is from its float64 on the
    ResNet-20 case's SmoothGrad and IG (the same inputs): what float32
    rounding alone does to a ReLU network, the yardstick for the test's
    RELU_NOISY_TOLERANCE. Prints; writes nothing."""
    w64, w32 = cifar_resnet20_weights(torch.float64), cifar_resnet20_weights(torch.float32)

    def f64(x, taps):
        return cifar_resnet(w64, x, 20, taps)

    def f32_model(x, taps):
        return cifar_resnet(w32, x.float(), 20, taps).double()

    x = cifar_images().double().numpy()
    t = np.array(CIFAR_TARGETS)

    def differences(a, b):
        return np.abs(a - b).max() / np.abs(b).max(), np.linalg.norm(a - b) / np.linalg.norm(b)

    print("smoothgrad: float32 against float64: %.3g per pixel of the largest |value|, relative L2 %.3g" %
          differences(smoothgrad(f32_model, x, t), smoothgrad(f64, x, t)))
    for rule, name, steps in IG_CASES:
        a = integrated_gradients(f32_model, x, t, rule, name, steps, *IMAGENET)
        b = integrated_gradients(f64, x, t, rule, name, steps, *IMAGENET)
        print("ig.%s.%s.%d: float32 against float64: %.3g per pixel, relative L2 %.3g; gaps %.3g relative" %
              ((rule, name, steps) + differences(a[0], b[0]) + (np.abs(a[1] - b[1]).max() / np.abs(b[1]).max(),)))


def vit_case(case, distilled, mean, std):
    ckpt = "reference/timm/%s.safetensors" % case
    w = {k: v.double() for k, v in load(os.path.join(ASSETS, ckpt)).items()}
    io = load(os.path.join(ASSETS, "reference", "timm", case + ".io.safetensors"))
    x32 = io["input.pixel_values"]

    def forward(x, taps):
        return timm_vit(w, x, taps, distilled=distilled)

    with torch.no_grad():
        assert torch.allclose(forward(x32.double(), {}).float(), io["logits"], atol=1e-4), case + ": not timm's logits"
    write_case(case, "shared:" + ckpt, x32, forward, mean, std, prefix=2 if distilled else 1)


def main():
    torch.set_num_threads(1)
    if sys.argv[1:] == ["--float32"]:
        float32_deviation()
        return
    os.makedirs(OUT, exist_ok=True)
    cifar_resnet20()
    # Vitrine's presets: timm's ViT weights take [-1, 1] inputs, DeiT ImageNet's.
    vit_case("vit_cls", False, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    vit_case("deit_distilled", True, *IMAGENET)


if __name__ == "__main__":
    main()
