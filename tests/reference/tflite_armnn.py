#!/usr/bin/python3
"""The Coral MobileNets through an independent interpreter: ArmNN's TFLite
parser and its CpuRef reference backend (Debian's python3-pyarmnn and
libarmnn-cpuref-backend22), against tflite_reference.py (TensorFlow Lite's
reference kernels in numpy, whose outputs test-tflite.c checks Vitrine
against). Not run by any test: a check for the README.

Prints, per image, whether the uint8 outputs are identical and the largest
difference in quantization steps, for the sample photos (both models) and
the first 10 CIFAR-10 test JPEGs of each class upscaled to 224 (classifier).

Run: nice /usr/bin/python3 tests/reference/tflite_armnn.py  (about 8 s an image)
"""
import os
import sys

import numpy as np
import pyarmnn as ann

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402
from make_tflite_fixtures import ASSETS, CLASSES, MODELS, PHOTOS, V1, V2  # noqa: E402


class ArmNN:
    def __init__(self, path):
        self.parser = ann.ITfLiteParser()
        network = self.parser.CreateNetworkFromBinaryFile(path)
        self.input = self.parser.GetNetworkInputBindingInfo(0, self.parser.GetSubgraphInputTensorNames(0)[0])
        self.output = self.parser.GetNetworkOutputBindingInfo(0, self.parser.GetSubgraphOutputTensorNames(0)[0])
        self.runtime = ann.IRuntime(ann.CreationOptions())
        optimized, _ = ann.Optimize(network, [ann.BackendId("CpuRef")], self.runtime.GetDeviceSpec(),
                                    ann.OptimizerOptions())
        self.net_id, _ = self.runtime.LoadNetwork(optimized)

    def __call__(self, image):
        inputs = ann.make_input_tensors([self.input], [image[None]])
        outputs = ann.make_output_tensors([self.output])
        self.runtime.EnqueueWorkload(self.net_id, inputs, outputs)
        return ann.workload_tensors_to_ndarray(outputs)[0].ravel()


def compare(what, armnn, path, image):
    (ours,), _ = R.run(path, image)
    theirs = armnn(image).astype(np.int64)
    ours = ours.ravel().astype(np.int64)
    diff = np.abs(ours - theirs)
    print("%-40s identical=%s max_steps=%d differing=%d top1 ours=%d armnn=%d" %
          (what, bool((diff == 0).all()), int(diff.max()), int((diff > 0).sum()),
           int(ours.argmax()), int(theirs.argmax())), flush=True)
    return int(diff.max())


def main():
    worst = 0
    nets = {m: ArmNN(os.path.join(MODELS, m)) for m in (V2, V1)}
    for photo in PHOTOS:
        image = R.preprocess(os.path.join(MODELS, photo))
        for m in (V2, V1):
            worst = max(worst, compare("%s %s" % (photo, m[:12]), nets[m], os.path.join(MODELS, m), image))
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for label in CLASSES:
        folder = os.path.join(ASSETS, "datasets", "cifar10-jpg", "test", label)
        for name in sorted(os.listdir(folder))[:limit]:
            image = R.preprocess(os.path.join(folder, name))
            worst = max(worst, compare("cifar %s/%s" % (label, name), nets[V2], os.path.join(MODELS, V2), image))
    print("largest difference: %d quantization steps" % worst)


if __name__ == "__main__":
    main()
