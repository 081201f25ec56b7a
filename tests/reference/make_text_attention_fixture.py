#!/usr/bin/python3
"""The CLIP text tower's token × token attention, from PyTorch, for
tests/engine/test-attention.c (/engine/attention/text, /engine/attention/
text-hf-full, /engine/attention/text-hf-arch).

The model is shared/assets/reference/openclip/clip_vit.safetensors (text
tower: width 4, 2 layers, 2 heads, context 16, random weights). Its text
tower is written out in plain torch ops with eager attention (q·kᵀ·scale
plus the causal mask, softmax), as make_coop_fixture.py writes it, run in
float64 from the float32 weights. It is first checked against the attention
probabilities OpenCLIP 2.32 itself stored in clip_vit.io.safetensors for its
three texts.

For each prompt in PROMPTS, tokenized as OpenCLIP does over the whole
context of 16 and cut afterwards to its tokens (start token, words, end
token: T of them), batch first with a batch of one:
  <p>.ids                               (1, T) int64
  <p>.text.blocks.{i}.heads             (1, H, T, T) the probabilities, cut
  <p>.text.blocks.{i}.{mean,max,min}    (1, T, T) the heads fused
  <p>.text.rollout.{fusion}.start{s}   (1, T, T) attention rollout over the
                                        layers, for each of ROLLOUTS: the
                                        heads fused, the identity added,
                                        rows divided by their sums, R = A·R
                                        from layer s up (float64 throughout)
The metadata holds the prompts and each prompt's token labels as Vitrine
shows them (labels.<p>): the token's bytes as text, "</w>" (the end of a
word) dropped, and a piece that goes on into the next token marked with a
trailing "·"; the start and end tokens as <|startoftext|> and
<|endoftext|>.

The same for two Hugging Face CLIPModel fixtures, each its own file:
  text-hf-full.safetensors  tests/fixtures/forward/hf_clip_full (2 text layers,
                            2 heads, 12 positions, 600 tokens; quick_gelu and
                            eos_token_id 2 in its config.json)
  text-hf-arch.safetensors  tests/fixtures/arch/hf-clip (sharded; 1 layer, 2
                            heads, 16 positions, 500 tokens; no hidden_act, so
                            transformers' default quick_gelu)
  text-hf-gelu.safetensors  hf_clip_full's weights with text_config.hidden_act
                            "gelu" (the vision tower's stays quick_gelu): the
                            config is in the metadata ("config"), so that a
                            text tower taking the vision tower's activation
                            fails (layer 1's attention moves by ~1e-2)
Their text tower is written out from transformers' modeling_clip.py (not
packaged for Debian 12) in plain torch ops, eager attention, float64: token
plus position embedding; per layer layer_norm1, separate q/k/v projections
with q scaled by head_dim^-0.5, HF's own causal mask (the most negative
float64 above the diagonal, as _create_4d_causal_attention_mask adds it),
softmax, out_proj, the residual, layer_norm2, fc1, the activation the
config's text_config.hidden_act names (quick_gelu: x·σ(1.702x); gelu:
exact), fc2, the residual; final_layer_norm; pooling at the largest id
(the legacy eos_token_id 2 rule, which CLIPModel applies as argmax of the
ids). The float64 forward is first checked against the float32 attention
make_forward_fixtures.py stored for hf_clip_full (its own nn.Module
version of the same layout), and its pooled output against that file's.
Neither fixture has OpenAI's 49,408-token vocabulary, so this script writes
a small Hugging Face vocab.json + merges.txt (tests/fixtures/attention/
hf-vocab/: the 26 letters alone and at a word's end, a few merges that make
whole words, <|startoftext|> 498 and <|endoftext|> 499, the largest ids),
and tokenizes with it as CLIPTokenizer does (the same BPE, fed that
vocabulary). The second prompt is longer than hf_clip_full's 12 positions,
so it is cut there with the end token last.

Writes tests/fixtures/attention/text.safetensors, text-hf-full.safetensors,
text-hf-arch.safetensors, text-hf-gelu.safetensors and hf-vocab/. Run:
  /usr/bin/python3 tests/reference/make_text_attention_fixture.py
(needs python3-regex for the tokenizer: apt-get install python3-regex)
"""
import json
import os
import sys

