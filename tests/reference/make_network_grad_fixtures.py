#!/usr/bin/python3
"""Whole-network gradients, as Debian's PyTorch (1.13) autograd computes
them, for tests/engine/test-network-grad.c and the forward step's
"gradients" (tests/batch/test-batch.c).

The scalar is S = Σ_i target[i, index_i] over the batch, index = the
fixture's "index" (one class per image), target = "logits" unless the
metadata's "target" says otherwise. Every model runs in float64 from
its float32 weights and inputs (so the reference carries no float32
rounding of its own); values are stored as float32.

tests/fixtures/grad/net_<case>.safetensors holds
  input            the batch (B, 3, H, W), normalized
  index            (B) int32, the class of each image in S
  logits           the forward logits (or the target named in the metadata)
  grad.<tap>       ∂S/∂tap for "input" and a few taps (names as Vitrine's)
  grad.<param>     ∂S/∂param for a few parameters (checkpoint names)
and its metadata names the checkpoint (relative to the repository root or
to ../shared/assets) in "checkpoint".

Cases:
  cifar_resnet20  the real CIFAR ResNet-20 (shared/assets/models/cifar-resnet),
                  option-A shortcuts, on 2 CIFAR-10 test JPEGs
  tv_resnet       torchvision's ResNet over its Bottleneck (expansion 1, the
                  random weights of tests/fixtures/forward/tv_resnet, written by
                  make_forward_fixtures.py), on the same 2 images
  vit_cls         timm's ViT (class token), shared/assets/reference/timm; its
                  index is the predicted class of each image (the argmax)
  deit_distilled  timm's DeiT with its distillation token, same place
  vit_avg         timm's ViT without a class token (global_pool='avg', fc_norm)
  clip_vit, clip_vit_quickgelu
                  OpenCLIP's ViT image tower (shared/assets/reference/openclip),
                  exact GELU and QuickGELU; written out in plain torch ops and
                  checked against OpenCLIP's image embedding first. Their scalar
                  is on the normalized embedding: S = Σ image_embeds_norm[i, index_i]
  clip_vit_text, clip_vit_quickgelu_text
                  the same models' text towers on the shared token ids
                  ("input.text_ids" instead of "input"): causal blocks, the
                  end-of-text token; S = Σ text_embeds_norm[i, index_i]
  cifar_resnet20_bn_train
                  the real CIFAR ResNet-20 with every BatchNorm2d in train()
                  mode (batch statistics; momentum 0.1) on 8 CIFAR-10 test
                  JPEGs, one of each of 8 classes; its scalar is the mean
                  cross-entropy against the images' classes ("index"), stored
                  as "loss", and it also holds the running statistics after
                  that one forward pass, "running.<bn>.running_mean",
                  "running.<bn>.running_var" (and "running.<bn>.num_batches_tracked",
                  int64, where the checkpoint has the counter), for every BatchNorm
  tv_resnet_bn_train
                  tv_resnet the same way (torchvision's modules in train())
The timm models are written out in plain torch ops below (timm is not
installed here); each one's logits are first checked against the io file
timm itself wrote.

Run: /usr/bin/python3 tests/reference/make_network_grad_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "grad")
IMAGES = ["test/cat/0000.jpg", "test/ship/0003.jpg"]


def load(path):
    tensors, _ = safetensors_io.read(path)
    return {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}


def images(mean, std):
    out = []
    for p in IMAGES:
        rgb = np.asarray(Image.open(os.path.join(ASSETS, "datasets", "cifar10-jpg", p)).convert("RGB"),
                         dtype=np.uint8)
        x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255.0
        out.append((x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1))
    return torch.stack(out)


def write(case, checkpoint, x, index, logits, taps, params, target="logits"):
    """S = Σ target[i, index_i]; taps and params: {name: float64 tensor in the graph / leaf}."""
    total = logits.gather(1, index.view(-1, 1).long()).sum()
    names = list(taps) + list(params)
    grads = torch.autograd.grad(total, [taps[n] for n in taps] + [params[n] for n in params])
    tensors = {"input": x.float(), "index": index.int(), target: logits.detach().float()}
    for name, g in zip(names, grads):
        tensors["grad." + name] = g.float()
    path = os.path.join(OUT, "net_%s.safetensors" % case)
    safetensors_io.write(path, tensors, {"checkpoint": checkpoint, "target": target,
                                         "scalar": "sum_i %s[i, index_i]" % target,
                                         "precision": "float64 autograd from float32 weights and inputs"})
    print("%s: %d bytes" % (path, os.path.getsize(path)))


def bn(x, w, name):
    return F.batch_norm(x, w[name + ".running_mean"], w[name + ".running_var"], w[name + ".weight"],
                        w[name + ".bias"], False, 0.0, 1e-5)


def cifar_resnet20():
    ckpt = "models/cifar-resnet/resnet20-12fca82f.safetensors"
    # The checkpoint's names start with "module." (DataParallel); Vitrine's drop it.
    w = {k[len("module."):]: v.double() for k, v in load(os.path.join(ASSETS, ckpt)).items() if v.is_floating_point()}
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    x = x32.double().requires_grad_(True)
    params = {n: w[n].requires_grad_(True) for n in
              ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer3.2.bn2.weight", "layer3.2.bn2.bias",
               "linear.weight", "linear.bias"]}
    taps = {"input": x}
    h = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), w, "bn1"))
    taps["stem.out"] = h
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range(3):
            b = "layer%d.%d." % (s + 1, i)
            stride = 2 if (s > 0 and i == 0) else 1
            out = F.relu(bn(F.conv2d(h, w[b + "conv1.weight"], stride=stride, padding=1), w, b + "bn1"))
            out = bn(F.conv2d(out, w[b + "conv2.weight"], padding=1), w, b + "bn2")
            if stride != 1 or in_planes != planes:
                pad = planes // 4
                shortcut = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0)
            else:
                shortcut = h
            h = F.relu(out + shortcut)
            in_planes = planes
            taps["layer%d.%d.out" % (s + 1, i)] = h
    taps = {k: taps[k] for k in ["input", "stem.out", "layer1.0.out", "layer2.1.out", "layer3.2.out"]}
    logits = F.linear(h.mean((2, 3)), w["linear.weight"], w["linear.bias"])
    index = torch.tensor([3, 8])          # the images' true classes (cat, ship)
    write("cifar_resnet20", "shared:" + ckpt, x32, index, logits, taps, params)


BN_TRAIN_IMAGES = ["test/%s/0000.jpg" % c for c in
                   ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse"]]


def write_bn_train(case, checkpoint, x32, x, index, logits, taps, params, batchnorms, counters):
    """S = mean cross-entropy of logits against index; the running statistics
    of every nn.BatchNorm2d in @batchnorms ({name: module}) after the pass,
    and num_batches_tracked if @counters (the checkpoint has them)."""
    loss = F.cross_entropy(logits, index)
    names = list(taps) + list(params)
    grads = torch.autograd.grad(loss, [taps[n] for n in taps] + [params[n] for n in params])
    tensors = {"input": x32.float(), "index": index.int(), "logits": logits.detach().float(),
               "loss": loss.detach().float().view(1)}
    for name, g in zip(names, grads):
        tensors["grad." + name] = g.float()
    for name, m in batchnorms.items():
        tensors["running.%s.running_mean" % name] = m.running_mean.float()
        tensors["running.%s.running_var" % name] = m.running_var.float()
        if counters:
            tensors["running.%s.num_batches_tracked" % name] = m.num_batches_tracked.view(1)
    path = os.path.join(OUT, "net_%s.safetensors" % case)
    safetensors_io.write(path, tensors, {"checkpoint": checkpoint, "target": "logits", "batchnorm": "train",
                                         "scalar": "mean cross-entropy of logits against index",
                                         "precision": "float64 autograd from float32 weights and inputs"})
    print("%s: %d bytes, loss %.6f" % (path, os.path.getsize(path), loss.item()))


def cifar_resnet20_bn_train():
    """The CIFAR ResNet-20 in plain ops, each BatchNorm an nn.BatchNorm2d in
    train() loaded with the checkpoint's running statistics and counter."""
    ckpt = "models/cifar-resnet/resnet20-12fca82f.safetensors"
    stored = {k[len("module."):]: v for k, v in load(os.path.join(ASSETS, ckpt)).items()}
    w = {k: v.double() for k, v in stored.items() if v.is_floating_point()}
    batchnorms = {}

    def bn(h, name):
        if name not in batchnorms:
            m = torch.nn.BatchNorm2d(w[name + ".weight"].shape[0]).double().train()
            # this checkpoint has no num_batches_tracked: the module's own 0
            m.load_state_dict({k: stored[name + "." + k] for k in m.state_dict() if name + "." + k in stored},
                              strict=False)
            m.weight = torch.nn.Parameter(w[name + ".weight"])
            m.bias = torch.nn.Parameter(w[name + ".bias"])
            batchnorms[name] = m
        return batchnorms[name](h)

    saved = IMAGES[:]
    IMAGES[:] = BN_TRAIN_IMAGES
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    IMAGES[:] = saved
    x = x32.double().requires_grad_(True)
    conv_params = {n: w[n].requires_grad_(True) for n in
                   ["conv1.weight", "layer1.0.conv1.weight", "layer2.0.conv2.weight", "linear.weight", "linear.bias"]}
    taps = {"input": x}
    h = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), "bn1"))
    taps["stem.out"] = h
    in_planes = 16
    for s, planes in enumerate([16, 32, 64]):
        for i in range(3):
            b = "layer%d.%d." % (s + 1, i)
            stride = 2 if (s > 0 and i == 0) else 1
            out = F.relu(bn(F.conv2d(h, w[b + "conv1.weight"], stride=stride, padding=1), b + "bn1"))
            out = bn(F.conv2d(out, w[b + "conv2.weight"], padding=1), b + "bn2")
            if stride != 1 or in_planes != planes:
                pad = planes // 4
                shortcut = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0)
            else:
                shortcut = h
            h = F.relu(out + shortcut)
            in_planes = planes
            taps["layer%d.%d.out" % (s + 1, i)] = h
    # fewer taps than cifar_resnet20: 8 images' would pass 1 MB
    taps = {k: taps[k] for k in ["input", "layer3.0.out", "layer3.2.out"]}
    logits = F.linear(h.mean((2, 3)), w["linear.weight"], w["linear.bias"])
    params = dict(conv_params)
    for name in ["bn1", "layer1.0.bn1", "layer3.2.bn2"]:
        params[name + ".weight"] = batchnorms[name].weight
        params[name + ".bias"] = batchnorms[name].bias
    index = torch.arange(8)               # the images' true classes
    write_bn_train("cifar_resnet20_bn_train", "shared:" + ckpt, x32, x, index, logits, taps, params, batchnorms,
                   counters=False)


