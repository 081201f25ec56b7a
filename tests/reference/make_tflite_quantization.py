#!/usr/bin/python3
"""The quantization parameters a .tflite stores for a few constant tensors,
read by tflite_reference.py's own flatbuffer reader (not Vitrine's), for
tests/gui/test-tflite-window.c: the Model area shows them beside the
statistics.

Writes tests/fixtures/tflite/quantization.json:
  { FILE: { TENSOR: { "scale": [...], "zero_point": [...],
                      "quantized_dimension": D } } }
for Coral's MobileNet V2 (a weight and a bias, one scale each) and
tiny-per-axis.tflite (every tensor with a scale per channel).

Run: /usr/bin/python3 tests/reference/make_tflite_quantization.py
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "tflite")
V2 = os.path.join(ASSETS, "models", "coral-mobilenet", "mobilenet_v2_1.0_224_quant.tflite")
PER_AXIS = os.path.join(OUT, "tiny-per-axis.tflite")
V2_NAMES = [
    "MobilenetV2/Conv/Conv2D_Fold;MobilenetV2/Conv/weights_quant/FakeQuantWithMinMaxVars",
    "MobilenetV2/Logits/Conv2d_1c_1x1/BiasAdd;MobilenetV2/Logits/Conv2d_1c_1x1/Conv2D;"
    "MobilenetV2/Logits/Conv2d_1c_1x1/biases",
]


def quantization(path):
    """Each tensor's name: its scales, zero points and quantized dimension
    (QuantizationParameters fields 2, 3 and 6 of the schema)."""
    buf = open(path, "rb").read()
    model = R.Table(buf, struct.unpack_from("<I", buf, 0)[0])
    out = {}
    for t in model.tables(2)[0].tables(0):
        q = t.table(4)
        if q is not None and q.vector(2, "f"):
            out[t.string(3)] = {"scale": q.vector(2, "f"), "zero_point": q.vector(3, "q"),
                                "quantized_dimension": q.scalar(6, "i")}
    return out


def main():
    v2 = quantization(V2)
    per_axis = {k: v for k, v in quantization(PER_AXIS).items() if len(v["scale"]) > 1}
    assert per_axis, "tiny-per-axis.tflite has no tensor quantized per channel"
    with open(os.path.join(OUT, "quantization.json"), "w") as f:
        json.dump({"mobilenet_v2_1.0_224_quant.tflite": {n: v2[n] for n in V2_NAMES},
                   "tiny-per-axis.tflite": per_axis}, f, indent=1)


if __name__ == "__main__":
    main()
