#!/usr/bin/python3
"""The PyTorch side of tests/bench/train.sh: one forward and backward pass
of the CIFAR ResNet-20 (make_cifar_fixture.py's model, the real weights).

  train_torch.py BATCH SIZE [eval|train]

BatchNorm in eval mode (the running statistics), or with "train" in
model.train() mode (batch statistics, running statistics updated), as
bench-train takes the same word; every parameter trains, the input needs no gradient; the scalar
is F.cross_entropy on random labels. Times forward, loss and backward
(gradients zeroed with set_to_none), as many steps as fit in two seconds
after a warm-up, and prints the median milliseconds and images per second
as JSON. Threads: torch.set_num_threads(THREADS from the environment, 1).
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import make_cifar_fixture  # noqa: E402


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    torch.manual_seed(3)
    batch, size = int(sys.argv[1]), int(sys.argv[2])
    model = make_cifar_fixture.load(20)
    if len(sys.argv) > 3 and sys.argv[3] == "train":
        model.train()
    x = torch.rand(batch, 3, size, size) * 4 - 2
    labels = torch.randint(0, 10, (batch,))

    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()

    step()
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < 2.0:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"ms": ms, "images_per_s": batch * 1000 / ms}))


if __name__ == "__main__":
    main()