def tv_resnet_bn_train():
    from torchvision.models.resnet import Bottleneck, ResNet

    class NarrowBottleneck(Bottleneck):
        expansion = 1

    ckpt = "tests/fixtures/forward/tv_resnet/model.safetensors"
    model = ResNet(NarrowBottleneck, [1, 1, 1, 1], width_per_group=8, num_classes=7)
    model.load_state_dict(load(os.path.join(ROOT, ckpt)))
    model = model.double().train()
    saved = IMAGES[:]
    IMAGES[:] = BN_TRAIN_IMAGES
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    IMAGES[:] = saved
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    act = model.relu(model.bn1(model.conv1(x)))
    taps["stem.act"] = act
    y = model.maxpool(act)
    for i in range(1, 5):
        y = getattr(model, "layer%d" % i)(y)
        taps["layer%d.out" % i] = y
    logits = model.fc(torch.flatten(model.avgpool(y), 1))
    taps = {k: taps[k] for k in ["input", "layer1.out", "layer3.out", "layer4.out"]}
    p = dict(model.named_parameters())
    params = {n: p[n] for n in ["conv1.weight", "bn1.bias", "layer1.0.bn2.weight", "layer3.0.conv2.weight",
                                "layer4.0.downsample.1.weight", "fc.bias"]}
    batchnorms = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
    write_bn_train("tv_resnet_bn_train", ckpt, x32, x, torch.tensor([1, 5, 0, 6, 2, 3, 4, 1]), logits, taps, params,
                   batchnorms, counters=True)


