#!/usr/bin/python3
"""Gradients of every paired kernel in engine/nn, and optimizer steps, as
Debian's PyTorch (1.13) autograd computes them, for tests/engine/test-grad.c.

For each op, tests/fixtures/grad/<case>.safetensors holds
  in.<name>    the inputs and parameters (float32; indices int32)
  dy.<name>    the upstream gradient of each output (the scalar whose
               gradients are stored is Σ dy.<name> · out.<name>)
  out.<name>   the forward outputs
  grad.<name>  the gradient of that scalar with respect to in.<name>
and, in its metadata, the op's integer and float settings (stride, eps, …).
Gradients are computed in float64 from the float32 inputs, then stored as
float32, so that the reference carries no float32 rounding of its own.

tests/fixtures/grad/optim_<case>.safetensors: ten steps of an optimizer and
schedule on a small model (nn.Linear(5, 3), cross-entropy on 8 samples), in
float32 as training runs, with two parameter groups (the weight; the bias
with its own learning rate and weight decay):
  in.x, in.target, init.weight, init.bias   the data and the start
  lr (10, 2)                                each step's learning rate per group
  loss (10)                                 each step's loss
  final.weight, final.bias                  the parameters after ten steps
and the recipe in its metadata.

Run: /usr/bin/python3 tests/reference/make_grad_fixtures.py
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "grad")

generator = torch.Generator().manual_seed(17)


def rand(*shape, scale=1.0):
    """float32 values, returned as float64 leaves (exactly the stored values)."""
    x = (torch.rand(*shape, generator=generator, dtype=torch.float32) * 2 - 1) * scale
    return x.double().requires_grad_(True)


def save(case, inputs, outputs, dys, metadata=None, extra=None):
    """Runs backward of Σ dy · out over every output and writes the fixture."""
    total = sum((out * dys[name]).sum() for name, out in outputs.items())
    leaves = {n: t for n, t in inputs.items() if t.requires_grad}
    grads = torch.autograd.grad(total, list(leaves.values()), allow_unused=True)
    tensors = {}
    for name, t in inputs.items():
        tensors["in." + name] = t.detach().float() if t.is_floating_point() else t.detach().int()
    for name, d in dys.items():
        tensors["dy." + name] = d.detach().float()
    for name, out in outputs.items():
        tensors["out." + name] = out.detach().float()
    for (name, _), g in zip(leaves.items(), grads):
        tensors["grad." + name] = (g if g is not None else torch.zeros_like(leaves[name])).float()
    for name, t in (extra or {}).items():
        tensors[name] = t.detach().float()
    meta = {k: repr(v) if isinstance(v, float) else str(v) for k, v in (metadata or {}).items()}
    safetensors_io.write(os.path.join(OUT, case + ".safetensors"), tensors, meta)
    print(case, {k: list(v.shape) for k, v in tensors.items()})


def dy_like(t):
    return rand(*t.shape).detach()


def linear():
    x, w, b = rand(5, 7), rand(4, 7), rand(4)
    y = F.linear(x, w, b)
    save("linear", {"x": x, "w": w, "b": b}, {"y": y}, {"y": dy_like(y)})


def conv(case, n, c, h, w, k, kernel, stride, pad, groups, bias=True):
    x, wt = rand(n, c, h, w), rand(k, c // groups, kernel, kernel)
    inputs = {"x": x, "w": wt}
    b = None
    if bias:
        b = inputs["b"] = rand(k)
    y = F.conv2d(x, wt, b, stride=stride, padding=pad, groups=groups)
    save(case, inputs, {"y": y}, {"y": dy_like(y)},
         {"stride": stride, "pad": pad, "groups": groups})


def batchnorm():
    x = rand(3, 4, 5, 5, scale=2.0)
    x = (x.detach() + torch.arange(4, dtype=torch.float64).view(1, 4, 1, 1)).requires_grad_(True)
    gamma, beta = rand(4), rand(4)
    mean = rand(4).detach()
    var = (rand(4).detach().abs() + 0.5)
    eps, momentum = 1e-5, 0.1
    y = F.batch_norm(x, mean, var, gamma, beta, training=False, eps=eps)
    save("batchnorm_eval", {"x": x, "gamma": gamma, "beta": beta, "mean": mean, "var": var},
         {"y": y}, {"y": dy_like(y)}, {"eps": eps})
    running_mean, running_var = mean.clone(), var.clone()
    y = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True,
                     momentum=momentum, eps=eps)
    save("batchnorm_train", {"x": x, "gamma": gamma, "beta": beta, "mean": mean, "var": var},
         {"y": y}, {"y": dy_like(y)}, {"eps": eps, "momentum": momentum},
         {"running_mean": running_mean, "running_var": running_var})


def layernorm():
    x, gamma, beta = rand(6, 10, scale=3.0), rand(10), rand(10)
    y = F.layer_norm(x, (10,), gamma, beta, eps=1e-5)
    save("layernorm", {"x": x, "gamma": gamma, "beta": beta}, {"y": y}, {"y": dy_like(y)},
         {"eps": 1e-5})


def pointwise():
    for case, f in (("relu", F.relu),
                    ("gelu", F.gelu),
                    ("gelu_tanh", lambda v: F.gelu(v, approximate="tanh")),
                    ("quick_gelu", lambda v: v * torch.sigmoid(1.702 * v)),
                    ("sigmoid", torch.sigmoid)):
        x = rand(64, scale=4.0)
        y = f(x)
        save(case, {"x": x}, {"y": y}, {"y": dy_like(y)})
    a, b = rand(3, 7), rand(3, 7)
    y = a + b
    save("residual", {"a": a, "b": b}, {"y": y}, {"y": dy_like(y)})


def attention(case, causal):
    bsz, t, c, heads = 2, 5, 8, 2
    d = c // heads
    qkv = rand(bsz, t, 3 * c, scale=2.0)
    q, k, v = qkv.split(c, dim=-1)

    def heads_first(z):
        return z.reshape(bsz, t, heads, d).transpose(1, 2)

    q, k, v = heads_first(q), heads_first(k), heads_first(v)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    if causal:
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    probs = scores.softmax(-1)
    out = (probs @ v).transpose(1, 2).reshape(bsz, t, c)
    save(case, {"qkv": qkv}, {"out": out, "probs": probs},
         {"out": dy_like(out), "probs": dy_like(probs)}, {"heads": heads, "causal": int(causal)})


def pooling():
    x = rand(2, 3, 7, 7)
    y = F.max_pool2d(x, 3, 2, 1)
    save("maxpool", {"x": x}, {"y": y}, {"y": dy_like(y)}, {"kernel": 3, "stride": 2, "pad": 1})
    y = F.avg_pool2d(x, 3, 2, 1)
    save("avgpool", {"x": x}, {"y": y}, {"y": dy_like(y)}, {"kernel": 3, "stride": 2, "pad": 1})
    x = rand(2, 3, 4, 5)
    y = x.mean(dim=(2, 3))
    save("global_avgpool", {"x": x}, {"y": y}, {"y": dy_like(y)})


def cosine():
    x = rand(4, 6)
    y = F.normalize(x, dim=-1)
    save("l2norm", {"x": x}, {"y": y}, {"y": dy_like(y)})
    a, b = rand(4, 6), rand(5, 6)
    scale = torch.tensor([14.3], dtype=torch.float64, requires_grad=True)
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).t()
    save("cosine_logits", {"a": a, "b": b, "scale": scale}, {"logits": logits},
         {"logits": dy_like(logits)})


def losses():
    logits = rand(6, 5, scale=3.0)
    target = torch.tensor([0, 4, 2, -100, 1, 2])
    weight = rand(6).detach().abs() + 0.1
    for case, smoothing, w in (("cross_entropy", 0.0, None),
                               ("cross_entropy_weighted", 0.1, weight)):
        per_sample = F.cross_entropy(logits, target, reduction="none", ignore_index=-100,
                                     label_smoothing=smoothing)
        counted = (target != -100).double()
        ws = counted if w is None else w * counted
        loss = (per_sample * ws).sum() / ws.sum()
        inputs = {"logits": logits, "target": target}
        if w is not None:
            inputs["weight"] = w
        save(case, inputs, {"loss": loss}, {"loss": torch.tensor(0.7, dtype=torch.float64)},
             {"smoothing": smoothing, "ignore_index": -100})
    z = rand(8, scale=4.0)
    t = rand(8).detach().abs()
    loss = F.binary_cross_entropy_with_logits(z, t)
    save("bce_logits", {"z": z, "t": t}, {"loss": loss}, {"loss": torch.tensor(0.7, dtype=torch.float64)})
    a, b = rand(10), rand(10)
    loss = F.mse_loss(a, b)
    save("mse", {"a": a, "b": b}, {"loss": loss}, {"loss": torch.tensor(0.7, dtype=torch.float64)})


def embeddings():
    table = rand(11, 4)
    ids = torch.tensor([3, 0, 10, 3, 7, 3])
    y = F.embedding(ids, table)
    save("token_embedding", {"table": table, "ids": ids}, {"y": y}, {"y": dy_like(y)})
    x, pos = rand(2, 5, 4), rand(5, 4)
    y = x + pos
    save("position_embedding", {"x": x, "pos": pos}, {"y": y}, {"y": dy_like(y)})
    for case, prefix, (h, w), (oh, ow) in (("position_resample_grow", 1, (3, 4), (5, 6)),
                                           ("position_resample_shrink", 0, (6, 6), (4, 3))):
        pos = rand(prefix + h * w, 4)
        grid = pos[prefix:].reshape(1, h, w, 4).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(oh, ow), mode="bicubic", antialias=True, align_corners=False)
        y = torch.cat([pos[:prefix], grid.permute(0, 2, 3, 1).reshape(oh * ow, 4)])
        save(case, {"pos": pos}, {"y": y}, {"y": dy_like(y)},
             {"prefix": prefix, "h": h, "w": w, "oh": oh, "ow": ow})


def upsample():
    for case, (h, w), (oh, ow) in (("upsample_bilinear", (4, 5), (9, 7)),
                                   ("upsample_bilinear_shrink", (7, 8), (3, 5))):
        x = rand(2, 3, h, w)
        y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
        save(case, {"x": x}, {"y": y}, {"y": dy_like(y)})


def attention_pool():
    """OpenCLIP's AttentionPool2d forward, written out as it is there."""
    n, c, h, w, e, heads = 2, 8, 3, 3, 6, 2
    x = rand(n, c, h, w)
    p = {"pos": rand(h * w + 1, c, scale=0.5),
         "q_w": rand(c, c), "q_b": rand(c), "k_w": rand(c, c), "k_b": rand(c),
         "v_w": rand(c, c), "v_b": rand(c), "c_w": rand(e, c), "c_b": rand(e)}
    t = x.reshape(n, c, h * w).permute(2, 0, 1)
    t = torch.cat([t.mean(dim=0, keepdim=True), t], dim=0)
    t = t + p["pos"][:, None, :]
    out, probs = F.multi_head_attention_forward(
        query=t[:1], key=t, value=t, embed_dim_to_check=c, num_heads=heads,
        q_proj_weight=p["q_w"], k_proj_weight=p["k_w"], v_proj_weight=p["v_w"],
        in_proj_weight=None, in_proj_bias=torch.cat([p["q_b"], p["k_b"], p["v_b"]]),
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
        out_proj_weight=p["c_w"], out_proj_bias=p["c_b"], use_separate_proj_weight=True,
        training=False, need_weights=True, average_attn_weights=False)
    out = out.squeeze(0)
    probs = probs.squeeze(2)   # (N, heads, 1, T) -> (N, heads, T)
    save("attention_pool", dict(x=x, **p), {"out": out, "probs": probs},
         {"out": dy_like(out), "probs": dy_like(probs)}, {"heads": heads})


