"""Writes tests/fixtures/comet/: one COMET training step and ten more, in
PyTorch, for tests/engine/test-comet.c.

The networks are Vitrine's (engine/methods/comet/): the selector S, a small
encoder-decoder with skip connections (width 16); the predictor P, a CIFAR
ResNet-8 from scratch (the step's default is ResNet-20; 8 layers keep its
weights and gradients in the fixture under 1 MB, the code path is the same);
the detector D, the real CIFAR ResNet-20 (../shared/assets), frozen. The batch
is the first 8 training images of tests/fixtures/datasets/cifar10-bin,
normalized by the CIFAR ResNet preset. The loss is COMET's official one:

  m = sigmoid(S(x)), L1 = CE(P(x*m), y), L2 = CE(D(x*(1-m)), y),
  L = L1 + a*max(L1 - L2 + g, 0) + b*mean_i max(area_i - tau, 0)

P's parameters take the gradient of L1 alone, S's that of L. P trains with
BatchNorm in training mode, D in eval mode (and, for the ten steps'
second series, in training mode, the official code's behaviour).

tau is not the default 0.6 here: a fresh selector's areas are all near 0.5,
so at 0.6 the area term would be 0 and its gradient untested. The script
picks tau in the widest gap between the first step's areas, so some images
pay the penalty and none lies near the threshold.

Files: selector-init.safetensors and predictor-init.safetensors (the initial
weights, the module's names), batch.safetensors (x, y), gradients.safetensors
(every gradient of S, "selector.<name>", and of P, "predictor.<name>", after
the first step), step.json (settings, the first step's losses, ten AdamW
steps' losses with the multistep schedule and its warm-up).

Run: /usr/bin/python3 tests/reference/make_comet_fixture.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
DATA = os.path.join(ROOT, "tests", "fixtures", "datasets", "cifar10-bin")
OUT = os.path.join(ROOT, "tests", "fixtures", "comet")
DETECTOR = "models/cifar-resnet/resnet20-12fca82f.safetensors"
MEAN = [0.485, 0.456, 0.406]   # the CIFAR ResNet preset Vitrine applies
STD = [0.229, 0.224, 0.225]
BATCH, WIDTH, PREDICTOR_DEPTH = 8, 16, 8
A, G, B = 4.0, 2.0, 100.0
LR, WEIGHT_DECAY = 5e-4, 0.03
STEPS, WARMUP, WARMUP_START, MILESTONES, GAMMA = 10, 3, 1.0 / 3.0, [4], 0.1


class Selector(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.enc1 = nn.Conv2d(3, w, 3, 1, 1)
        self.enc2 = nn.Conv2d(w, 2 * w, 3, 2, 1)
        self.enc3 = nn.Conv2d(2 * w, 4 * w, 3, 2, 1)
        self.dec2 = nn.Conv2d(4 * w, 2 * w, 3, 1, 1)
        self.dec1 = nn.Conv2d(2 * w, w, 3, 1, 1)
        self.head = nn.Conv2d(w, 1, 1)

    def forward(self, x):
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.enc2(e1))
        e3 = F.relu(self.enc3(e2))
        d2 = F.relu(self.dec2(up(e3))) + e2
        d1 = F.relu(self.dec1(up(d2))) + e1
        return self.head(d1)


def read_cifar_batch():
    raw = np.fromfile(os.path.join(DATA, "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    if len(raw) < BATCH:
        more = np.fromfile(os.path.join(DATA, "data_batch_2.bin"), dtype=np.uint8).reshape(-1, 3073)
        raw = np.concatenate([raw, more])
    raw = raw[:BATCH]
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()).float() / 255.0
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x, torch.from_numpy(raw[:, 0].astype(np.int64))


def bn(x, w, name, training):
    return F.batch_norm(x, w[name + ".running_mean"], w[name + ".running_var"], w[name + ".weight"],
                        w[name + ".bias"], training, 0.1, 1e-5)


def cifar_resnet(w, x, blocks, training):
    h = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), w, "bn1", training))
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range(blocks):
            p = "layer%d.%d." % (s + 1, i)
            stride = 2 if (s > 0 and i == 0) else 1
            out = F.relu(bn(F.conv2d(h, w[p + "conv1.weight"], stride=stride, padding=1), w, p + "bn1", training))
            out = bn(F.conv2d(out, w[p + "conv2.weight"], padding=1), w, p + "bn2", training)
            if stride != 1 or in_planes != planes:
                pad = planes // 4
                shortcut = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0)
            else:
                shortcut = h
            h = F.relu(out + shortcut)
            in_planes = planes
    return F.linear(h.mean((2, 3)), w["linear.weight"], w["linear.bias"])


def fresh_predictor(depth, classes):
    """akamaster/pytorch_resnet_cifar10's initialization: kaiming_normal_ on
    convolutions and the linear weight, nn.Linear's bias, BatchNorm 1 and 0."""
    blocks = (depth - 2) // 6
    w = {}

    def conv(name, shape):
        t = torch.empty(shape)
        nn.init.kaiming_normal_(t)
        w[name] = t

    def norm(name, c):
        w[name + ".weight"] = torch.ones(c)
        w[name + ".bias"] = torch.zeros(c)
        w[name + ".running_mean"] = torch.zeros(c)
        w[name + ".running_var"] = torch.ones(c)
        w[name + ".num_batches_tracked"] = torch.zeros((), dtype=torch.int64)

    conv("conv1.weight", (16, 3, 3, 3))
    norm("bn1", 16)
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range(blocks):
            p = "layer%d.%d." % (s + 1, i)
            conv(p + "conv1.weight", (planes, in_planes, 3, 3))
            norm(p + "bn1", planes)
            conv(p + "conv2.weight", (planes, planes, 3, 3))
            norm(p + "bn2", planes)
            in_planes = planes
    conv("linear.weight", (classes, 64))
    w["linear.bias"] = torch.empty(classes).uniform_(-1 / 8, 1 / 8)
    return w, blocks


