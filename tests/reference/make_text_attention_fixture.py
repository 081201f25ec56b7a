#!/usr/bin/python3
"""The CLIP text tower's token × token attention, from PyTorch, for
tests/engine/test-attention.c (/engine/attention/text).

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
The metadata holds the prompts and each prompt's token labels as Vitrine
shows them (labels.<p>): the token's bytes as text, "</w>" (the end of a
word) dropped, and a piece that goes on into the next token marked with a
trailing "·"; the start and end tokens as <|startoftext|> and
<|endoftext|>.

Writes tests/fixtures/attention/text.safetensors. Run:
  /usr/bin/python3 tests/reference/make_text_attention_fixture.py
(needs python3-regex for the tokenizer: apt-get install python3-regex)
"""
import json
import os
import sys

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
        full = torch.tensor([tok.tokenize(prompt, CONTEXT)], dtype=torch.int64)
        t = int(full.argmax(-1)) + 1   # the end token has the largest id
        out[name + ".ids"] = full[:, :t]
        probs = attention(w, full)
        for i, p in enumerate(probs):
            p = p[:, :, :t, :t]
            assert float(p.triu(1).abs().max()) == 0.0, "causal attention above the diagonal"
            out["%s.text.blocks.%d.heads" % (name, i)] = p.float()
            out["%s.text.blocks.%d.mean" % (name, i)] = p.mean(1).float()
            out["%s.text.blocks.%d.max" % (name, i)] = p.amax(1).float()
            out["%s.text.blocks.%d.min" % (name, i)] = p.amin(1).float()
        meta["labels." + name] = json.dumps([label(tok, byte_decoder, int(x)) for x in full[0, :t]])
        print("%s: %d tokens %s" % (name, t, meta["labels." + name]))
    path = os.path.join(OUT, "text.safetensors")
    safetensors_io.write(path, out, meta)
    print("%s: %d bytes" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
