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
  tv_vit          torchvision's VisionTransformer (the random weights of
                  tests/fixtures/forward/tv_vit, 6 layers), run by torchvision's
                  own modules but for the attention, written out to keep its
                  probabilities in the graph and checked against the module;
                  on the forward fixture's 2 images
  hf_clip         Hugging Face's CLIPModel image tower (the random weights of
                  tests/fixtures/forward/hf_clip_full: pre_layrnorm, separate
                  q, k, v projections, QuickGELU as its config says,
                  post_layernorm on the class token, visual_projection),
                  written out in plain torch ops (transformers is not
                  installed here) and checked against the forward fixture's
                  embedding first; S = Σ image_embeds_norm[i, index_i]
  hf_clip_gelu    a CLIPVisionModelWithProjection whose config says "gelu",
                  random weights written here (tests/fixtures/grad/hf_clip_gelu)
  hf_clip_text    the same checkpoint's text tower on the forward fixture's
                  ids: causal blocks, final_layer_norm, pooled at the largest
                  id (HF's rule for eos_token_id 2), text_projection;
                  S = Σ text_embeds_norm[i, index_i]
The timm models are written out in plain torch ops below (timm is not
installed here); each one's logits are first checked against the io file
timm itself wrote.

Run: /usr/bin/python3 tests/reference/make_network_grad_fixtures.py
"""
import json
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


def mha(attn, y):
    """nn.MultiheadAttention (batch_first) in plain ops, so that its
    probabilities are in the graph (the module returns a view of them that
    its output does not use); checked against the module's own output."""
    n, t, c = y.shape
    heads = attn.num_heads
    q, k, v = F.linear(y, attn.in_proj_weight, attn.in_proj_bias).reshape(n, t, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
    a = F.linear((p @ v).transpose(1, 2).reshape(n, t, c), attn.out_proj.weight, attn.out_proj.bias)
    with torch.no_grad():
        assert torch.allclose(a, attn(y, y, y, need_weights=False)[0], atol=1e-10), "not nn.MultiheadAttention's output"
    return a, p


def tv_vit():
    from torchvision.models.vision_transformer import VisionTransformer

    ckpt = "tests/fixtures/forward/tv_vit/model.safetensors"
    model = VisionTransformer(image_size=32, patch_size=8, num_layers=6, num_heads=2, hidden_dim=128, mlp_dim=192,
                              num_classes=10)
    model.load_state_dict(load(os.path.join(ROOT, ckpt)))
    model = model.double().eval()
    io = load(os.path.join(ROOT, "tests", "fixtures", "forward", "tv_vit.io.safetensors"))
    x32 = io["input.pixel_values"]
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    h = torch.cat([model.class_token.expand(x.shape[0], -1, -1), model._process_input(x)], dim=1)
    h = h + model.encoder.pos_embedding
    taps["embed.tokens"] = h
    for i, layer in enumerate(model.encoder.layers):
        y = layer.ln_1(h)
        taps["blocks.%d.norm1" % i] = y
        a, p = mha(layer.self_attention, y)
        taps["blocks.%d.attn_probs" % i] = p
        h = h + a
        h = h + layer.mlp(layer.ln_2(h))
        taps["blocks.%d.out" % i] = h
    features = model.encoder.ln(h)
    taps["features"] = features
    taps["pre_logits"] = features[:, 0]
    logits = model.heads(taps["pre_logits"])
    with torch.no_grad():
        assert torch.allclose(logits, model(x), atol=1e-10), "tv_vit: not torchvision's own forward"
        assert torch.allclose(logits.float(), io["logits"], atol=1e-4), "tv_vit: not the forward fixture's logits"
    keep = ["input", "embed.tokens", "blocks.0.out", "blocks.3.norm1", "blocks.5.attn_probs", "features",
            "pre_logits"]
    p = dict(model.named_parameters())
    # the larger weights' gradients (conv_proj, in_proj: 0.3 MB) left out; the same kernels' are in other cases
    params = ["class_token", "encoder.pos_embedding", "conv_proj.bias",
              "encoder.layers.encoder_layer_0.self_attention.in_proj_bias",
              "encoder.layers.encoder_layer_1.self_attention.out_proj.weight",
              "encoder.layers.encoder_layer_2.mlp.0.bias", "encoder.layers.encoder_layer_5.ln_2.weight",
              "encoder.ln.bias", "heads.head.weight"]
    write("tv_vit", ckpt, x32, torch.tensor([2, 7]), logits, {k: taps[k] for k in keep}, {n: p[n] for n in params})


HF_CLIP = "tests/fixtures/forward/hf_clip_full"


def hf_layer(w, b, h, heads, taps, tap, causal=False, act="quick_gelu"):
    """One CLIPEncoderLayer (transformers' modeling_clip, eval): q scaled
    before the product, HF's causal mask (the most negative float above
    the diagonal), the config's hidden_act (quick_gelu, or gelu: erf)."""
    n, t, c = h.shape
    d, eps = c // heads, 1e-5
    y = F.layer_norm(h, (c,), w[b + "layer_norm1.weight"], w[b + "layer_norm1.bias"], eps)
    taps[tap + "norm1"] = y
    q = (F.linear(y, w[b + "self_attn.q_proj.weight"], w[b + "self_attn.q_proj.bias"]) * d ** -0.5)
    k = F.linear(y, w[b + "self_attn.k_proj.weight"], w[b + "self_attn.k_proj.bias"])
    v = F.linear(y, w[b + "self_attn.v_proj.weight"], w[b + "self_attn.v_proj.bias"])
    q, k, v = (z.view(n, t, heads, d).transpose(1, 2) for z in (q, k, v))
    scores = q @ k.transpose(-1, -2)
    if causal:
        scores = scores + torch.full((t, t), torch.finfo(scores.dtype).min, dtype=scores.dtype).triu(1)
    p = scores.softmax(-1)
    taps[tap + "attn_probs"] = p
    a = (p @ v).transpose(1, 2).reshape(n, t, c)
    h = h + F.linear(a, w[b + "self_attn.out_proj.weight"], w[b + "self_attn.out_proj.bias"])
    y = F.linear(F.layer_norm(h, (c,), w[b + "layer_norm2.weight"], w[b + "layer_norm2.bias"], eps),
                 w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])
    y = y * torch.sigmoid(1.702 * y) if act == "quick_gelu" else F.gelu(y)
    h = h + F.linear(y, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    taps[tap + "out"] = h
    return h


def hf_vision(w, x, taps, depth, heads, act):
    """CLIPVisionModel(WithProjection)'s forward in plain ops, recording
    Vitrine's taps; returns the normalized image embedding."""
    vm = "vision_model."
    c = w[vm + "embeddings.class_embedding"].shape[0]
    patches = F.conv2d(x, w[vm + "embeddings.patch_embedding.weight"], stride=8).flatten(2).transpose(1, 2)
    h = torch.cat([w[vm + "embeddings.class_embedding"].view(1, 1, -1).expand(x.shape[0], -1, -1), patches], dim=1)
    h = h + w[vm + "embeddings.position_embedding.weight"]
    taps["embed.pre_ln"] = h
    h = F.layer_norm(h, (c,), w[vm + "pre_layrnorm.weight"], w[vm + "pre_layrnorm.bias"], 1e-5)
    taps["embed.tokens"] = h
    for i in range(depth):
        h = hf_layer(w, vm + "encoder.layers.%d." % i, h, heads, taps, "blocks.%d." % i, act=act)
    pooled = F.layer_norm(h[:, 0], (c,), w[vm + "post_layernorm.weight"], w[vm + "post_layernorm.bias"], 1e-5)
    taps["pooled"] = pooled
    embeds = F.linear(pooled, w["visual_projection.weight"])
    taps["image_embeds"] = embeds
    return F.normalize(embeds, dim=-1)


def hf_clip():
    ckpt = HF_CLIP + "/model.safetensors"
    with open(os.path.join(ROOT, HF_CLIP, "config.json")) as f:
        config = json.load(f)
    assert config["vision_config"]["hidden_act"] == "quick_gelu"
    w = {k: v.double().requires_grad_(True) for k, v in load(os.path.join(ROOT, ckpt)).items()}
    io = load(os.path.join(ROOT, "tests", "fixtures", "forward", "hf_clip_full.io.safetensors"))
    x32 = io["input.pixel_values"]
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    vm = "vision_model."
    embeds_norm = hf_vision(w, x, taps, 2, 4, "quick_gelu")
    assert torch.allclose(embeds_norm.float(), io["image_embeds_norm"], atol=1e-5), "hf_clip: not the fixture's embedding"
    keep = ["input", "embed.pre_ln", "embed.tokens", "blocks.0.out", "blocks.1.norm1", "blocks.1.attn_probs", "pooled",
            "image_embeds"]
    params = [vm + "embeddings.class_embedding", vm + "embeddings.position_embedding.weight",
              vm + "embeddings.patch_embedding.weight", vm + "pre_layrnorm.weight",
              vm + "encoder.layers.0.self_attn.q_proj.weight", vm + "encoder.layers.0.self_attn.k_proj.weight",
              vm + "encoder.layers.1.self_attn.v_proj.weight", vm + "encoder.layers.1.self_attn.q_proj.bias",
              vm + "encoder.layers.1.mlp.fc1.bias", vm + "post_layernorm.bias", "visual_projection.weight"]
    # (not k_proj.bias: a shift of every key moves a query's scores alike, which softmax ignores, so its
    # gradient is 0 and only rounding is left to compare)
    write("hf_clip", ckpt, x32, torch.tensor([3, 19]), embeds_norm, {k: taps[k] for k in keep},
          {n: w[n] for n in params}, target="image_embeds_norm")


def hf_clip_gelu():
    """A CLIPVisionModelWithProjection whose config says hidden_act "gelu"
    (exact, erf), written here: random weights (width 32, 2 heads, 2
    layers, MLP 64, projection 8) in tests/fixtures/grad/hf_clip_gelu with
    its config.json, on the 2 images at 32×32 with CLIP's normalization."""
    folder = os.path.join(OUT, "hf_clip_gelu")
    c, heads, depth, mlp, e, patch, image = 32, 2, 2, 64, 8, 8, 32
    g = torch.Generator().manual_seed(21)
    vm = "vision_model."
    shapes = {vm + "embeddings.class_embedding": (c,), vm + "embeddings.patch_embedding.weight": (c, 3, patch, patch),
              vm + "embeddings.position_embedding.weight": ((image // patch) ** 2 + 1, c),
              vm + "pre_layrnorm.weight": (c,), vm + "pre_layrnorm.bias": (c,),
              vm + "post_layernorm.weight": (c,), vm + "post_layernorm.bias": (c,), "visual_projection.weight": (e, c)}
    for i in range(depth):
        b = vm + "encoder.layers.%d." % i
        for part in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            shapes[b + "self_attn.%s.weight" % part] = (c, c)
            shapes[b + "self_attn.%s.bias" % part] = (c,)
        for norm in ["layer_norm1", "layer_norm2"]:
            shapes[b + norm + ".weight"] = (c,)
            shapes[b + norm + ".bias"] = (c,)
        shapes.update({b + "mlp.fc1.weight": (mlp, c), b + "mlp.fc1.bias": (mlp,), b + "mlp.fc2.weight": (c, mlp),
                       b + "mlp.fc2.bias": (c,)})
    stored = {}
    for name, shape in shapes.items():
        if "norm" in name and name.endswith(".weight"):
            stored[name] = 1 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            stored[name] = 0.1 * torch.randn(shape, generator=g)
        elif len(shape) == 1 or "embedding" in name:
            stored[name] = 0.5 * torch.randn(shape, generator=g)
        else:
            fan_in = shape[1] * (shape[2] * shape[3] if len(shape) == 4 else 1)
            stored[name] = torch.randn(shape, generator=g) / fan_in ** 0.5
    os.makedirs(folder, exist_ok=True)
    safetensors_io.write(os.path.join(folder, "model.safetensors"), stored, {"format": "pt", "fixture": "hf_clip_gelu"})
    config = {"architectures": ["CLIPVisionModelWithProjection"], "model_type": "clip_vision_model",
              "hidden_size": c, "num_attention_heads": heads, "num_hidden_layers": depth, "intermediate_size": mlp,
              "patch_size": patch, "image_size": image, "projection_dim": e, "hidden_act": "gelu",
              "layer_norm_eps": 1e-5}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    w = {k: v.double().requires_grad_(True) for k, v in stored.items()}
    x32 = images([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
    x = x32.double().requires_grad_(True)
    taps = {"input": x}
    embeds_norm = hf_vision(w, x, taps, depth, heads, "gelu")
    keep = ["input", "embed.tokens", "blocks.0.out", "blocks.1.norm1", "blocks.1.attn_probs", "pooled"]
    params = [vm + "embeddings.patch_embedding.weight", vm + "encoder.layers.0.self_attn.v_proj.weight",
              vm + "encoder.layers.1.mlp.fc1.weight", vm + "encoder.layers.1.mlp.fc2.bias", "visual_projection.weight"]
    write("hf_clip_gelu", "tests/fixtures/grad/hf_clip_gelu/model.safetensors", x32, torch.tensor([6, 1]),
          embeds_norm, {k: taps[k] for k in keep}, {n: w[n] for n in params}, target="image_embeds_norm")


def hf_clip_text():
    ckpt = HF_CLIP + "/model.safetensors"
    w = {k: v.double().requires_grad_(True) for k, v in load(os.path.join(ROOT, ckpt)).items()}
    io = load(os.path.join(ROOT, "tests", "fixtures", "forward", "hf_clip_full.io.safetensors"))
    ids = io["input.text_ids"].long()
    n, length = ids.shape
    tm = "text_model."
    c = w[tm + "final_layer_norm.weight"].shape[0]
    taps = {}
    h = w[tm + "embeddings.token_embedding.weight"][ids] + w[tm + "embeddings.position_embedding.weight"][:length]
    taps["text.embed.tokens"] = h
    for i in range(2):
        h = hf_layer(w, tm + "encoder.layers.%d." % i, h, 2, taps, "text.blocks.%d." % i, causal=True)
    features = F.layer_norm(h, (c,), w[tm + "final_layer_norm.weight"], w[tm + "final_layer_norm.bias"], 1e-5)
    taps["text.ln_final"] = features
    embeds = F.linear(features[torch.arange(n), ids.argmax(-1)], w["text_projection.weight"])
    taps["text_embeds"] = embeds
    embeds_norm = F.normalize(embeds, dim=-1)
    assert torch.allclose(embeds_norm.float(), io["text_embeds_norm"], atol=1e-5), "hf_clip: not the fixture's text embedding"
    index = torch.tensor([5, 0, 22])
    total = embeds_norm.gather(1, index.view(-1, 1)).sum()
    keep = ["text.embed.tokens", "text.blocks.0.out", "text.blocks.1.norm1", "text.blocks.1.attn_probs",
            "text.ln_final", "text_embeds"]
    params = [tm + "embeddings.position_embedding.weight", tm + "encoder.layers.0.self_attn.q_proj.weight",
              tm + "encoder.layers.1.self_attn.v_proj.bias", tm + "encoder.layers.0.mlp.fc2.weight",
              tm + "final_layer_norm.weight", "text_projection.weight"]
    grads = torch.autograd.grad(total, [taps[k] for k in keep] + [w[k] for k in params])
    tensors = {"input.text_ids": ids, "index": index.int(), "text_embeds_norm": embeds_norm.detach().float()}
    for name, g in zip(keep + params, grads):
        tensors["grad." + name] = g.float()
    path = os.path.join(OUT, "net_hf_clip_text.safetensors")
    safetensors_io.write(path, tensors, {"checkpoint": ckpt, "target": "text_embeds_norm",
                                         "token_embedding": tm + "embeddings.token_embedding.weight",
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
    tv_vit()
    hf_clip()
    hf_clip_gelu()
    hf_clip_text()


if __name__ == "__main__":
    main()
