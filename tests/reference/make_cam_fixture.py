#!/usr/bin/python3
"""Class activation maps as jacobgil/pytorch-grad-cam defines them, for
tests/engine/test-cam.c (engine/methods/attribution/vt-cam.c).

pytorch-grad-cam is not packaged for Debian 12, so its published
formulas (get_cam_weights of each method, get_2d_projection for EigenCAM,
ScoreCAM's masked inputs) and its post-processing (compute_cam_per_layer:
ReLU, scale_cam_image: min-max with 1e-7 then a bilinear resize to the
input; aggregate_multi_layers: ReLU, mean over the one layer, min-max
again) are written out below in numpy, on activations and gradients from
Debian's PyTorch (1.13) autograd. The models run in float64 from their
float32 weights and inputs; maps are stored as float32. cv2.resize
(INTER_LINEAR) is F.interpolate(mode="bilinear", align_corners=False)
when scaling up, which is what every case here does. EigenCAM calls
np.linalg.svd (LAPACK dgesdd) exactly as pytorch-grad-cam does; its sign
is LAPACK's.

tests/fixtures/attribution/cam-<case>.safetensors holds
  input     (B, 3, H, W) the normalized images
  targets   (B) I64, the class each map explains (the logit y)
  predicted (B) I64, the argmax of the logits
  <method>  (B, H, W) the map, for gradcam, gradcam++, hirescam, xgradcam,
            layercam, eigencam, scorecam
  layer.value, layer.grad
            (B, C, h, w) float32: the layer's activations on the grid and
            the gradient of the target logit
  <method>.from_layer
            (B, H, W) the map from those float32 arrays, for every method
            but scorecam (which runs the model): the formulas alone
with metadata "checkpoint" (relative to the repository root, or
"shared:" + a path under ../shared/assets) and "layer" (Vitrine's tap).

Cases:
  cifar_resnet20, cifar_resnet56
             the real CIFAR ResNets (shared/assets/models/cifar-resnet) on
             3 CIFAR-10 test JPEGs, at "layer3.out" (8 x 8, 64 channels);
             targets the true classes
  cifar_resnet20_layer2
             ResNet-20 at "layer2.out" (16 x 16, 32 channels), the
             targets another class than predicted
  tv_resnet  torchvision's ResNet (tests/fixtures/forward/tv_resnet) at
             "layer2.out" (4 x 4 on 32 x 32 images)
  vit_cls    timm's ViT (shared/assets/reference/timm) at
             "blocks.1.norm1": the class token dropped, the 16 patch
             tokens laid on the 4 x 4 grid (pytorch-grad-cam's
             reshape_transform); targets the predicted classes
  deit_distilled
             timm's DeiT, class and distillation tokens dropped

Run: /usr/bin/python3 tests/reference/make_cam_fixture.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_network_grad_fixtures import ASSETS, ROOT, bn, images, load, timm_vit  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "attribution")
METHODS = ["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam", "scorecam"]


# --- pytorch-grad-cam's formulas, on numpy (B, C, h, w) arrays ---------------

def cam_weights(method, a, g):
    if method == "gradcam":
        return np.mean(g, axis=(2, 3))
    if method == "gradcam++":
        g2 = g ** 2
        g3 = g2 * g
        sum_a = np.sum(a, axis=(2, 3))
        aij = g2 / (2 * g2 + sum_a[:, :, None, None] * g3 + 0.000001)
        aij = np.where(g != 0, aij, 0)
        return np.sum(np.maximum(g, 0) * aij, axis=(2, 3))
    if method == "xgradcam":
        sum_a = np.sum(a, axis=(2, 3))
        return np.sum(g * a / (sum_a[:, :, None, None] + 1e-7), axis=(2, 3))
    raise ValueError(method)


def get_2d_projection(activation_batch):
    projections = []
    for activations in activation_batch:
        reshaped = activations.reshape(activations.shape[0], -1).transpose()
        reshaped = reshaped - reshaped.mean(axis=0)
        _, _, vt = np.linalg.svd(reshaped, full_matrices=True)
        projections.append((reshaped @ vt[0, :]).reshape(activations.shape[1:]))
    return np.array(projections)


def score_weights(forward, x, a, targets):
    """ScoreCAM.get_cam_weights: masks up-sampled with corners aligned
    (torch.nn.UpsamplingBilinear2d), min-max scaled (+1e-8), times the
    input; the target logit of each; softmax over the channels."""
    with torch.no_grad():
        up = F.interpolate(torch.from_numpy(a), size=x.shape[-2:], mode="bilinear", align_corners=True)
        flat = up.view(up.size(0), up.size(1), -1)
        maxs, mins = flat.max(dim=-1)[0][:, :, None, None], flat.min(dim=-1)[0][:, :, None, None]
        up = (up - mins) / (maxs - mins + 1e-8)
        scores = []
        for b in range(x.shape[0]):
            masked = x[b][None] * up[b][:, None]
            for i in range(0, masked.shape[0], 16):
                scores.extend(forward(masked[i:i + 16])[:, targets[b]].tolist())
        return torch.softmax(torch.tensor(scores, dtype=torch.float64).view(a.shape[0], a.shape[1]), dim=-1).numpy()


def scale_cam_image(cam, size=None):
    out = []
    for img in cam:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        if size is not None:
            img = F.interpolate(torch.from_numpy(img)[None, None], size=size, mode="bilinear",
                                align_corners=False)[0, 0].numpy()
        out.append(img)
    return np.array(out)


def cam(method, forward, x, a, g, targets):
    if method in ("gradcam", "gradcam++", "xgradcam"):
        raw = (cam_weights(method, a, g)[:, :, None, None] * a).sum(axis=1)
    elif method == "hirescam":
        raw = (g * a).sum(axis=1)
    elif method == "layercam":
        raw = (np.maximum(g, 0) * a).sum(axis=1)
    elif method == "eigencam":
        raw = get_2d_projection(a)
    elif method == "scorecam":
        raw = (score_weights(forward, x, a, targets)[:, :, None, None] * a).sum(axis=1)
    raw = np.maximum(raw, 0)
    scaled = scale_cam_image(raw, x.shape[-2:])
    return scale_cam_image(np.maximum(scaled, 0))


# --- the models, in float64 ---------------------------------------------------

def cifar_resnet(w, x, depth, taps):
    h = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), w, "bn1"))
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range((depth - 2) // 6):
            b = "layer%d.%d." % (s + 1, i)
            stride = 2 if (s > 0 and i == 0) else 1
            out = F.relu(bn(F.conv2d(h, w[b + "conv1.weight"], stride=stride, padding=1), w, b + "bn1"))
            out = bn(F.conv2d(out, w[b + "conv2.weight"], padding=1), w, b + "bn2")
            if stride != 1 or in_planes != planes:
                pad = planes // 4
                shortcut = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0)
            else:
                shortcut = h
            h = F.relu(out + shortcut)
            in_planes = planes
        taps["layer%d.out" % (s + 1)] = h
    return F.linear(h.mean((2, 3)), w["linear.weight"], w["linear.bias"])


def write_case(case, checkpoint, layer, x32, forward_taps, grid, targets=None, other_than_predicted=False):
    """forward_taps(x, taps) -> logits; grid(tap) -> (B, C, h, w) (the
    reshape transform)."""
    x = x32.double().requires_grad_(True)
    taps = {}
    logits = forward_taps(x, taps)
    predicted = logits.argmax(1)
    if targets is None:
        targets = predicted.clone()
    if other_than_predicted:
        targets = (predicted + 1) % logits.shape[1]
    targets = torch.as_tensor(targets)
    total = logits.gather(1, targets.view(-1, 1)).sum()
    (grad,) = torch.autograd.grad(total, [taps[layer]])
    a = grid(taps[layer].detach()).numpy()
    g = grid(grad).numpy()

    def forward(batch):
        return forward_taps(batch, {})

    tensors = {"input": x32.float(), "targets": targets.long(), "predicted": predicted.long()}
    with torch.no_grad():
        for method in METHODS:
            tensors[method] = torch.from_numpy(cam(method, forward, x.detach(), a, g, targets.tolist())).float()
        # The formulas alone: the same maps from the float32 activations and
        # gradient stored here, so that C and numpy start from equal inputs.
        a32, g32 = a.astype(np.float32), g.astype(np.float32)
        tensors["layer.value"] = torch.from_numpy(a32)
        tensors["layer.grad"] = torch.from_numpy(g32)
        for method in METHODS[:-1]:
            tensors[method + ".from_layer"] = torch.from_numpy(
                cam(method, None, x.detach(), a32.astype(np.float64), g32.astype(np.float64), None)).float()
    path = os.path.join(OUT, "cam-%s.safetensors" % case)
    safetensors_io.write(path, tensors, {"checkpoint": checkpoint, "layer": layer,
                                         "producer": "tests/reference/make_cam_fixture.py, torch " + torch.__version__,
                                         "precision": "float64 autograd from float32 weights and inputs"})
    print("%s: %d bytes; targets %s, predicted %s" % (path, os.path.getsize(path), targets.tolist(),
                                                      predicted.tolist()))


def cifar_case(case, depth, layer, other_than_predicted=False):
    name = {20: "resnet20-12fca82f", 56: "resnet56-4bfd9763"}[depth]
    ckpt = "models/cifar-resnet/%s.safetensors" % name
    w = {k[len("module."):]: v.double() for k, v in load(os.path.join(ASSETS, ckpt)).items() if v.is_floating_point()}
    import make_network_grad_fixtures as grad_fixtures
    grad_fixtures.IMAGES = ["test/cat/0000.jpg", "test/ship/0003.jpg", "test/dog/0001.jpg"]
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    write_case(case, "shared:" + ckpt, layer, x32, lambda x, taps: cifar_resnet(w, x, depth, taps),
               lambda t: t, targets=None if other_than_predicted else [3, 8, 5],
               other_than_predicted=other_than_predicted)


def tv_resnet():
    from torchvision.models.resnet import Bottleneck, ResNet

    class NarrowBottleneck(Bottleneck):
        expansion = 1

    ckpt = "tests/fixtures/forward/tv_resnet/model.safetensors"
    model = ResNet(NarrowBottleneck, [1, 1, 1, 1], width_per_group=8, num_classes=7)
    model.load_state_dict(load(os.path.join(ROOT, ckpt)))
    model = model.double().eval()

    def forward(x, taps):
        y = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        for i in range(1, 5):
            y = getattr(model, "layer%d" % i)(y)
            taps["layer%d.out" % i] = y
        return model.fc(torch.flatten(model.avgpool(y), 1))

    import make_network_grad_fixtures as grad_fixtures
    grad_fixtures.IMAGES = ["test/cat/0000.jpg", "test/ship/0003.jpg"]
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    write_case("tv_resnet", ckpt, "layer2.out", x32, forward, lambda t: t)


def vit_case(case, distilled):
    ckpt = "reference/timm/%s.safetensors" % case
    w = {k: v.double() for k, v in load(os.path.join(ASSETS, ckpt)).items()}
    io = load(os.path.join(ASSETS, "reference", "timm", case + ".io.safetensors"))
    x32 = io["input.pixel_values"]
    prefix = 2 if distilled else 1
    side = x32.shape[-1] // 8

    def forward(x, taps):
        return timm_vit(w, x, taps, distilled=distilled)

    def grid(t):
        # pytorch-grad-cam's reshape_transform for ViTs.
        out = t[:, prefix:, :].reshape(t.size(0), side, side, t.size(2))
        return out.transpose(2, 3).transpose(1, 2).contiguous()

    with torch.no_grad():
        assert torch.allclose(forward(x32.double(), {}).float(), io["logits"], atol=1e-4), case + ": not timm's logits"
    write_case(case, "shared:" + ckpt, "blocks.1.norm1", x32, forward, grid)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    cifar_case("cifar_resnet20", 20, "layer3.out")
    cifar_case("cifar_resnet56", 56, "layer3.out")
    cifar_case("cifar_resnet20_layer2", 20, "layer2.out", other_than_predicted=True)
    tv_resnet()
    vit_case("vit_cls", False)
    vit_case("deit_distilled", True)


if __name__ == "__main__":
    main()
