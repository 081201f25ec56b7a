#!/usr/bin/python3
"""Forward-pass fixtures for layouts the shared upstream fixtures do not cover.

  tv_resnet      torchvision.models.resnet.ResNet over torchvision's own
                 Bottleneck with expansion 1 (so the fixture stays small),
                 [1, 1, 1, 1] blocks, width_per_group=8, num_classes=7:
                 torchvision's names, stage widths 8..64, outputs 64..512
  tv_vit         torchvision.models.vision_transformer.VisionTransformer(
                 image_size=32, patch_size=8, num_layers=6, num_heads=2,
                 hidden_dim=128, mlp_dim=192, num_classes=10)
  hf_clip_full   the same plus the text tower, as CLIPModel: causal attention,
                 final_layer_norm, pooling at the largest id, text_projection
  hf_clip_vision Hugging Face CLIPVisionModelWithProjection, re-implemented
                 here from its published layout (transformers' modeling_clip:
                 separate q/k/v projections, pre_layrnorm, post_layernorm on
                 the class token only, bias-free visual_projection, QuickGELU),
                 because transformers is not packaged for Debian 12; with the
                 config.json a hub checkpoint carries (4 heads of width 16)

  openclip_rn    OpenCLIP's CLIP with a ModifiedResNet image tower (the RN50
                 family), re-implemented here from open_clip/modified_resnet.py
                 (2.32): a stem of three 3×3 convolutions and a 2×2 average
                 pool; Bottlenecks that stride by a 2×2 average pool after
                 conv2, their shortcut an average pool, a 1×1 convolution and
                 BatchNorm; attention pooling (the mean token first, a
                 positional embedding, multi-head attention, c_proj). Width 8,
                 layers (1, 2, 1, 1), 64×64 input, 4 heads of 64, embedding 32.
                 The text tower is the shared openclip/clip_vit fixture's,
                 stored and compared with its own outputs there

  vit_cls_48, vit_cls_24
                 the shared timm vit_cls fixture's weights (32×32, patch 8) run at
                 48×48 and 24×24: the position embedding resampled as timm's
                 resample_abs_pos_embed does (F.interpolate, bicubic,
                 antialias=True), then timm's VisionTransformer forward,
                 re-implemented here from shared/assets/reference/README.md
                 (checked against that fixture's own logits at 32×32)

Weights are random (seed 11) with BatchNorm statistics and LayerNorm
affines away from their defaults, so a skipped norm shows in the outputs.
Inputs: two CIFAR-10 test JPEGs, Pillow-decoded, normalized.

Writes tests/fixtures/forward/<name>/model.safetensors (+ config.json) and
tests/fixtures/forward/<name>.io.safetensors. Run:
  /usr/bin/python3 tests/reference/make_forward_fixtures.py
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "forward")
G = torch.Generator().manual_seed(11)


def randomize(model):
    """Every float tensor away from its default, as the shared fixtures do."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=G))
            elif name.endswith("running_mean") or name.endswith("bias"):
                t.copy_(0.1 * torch.randn(t.shape, generator=G))
            elif t.dim() == 1 and ("norm" in name or "ln" in name or "bn" in name):
                t.copy_(1 + 0.1 * torch.randn(t.shape, generator=G))
            elif t.dim() >= 2 and ("embed" in name or "token" in name):
                t.copy_(0.5 * torch.randn(t.shape, generator=G))
            else:
                fan_in = t[0].numel() if t.dim() > 1 else t.numel()
                t.copy_(torch.randn(t.shape, generator=G) / fan_in ** 0.5)
    return model.eval()


def inputs(mean, std):
    paths = ["test/cat/0000.jpg", "test/ship/0003.jpg"]
    out = []
    for p in paths:
        rgb = np.asarray(Image.open(os.path.join(ASSETS, "datasets", "cifar10-jpg", p)).convert("RGB"), dtype=np.uint8)
        x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255.0
        out.append((x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1))
    return torch.stack(out)


