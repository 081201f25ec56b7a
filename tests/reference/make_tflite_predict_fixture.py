#!/usr/bin/python3
"""What the predict step must say for Coral's MobileNet V2 on the sample
photos, by TensorFlow Lite's reference kernels in numpy
(tflite_reference.py), for tests/engine/test-tflite.c.

Writes tests/fixtures/tflite/predict.json: for each sample photo (Pillow
LANCZOS to 224x224, as Coral's examples resize), the uint8 logits (what
SOFTMAX takes) in hex with their scale and zero point, the five largest
(ties to the lower index) with their names from imagenet_labels.txt, and
the float64 softmax of the dequantized logits at those five.

Run: /usr/bin/python3 tests/reference/make_tflite_predict_fixture.py  (about 10 s)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402
from make_tflite_fixtures import MODELS, OUT, PHOTOS, V2  # noqa: E402


def main():
    path = os.path.join(MODELS, V2)
    labels = open(os.path.join(MODELS, "imagenet_labels.txt")).read().splitlines()
    tensors, ops, _, outputs = R.load(path)
    softmax = [op for op in ops if op.outputs[0] == outputs[0]][0]
    assert softmax.code == 25
    logits_index = softmax.inputs[0]
    t = tensors[logits_index]
    scale, zero_point = float(np.float32(t.scale[0])), int(t.zero_point[0])
    photos = []
    for photo in PHOTOS:
        _, values = R.run(path, R.preprocess(os.path.join(MODELS, photo)))
        q = values[logits_index].astype(np.uint8).ravel()
        x = (q.astype(np.float64) - zero_point) * scale
        p = np.exp(x - x.max())
        p /= p.sum()
        top = np.argsort(-x, kind="stable")[:5]
        photos.append({"photo": photo, "logits": q.tobytes().hex(),
                       "top5": [int(i) for i in top], "classes": [labels[i] for i in top],
                       "probabilities": [float(p[i]) for i in top]})
        print(photo, photos[-1]["classes"], flush=True)
    with open(os.path.join(OUT, "predict.json"), "w") as f:
        json.dump({"model": V2, "logits_tensor": int(logits_index), "scale": scale, "zero_point": zero_point,
                   "photos": photos}, f, indent=1)


if __name__ == "__main__":
    main()
