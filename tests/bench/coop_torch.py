#!/usr/bin/python3
"""CoOp rounds in PyTorch, the reference side of tests/bench/coop.sh.

  coop_torch.py model OUT.safetensors WIDTH LAYERS   a random OpenCLIP text
      tower of that width (heads width/64, context 77, the real vocabulary)
      beside the OpenCLIP fixture's small image tower, embedding 512
  coop_torch.py data OUT.safetensors N CHECKPOINT    N image features (N, E)
      of the checkpoint's embedding size E and labels i mod 10
  coop_torch.py run CHECKPOINT DATA STEPS N_CTX      times STEPS SGD steps of
      CoOp on the 10 CIFAR-10 class names, one batch of all N features a
      step, float32 autograd through the frozen text tower (plain torch
      ops, as tests/reference/make_coop_fixture.py writes it), the prompts
      cut after the longest end token; prints JSON {seconds, first_loss,
      last_loss, length}
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "reference"))
import safetensors_io  # noqa: E402
from make_active_fixtures import SplitMix64  # noqa: E402
from make_tokenizer_fixture import SimpleTokenizer, VOCAB  # noqa: E402

FIXTURE = os.path.join(here, "..", "..", "..", "shared", "assets", "reference", "openclip", "clip_vit.safetensors")
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_model(out, width, layers):
    tensors, meta = safetensors_io.read(FIXTURE)
    g = torch.Generator().manual_seed(3)
    embed = 512
    w = {k: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("visual.") or k == "logit_scale"}
    w["visual.proj"] = torch.randn(64, embed, generator=g) / 8.0
    w["token_embedding.weight"] = 0.02 * torch.randn(49408, width, generator=g)
    w["positional_embedding"] = 0.01 * torch.randn(77, width, generator=g)
    for i in range(layers):
        b = "transformer.resblocks.%d." % i
        w[b + "ln_1.weight"] = torch.ones(width)
        w[b + "ln_1.bias"] = torch.zeros(width)
        w[b + "attn.in_proj_weight"] = torch.randn(3 * width, width, generator=g) / math.sqrt(width)
        w[b + "attn.in_proj_bias"] = torch.zeros(3 * width)
        w[b + "attn.out_proj.weight"] = torch.randn(width, width, generator=g) / math.sqrt(width)
        w[b + "attn.out_proj.bias"] = torch.zeros(width)
        w[b + "ln_2.weight"] = torch.ones(width)
        w[b + "ln_2.bias"] = torch.zeros(width)
        w[b + "mlp.c_fc.weight"] = torch.randn(4 * width, width, generator=g) / math.sqrt(width)
        w[b + "mlp.c_fc.bias"] = torch.zeros(4 * width)
        w[b + "mlp.c_proj.weight"] = torch.randn(width, 4 * width, generator=g) / math.sqrt(4 * width)
        w[b + "mlp.c_proj.bias"] = torch.zeros(width)
    w["ln_final.weight"] = torch.ones(width)
    w["ln_final.bias"] = torch.zeros(width)
    w["text_projection"] = torch.randn(width, embed, generator=g) / math.sqrt(width)
    config = json.loads(meta["open_clip_model_config"])
    config["embed_dim"] = embed
    config["text_cfg"] = {"context_length": 77, "vocab_size": 49408, "width": width, "heads": width // 64,
                          "layers": layers}
    safetensors_io.write(out, {k: w[k].float() if w[k].is_floating_point() else w[k] for k in sorted(w)},
                         {"format": "pt", "open_clip_model_config": json.dumps(config)})


def make_data(out, n, checkpoint):
    tensors, _ = safetensors_io.read(checkpoint)
    e = tensors["text_projection"].shape[1]
    g = torch.Generator().manual_seed(5)
    safetensors_io.write(out, {"features": torch.randn(n, e, generator=g), "labels": torch.arange(n, dtype=torch.int32) % 10})


def run(checkpoint, data, steps, n_ctx):
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    tensors, meta = safetensors_io.read(checkpoint)
    w = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items() if v.dtype.kind == "f"}
    heads = json.loads(meta["open_clip_model_config"])["text_cfg"]["heads"]
    layers = sum(1 for k in w if k.endswith("attn.in_proj_weight") and not k.startswith("visual."))
    d, _ = safetensors_io.read(data)
    features = torch.from_numpy(np.array(d["features"], dtype=np.float32))
    labels = torch.from_numpy(np.array(d["labels"], dtype=np.int64))
    tok = SimpleTokenizer(VOCAB)
    context = w["positional_embedding"].shape[0]
    full = torch.tensor([tok.tokenize(" ".join(["X"] * n_ctx) + " " + c + ".", context) for c in CLASSES])
    length = int(full.argmax(-1).max()) + 1
    ids = full[:, :length]
    c = w["ln_final.weight"].shape[0]
    fixed = w["token_embedding.weight"][ids]
    rng = SplitMix64(0)
    values = []
    for _ in range(n_ctx * c):
        u1, u2 = rng.uniform(), rng.uniform()
        values.append(0.02 * math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
    ctx = torch.tensor(values, dtype=torch.float32).reshape(n_ctx, c).requires_grad_(True)
    mask = torch.full((length, length), float("-inf")).triu(1)
    k = len(CLASSES)
    scale = w["logit_scale"].exp()
    x_hat = F.normalize(features, dim=-1)

    def loss_fn():
        h = torch.cat([fixed[:, :1], ctx.unsqueeze(0).expand(k, -1, -1), fixed[:, 1 + n_ctx:]], dim=1)
        h = h + w["positional_embedding"][:length]
        for i in range(layers):
            b = "transformer.resblocks.%d." % i
            y = F.layer_norm(h, (c,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], 1e-5)
            qkv = F.linear(y, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
            q, kk, v = qkv.reshape(k, -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
            p = ((q * (c // heads) ** -0.5) @ kk.transpose(-2, -1) + mask).softmax(-1)
            a = (p @ v).transpose(1, 2).reshape(k, -1, c)
            h = h + F.linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
            y = F.linear(F.layer_norm(h, (c,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], 1e-5),
                         w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
            h = h + F.linear(F.gelu(y), w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        f = F.layer_norm(h, (c,), w["ln_final.weight"], w["ln_final.bias"], 1e-5)
        text = F.normalize(f[torch.arange(k), ids.argmax(-1)] @ w["text_projection"], dim=-1)
        return F.cross_entropy(scale * x_hat @ text.t(), labels)

    optimizer = torch.optim.SGD([ctx], lr=0.002, momentum=0.9, weight_decay=5e-4)
    losses = []
    start = time.perf_counter()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = 0.002 * (1 + math.cos(math.pi * step / steps)) / 2
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "first_loss": losses[0], "last_loss": losses[-1], "length": length}))


if __name__ == "__main__":
    if sys.argv[1] == "model":
        make_model(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "data":
        make_data(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
