#!/usr/bin/python3
"""Writes tests/fixtures/pth/: PyTorch checkpoints saved by Debian's torch.save
(PyTorch 1.13), each with what torch.load(weights_only=True) gives for it, and
malformed ones that must be refused.

For every good NAME.pth (zip format) and NAME-legacy.pth
(_use_new_zipfile_serialization=False), NAME.expected.safetensors holds the
state dict exactly as torch.load(weights_only=True) returns it, in its order,
with the checkpoint's other entries (str() of each) as metadata.

Run: /usr/bin/python3 tests/reference/make_pth_fixtures.py
"""
import collections
import os
import pickle
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "pth")


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).mean((2, 3)))


def shared_storage():
    """Views of one storage with offsets and strides, and other dtypes."""
    base = torch.arange(60, dtype=torch.float32) * 0.5 - 7
    grid = base.view(6, 10)
    return collections.OrderedDict([
        ("whole", base),
        ("rows", base[10:22].view(3, 4)),               # offset 10, contiguous
        ("transposed", grid.t()),                       # strides (1, 10)
        ("block", grid[1:4, 2:7:2]),                     # offset 12, strides (10, 2)
        ("column", grid[:, 3]),                         # offset 3, stride 10
        ("scalar", torch.tensor(3.25)),
        ("empty", torch.zeros(0, 5)),
        ("half", torch.linspace(-2, 2, 7).half()),
        ("double", torch.linspace(0, 1, 5, dtype=torch.float64)),
        ("long", torch.arange(-3, 9, dtype=torch.int64).view(3, 4).t()),
        ("mask", torch.tensor([True, False, True])),
        ("bytes", torch.arange(200, 206, dtype=torch.uint8)),
    ])


def models():
    torch.manual_seed(18)
    net = TinyNet()
    net.bn.running_mean.uniform_(-1, 1)
    net.bn.running_var.uniform_(0.5, 2)
    net.bn.num_batches_tracked += 7
    yield "nested", {"state_dict": net.state_dict(), "epoch": 12, "best_acc": 0.8125, "arch": "tinynet"}, "state_dict"
    yield "shared", shared_storage(), None
    # Parameters themselves (torch._utils._rebuild_parameter), in a dict
    # two levels down beside an optimizer's settings.
    params = collections.OrderedDict(net.named_parameters())
    yield "parameters", {"model": {"weights": params, "step": 3}, "lr": 0.01}, "model/weights"
    # DataParallel's "module." prefix is kept, as in the CIFAR ResNets.
    wrapped = torch.nn.DataParallel(TinyNet())
    yield "dataparallel", {"state_dict": wrapped.state_dict(), "best_prec1": 91.5}, "state_dict"


def load(file):
    """torch.load(weights_only=True), except that PyTorch 1.13's restricted
    unpickler lacks some opcodes torch.save writes (BINFLOAT for a float such
    as best_acc beside the state dict; FRAME of protocol 4): those files,
    written just above, are loaded in full instead."""
    try:
        return torch.load(file, weights_only=True)
    except pickle.UnpicklingError as error:
        if "Unsupported operand" not in str(error):
            raise
        return torch.load(file)


def metadata_of(obj, path):
    """The other entries on the way to the state dict, as str()."""
    meta = {}
    if path is None:
        return meta
    parts = path.split("/")
    node, prefix = obj, ""
    for part in parts:
        for key, value in node.items():
            if key != part:
                meta[prefix + key] = describe(value)
        node, prefix = node[part], prefix + part + "/"
    return meta


def describe(value):
    if isinstance(value, dict):
        return f"a dict of {len(value)} entries"
    return str(value)


def state_dict_of(loaded, path):
    node = loaded
    for part in (path.split("/") if path else []):
        node = node[part]
    return node


def legacy_file(main_pickle, storages):
    """A legacy torch.save file around a hand-written pickle: the magic
    pickles, @main_pickle, the storage keys, then each (key, bytes, element size)."""
    out = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += main_pickle
    out += pickle.dumps([key for key, _, _ in storages], protocol=2)
    for _, blob, size in storages:
        out += struct.pack("<q", len(blob) // size) + blob
    return out


def tensor_pickle(offset, size, stride, numel):
    """{"w": a float tensor on storage "0" of @numel elements}, by hand."""
    def tup(values):
        return b"(" + b"".join(b"K" + bytes([v]) for v in values) + b"t"
    return (b"\x80\x02}(X\x01\x00\x00\x00w"
            b"ctorch._utils\n_rebuild_tensor_v2\n("
            b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
            + b"K" + bytes([numel]) + b"tQ"
            + b"K" + bytes([offset]) + tup(size) + tup(stride)
            + b"\x89ccollections\nOrderedDict\n)RtRu.")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, obj, path in models():
        for legacy in (False, True):
            file = os.path.join(OUT, name + ("-legacy" if legacy else "") + ".pth")
            torch.save(obj, file, _use_new_zipfile_serialization=not legacy)
            loaded = load(file)
            state = state_dict_of(loaded, path)
            expected = os.path.join(OUT, name + ("-legacy" if legacy else "") + ".expected.safetensors")
            safetensors_io.write(expected, state, metadata_of(loaded, path) or None)
            print(file, len(state), "tensors")
    # The same state dict with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL).
    file = os.path.join(OUT, "protocol4.pth")
    torch.save(shared_storage(), file, pickle_protocol=4)
    safetensors_io.write(os.path.join(OUT, "protocol4.expected.safetensors"), load(file))

    # Refused: a global that runs a command, both formats.
    torch.save({"state_dict": Evil()}, os.path.join(OUT, "bad-os-system.pth"))
    torch.save({"state_dict": Evil()}, os.path.join(OUT, "bad-os-system-legacy.pth"),
               _use_new_zipfile_serialization=False)
    # Refused: REDUCE of an allowed global that is not a constructor we know
    # (torch.FloatStorage called directly).
    reduce_storage = b"\x80\x02}X\x01\x00\x00\x00wctorch\nFloatStorage\nK\x04\x85Rs."
    with open(os.path.join(OUT, "bad-reduce.pth"), "wb") as f:
        f.write(legacy_file(reduce_storage, []))
    # Refused: a tensor whose storage offset is past its storage's bytes.
    with open(os.path.join(OUT, "bad-offset.pth"), "wb") as f:
        f.write(legacy_file(tensor_pickle(100, [2], [1], 4), [("0", struct.pack("<4f", 1, 2, 3, 4), 4)]))
    # The same pickle with an offset in range: a control that must load.
    with open(os.path.join(OUT, "good-offset.pth"), "wb") as f:
        f.write(legacy_file(tensor_pickle(2, [2], [1], 4), [("0", struct.pack("<4f", 1, 2, 3, 4), 4)]))
    # Refused: a recursion bomb, 20,000 nested lists.
    bomb = b"\x80\x02" + b"]" * 20000 + b"a" * 19999 + b"."
    with open(os.path.join(OUT, "bad-bomb.pth"), "wb") as f:
        f.write(legacy_file(bomb, []))


if __name__ == "__main__":
    main()