def is_parameter(name):
    return not name.endswith(("running_mean", "running_var", "num_batches_tracked"))


def comet_losses(S, P, p_blocks, D, x, y, tau, detector_training):
    m = torch.sigmoid(S(x))                       # (B, 1, H, W)
    l1 = F.cross_entropy(cifar_resnet(P, x * m, p_blocks, True), y)
    l2 = F.cross_entropy(cifar_resnet(D, x * (1 - m), 3, detector_training), y)
    areas = m.mean((1, 2, 3))
    hinge = torch.clamp(l1 - l2 + G, min=0)
    penalty = torch.clamp(areas - tau, min=0).mean()
    loss = l1 + A * hinge + B * penalty
    return {"l1": l1, "l2": l2, "hinge": hinge, "area_penalty": penalty, "loss": loss, "areas": areas}


def lr_at(step):
    """LinearLR(start_factor, total_iters=WARMUP) then MultiStepLR, as vt_schedule_lr."""
    if step < WARMUP:
        return LR * (WARMUP_START + (1 - WARMUP_START) * step / WARMUP)
    t = step - WARMUP
    return LR * GAMMA ** sum(1 for m in MILESTONES if t >= m)


def train(S_init, P_init, p_blocks, D, x, y, tau, detector_training):
    S = Selector(WIDTH)
    S.load_state_dict(S_init)
    P = {k: v.clone().requires_grad_(is_parameter(k)) for k, v in P_init.items()}
    p_params = [v for k, v in P.items() if is_parameter(k)]
    D = {k: v.clone() for k, v in D.items()}
    optimizer = torch.optim.AdamW(list(S.parameters()) + p_params, lr=LR, weight_decay=WEIGHT_DECAY)
    series = []
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        out = comet_losses(S, P, p_blocks, D, x, y, tau, detector_training)
        g_p = torch.autograd.grad(out["l1"], p_params, retain_graph=True)
        g_s = torch.autograd.grad(out["loss"], list(S.parameters()))
        for p, g in zip(p_params, g_p):
            p.grad = g
        for p, g in zip(S.parameters(), g_s):
            p.grad = g
        optimizer.step()
        series.append({k: float(v) for k, v in out.items() if k != "areas"})
    return series


def main():
    torch.manual_seed(22)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    x, y = read_cifar_batch()
    tensors, _ = safetensors_io.read(os.path.join(ASSETS, DETECTOR))
    D = {k[len("module."):]: torch.from_numpy(v.copy()) for k, v in tensors.items()}
    S = Selector(WIDTH)
    S_init = {k: v.detach().clone() for k, v in S.state_dict().items()}
    P_init, p_blocks = fresh_predictor(PREDICTOR_DEPTH, 10)

    # tau in the widest gap between the first step's areas
    with torch.no_grad():
        areas = torch.sigmoid(S(x)).mean((1, 2, 3)).sort().values
    gaps = areas[1:] - areas[:-1]
    i = int(gaps.argmax())
    tau = float((areas[i] + areas[i + 1]) / 2)

    # the first step: losses and every gradient
    P = {k: v.clone().requires_grad_(is_parameter(k)) for k, v in P_init.items()}
    p_names = [k for k in P if is_parameter(k)]
    out = comet_losses(S, P, p_blocks, D, x, y, tau, False)
    g_p = torch.autograd.grad(out["l1"], [P[k] for k in p_names], retain_graph=True)
    g_s = torch.autograd.grad(out["loss"], list(S.parameters()))
    grads = {}
    for (name, _), g in zip(S.named_parameters(), g_s):
        grads["selector." + name] = g
    for name, g in zip(p_names, g_p):
        grads["predictor." + name] = g

    eval_series = train(S_init, P_init, p_blocks, D, x, y, tau, False)
    train_series = train(S_init, P_init, p_blocks, D, x, y, tau, True)

    safetensors_io.write(os.path.join(OUT, "selector-init.safetensors"), S_init)
    safetensors_io.write(os.path.join(OUT, "predictor-init.safetensors"), P_init)
    safetensors_io.write(os.path.join(OUT, "batch.safetensors"), {"x": x, "y": y})
    safetensors_io.write(os.path.join(OUT, "gradients.safetensors"), grads)
    first = {k: float(v) for k, v in out.items() if k != "areas"}
    first["area"] = float(out["areas"].mean())
    with open(os.path.join(OUT, "step.json"), "w") as f:
        json.dump({"detector": "shared:" + DETECTOR, "predictor_depth": PREDICTOR_DEPTH, "selector_width": WIDTH,
                   "a": A, "g": G, "b": B, "tau": tau, "areas": [float(v) for v in out["areas"]],
                   "lr": LR, "weight_decay": WEIGHT_DECAY, "warmup": WARMUP, "warmup_start": WARMUP_START,
                   "milestones": MILESTONES, "gamma": GAMMA, "torch": torch.__version__,
                   "first_step": first,
                   "steps_detector_eval": [s["loss"] for s in eval_series],
                   "steps_detector_train": [s["loss"] for s in train_series]}, f, indent=1)
    print("tau %.4f (areas %s)" % (tau, ", ".join("%.4f" % a for a in out["areas"])))
    print("first step: %s" % ", ".join("%s %.5f" % kv for kv in first.items()))
    print("ten steps, D eval: %s" % ", ".join("%.4f" % s["loss"] for s in eval_series))
    print("ten steps, D train: %s" % ", ".join("%.4f" % s["loss"] for s in train_series))


if __name__ == "__main__":
    main()