# Ten optimizer steps. Schedules with a warm-up are PyTorch's own
# LinearLR followed (SequentialLR) by the schedule proper.
OPTIM_CASES = [
    dict(case="sgd", optimizer="sgd", lr=0.1, momentum=0.9, nesterov=0, weight_decay=1e-3,
         schedule="constant", warmup=0),
    dict(case="sgd_nesterov_step", optimizer="sgd", lr=0.1, momentum=0.9, nesterov=1,
         weight_decay=5e-4, schedule="step", step_size=3, gamma=0.5, warmup=2, warmup_start=0.1),
    dict(case="adam_multistep", optimizer="adam", lr=0.01, weight_decay=1e-2,
         schedule="multistep", milestones="4,7", gamma=0.3, warmup=0),
    dict(case="adamw_cosine_clip", optimizer="adamw", lr=0.02, weight_decay=0.05,
         schedule="cosine", total=10, min_lr=1e-4, warmup=3, warmup_start=0.2, clip=0.5),
]
BIAS_LR_SCALE, BIAS_WEIGHT_DECAY = 5.0, 0.0


def optim_case(recipe):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(8, 5, generator=g)
    target = torch.randint(0, 3, (8,), generator=g)
    model = torch.nn.Linear(5, 3)
    init_w, init_b = model.weight.detach().clone(), model.bias.detach().clone()
    lr, wd = recipe["lr"], recipe["weight_decay"]
    groups = [{"params": [model.weight], "lr": lr, "weight_decay": wd},
              {"params": [model.bias], "lr": lr * BIAS_LR_SCALE, "weight_decay": BIAS_WEIGHT_DECAY}]
    if recipe["optimizer"] == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, momentum=recipe["momentum"],
                              nesterov=bool(recipe["nesterov"]))
    elif recipe["optimizer"] == "adam":
        opt = torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    warmup = recipe["warmup"]
    kind = recipe["schedule"]
    if kind == "constant":
        main = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    elif kind == "step":
        main = torch.optim.lr_scheduler.StepLR(opt, recipe["step_size"], recipe["gamma"])
    elif kind == "multistep":
        milestones = [int(m) for m in recipe["milestones"].split(",")]
        main = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, recipe["gamma"])
    else:
        main = torch.optim.lr_scheduler.CosineAnnealingLR(opt, recipe["total"] - warmup,
                                                          eta_min=recipe["min_lr"])
    if warmup > 0:
        ramp = torch.optim.lr_scheduler.LinearLR(opt, start_factor=recipe["warmup_start"],
                                                 total_iters=warmup)
        scheduler = torch.optim.lr_scheduler.SequentialLR(opt, [ramp, main], milestones=[warmup])
    else:
        scheduler = main
    lrs, losses_seen = [], []
    for _ in range(10):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        if "clip" in recipe:
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["clip"])
        lrs.append([group["lr"] for group in opt.param_groups])
        losses_seen.append(loss.item())
        opt.step()
        scheduler.step()
    tensors = {
        "in.x": x, "in.target": target.int(), "init.weight": init_w, "init.bias": init_b,
        "lr": torch.tensor(lrs, dtype=torch.float64), "loss": torch.tensor(losses_seen, dtype=torch.float64),
        "final.weight": model.weight, "final.bias": model.bias,
    }
    meta = dict(recipe, bias_lr_scale=BIAS_LR_SCALE, bias_weight_decay=BIAS_WEIGHT_DECAY)
    meta = {k: repr(v) if isinstance(v, float) else str(v) for k, v in meta.items()}
    safetensors_io.write(os.path.join(OUT, "optim_" + recipe["case"] + ".safetensors"), tensors, meta)
    print("optim_" + recipe["case"], [round(v, 6) for v in losses_seen])


def main():
    os.makedirs(OUT, exist_ok=True)
    linear()
    conv("conv", 2, 3, 7, 6, 4, 3, 1, 1, 1)
    conv("conv_strided_groups", 2, 4, 9, 9, 6, 3, 2, 1, 2)
    conv("conv_depthwise", 2, 4, 8, 7, 4, 3, 1, 1, 4, bias=False)
    conv("conv_1x1_stride2", 2, 5, 7, 7, 3, 1, 2, 0, 1)
    conv("conv_stem", 1, 3, 11, 11, 4, 5, 2, 2, 1)
    batchnorm()
    layernorm()
    pointwise()
    attention("attention", False)
    attention("attention_causal", True)
    pooling()
    cosine()
    losses()
    embeddings()
    upsample()
    attention_pool()
    for recipe in OPTIM_CASES:
        optim_case(recipe)


if __name__ == "__main__":
    main()