import regex as re
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_tokenizer_fixture import SimpleTokenizer, VOCAB, bytes_to_unicode  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
CKPT = "reference/openclip/clip_vit.safetensors"
OUT = os.path.join(ROOT, "tests", "fixtures", "attention")
# The second has words BPE cuts into pieces, so the labels' marker is used.
PROMPTS = {"cat": "a photo of a cat.", "axolotl": "an axolotl in vitrines"}
CONTEXT, HEADS, LAYERS = 16, 2, 2
# (fusion, start layer) of the rollouts, in the order test-attention.c lists them.
ROLLOUTS = [("mean", 0), ("max", 1), ("min", 0)]
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
# Each fixture: the model folder, and what its text_config is given on top
# of the folder's config.json (test-attention writes that config beside a
# copy of the weights).
HF_MODELS = {"text-hf-full": ("forward/hf_clip_full", {}), "text-hf-arch": ("arch/hf-clip", {}),
             "text-hf-gelu": ("forward/hf_clip_full", {"hidden_act": "gelu"})}
HF_PROMPTS = {"cat": "a photo of a cat", "dogs": "two dogs in a photo of a cat"}
# Words the small vocabulary merges whole; other words stay letters.
HF_MERGES = ["c a", "ca t</w>", "p h", "ph o", "pho t", "phot o</w>", "o f</w>", "d o", "do g</w>", "i n</w>"]
HF_SOT, HF_EOT = 498, 499


def load():
    tensors, _ = safetensors_io.read(os.path.join(ASSETS, CKPT))
    return {k: torch.from_numpy(v.copy()).double() for k, v in tensors.items() if v.dtype.kind == "f"}


