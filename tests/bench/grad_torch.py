#!/usr/bin/python3
"""The PyTorch side of tests/bench/grad.sh: one layer's backward pass.

  grad_torch.py conv N C H K KERNEL STRIDE PAD GROUPS
  grad_torch.py linear ROWS IN OUT

Times torch.autograd.grad of the layer's output (input, weight and bias
gradients, the graph kept between runs) on random values, as many runs as
fit in half a second after a warm-up, and prints the median milliseconds as
JSON. Threads: torch.set_num_threads(THREADS from the environment, 1).
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    torch.manual_seed(3)
    kind, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if kind == "conv":
        n, c, h, k, kernel, stride, pad, groups = args
        x = torch.rand(n, c, h, h, requires_grad=True)
        w = torch.rand(k, c // groups, kernel, kernel, requires_grad=True)
        b = torch.rand(k, requires_grad=True)
        y = F.conv2d(x, w, b, stride=stride, padding=pad, groups=groups)
    else:
        rows, fan_in, fan_out = args
        x = torch.rand(rows, fan_in, requires_grad=True)
        w = torch.rand(fan_out, fan_in, requires_grad=True)
        b = torch.rand(fan_out, requires_grad=True)
        y = F.linear(x, w, b)
    dy = torch.rand_like(y)

    def backward():
        torch.autograd.grad(y, [x, w, b], dy, retain_graph=True)

    backward()
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < 0.5:
        t0 = time.perf_counter()
        backward()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": statistics.median(times)}))


if __name__ == "__main__":
    main()
