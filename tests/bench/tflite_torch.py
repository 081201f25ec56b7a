#!/usr/bin/python3
"""The PyTorch side of tests/bench/tflite-vs-torch.sh: torchvision's
mobilenet_v2 (the architecture of Coral's MobileNet V2, 1001 classes as
its file has, random weights) under torch.inference_mode on random
224x224 input.

  tflite_torch.py BATCH REPEATS    median images/s and peak RSS, as JSON
"""
import json
import resource
import sys
import time

import torch
import torchvision


def main():
    batch, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=1001).eval()
    x = torch.randn(batch, 3, 224, 224)
    times = []
    with torch.inference_mode():
        for r in range(repeats + 1):
            start = time.perf_counter()
            model(x)
            if r > 0:
                times.append(time.perf_counter() - start)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"images_per_second": batch / times[len(times) // 2], "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
