#!/usr/bin/python3
"""The float path of the Coral MobileNets: the graph on the dequantized
weights, in float64 numpy (tflite_reference.run_float), for
tests/engine/test-tflite.c.

Writes tests/fixtures/tflite/float.json: for parrot.jpg (Pillow LANCZOS to
224, dequantized as (p - 128) / 128) through each model, the float output
(1001 probabilities; the 1024-d embedding) and, for the classifier, the
logits before SOFTMAX.

Run: /usr/bin/python3 tests/reference/make_tflite_float_fixture.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402
from make_tflite_fixtures import MODELS, OUT, V1, V2  # noqa: E402


def main():
    image = R.preprocess(os.path.join(MODELS, "parrot.jpg"))
    x = (image.astype(np.float64) - 128) * np.float32(0.0078125)
    out = {}
    for model in (V2, V1):
        (y,), values = R.run_float(os.path.join(MODELS, model), x)
        out[model] = {"output": [float(v) for v in y.ravel()]}
        if model == V2:
            out[model]["logits"] = [float(v) for v in values[172].ravel()]
            print(model, "top1", int(y.ravel().argmax()))
    with open(os.path.join(OUT, "float.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