def attention(w, ids):
    """Every layer's attention probabilities (N, H, L, L) of OpenCLIP's text tower on ids (N, L)."""
    n, length = ids.shape
    c = w["ln_final.weight"].shape[0]
    eps = 1e-5
    h = w["token_embedding.weight"][ids] + w["positional_embedding"][:length]
    mask = torch.full((length, length), float("-inf"), dtype=torch.float64).triu(1)
    probs = []
    for i in range(LAYERS):
        b = "transformer.resblocks.%d." % i
        y = F.layer_norm(h, (c,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        qkv = F.linear(y, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
        q, k, v = qkv.reshape(n, -1, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        p = ((q * (c // HEADS) ** -0.5) @ k.transpose(-2, -1) + mask).softmax(-1)
        probs.append(p)
        a = (p @ v).transpose(1, 2).reshape(n, -1, c)
        h = h + F.linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
        y = F.linear(F.layer_norm(h, (c,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps),
                     w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        h = h + F.linear(F.gelu(y), w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
    return probs


def fuse(p, fusion):
    """(N, H, T, T) -> (N, T, T)."""
    return {"mean": p.mean(1), "max": p.amax(1), "min": p.amin(1)}[fusion]


def rollout(probs, fusion, start):
    """Abnar & Zuidema's rollout of the layers' probabilities (each (N, H, T, T))."""
    r = None
    for p in probs[start:]:
        a = fuse(p, fusion) + torch.eye(p.shape[-1], dtype=p.dtype)
        a = a / a.sum(-1, keepdim=True)
        r = a if r is None else a @ r
    return r


def hf_load(model):
    """CLIPModel's float tensors as float64, from one file or a sharded index; and its config."""
    folder = os.path.join(FIXTURES, model)
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    w = {}
    for name in files:
        tensors, _ = safetensors_io.read(os.path.join(folder, name))
        w.update({k: torch.from_numpy(v.copy()).double() for k, v in tensors.items() if v.dtype.kind == "f"})
    return w, json.load(open(os.path.join(folder, "config.json")))


def hf_text(w, config, ids):
    """transformers' CLIPTextTransformer on ids (N, L): every layer's
    attention probabilities (N, H, L, L) and the pooled output (N, C)."""
    cfg = config["text_config"]
    heads = cfg["num_attention_heads"]
    eps = cfg.get("layer_norm_eps", 1e-5)
    act = cfg.get("hidden_act", "quick_gelu")
    n, length = ids.shape
    c = w["text_model.embeddings.token_embedding.weight"].shape[1]
    d = c // heads
    h = w["text_model.embeddings.token_embedding.weight"][ids] + \
        w["text_model.embeddings.position_embedding.weight"][:length]
    mask = torch.full((length, length), torch.finfo(torch.float64).min, dtype=torch.float64).triu(1)
    probs = []
    for i in range(cfg["num_hidden_layers"]):
        b = "text_model.encoder.layers.%d." % i

        def proj(x, name):
            return F.linear(x, w[b + "self_attn.%s.weight" % name], w[b + "self_attn.%s.bias" % name])
        y = F.layer_norm(h, (c,), w[b + "layer_norm1.weight"], w[b + "layer_norm1.bias"], eps)
        q = (proj(y, "q_proj") * d ** -0.5).view(n, length, heads, d).transpose(1, 2)
        k = proj(y, "k_proj").view(n, length, heads, d).transpose(1, 2)
        v = proj(y, "v_proj").view(n, length, heads, d).transpose(1, 2)
        p = (q @ k.transpose(-1, -2) + mask).softmax(-1)
        probs.append(p)
        h = h + proj((p @ v).transpose(1, 2).reshape(n, length, c), "out_proj")
        y = F.linear(F.layer_norm(h, (c,), w[b + "layer_norm2.weight"], w[b + "layer_norm2.bias"], eps),
                     w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])
        y = y * torch.sigmoid(1.702 * y) if act == "quick_gelu" else F.gelu(y)
        h = h + F.linear(y, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    h = F.layer_norm(h, (c,), w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"], eps)
    return probs, h[torch.arange(n), ids.argmax(-1)]


class HFVocabTokenizer(SimpleTokenizer):
    """CLIPTokenizer's BPE on a vocab.json + merges.txt pair."""

    def __init__(self, vocab, merges):
        self.byte_encoder = bytes_to_unicode()
        self.encoder = vocab
        self.bpe_ranks = {tuple(m.split()): i for i, m in enumerate(merges)}
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                              re.IGNORECASE)


def hf_vocabulary():
    """The small vocab.json and merges.txt, written to hf-vocab/."""
    letters = [chr(ord("a") + i) for i in range(26)]
    vocab = {x: i for i, x in enumerate(letters + [x + "</w>" for x in letters])}
    for m in HF_MERGES:
        vocab["".join(m.split())] = len(vocab)
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = HF_SOT, HF_EOT
    folder = os.path.join(OUT, "hf-vocab")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, indent=0)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(HF_MERGES) + "\n")
    return HFVocabTokenizer(vocab, HF_MERGES)


def prompt_maps(out, meta, name, tok, byte_decoder, probs_of, full):
    """Every layer's heads, fusions and the rollouts of one prompt, cut to its tokens."""
    t = int(full.argmax(-1)) + 1   # the end token has the largest id
    out[name + ".ids"] = full[:, :t]
    probs = [p[:, :, :t, :t] for p in probs_of(full)]
    for i, p in enumerate(probs):
        assert float(p.triu(1).abs().max()) == 0.0, "causal attention above the diagonal"
        out["%s.text.blocks.%d.heads" % (name, i)] = p.float()
        for fusion in ("mean", "max", "min"):
            out["%s.text.blocks.%d.%s" % (name, i, fusion)] = fuse(p, fusion).float()
    for fusion, start in ROLLOUTS:
        if start < len(probs):
            r = rollout(probs, fusion, start)
            assert float(r.triu(1).abs().max()) == 0.0, "a causal rollout above the diagonal"
            out["%s.text.rollout.%s.start%d" % (name, fusion, start)] = r.float()
    meta["labels." + name] = json.dumps([label(tok, byte_decoder, int(x)) for x in full[0, :t]])
    print("%s: %d tokens %s" % (name, t, meta["labels." + name]))


def hf_fixtures(byte_decoder):
    tok = hf_vocabulary()
    tok.decoder = {v: k for k, v in tok.encoder.items()}

    # the re-implementation against make_forward_fixtures.py's CLIPModel
    w, config = hf_load(HF_MODELS["text-hf-full"][0])
    io, _ = safetensors_io.read(os.path.join(FIXTURES, "forward", "hf_clip_full.io.safetensors"))
    probs, pooled = hf_text(w, config, torch.from_numpy(io["input.text_ids"].copy()))
    worst = max(float((p - torch.from_numpy(io["text.blocks.%d.attn_probs" % i].copy())).abs().max())
                for i, p in enumerate(probs))
    worst = max(worst, float((pooled - torch.from_numpy(io["text.pooled"].copy())).abs().max()))
    assert worst < 1e-5, "the HF text tower differs from make_forward_fixtures.py's by %g" % worst
    print("against hf_clip_full.io.safetensors: %.2g" % worst)

    for fixture, (model, text_config) in HF_MODELS.items():
        w, config = hf_load(model)
        config["text_config"].update(text_config)
        context = config["text_config"]["max_position_embeddings"]
        out, meta = {}, {"checkpoint": "fixtures:" + model, "vocabulary": "fixtures:attention/hf-vocab",
                         "config": json.dumps(config),
                         "prompts": json.dumps(HF_PROMPTS),
                         "precision": "float64 from float32 weights, stored as float32"}
        for name, prompt in HF_PROMPTS.items():
            ids = torch.tensor([tok.tokenize(prompt, context)], dtype=torch.int64)
            prompt_maps(out, meta, name, tok, byte_decoder, lambda x: hf_text(w, config, x)[0], ids)
        path = os.path.join(OUT, fixture + ".safetensors")
        safetensors_io.write(path, out, meta)
        print("%s: %d bytes" % (path, os.path.getsize(path)))


def label(tok, byte_decoder, token_id):
    text = tok.decoder[token_id]
    if text in ("<|startoftext|>", "<|endoftext|>"):
        return text
    word_end = text.endswith("</w>")
    if word_end:
        text = text[:-4]
    text = bytearray(byte_decoder[ch] for ch in text).decode("utf-8", errors="replace")
    return text if word_end else text + "\u00b7"


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    w = load()
    tok = SimpleTokenizer(VOCAB)
    tok.decoder = {v: k for k, v in tok.encoder.items()}
    byte_decoder = {v: k for k, v in bytes_to_unicode().items()}

    # the re-implementation against what OpenCLIP stored
    io, _ = safetensors_io.read(os.path.join(ASSETS, CKPT.replace(".safetensors", ".io.safetensors")))
    upstream = attention(w, torch.from_numpy(io["input.text_ids"].copy()))
    worst = max(float((p.float() - torch.from_numpy(io["text.blocks.%d.attn_probs" % i].copy())).abs().max())
                for i, p in enumerate(upstream))
    assert worst < 1e-6, "the text tower differs from OpenCLIP's by %g" % worst
    print("against OpenCLIP's stored attention: %.2g" % worst)

    out, meta = {}, {"checkpoint": "shared:" + CKPT, "prompts": json.dumps(PROMPTS),
                     "precision": "float64 from float32 weights, stored as float32"}
    for name, prompt in PROMPTS.items():
        ids = torch.tensor([tok.tokenize(prompt, CONTEXT)], dtype=torch.int64)
        prompt_maps(out, meta, name, tok, byte_decoder, lambda x: attention(w, x), ids)
    path = os.path.join(OUT, "text.safetensors")
    safetensors_io.write(path, out, meta)
    print("%s: %d bytes" % (path, os.path.getsize(path)))
    hf_fixtures(byte_decoder)


if __name__ == "__main__":
    main()
