#!/usr/bin/python3
"""The Coral MobileNets through an independent interpreter: ArmNN's TFLite
parser and its CpuRef reference backend (Debian's python3-pyarmnn and
libarmnn-cpuref-backend22), against tflite_reference.py (TensorFlow Lite's
reference kernels in numpy, whose outputs test-tflite.c checks Vitrine
against). Not run by any test: a check for the README.

Prints, per image, whether the uint8 outputs are identical and the largest
difference in quantization steps, for the sample photos (both models) and
the first 10 CIFAR-10 test JPEGs of each class upscaled to 224 (classifier).

Then, to show where the two depart, the same for tensors inside the graph
(the model's output switched to that tensor in a copy of the file): the
classifier's logits before SOFTMAX, and MobileNet V1's layers one by one on
parrot.jpg.

`tflite_armnn.py rounding` shows why, on MobileNet V1's first two operators.

Run: nice /usr/bin/python3 tests/reference/tflite_armnn.py [N | inside | rounding]
(N CIFAR-10 images per class, default 10; about 8 s an image)
"""
import os
import struct
import sys
import tempfile

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


def with_output(path, tensor):
    """A copy of the model whose (single) output is @tensor."""
    buf = bytearray(open(path, "rb").read())
    model = R.Table(bytes(buf), struct.unpack_from("<I", buf, 0)[0])
    sg = model.tables(2)[0]
    outputs = sg._target(2)
    assert struct.unpack_from("<I", buf, outputs)[0] == 1
    struct.pack_into("<i", buf, outputs + 4, tensor)
    fd, copy = tempfile.mkstemp(suffix=".tflite")
    os.write(fd, bytes(buf))
    os.close(fd)
    return copy


def inside():
    """Logits of the classifier (tensor 171, before RESHAPE and SOFTMAX)
    on the photos; then MobileNet V1's layers on parrot.jpg."""
    logits = with_output(os.path.join(MODELS, V2), 171)
    net = ArmNN(logits)
    for photo in PHOTOS:
        compare("logits %s" % photo, net, logits, R.preprocess(os.path.join(MODELS, photo)))
    os.unlink(logits)
    _, ops, _, _ = R.load(os.path.join(MODELS, V1))
    image = R.preprocess(os.path.join(MODELS, "parrot.jpg"))
    for k in (0, 1, 2, 3, 5, 9, 13, 19, 26, 27):
        layer = with_output(os.path.join(MODELS, V1), ops[k].outputs[0])
        compare("V1 operator %d (code %d)" % (k, ops[k].code), ArmNN(layer), layer, image)
        os.unlink(layer)


def rounding():
    """Why they depart: MobileNet V1's first two operators on parrot.jpg.
    ArmNN's CpuRef dequantizes to float, computes, and quantizes once,
    round(acc * M); TensorFlow Lite's MultiplyByQuantizedMultiplier rounds
    twice (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT), so
    where the right shift is small (1 bit in the depthwise layer here) the
    two disagree by one step on a large share of the outputs, and the
    differences compound layer after layer."""
    path = os.path.join(MODELS, V1)
    tensors, ops, _, _ = R.load(path)
    image = R.preprocess(os.path.join(MODELS, "parrot.jpg"))
    _, ours = R.run(path, image)
    armnn = {}
    for k in (0, 1):
        layer = with_output(path, ops[k].outputs[0])
        shape = tensors[ops[k].outputs[0]].shape
        armnn[k] = ArmNN(layer)(image).reshape(shape).astype(np.int64)
        os.unlink(layer)
    # Both operators on ArmNN's own inputs, so that only the arithmetic differs.
    inputs = {0: ours[ops[0].inputs[0]], 1: armnn[0]}
    for k in (0, 1):
        op = ops[k]
        tin, tw, tb = (tensors[i] for i in op.inputs)
        tout = tensors[op.outputs[0]]
        p = R.patches(inputs[k], 3, 3, op, tin.zero_point[0]) - tin.zero_point[0]
        w = tw.data.astype(np.int64) - tw.zero_point[0]
        acc = (np.einsum("nhwyxc,oyxc->nhwo", p, w) if op.code == 3 else
               np.einsum("nhwyxc,yxc->nhwc", p, w[0])) + tb.data.astype(np.int64)
        lo, hi = R.activation_range(op.activation, tout.scale[0], tout.zero_point[0])
        real = float(np.float32(tin.scale[0])) * float(np.float32(tw.scale[0])) / float(np.float32(tout.scale[0]))
        m, shift = R.quantize_multiplier(real)
        once = np.clip(np.round(acc * real) + tout.zero_point[0], lo, hi)
        twice = np.clip(R.mbqm(acc, m, shift) + tout.zero_point[0], lo, hi)
        print("V1 operator %d: shift %d; of %d outputs, rounding once differs from ArmNN at %d, "
              "TFLite's two roundings differ from rounding once at %d (at most %d step)" %
              (k, shift, acc.size, int((once != armnn[k]).sum()), int((twice != once).sum()),
               int(np.abs(twice - once).max())), flush=True)


def main():
    if sys.argv[1:] == ["inside"]:
        inside()
        return
    if sys.argv[1:] == ["rounding"]:
        rounding()
        return
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