def tv_resnet():
    from torchvision.models.resnet import Bottleneck, ResNet

    class NarrowBottleneck(Bottleneck):
        expansion = 1

    ckpt = "tests/fixtures/forward/tv_resnet/model.safetensors"
    model = ResNet(NarrowBottleneck, [1, 1, 1, 1], width_per_group=8, num_classes=7)
    model.load_state_dict(load(os.path.join(ROOT, ckpt)))
    model = model.double().eval()
    x32 = images([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    act = model.relu(model.bn1(model.conv1(x)))
    taps["stem.act"] = act
    y = model.maxpool(act)
    taps["stem.out"] = y
    for i in range(1, 5):
        y = getattr(model, "layer%d" % i)(y)
        taps["layer%d.out" % i] = y
    logits = model.fc(torch.flatten(model.avgpool(y), 1))
    p = dict(model.named_parameters())
    params = {n: p[n] for n in ["conv1.weight", "bn1.bias", "layer1.0.bn2.weight", "layer3.0.conv2.weight",
                                "layer4.0.downsample.1.weight", "fc.bias"]}
    with torch.no_grad():
        reference = load(os.path.join(ROOT, "tests", "fixtures", "forward", "tv_resnet.io.safetensors"))["logits"]
        assert torch.allclose(logits.float(), reference, atol=1e-4), "tv_resnet: not the forward fixture's logits"
    write("tv_resnet", ckpt, x32, torch.tensor([1, 5]), logits, taps, params)


def timm_vit(w, x, taps, heads=4, eps=1e-6, distilled=False):
    """timm's VisionTransformer / VisionTransformerDistilled (eval), plain
    torch ops; records the taps Vitrine names. Returns logits. Without a
    class token: global_pool='avg', norm is Identity and fc_norm comes
    after the mean over the tokens."""
    c = w["pos_embed"].shape[-1]
    patches = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=8)
    patches = patches.flatten(2).transpose(1, 2)
    prefix = [w["cls_token"].expand(x.shape[0], -1, -1)] if "cls_token" in w else []
    if distilled:
        prefix.append(w["dist_token"].expand(x.shape[0], -1, -1))
    h = torch.cat(prefix + [patches], dim=1) + w["pos_embed"]
    taps["embed.tokens"] = h
    depth = len({k.split(".")[1] for k in w if k.startswith("blocks.")})
    for i in range(depth):
        b = "blocks.%d." % i
        y = F.layer_norm(h, (c,), w[b + "norm1.weight"], w[b + "norm1.bias"], eps)
        taps[b + "norm1"] = y
        qkv = F.linear(y, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])
        q, k, v = qkv.reshape(x.shape[0], -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        taps[b + "attn_probs"] = p
        a = (p @ v).transpose(1, 2).reshape(x.shape[0], -1, c)
        h = h + F.linear(a, w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        y = F.layer_norm(h, (c,), w[b + "norm2.weight"], w[b + "norm2.bias"], eps)
        y = F.linear(F.gelu(F.linear(y, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])),
                     w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
        h = h + y
        taps[b + "out"] = h
    if "norm.weight" not in w:
        taps["features"] = h
        pooled = F.layer_norm(h.mean(1), (c,), w["fc_norm.weight"], w["fc_norm.bias"], eps)
        taps["pre_logits"] = pooled
        return F.linear(pooled, w["head.weight"], w["head.bias"])
    features = F.layer_norm(h, (c,), w["norm.weight"], w["norm.bias"], eps)
    taps["features"] = features
    if distilled:
        return (F.linear(features[:, 0], w["head.weight"], w["head.bias"]) +
                F.linear(features[:, 1], w["head_dist.weight"], w["head_dist.bias"])) / 2
    return F.linear(features[:, 0], w["head.weight"], w["head.bias"])


def timm_case(case, distilled, index, param_names, keep=("input", "embed.tokens", "blocks.0.out", "blocks.1.norm1",
                                                         "blocks.1.attn_probs", "features")):
    ckpt = "reference/timm/%s.safetensors" % case
    w = {k: v.double().requires_grad_(True) for k, v in load(os.path.join(ASSETS, ckpt)).items()}
    io = load(os.path.join(ASSETS, "reference", "timm", case + ".io.safetensors"))
    x32 = io["input.pixel_values"]
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    logits = timm_vit(w, x, taps, distilled=distilled)
    assert torch.allclose(logits.float(), io["logits"], atol=1e-4), case + ": not timm's logits"
    if index is None:
        index = logits.argmax(1)          # the forward step's "index": "predicted"
    write(case, "shared:" + ckpt, x32, index, logits, {k: taps[k] for k in keep},
          {n: w[n] for n in param_names})


def openclip_visual(case, index):
    """OpenCLIP's VisionTransformer (2.32, eval): class embedding, ln_pre,
    pre-norm resblocks (nn.MultiheadAttention's packed in_proj: q, k, v
    rows), ln_post over every token, the class token · proj; the scalar is
    on the normalized image embedding."""
    ckpt = "reference/openclip/%s.safetensors" % case
    w = {k: v.double().requires_grad_(True) for k, v in load(os.path.join(ASSETS, ckpt)).items()
         if v.is_floating_point()}
    io = load(os.path.join(ASSETS, "reference", "openclip", case + ".io.safetensors"))
    quick = "quickgelu" in case
    x32 = io["input.pixel_values"]
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    c, heads, eps = w["visual.class_embedding"].shape[0], 4, 1e-5
    patches = F.conv2d(x, w["visual.conv1.weight"], stride=8).flatten(2).transpose(1, 2)
    h = torch.cat([w["visual.class_embedding"].view(1, 1, -1).expand(x.shape[0], -1, -1), patches], dim=1)
    h = h + w["visual.positional_embedding"]
    taps["visual.embed.pre_ln"] = h
    h = F.layer_norm(h, (c,), w["visual.ln_pre.weight"], w["visual.ln_pre.bias"], eps)
    taps["visual.embed.tokens"] = h
    for i in range(2):
        b = "visual.transformer.resblocks.%d." % i
        y = F.layer_norm(h, (c,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        taps["visual.blocks.%d.norm1" % i] = y
        qkv = F.linear(y, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
        q, k, v = qkv.reshape(x.shape[0], -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        taps["visual.blocks.%d.attn_probs" % i] = p
        a = (p @ v).transpose(1, 2).reshape(x.shape[0], -1, c)
        h = h + F.linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
        y = F.linear(F.layer_norm(h, (c,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps),
                     w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        y = y * torch.sigmoid(1.702 * y) if quick else F.gelu(y)
        h = h + F.linear(y, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        taps["visual.blocks.%d.out" % i] = h
    features = F.layer_norm(h, (c,), w["visual.ln_post.weight"], w["visual.ln_post.bias"], eps)
    taps["visual.ln_post"] = features
    embeds = features[:, 0] @ w["visual.proj"]
    taps["image_embeds"] = embeds
    embeds_norm = F.normalize(embeds, dim=-1)
    assert torch.allclose(embeds_norm.float(), io["image_embeds_norm"], atol=1e-4), case + ": not OpenCLIP's embedding"
    keep = ["input", "visual.embed.pre_ln", "visual.blocks.0.out", "visual.blocks.1.norm1", "visual.blocks.1.attn_probs",
            "visual.ln_post", "image_embeds"]
    write(case, "shared:" + ckpt, x32, index, embeds_norm, {k: taps[k] for k in keep},
          {n: w[n] for n in ["visual.class_embedding", "visual.positional_embedding", "visual.ln_pre.weight",
                             "visual.transformer.resblocks.0.attn.in_proj_weight",
                             "visual.transformer.resblocks.1.mlp.c_fc.bias", "visual.ln_post.bias", "visual.proj"]},
          target="image_embeds_norm")


def openclip_text(case, index):
    """OpenCLIP's text tower (2.32, eval): token + position embedding, causal
    pre-norm resblocks, ln_final over every token, the end-of-text token
    (the largest id) · text_projection; the scalar on the normalized text
    embedding. The token embedding (49,408 rows) has no stored gradient:
    the test checks its rows against ∂S/∂text.embed.tokens."""
    ckpt = "reference/openclip/%s.safetensors" % case
    w = {k: v.double().requires_grad_(True) for k, v in load(os.path.join(ASSETS, ckpt)).items()
         if v.is_floating_point()}
    io = load(os.path.join(ASSETS, "reference", "openclip", case + ".io.safetensors"))
    quick = "quickgelu" in case
    ids = io["input.text_ids"].long()
    n, length = ids.shape
    c = w["ln_final.weight"].shape[0]
    heads, eps = 2, 1e-5
    taps = {}
    h = w["token_embedding.weight"][ids] + w["positional_embedding"][:length]
    taps["text.embed.tokens"] = h
    mask = torch.full((length, length), float("-inf"), dtype=torch.float64).triu(1)
    for i in range(2):
        b = "transformer.resblocks.%d." % i
        y = F.layer_norm(h, (c,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        taps["text.blocks.%d.norm1" % i] = y
        qkv = F.linear(y, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
        q, k, v = qkv.reshape(n, -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1) + mask).softmax(-1)
        taps["text.blocks.%d.attn_probs" % i] = p
        a = (p @ v).transpose(1, 2).reshape(n, -1, c)
        h = h + F.linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
        y = F.linear(F.layer_norm(h, (c,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps),
                     w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        y = y * torch.sigmoid(1.702 * y) if quick else F.gelu(y)
        h = h + F.linear(y, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        taps["text.blocks.%d.out" % i] = h
    features = F.layer_norm(h, (c,), w["ln_final.weight"], w["ln_final.bias"], eps)
    taps["text.ln_final"] = features
    embeds = features[torch.arange(n), ids.argmax(-1)] @ w["text_projection"]
    taps["text_embeds"] = embeds
    embeds_norm = F.normalize(embeds, dim=-1)
    assert torch.allclose(embeds_norm.float(), io["text_embeds_norm"], atol=1e-4), case + ": not OpenCLIP's text embedding"
    total = embeds_norm.gather(1, index.view(-1, 1)).sum()
    keep = ["text.embed.tokens", "text.blocks.0.out", "text.blocks.1.norm1", "text.blocks.1.attn_probs", "text.ln_final",
            "text_embeds"]
    params = ["positional_embedding", "transformer.resblocks.1.attn.in_proj_weight", "transformer.resblocks.0.mlp.c_fc.bias",
              "ln_final.weight", "text_projection"]
    grads = torch.autograd.grad(total, [taps[k] for k in keep] + [w[k] for k in params])
    tensors = {"input.text_ids": ids, "index": index.int(), "text_embeds_norm": embeds_norm.detach().float()}
    for name, g in zip(keep + params, grads):
        tensors["grad." + name] = g.float()
    path = os.path.join(OUT, "net_%s_text.safetensors" % case)
    safetensors_io.write(path, tensors, {"checkpoint": "shared:" + ckpt, "target": "text_embeds_norm",
                                         "scalar": "sum_i text_embeds_norm[i, index_i]",
                                         "precision": "float64 autograd from float32 weights"})
    print("%s: %d bytes" % (path, os.path.getsize(path)))


def main():
    torch.set_num_threads(1)
    cifar_resnet20()
    tv_resnet()
    cifar_resnet20_bn_train()
    tv_resnet_bn_train()
    timm_case("vit_cls", False, None,
              ["cls_token", "pos_embed", "patch_embed.proj.bias", "blocks.0.attn.qkv.weight", "blocks.1.norm1.weight",
               "blocks.1.mlp.fc2.bias", "norm.weight", "head.weight"])
    timm_case("deit_distilled", True, torch.tensor([4, 0]),
              ["dist_token", "blocks.1.norm1.bias", "blocks.0.attn.proj.weight", "head_dist.weight", "head.bias"])
    timm_case("vit_avg", False, torch.tensor([9, 1]),
              ["pos_embed", "patch_embed.proj.weight", "blocks.1.mlp.fc1.weight", "fc_norm.weight", "fc_norm.bias"],
              keep=("input", "blocks.0.attn_probs", "blocks.1.out", "features", "pre_logits"))
    openclip_visual("clip_vit", torch.tensor([5, 30]))
    openclip_visual("clip_vit_quickgelu", torch.tensor([0, 17]))
    openclip_text("clip_vit", torch.tensor([3, 12, 31]))
    openclip_text("clip_vit_quickgelu", torch.tensor([7, 0, 25]))


if __name__ == "__main__":
    main()
