#!/usr/bin/python3
"""The PyTorch side of tests/bench/comet.sh: one COMET training step on the
networks of tests/reference/make_comet_fixture.py (its Selector, a fresh
CIFAR ResNet predictor in training mode, the real ResNet-20 detector in
eval mode, its parameters frozen), with torch.optim.AdamW over S and P.

  comet_torch.py DETECTOR BATCH [DEPTH [WIDTH]]

One backward pass of L: P's parameters then hold (1 + a·[hinge > 0]) times
the gradient of L1 (L2 and the area do not depend on them), so dividing
them by that factor gives P the gradient of L1 alone, as the step needs,
without a second backward pass. 32×32 random pixels and random labels.
Times as many steps as fit in two seconds after a warm-up and prints the
median milliseconds and the seconds an epoch of CIFAR-10's 50,000 training
images would take (data loading not counted) as JSON. Threads:
torch.set_num_threads(THREADS from the environment, 1).
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import make_comet_fixture as ref  # noqa: E402
import safetensors_io  # noqa: E402

A, G, B, TAU = 4.0, 2.0, 100.0, 0.6


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    torch.manual_seed(3)
    batch = int(sys.argv[2])
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    width = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    tensors, _ = safetensors_io.read(sys.argv[1])
    D = {k[len("module."):] if k.startswith("module.") else k: torch.from_numpy(v.copy()).float()
         if v.dtype != "int64" else torch.from_numpy(v.copy()) for k, v in tensors.items()}
    S = ref.Selector(width)
    P_init, blocks = ref.fresh_predictor(depth, 10)
    P = {k: v.clone().requires_grad_(ref.is_parameter(k)) for k, v in P_init.items()}
    p_params = [v for k, v in P.items() if ref.is_parameter(k)]
    optimizer = torch.optim.AdamW(list(S.parameters()) + p_params, lr=5e-4, weight_decay=0.03)
    x = torch.rand(batch, 3, 32, 32) * 4 - 2
    y = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        m = torch.sigmoid(S(x))
        l1 = F.cross_entropy(ref.cifar_resnet(P, x * m, blocks, True), y)
        l2 = F.cross_entropy(ref.cifar_resnet(D, x * (1 - m), 3, False), y)
        hinge = torch.clamp(l1 - l2 + G, min=0)
        loss = l1 + A * hinge + B * torch.clamp(m.mean((1, 2, 3)) - TAU, min=0).mean()
        loss.backward()
        if hinge.item() > 0:
            for p in p_params:
                p.grad /= 1 + A
        optimizer.step()

    step()
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < 2.0:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"ms": ms, "epoch_s": ms / 1000 * math.ceil(50000 / batch)}))


if __name__ == "__main__":
    main()