def save(name, model, io, config=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    safetensors_io.write(os.path.join(folder, "model.safetensors"),
                         {k: v for k, v in model.state_dict().items()}, {"format": "pt", "fixture": name})
    if config is not None:
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
    safetensors_io.write(os.path.join(OUT, name + ".io.safetensors"), io, {"fixture": name})


def tv_resnet():
    from torchvision.models.resnet import Bottleneck, ResNet

    class NarrowBottleneck(Bottleneck):
        expansion = 1

    model = randomize(ResNet(NarrowBottleneck, [1, 1, 1, 1], width_per_group=8, num_classes=7))
    x = inputs([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    with torch.inference_mode():
        act = model.relu(model.bn1(model.conv1(x)))
        y = model.maxpool(act)
        io = {"input.pixel_values": x, "stem.act": act, "stem.out": y}
        for i in range(1, 5):
            y = getattr(model, f"layer{i}")(y)
            io[f"layer{i}.out"] = y
        io["pre_logits"] = torch.flatten(model.avgpool(y), 1)
        io["logits"] = model(x)
    save("tv_resnet", model, io)


def tv_vit():
    from torchvision.models.vision_transformer import VisionTransformer
    model = randomize(VisionTransformer(image_size=32, patch_size=8, num_layers=6, num_heads=2,
                                        hidden_dim=128, mlp_dim=192, num_classes=10))
    x = inputs([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    with torch.inference_mode():
        tokens = model._process_input(x)
        tokens = torch.cat([model.class_token.expand(x.shape[0], -1, -1), tokens], dim=1)
        tokens = tokens + model.encoder.pos_embedding
        io = {"input.pixel_values": x, "embed.tokens": tokens}
        h = tokens
        for i, layer in enumerate(model.encoder.layers):
            h = layer(h)
            io[f"blocks.{i}.out"] = h
        features = model.encoder.ln(h)
        io["features"] = features
        io["pre_logits"] = features[:, 0]
        io["logits"] = model(x)
    save("tv_vit", model, io)


class HFAttention(nn.Module):
    def __init__(self, width, heads, causal=False):
        super().__init__()
        self.heads, self.scale, self.causal = heads, (width // heads) ** -0.5, causal
        self.q_proj, self.k_proj = nn.Linear(width, width), nn.Linear(width, width)
        self.v_proj, self.out_proj = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x):
        b, t, c = x.shape
        d = c // self.heads
        q = (self.q_proj(x) * self.scale).view(b, t, self.heads, d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, d).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)
        if self.causal:
            # HF adds the most negative float above the diagonal.
            mask = torch.full((t, t), torch.finfo(scores.dtype).min).triu(1)
            scores = scores + mask
        p = scores.softmax(-1)
        return self.out_proj((p @ v).transpose(1, 2).reshape(b, t, c)), p


class HFLayer(nn.Module):
    def __init__(self, width, heads, mlp, causal=False):
        super().__init__()
        self.self_attn = HFAttention(width, heads, causal)
        self.layer_norm1 = nn.LayerNorm(width, eps=1e-5)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(width, mlp), nn.Linear(mlp, width)
        self.layer_norm2 = nn.LayerNorm(width, eps=1e-5)

    def forward(self, x):
        a, p = self.self_attn(self.layer_norm1(x))
        x = x + a
        h = self.mlp.fc1(self.layer_norm2(x))
        h = h * torch.sigmoid(1.702 * h)  # quick_gelu
        return x + self.mlp.fc2(h), p


class HFCLIPVision(nn.Module):
    def __init__(self, width=64, layers=2, heads=4, patch=8, image=32, proj=24):
        super().__init__()
        self.vision_model = nn.Module()
        vm = self.vision_model
        vm.embeddings = nn.Module()
        vm.embeddings.class_embedding = nn.Parameter(torch.zeros(width))
        vm.embeddings.patch_embedding = nn.Conv2d(3, width, patch, patch, bias=False)
        vm.embeddings.position_embedding = nn.Embedding((image // patch) ** 2 + 1, width)
        vm.pre_layrnorm = nn.LayerNorm(width, eps=1e-5)
        vm.encoder = nn.Module()
        vm.encoder.layers = nn.ModuleList([HFLayer(width, heads, 4 * width) for _ in range(layers)])
        vm.post_layernorm = nn.LayerNorm(width, eps=1e-5)
        self.visual_projection = nn.Linear(width, proj, bias=False)

    def forward(self, x, io):
        vm = self.vision_model
        patches = vm.embeddings.patch_embedding(x).flatten(2).transpose(1, 2)
        cls = vm.embeddings.class_embedding.expand(x.shape[0], 1, -1)
        h = torch.cat([cls, patches], 1) + vm.embeddings.position_embedding.weight
        h = vm.pre_layrnorm(h)
        io["embed.tokens"] = h
        for i, layer in enumerate(vm.encoder.layers):
            h, p = layer(h)
            io[f"blocks.{i}.out"] = h
            io[f"blocks.{i}.attn_probs"] = p
        io["pooled"] = vm.post_layernorm(h[:, 0])
        io["image_embeds"] = self.visual_projection(io["pooled"])
        io["pre_logits"] = io["image_embeds"]


class HFCLIPModel(HFCLIPVision):
    """CLIPModel: the vision tower above plus text_model and text_projection;
    the text is pooled at the largest id (the end token), as legacy HF
    configs (eos_token_id 2) and OpenAI do."""

    def __init__(self, text_width=32, text_layers=2, text_heads=2, vocab=600, context=12, proj=24):
        super().__init__(proj=proj)
        self.text_model = nn.Module()
        tm = self.text_model
        tm.embeddings = nn.Module()
        tm.embeddings.token_embedding = nn.Embedding(vocab, text_width)
        tm.embeddings.position_embedding = nn.Embedding(context, text_width)
        tm.encoder = nn.Module()
        tm.encoder.layers = nn.ModuleList([HFLayer(text_width, text_heads, 4 * text_width, causal=True)
                                           for _ in range(text_layers)])
        tm.final_layer_norm = nn.LayerNorm(text_width, eps=1e-5)
        self.text_projection = nn.Linear(text_width, proj, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(2.6592))

    def encode_text(self, ids, io):
        tm = self.text_model
        h = tm.embeddings.token_embedding(ids) + tm.embeddings.position_embedding.weight[: ids.shape[1]]
        io["text.embed.tokens"] = h
        for i, layer in enumerate(tm.encoder.layers):
            h, p = layer(h)
            io[f"text.blocks.{i}.out"] = h
            io[f"text.blocks.{i}.attn_probs"] = p
        h = tm.final_layer_norm(h)
        io["text.ln_final"] = h
        pooled = h[torch.arange(ids.shape[0]), ids.argmax(-1)]
        io["text.pooled"] = pooled
        io["text_embeds"] = self.text_projection(pooled)
        io["text_embeds_norm"] = F.normalize(io["text_embeds"], dim=-1)


def hf_clip_full():
    model = randomize(HFCLIPModel())
    with torch.no_grad():
        model.logit_scale.fill_(2.6592)   # ln(1/0.07), as CLIP initializes it
    x = inputs([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
    g = torch.Generator().manual_seed(12)
    ids = torch.zeros(3, 12, dtype=torch.int64)
    for row, length in enumerate((5, 9, 12)):
        ids[row, 0] = 598                                    # start of text
        ids[row, 1:length - 1] = torch.randint(1, 590, (length - 2,), generator=g)
        ids[row, length - 1] = 599                           # end of text: the largest id
    io = {"input.pixel_values": x, "input.text_ids": ids}
    with torch.inference_mode():
        model(x, io)
        model.encode_text(ids, io)
        io["image_embeds_norm"] = F.normalize(io["image_embeds"], dim=-1)
        io["logit_scale_exp"] = model.logit_scale.exp()
        io["logits_per_image"] = io["logit_scale_exp"] * io["image_embeds_norm"] @ io["text_embeds_norm"].T
    config = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 24,
              "vision_config": {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                                "patch_size": 8, "image_size": 32, "hidden_act": "quick_gelu"},
              "text_config": {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2,
                              "vocab_size": 600, "max_position_embeddings": 12, "hidden_act": "quick_gelu",
                              "eos_token_id": 2}}
    save("hf_clip_full", model, io, config)


def hf_clip_vision():
    model = randomize(HFCLIPVision())
    x = inputs([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
    io = {"input.pixel_values": x}
    with torch.inference_mode():
        model(x, io)
    config = {"architectures": ["CLIPVisionModelWithProjection"], "model_type": "clip_vision_model",
              "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 256,
              "patch_size": 8, "image_size": 32, "projection_dim": 24, "hidden_act": "quick_gelu",
              "layer_norm_eps": 1e-5}
    save("hf_clip_vision", model, io, config)


def timm_vit_forward(w, x, heads=4, eps=1e-6):
    """timm's VisionTransformer (class token, global_pool='token') in plain
    torch ops; returns (io dict, logits)."""
    io = {}
    patches = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=8)
    gh, gw = patches.shape[-2:]
    patches = patches.flatten(2).transpose(1, 2)
    pos = w["pos_embed"]
    if pos.shape[1] != 1 + gh * gw:
        old = int((pos.shape[1] - 1) ** 0.5)
        grid = pos[:, 1:].reshape(1, old, old, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", antialias=True, align_corners=False)
        pos = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], dim=1)
    io["embed.pos_embed"] = pos
    h = torch.cat([w["cls_token"].expand(x.shape[0], -1, -1), patches], dim=1) + pos
    io["embed.tokens"] = h
    c = h.shape[-1]
    for i in range(2):
        b = f"blocks.{i}."
        y = F.layer_norm(h, (c,), w[b + "norm1.weight"], w[b + "norm1.bias"], eps)
        qkv = F.linear(y, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])
        q, k, v = qkv.reshape(x.shape[0], -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        a = (p @ v).transpose(1, 2).reshape(x.shape[0], -1, c)
        h = h + F.linear(a, w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        y = F.layer_norm(h, (c,), w[b + "norm2.weight"], w[b + "norm2.bias"], eps)
        y = F.linear(F.gelu(F.linear(y, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])),
                     w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
        h = h + y
        io[f"blocks.{i}.out"] = h
    features = F.layer_norm(h, (c,), w["norm.weight"], w["norm.bias"], eps)
    io["features"] = features
    io["pre_logits"] = features[:, 0]
    io["logits"] = F.linear(features[:, 0], w["head.weight"], w["head.bias"])
    return io


def vit_cls_resized():
    reference = os.path.join(ASSETS, "reference", "timm")
    weights, _ = safetensors_io.read(os.path.join(reference, "vit_cls.safetensors"))
    w = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    io32, _ = safetensors_io.read(os.path.join(reference, "vit_cls.io.safetensors"))
    with torch.inference_mode():
        check = timm_vit_forward(w, torch.from_numpy(io32["input.pixel_values"].copy()))
    assert torch.allclose(check["logits"], torch.from_numpy(io32["logits"].copy()), atol=1e-5), "re-implementation drifted"
    for size in (48, 24):
        paths = ["test/cat/0000.jpg", "test/ship/0003.jpg"]
        images = []
        for p in paths:
            image = Image.open(os.path.join(ASSETS, "datasets", "cifar10-jpg", p)).convert("RGB").resize((size, size), Image.BICUBIC)
            t = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255.0
            images.append((t - 0.5) / 0.5)
        x = torch.stack(images)
        with torch.inference_mode():
            io = timm_vit_forward(w, x)
        io = {"input.pixel_values": x, **io}
        safetensors_io.write(os.path.join(OUT, f"vit_cls_{size}.io.safetensors"), io, {"fixture": f"vit_cls_{size}"})


class ModifiedBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride > 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(OrderedDict([
                ("-1", nn.AvgPool2d(stride)),
                ("0", nn.Conv2d(inplanes, planes * 4, 1, stride=1, bias=False)),
                ("1", nn.BatchNorm2d(planes * 4))]))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(self.avgpool(out)))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class AttentionPool2d(nn.Module):
    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spacial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim)
        self.num_heads = num_heads

    def forward(self, x, io):
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(2, 0, 1)        # (HW, N, C)
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)             # (HW + 1, N, C)
        x = x + self.positional_embedding[:, None, :]
        out, probs = F.multi_head_attention_forward(
            query=x, key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.num_heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight,
            v_proj_weight=self.v_proj.weight, in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.c_proj.weight, out_proj_bias=self.c_proj.bias,
            use_separate_proj_weight=True, training=False, need_weights=True, average_attn_weights=False)
        # The pooled token's row of the attention: (N, heads, 1, HW + 1).
        io["visual.attnpool.attn_probs"] = probs[:, :, :1]
        return out[0]


class ModifiedResNet(nn.Module):
    def __init__(self, layers, output_dim, heads, image_size, width):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.avgpool = nn.AvgPool2d(2)
        self._inplanes = width
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
        self.attnpool = AttentionPool2d(image_size // 32, width * 32, heads, output_dim)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [ModifiedBottleneck(self._inplanes, planes, stride)]
        self._inplanes = planes * ModifiedBottleneck.expansion
        layers += [ModifiedBottleneck(self._inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x, io):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = self.avgpool(x)
        io["visual.stem.out"] = x
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
            io[f"visual.layer{i}.out"] = x
        return self.attnpool(x, io)


def openclip_rn():
    """A ModifiedResNet image tower beside the shared clip_vit fixture's text
    tower, in one OpenCLIP state dict."""
    shared = os.path.join(ASSETS, "reference", "openclip")
    text_weights, _ = safetensors_io.read(os.path.join(shared, "clip_vit.safetensors"))
    text_io, _ = safetensors_io.read(os.path.join(shared, "clip_vit.io.safetensors"))
    with open(os.path.join(shared, "clip_vit.json")) as f:
        shared_cfg = json.load(f)["open_clip_model_config"]
    visual = randomize(ModifiedResNet(layers=(1, 2, 1, 1), output_dim=32, heads=4, image_size=64, width=8))
    state = {"visual." + k: v for k, v in visual.state_dict().items()}
    state.update({k: torch.from_numpy(v.copy()) for k, v in text_weights.items() if not k.startswith("visual.")})

    images = []
    for p in ["test/cat/0000.jpg", "test/ship/0003.jpg"]:
        image = Image.open(os.path.join(ASSETS, "datasets", "cifar10-jpg", p)).convert("RGB").resize((64, 64), Image.BICUBIC)
        t = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255.0
        images.append((t - torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)) /
                      torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1))
    x = torch.stack(images)
    io = {"input.pixel_values": x}
    with torch.inference_mode():
        io["image_embeds"] = visual(x, io)
    io["image_embeds_norm"] = F.normalize(io["image_embeds"], dim=-1)
    for name in ("input.text_ids", "text_embeds", "text_embeds_norm", "logit_scale_exp"):
        io[name] = torch.from_numpy(np.array(text_io[name]))
    io["logits_per_image"] = io["logit_scale_exp"] * io["image_embeds_norm"] @ io["text_embeds_norm"].T

    folder = os.path.join(OUT, "openclip_rn")
    os.makedirs(folder, exist_ok=True)
    safetensors_io.write(os.path.join(folder, "model.safetensors"), state, {"format": "pt", "fixture": "openclip_rn"})
    config = {"model_cfg": {"embed_dim": 32, "quick_gelu": shared_cfg["quick_gelu"],
                            "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 8, "head_width": 64},
                            "text_cfg": shared_cfg["text_cfg"]}}
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump(config, f, indent=1)
    safetensors_io.write(os.path.join(OUT, "openclip_rn.io.safetensors"), io, {"fixture": "openclip_rn"})


def main():
    torch.set_num_threads(1)
    vit_cls_resized()
    tv_resnet()
    tv_vit()
    hf_clip_vision()
    hf_clip_full()
    openclip_rn()
    print("wrote", OUT, "torchvision", torchvision.__version__)


if __name__ == "__main__":
    main()
