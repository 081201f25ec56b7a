#!/usr/bin/python3
"""CoOp prompt learning on the OpenCLIP fixture's text tower, as PyTorch's
autograd computes it, for tests/engine/test-coop.c.

The model is shared/assets/reference/openclip/clip_vit.safetensors (text
tower: width 4, 2 layers, 2 heads, context 16). Its text tower is written
out in plain torch ops as in make_network_grad_fixtures.py (checked there
against OpenCLIP's own text embedding), run in float64 from the float32
weights, and CoOp on it as the official code (KaiyangZhou/CoOp,
trainers/coop.py) builds it: prompts "X X X X {class}.", the token
embeddings of the X's replaced by the context vectors (shared, or one set
per class with csc), the class token at the end; text features at the
end-of-text token · text_projection; logits = exp(logit_scale) ·
normalize(image) · normalize(text)ᵀ; mean cross-entropy.

The context starts from Vitrine's stream (SplitMix64, as
make_active_fixtures.py writes it) through Box–Muller, two uniforms per
value: 0.02 · sqrt(−2 ln(1 − u1)) · cos(2π u2), in order, so that both
sides start from the same numbers (PyTorch's own normal_ stream cannot be
drawn in C). The image features are a fixed random draw (torch seed 21),
stored as the test's input.

The sequences are cut after the longest prompt's end token; the script
checks that the features equal those of the full context of 16 (causal
attention: no earlier token sees a later one).

tests/fixtures/coop/coop.safetensors holds, for each case <c> in "shared"
(n_ctx 4) and "csc" (n_ctx 4, class-specific):
  features          (N, 32) the image features, float32 (both cases)
  labels            (N) int32
  <c>.ids           (K, L) int64, the cut prompts' token ids
  <c>.context       the start context, (n_ctx, 4) or (K, n_ctx, 4)
  <c>.loss          (1) the loss at the start on all N
  <c>.grad          ∂loss/∂context at the start
  <c>.losses        (10) the losses of ten SGD steps, each before its update
  <c>.final         the context after them
The ten steps: mini-batches of 3 of the N = 6 rows, reshuffled each epoch
by SplitMix64(seed + 1) as vt_active_rng_shuffle (Python's random.shuffle
with below()), 5 epochs; torch.optim.SGD (momentum 0.9, weight decay 5e-4)
with the learning rate of CosineAnnealingLR's closed form over the ten
steps, lr0 · (1 + cos(π t / 10)) / 2 at step t. The base rate is 0.2, not
CoOp's 0.002: at 0.002 ten steps move the loss by less than the test's
tolerance, and the test must fail when the update is wrong. The metadata
has the class names, n_ctx, the seeds and the recipe.

Run: /usr/bin/python3 tests/reference/make_coop_fixture.py
(needs python3-regex for the tokenizer: apt-get install python3-regex)
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_active_fixtures import SplitMix64  # noqa: E402
from make_tokenizer_fixture import SimpleTokenizer, VOCAB  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
CKPT = "reference/openclip/clip_vit.safetensors"
OUT = os.path.join(ROOT, "tests", "fixtures", "coop")
CLASSES = ["airplane", "cat", "sea_lion", "ship", "truck"]
LABELS = [0, 1, 2, 3, 4, 1]
N_CTX = 4
LR, MOMENTUM, WEIGHT_DECAY = 0.2, 0.9, 5e-4
BATCH, EPOCHS = 3, 5
SEED = {"shared": 7, "csc": 11, "hf_shared": 7, "hf_csc": 11}


def load():
    tensors, _ = safetensors_io.read(os.path.join(ASSETS, CKPT))
    return {k: torch.from_numpy(v.copy()).double() for k, v in tensors.items() if v.dtype.kind == "f"}


def text_features(w, embeddings, ids):
    """OpenCLIP's text tower from token embeddings (K, L, C)."""
    n, length = ids.shape
    c = w["ln_final.weight"].shape[0]
    heads, eps = 2, 1e-5
    h = embeddings + w["positional_embedding"][:length]
    mask = torch.full((length, length), float("-inf"), dtype=torch.float64).triu(1)
    for i in range(2):
        b = "transformer.resblocks.%d." % i
        y = F.layer_norm(h, (c,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        qkv = F.linear(y, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
        q, k, v = qkv.reshape(n, -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1) + mask).softmax(-1)
        a = (p @ v).transpose(1, 2).reshape(n, -1, c)
        h = h + F.linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
        y = F.linear(F.layer_norm(h, (c,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps),
                     w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        h = h + F.linear(F.gelu(y), w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
    features = F.layer_norm(h, (c,), w["ln_final.weight"], w["ln_final.bias"], eps)
    return features[torch.arange(n), ids.argmax(-1)] @ w["text_projection"]


HF = "hf_clip"
HF_TOKENS = "text_model.embeddings.token_embedding.weight"


def hf_checkpoint(w):
    """The fixture's text tower in Hugging Face CLIPModel's layout (in_proj
    split into q_proj, k_proj, v_proj; text_projection stored as a Linear's
    (E, W) weight; the same float32 values), beside a small random vision
    tower (CoOp never runs it; CLIPModel has one), with its config.json in
    tests/fixtures/coop/hf_clip. Returns the HF tensors in float64."""
    hf = {HF_TOKENS: w["token_embedding.weight"],
          "text_model.embeddings.position_embedding.weight": w["positional_embedding"],
          "text_model.final_layer_norm.weight": w["ln_final.weight"],
          "text_model.final_layer_norm.bias": w["ln_final.bias"],
          "text_projection.weight": w["text_projection"].t().contiguous(), "logit_scale": w["logit_scale"]}
    c = w["ln_final.weight"].shape[0]
    for i in range(2):
        o, b = "transformer.resblocks.%d." % i, "text_model.encoder.layers.%d." % i
        for j, part in enumerate(["q_proj", "k_proj", "v_proj"]):
            hf[b + "self_attn.%s.weight" % part] = w[o + "attn.in_proj_weight"][j * c:(j + 1) * c].contiguous()
            hf[b + "self_attn.%s.bias" % part] = w[o + "attn.in_proj_bias"][j * c:(j + 1) * c].contiguous()
        for ours, theirs in [("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"),
                             ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")]:
            hf[b + ours + ".weight"] = w[o + theirs + ".weight"]
            hf[b + ours + ".bias"] = w[o + theirs + ".bias"]
    g = torch.Generator().manual_seed(5)
    width, patch, image, e = 8, 8, 16, w["text_projection"].shape[1]
    vm = "vision_model."
    vision = {vm + "embeddings.class_embedding": (width,), vm + "embeddings.patch_embedding.weight": (width, 3, patch, patch),
              vm + "embeddings.position_embedding.weight": ((image // patch) ** 2 + 1, width),
              vm + "pre_layrnorm.weight": (width,), vm + "pre_layrnorm.bias": (width,),
              vm + "post_layernorm.weight": (width,), vm + "post_layernorm.bias": (width,),
              "visual_projection.weight": (e, width)}
    b = vm + "encoder.layers.0."
    for part in ["q_proj", "k_proj", "v_proj", "out_proj"]:
        vision[b + "self_attn.%s.weight" % part] = (width, width)
        vision[b + "self_attn.%s.bias" % part] = (width,)
    vision.update({b + "layer_norm1.weight": (width,), b + "layer_norm1.bias": (width,),
                   b + "layer_norm2.weight": (width,), b + "layer_norm2.bias": (width,),
                   b + "mlp.fc1.weight": (2 * width, width), b + "mlp.fc1.bias": (2 * width,),
                   b + "mlp.fc2.weight": (width, 2 * width), b + "mlp.fc2.bias": (width,)})
    for name, shape in vision.items():
        hf[name] = 0.1 * torch.randn(shape, generator=g).double()
    folder = os.path.join(OUT, HF)
    os.makedirs(folder, exist_ok=True)
    safetensors_io.write(os.path.join(folder, "model.safetensors"), {k: v.float() for k, v in hf.items()},
                         {"format": "pt", "fixture": "coop " + HF, "converted_from": CKPT})
    config = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": e,
              "vision_config": {"hidden_size": width, "num_attention_heads": 2, "num_hidden_layers": 1,
                                "intermediate_size": 2 * width, "patch_size": patch, "image_size": image,
                                "hidden_act": "gelu"},
              "text_config": {"hidden_size": c, "num_attention_heads": 2, "num_hidden_layers": 2,
                              "intermediate_size": 4 * c, "vocab_size": w["token_embedding.weight"].shape[0],
                              "max_position_embeddings": w["positional_embedding"].shape[0], "hidden_act": "gelu",
                              "eos_token_id": 2}}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    return hf


def hf_text_features(w, embeddings, ids):
    """Hugging Face's CLIPTextTransformer (transformers' modeling_clip, eval)
    from token embeddings (K, L, C): separate q, k, v with q scaled before
    the product, the most negative float above the diagonal, exact GELU as
    the config says, final_layer_norm, the largest id (eos_token_id 2's
    rule), text_projection as a Linear."""
    n, length = ids.shape
    c = w["text_model.final_layer_norm.weight"].shape[0]
    heads, eps = 2, 1e-5
    d = c // heads
    h = embeddings + w["text_model.embeddings.position_embedding.weight"][:length]
    mask = torch.full((length, length), torch.finfo(torch.float64).min, dtype=torch.float64).triu(1)
    for i in range(2):
        b = "text_model.encoder.layers.%d." % i
        y = F.layer_norm(h, (c,), w[b + "layer_norm1.weight"], w[b + "layer_norm1.bias"], eps)
        q = F.linear(y, w[b + "self_attn.q_proj.weight"], w[b + "self_attn.q_proj.bias"]) * d ** -0.5
        k = F.linear(y, w[b + "self_attn.k_proj.weight"], w[b + "self_attn.k_proj.bias"])
        v = F.linear(y, w[b + "self_attn.v_proj.weight"], w[b + "self_attn.v_proj.bias"])
        q, k, v = (z.view(n, length, heads, d).transpose(1, 2) for z in (q, k, v))
        p = (q @ k.transpose(-2, -1) + mask).softmax(-1)
        a = (p @ v).transpose(1, 2).reshape(n, length, c)
        h = h + F.linear(a, w[b + "self_attn.out_proj.weight"], w[b + "self_attn.out_proj.bias"])
        y = F.linear(F.layer_norm(h, (c,), w[b + "layer_norm2.weight"], w[b + "layer_norm2.bias"], eps),
                     w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])
        h = h + F.linear(F.gelu(y), w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    features = F.layer_norm(h, (c,), w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"], eps)
    return F.linear(features[torch.arange(n), ids.argmax(-1)], w["text_projection.weight"])


# each layout's text tower and token embedding's name
LAYOUTS = {"openclip": (text_features, "token_embedding.weight"), "hf": (hf_text_features, HF_TOKENS)}


def start_context(shape, seed):
    rng = SplitMix64(seed)
    values = []
    for _ in range(math.prod(shape)):
        u1, u2 = rng.uniform(), rng.uniform()
        values.append(0.02 * math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
    # float32 as the C side keeps it
    return torch.tensor(values, dtype=torch.float32).reshape(shape).double()


def prompts(w, tok, context_length):
    full = []
    for name in CLASSES:
        full.append(tok.tokenize(" ".join(["X"] * N_CTX) + " " + name.replace("_", " ") + ".", context_length))
    full = torch.tensor(full, dtype=torch.int64)
    length = int(full.argmax(-1).max()) + 1
    return full, length


def loss_of(w, layout, context, csc, ids, features, labels):
    tower, tokens = LAYOUTS[layout]
    k, length = ids.shape
    embeddings = w[tokens][ids].clone()
    ctx = context if csc else context.unsqueeze(0).expand(k, -1, -1)
    embeddings = torch.cat([embeddings[:, :1], ctx, embeddings[:, 1 + N_CTX:]], dim=1)
    text = F.normalize(tower(w, embeddings, ids), dim=-1)
    logits = w["logit_scale"].exp() * F.normalize(features, dim=-1) @ text.t()
    return F.cross_entropy(logits, labels)


def shuffle(rng, values):
    for i in range(len(values) - 1, 0, -1):
        j = rng.below(i + 1)
        values[i], values[j] = values[j], values[i]


def case(name, csc, w, full, length, features, labels, out, layout="openclip"):
    ids = full[:, :length]
    tower, tokens = LAYOUTS[layout]
    k = len(CLASSES)
    shape = (k, N_CTX, 4) if csc else (N_CTX, 4)
    seed = SEED[name]
    context = start_context(shape, seed).requires_grad_(True)

    # the cut is exact: the full context's features are the same
    with torch.no_grad():
        emb = w[tokens][full]
        cut = w[tokens][ids]
        assert torch.allclose(tower(w, emb, full), tower(w, cut, ids), atol=1e-12), "cut not exact"

    out[name + ".ids"] = ids
    out[name + ".context"] = context.detach().float()
    loss = loss_of(w, layout, context, csc, ids, features, labels)
    (grad,) = torch.autograd.grad(loss, [context])
    out[name + ".loss"] = loss.detach().float().reshape(1)
    out[name + ".grad"] = grad.float()

    optimizer = torch.optim.SGD([context], lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    order = list(range(len(LABELS)))
    rng = SplitMix64(seed + 1)
    total = EPOCHS * ((len(LABELS) + BATCH - 1) // BATCH)
    losses, step = [], 0
    for _ in range(EPOCHS):
        shuffle(rng, order)
        for start in range(0, len(order), BATCH):
            rows = order[start:start + BATCH]
            for group in optimizer.param_groups:
                group["lr"] = LR * (1 + math.cos(math.pi * step / total)) / 2
            optimizer.zero_grad()
            loss = loss_of(w, layout, context, csc, ids, features[rows], labels[rows])
            loss.backward()
            losses.append(loss.item())
            optimizer.step()
            step += 1
    out[name + ".losses"] = torch.tensor(losses, dtype=torch.float32)
    out[name + ".final"] = context.detach().float()
    print("%s: loss %.6f, ten steps %s" % (name, out[name + ".loss"].item(), " ".join("%.4f" % v for v in losses)))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    w = load()
    tok = SimpleTokenizer(VOCAB)
    full, length = prompts(w, tok, 16)
    generator = torch.Generator().manual_seed(21)
    features = torch.randn(len(LABELS), 32, generator=generator).float().double()
    labels = torch.tensor(LABELS, dtype=torch.int64)
    out = {"features": features.float(), "labels": labels.int()}
    case("shared", False, w, full, length, features, labels, out)
    case("csc", True, w, full, length, features, labels, out)
    # the same weights in Hugging Face's layout, through HF's text tower
    hf = hf_checkpoint(w)
    with torch.no_grad():
        emb = w["token_embedding.weight"][full]
        assert torch.allclose(hf_text_features(hf, emb, full), text_features(w, emb, full), atol=1e-12), \
            "the HF layout is not the same tower"
    case("hf_shared", False, hf, full, length, features, labels, out, layout="hf")
    case("hf_csc", True, hf, full, length, features, labels, out, layout="hf")
    path = os.path.join(OUT, "coop.safetensors")
    safetensors_io.write(path, out, {"checkpoint": "shared:" + CKPT, "classes": json.dumps(CLASSES),
                                     "n_ctx": str(N_CTX), "seeds": json.dumps(SEED),
                                     "recipe": "SGD lr %g momentum %g weight_decay %g, cosine over %d steps, batch %d, "
                                               "%d epochs" % (LR, MOMENTUM, WEIGHT_DECAY, EPOCHS * 2, BATCH, EPOCHS),
                                     "precision": "float64 autograd from float32 weights, features and context"})
    print("%s: %d bytes" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
