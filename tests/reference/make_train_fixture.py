"""Writes tests/fixtures/train/resnet20-sgd-losses.json: every step's loss of
fine-tuning the whole CIFAR ResNet-20 (the shared checkpoint) with
torch.optim.SGD on the 20 training images of tests/fixtures/datasets/cifar10-bin,
in their stored order, no augmentation, BatchNorm in eval mode (the running
statistics, as Vitrine's train step runs it), float32 as Vitrine trains.

The recipe is the one test-batch's /batch/train/reference gives the train
step: batch 4, 5 epochs (25 steps), lr 0.002, momentum 0.9, weight decay
5e-4, constant schedule, label smoothing 0.1, "shuffle": false. The
smoothing keeps every loss well above float32's rounding of a log-softmax
(a confident batch's plain loss, 7e-7, is a few ulps of 1 and no
relative comparison could hold).

Run: /usr/bin/python3 tests/reference/make_train_fixture.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
DATA = os.path.join(ROOT, "tests", "fixtures", "datasets", "cifar10-bin")
OUT = os.path.join(ROOT, "tests", "fixtures", "train", "resnet20-sgd-losses.json")
CKPT = "models/cifar-resnet/resnet20-12fca82f.safetensors"
MEAN = [0.485, 0.456, 0.406]   # the CIFAR ResNet preset Vitrine applies
STD = [0.229, 0.224, 0.225]
BATCH, EPOCHS, LR, MOMENTUM, WEIGHT_DECAY, SMOOTHING = 4, 5, 0.002, 0.9, 5e-4, 0.1


def read_cifar_train():
    images, labels = [], []
    for i in range(1, 6):
        raw = np.fromfile(os.path.join(DATA, "data_batch_%d.bin" % i), dtype=np.uint8).reshape(-1, 3073)
        labels.extend(int(l) for l in raw[:, 0])
        images.append(raw[:, 1:].reshape(-1, 3, 32, 32))
    x = torch.from_numpy(np.concatenate(images)).float() / 255.0
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x, torch.tensor(labels)


def bn(x, w, name):
    return F.batch_norm(x, w[name + ".running_mean"], w[name + ".running_var"], w[name + ".weight"],
                        w[name + ".bias"], False, 0.0, 1e-5)


def resnet20(w, x):
    h = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), w, "bn1"))
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range(3):
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
    return F.linear(h.mean((2, 3)), w["linear.weight"], w["linear.bias"])


def main():
    torch.set_num_threads(1)
    tensors, _ = safetensors_io.read(os.path.join(ASSETS, CKPT))
    w = {k[len("module."):]: torch.from_numpy(v.copy()) for k, v in tensors.items()}
    params = [v.requires_grad_(True) for k, v in w.items() if not k.endswith(("running_mean", "running_var",
                                                                              "num_batches_tracked"))]
    optimizer = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    x, y = read_cifar_train()
    losses = []
    for _ in range(EPOCHS):
        for start in range(0, len(y), BATCH):
            optimizer.zero_grad()
            loss = F.cross_entropy(resnet20(w, x[start:start + BATCH]), y[start:start + BATCH],
                                   label_smoothing=SMOOTHING)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with open(OUT, "w") as f:
        json.dump({"checkpoint": "shared:" + CKPT, "dataset": "tests/fixtures/datasets/cifar10-bin",
                   "trains": "all", "batch": BATCH, "epochs": EPOCHS, "optimizer": "sgd", "lr": LR,
                   "momentum": MOMENTUM, "weight_decay": WEIGHT_DECAY, "label_smoothing": SMOOTHING, "torch": torch.__version__,
                   "losses": losses}, f, indent=1)
    print("%s: %d steps, loss %.4f -> %.4f" % (OUT, len(losses), losses[0], losses[-1]))


if __name__ == "__main__":
    main()
