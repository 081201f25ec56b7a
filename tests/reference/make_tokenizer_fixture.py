#!/usr/bin/python3
"""Token ids from OpenAI CLIP's SimpleTokenizer, for tests/engine/test-tokenizer.c.

The tokenizer below is OpenAI's simple_tokenizer.py (as vendored by OpenCLIP
2.32): bytes_to_unicode, the 48,894 merges of bpe_simple_vocab_16e6.txt.gz,
the same pattern through the `regex` module (Debian's python3-regex),
html.unescape twice, whitespace collapsed, lower-cased, [SOT] + ids + [EOT]
cut to the context length with EOT last and padded with 0. ftfy is not
packaged for Debian 12 and is left out, as in shared/assets/reference.

Writes tests/fixtures/tokenizer/clip-ids.json: {context_length, texts, ids}.
Run: /usr/bin/python3 tests/reference/make_tokenizer_fixture.py
(needs python3-regex: apt-get install python3-regex)
"""
import gzip
import html
import json
import os

import regex as re

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
VOCAB = os.path.join(ROOT, "..", "shared", "assets", "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz")
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizer")
CONTEXT = 24


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class SimpleTokenizer:
    def __init__(self, path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in merges[1:49152 - 256 - 2 + 1]]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                              re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def tokenize(self, text, context):
        ids = [self.encoder["<|startoftext|>"]] + self.encode(text) + [self.encoder["<|endoftext|>"]]
        if len(ids) > context:
            ids = ids[:context]
            ids[-1] = self.encoder["<|endoftext|>"]
        return ids + [0] * (context - len(ids))


TEXTS = [
    "a photo of a cat",
    "A diagram of two dogs playing in the snow.",
    "It's 2026, we're here; they'll've gone!!",
    "  multiple   spaces\tand\nnewlines  ",
    "numbers 12345 and 3.14159",
    "café naïve résumé Ünïcödé",
    "Tom &amp; Jerry &lt;3 &#39;quoted&#39; &amp;amp;",
    "emoji 🐱🚀 and symbols €£¥ ©",
    "hyphen-ated words, under_scores and CamelCase",
    "a photo of a <|endoftext|> token",
    "the quick brown fox jumps over the lazy dog near the old riverbank at sunset while birds sing",
    "",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    tok = SimpleTokenizer(VOCAB)
    with open(os.path.join(OUT, "clip-ids.json"), "w") as f:
        json.dump({"context_length": CONTEXT, "texts": TEXTS,
                   "ids": [tok.tokenize(t, CONTEXT) for t in TEXTS]}, f, ensure_ascii=False, indent=1)
    print(tok.tokenize(TEXTS[2], CONTEXT))


if __name__ == "__main__":
    main()
