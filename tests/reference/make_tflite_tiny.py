#!/usr/bin/python3
"""Tiny TensorFlow Lite models written by our own flatbuffer writer, with
their uint8 outputs by tflite_reference.py (TensorFlow Lite's reference
kernels in numpy), for tests/engine/test-tflite.c and the fuzzer's seeds.

The network (all uint8, weights from a fixed seed) takes a 1x6x6x3 input
through CONV_2D 3x3 SAME stride 1 with ReLU6, DEPTHWISE_CONV_2D 3x3 SAME
stride 2 with depth multiplier 2 and ReLU (padding 0 before, 1 after: the
odd case), ADD of a constant, AVERAGE_POOL_2D 2x2 SAME stride 2 (windows cut
at the edge), RESHAPE and SOFTMAX: the cases the MobileNets do not reach.

Writes tests/fixtures/tflite/
  tiny.tflite             the model; operator codes carry both builtin_code
                          and deprecated_builtin_code
  tiny-deprecated.tflite  operator codes with deprecated_builtin_code only
                          (as files from before the field existed)
  tiny-per-axis.tflite    the convolution's weights quantized per output
                          channel (quantized_dimension 0)
  tiny-offset.tflite      the convolution's weights in a buffer stored by
                          offset and size after the flatbuffer, as the
                          converter writes models over 2 GB
  tiny.json               the input, every computed tensor and the
                          dequantized per-axis weights
and tests/fuzz/tflite-corpus/ (the four models, beside the regress-* inputs
the fuzzer once failed on).

Run: /usr/bin/python3 tests/reference/make_tflite_tiny.py
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tflite")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "tflite-corpus")


class Builder:
    """Writes a flatbuffer front to back: each table's vtable just before
    it, children after their parents (so every uoffset is positive)."""

    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def table(self, fields):
        """fields: per field id, None, (struct format, value) or
        ("ref", function writing the child and returning its position)."""
        layout, off = [], 4
        for i, f in enumerate(fields):
            if f is None:
                continue
            size = 4 if f[0] == "ref" else struct.calcsize("<" + f[0])
            off = (off + size - 1) // size * size
            layout.append((i, off, f))
            off += size
        self.align(2)
        vt = len(self.buf)
        offsets = [0] * len(fields)
        for i, o, _ in layout:
            offsets[i] = o
        self.buf += struct.pack("<HH%dH" % len(fields), 4 + 2 * len(fields), off, *offsets)
        self.align(8)
        pos = len(self.buf)
        self.buf += bytes(off)
        struct.pack_into("<i", self.buf, pos, pos - vt)
        for i, o, f in layout:
            if f[0] != "ref":
                struct.pack_into("<" + f[0], self.buf, pos + o, f[1])
        for i, o, f in layout:
            if f[0] == "ref":
                child = f[1]()
                struct.pack_into("<I", self.buf, pos + o, child - (pos + o))
        return pos

    def vector(self, fmt, values):
        size = struct.calcsize("<" + fmt)
        self.align(4)
        while (len(self.buf) + 4) % max(size, 4):
            self.buf += bytes(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I%d%s" % (len(values), fmt), len(values), *values)
        return pos

    def bytes_vector(self, data):
        self.align(16)
        while (len(self.buf) + 4) % 16:
            self.buf += bytes(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(data)) + data
        return pos

    def string(self, s):
        self.align(4)
        pos = len(self.buf)
        data = s.encode()
        self.buf += struct.pack("<I", len(data)) + data + b"\0"
        return pos

    def tables(self, writers):
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(writers)) + bytes(4 * len(writers))
        for k, w in enumerate(writers):
            child = w()
            slot = pos + 4 + 4 * k
            struct.pack_into("<I", self.buf, slot, child - slot)
        return pos


def tensors_and_ops():
    rng = np.random.default_rng(18)
    t = []   # (name, shape, type, data bytes or None, scales, zero points, quantized_dimension)

    def add(name, shape, kind, data=None, scale=None, zp=None, dim=0):
        t.append(dict(name=name, shape=shape, type=kind, data=data, scale=scale, zp=zp, dim=dim))
        return len(t) - 1

    u8, i32 = 3, 2
    x = add("input", [1, 6, 6, 3], u8, None, [0.0078125], [128])
    cw = rng.integers(0, 256, (4, 3, 3, 3), dtype=np.uint8)
    conv_w = add("conv/weights", [4, 3, 3, 3], u8, cw.tobytes(), [0.02], [120])
    conv_b = add("conv/bias", [4], i32, rng.integers(-3000, 3000, 4).astype("<i4").tobytes(), [0.0078125 * 0.02], [0])
    conv = add("conv/Relu6", [1, 6, 6, 4], u8, None, [0.05], [3])
    dww = rng.integers(0, 256, (1, 3, 3, 8), dtype=np.uint8)
    dw_w = add("dw/weights", [1, 3, 3, 8], u8, dww.tobytes(), [0.03], [100])
    dw_b = add("dw/bias", [8], i32, rng.integers(-500, 500, 8).astype("<i4").tobytes(), [0.05 * 0.03], [0])
    dw = add("dw/Relu", [1, 3, 3, 8], u8, None, [0.04], [10])
    const = add("add/constant", [1, 3, 3, 8], u8, rng.integers(0, 256, 72, dtype=np.uint8).tobytes(), [0.07], [50])
    added = add("add", [1, 3, 3, 8], u8, None, [0.1], [20])
    pool = add("pool", [1, 2, 2, 8], u8, None, [0.1], [20])
    shape = add("reshape/shape", [2], i32, np.array([1, 32], "<i4").tobytes())
    flat = add("reshape", [1, 32], u8, None, [0.1], [20])
    soft = add("softmax", [1, 32], u8, None, [1.0 / 256], [0])
    # (builtin, inputs, outputs, options type, options fields)
    ops = [
        (3, [x, conv_w, conv_b], [conv], 1, [("b", 0), ("i", 1), ("i", 1), ("b", 3)]),
        (4, [conv, dw_w, dw_b], [dw], 2, [("b", 0), ("i", 2), ("i", 2), ("i", 2), ("b", 1)]),
        (0, [dw, const], [added], 11, [("b", 0)]),
        (1, [added], [pool], 5, [("b", 0), ("i", 2), ("i", 2), ("i", 2), ("i", 2), ("b", 0)]),
        (22, [pool, shape], [flat], 0, None),
        (25, [flat], [soft], 9, [("f", 1.0)]),
    ]
    return t, ops, [x], [soft]


def write_model(tensors, ops, inputs, outputs, codes_style="both", offset_buffer=None):
    """codes_style: "both", "deprecated" (deprecated_builtin_code only).
    offset_buffer: index of a tensor whose data goes after the flatbuffer,
    named by the buffer's offset and size."""
    b = Builder()
    b.buf += bytes(8)
    b.buf[4:8] = b"TFL3"
    builtins = sorted({op[0] for op in ops})
    # buffer 0 is empty, as the converter writes; then one per constant
    buffer_of, buffers = {}, [None]
    for k, t in enumerate(tensors):
        if t["data"] is not None:
            buffer_of[k] = len(buffers)
            buffers.append(k)
    patches = []

    def code(builtin):
        def w():
            if codes_style == "deprecated":
                return b.table([("b", builtin), None, ("i", 1)])
            return b.table([("b", min(builtin, 127)), None, ("i", 1), ("i", builtin)])
        return w

    def quant(t):
        def w():
            return b.table([None, None, ("ref", lambda: b.vector("f", t["scale"])),
                            ("ref", lambda: b.vector("q", t["zp"])), None, None, ("i", t["dim"])])
        return w

    def tensor(k, t):
        def w():
            fields = [("ref", lambda: b.vector("i", t["shape"])), ("b", t["type"]), ("I", buffer_of.get(k, 0)),
                      ("ref", lambda: b.string(t["name"]))]
            if t["scale"] is not None:
                fields.append(("ref", quant(t)))
            return b.table(fields)
        return w

    def op(o):
        def w():
            fields = [("I", builtins.index(o[0])), ("ref", lambda: b.vector("i", o[1])),
                      ("ref", lambda: b.vector("i", o[2]))]
            if o[4] is not None:
                fields += [("B", o[3]), ("ref", lambda: b.table(o[4]))]
            return b.table(fields)
        return w

    def buffer(k):
        def w():
            if k is None:
                return b.table([])
            if k == offset_buffer:
                pos = b.table([None, ("Q", 0), ("Q", len(tensors[k]["data"]))])
                patches.append((pos, k))
                return pos
            return b.table([("ref", lambda: b.bytes_vector(tensors[k]["data"]))])
        return w

    def subgraph():
        return b.table([("ref", lambda: b.tables([tensor(k, t) for k, t in enumerate(tensors)])),
                        ("ref", lambda: b.vector("i", inputs)), ("ref", lambda: b.vector("i", outputs)),
                        ("ref", lambda: b.tables([op(o) for o in ops])), ("ref", lambda: b.string("main"))])

    b.align(8)
    root = b.table([("I", 3), ("ref", lambda: b.tables([code(c) for c in builtins])),
                    ("ref", lambda: b.tables([subgraph])), ("ref", lambda: b.string("Vitrine test model")),
                    ("ref", lambda: b.tables([buffer(k) for k in buffers]))])
    struct.pack_into("<I", b.buf, 0, root)
    for pos, k in patches:
        b.align(16)
        at = len(b.buf)
        b.buf += tensors[k]["data"]
        # Buffer.offset is field 1: the table's inline data after the soffset
        vt = pos - struct.unpack_from("<i", b.buf, pos)[0]
        field = struct.unpack_from("<H", b.buf, vt + 4 + 2 * 1)[0]
        struct.pack_into("<Q", b.buf, pos + field, at)
    return bytes(b.buf)


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, ops, inputs, outputs = tensors_and_ops()
    files = {"tiny.tflite": write_model(tensors, ops, inputs, outputs),
             "tiny-deprecated.tflite": write_model(tensors, ops, inputs, outputs, "deprecated"),
             "tiny-offset.tflite": write_model(tensors, ops, inputs, outputs, offset_buffer=1)}
    per_axis = [dict(t) for t in tensors]
    per_axis[1] = dict(per_axis[1], scale=[0.02, 0.01, 0.005, 0.04], zp=[120, 0, 255, 7], dim=0)
    files["tiny-per-axis.tflite"] = write_model(per_axis, ops, inputs, outputs)
    # The corpus also keeps regress-* inputs the fuzzer once failed on.
    os.makedirs(CORPUS, exist_ok=True)
    for name, data in files.items():
        for where in (OUT, CORPUS):
            with open(os.path.join(where, name), "wb") as f:
                f.write(data)

    image = np.random.default_rng(7).integers(0, 256, (6, 6, 3), dtype=np.uint8)
    _, values = R.run(os.path.join(OUT, "tiny.tflite"), image)
    w = np.frombuffer(per_axis[1]["data"], np.uint8).reshape(4, 27).astype(np.float64)
    dequantized = ((w - np.array(per_axis[1]["zp"])[:, None]) *
                   np.array(per_axis[1]["scale"], np.float32).astype(np.float64)[:, None]).astype(np.float32)
    with open(os.path.join(OUT, "tiny.json"), "w") as f:
        json.dump({"input": image.tobytes().hex(),
                   "tensors": {str(k): v.astype(np.uint8).tobytes().hex() for k, v in values.items() if k != 0},
                   "per_axis_weights": [float(v) for v in dequantized.ravel()]}, f, indent=1)


if __name__ == "__main__":
    main()
