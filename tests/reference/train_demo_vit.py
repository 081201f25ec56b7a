#!/usr/bin/python3
"""Trains the demo ViT from scratch on the CIFAR-10 JPEG training set.

A small VisionTransformer in timm's layout, so that Vitrine reads it as a
timm ViT: patch 4 on 32×32 (an 8 × 8 grid, 65 tokens with the class token),
width 96 by default (--width), 6 blocks, 3 heads, MLP ratio 4, exact GELU, LayerNorm
eps 1e-6, pre-norm blocks, class-token pooling and a linear head. timm
itself is not packaged for Debian 12, so the model is written here with its
module and parameter names (patch_embed.proj, cls_token, pos_embed,
blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}, norm, head).

Recipe: fixed seed; random crop 32 with 4 pixels of zero padding and a
horizontal flip; normalization by CIFAR-10's mean and std; AdamW (lr 1e-3
at batch 128, weight decay 0.05, none on biases, norms, tokens and position
embedding); a linear warm-up of 5 epochs into a cosine decay to 0, stepped
per batch; cross-entropy with label smoothing 0.1. After every epoch the
loss and accuracy on the training batches and the top-1 accuracy on the
10,000 test JPEGs go to the log, and the whole state (model, optimizer,
schedule, epoch, random generators) to a checkpoint, so that a run stopped
anywhere resumes with --resume from the last finished epoch.

At the end it writes OUT/model.safetensors (timm's state_dict names) and
OUT/config.json in the layout Vitrine's timm recognizer reads
(architecture, num_classes, label_names, model_args.num_heads,
pretrained_cfg's input_size, mean, std, crop_pct 1.0 and interpolation).

  /usr/bin/python3 tests/reference/train_demo_vit.py --out /tmp/demo-vit \\
      [--epochs 40] [--threads 2] [--subset N] [--resume]

--subset N trains on N training images and tests on N test images (chosen
by the seed): for a quick check that it runs, and for timing an epoch.
Decoded images are cached as one .npy per split under --cache.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATASET = os.path.join(ROOT, "..", "shared", "assets", "datasets", "cifar10-jpg")
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((p @ v).transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = Mlp(width, mlp_ratio * width)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, width):
        super().__init__()
        self.proj = nn.Conv2d(3, width, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    """timm's VisionTransformer, class token, global_pool='token'."""

    def __init__(self, image=32, patch=4, width=192, depth=6, heads=3, mlp_ratio=4, classes=10):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, width)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + (image // patch) ** 2, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.head = nn.Linear(width, classes)
        nn.init.normal_(self.cls_token, std=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def load_split(split, cache):
    """(images uint8 (N, 32, 32, 3), labels int64 (N)) in ImageFolder's order."""
    path = os.path.join(cache, f"cifar10-{split}.npz")
    if os.path.exists(path):
        data = np.load(path)
        return data["images"], data["labels"]
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        folder = os.path.join(DATASET, split, name)
        for file in sorted(os.listdir(folder)):
            images.append(np.asarray(Image.open(os.path.join(folder, file)).convert("RGB"), dtype=np.uint8))
            labels.append(label)
    images, labels = np.stack(images), np.asarray(labels, dtype=np.int64)
    os.makedirs(cache, exist_ok=True)
    np.savez(path + ".part.npz", images=images, labels=labels)
    os.replace(path + ".part.npz", path)
    return images, labels


def to_tensor(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def augment(x, generator):
    """RandomCrop(32, padding=4) (zero fill) and RandomHorizontalFlip, per image."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dx = torch.randint(0, 9, (n,), generator=generator)
    dy = torch.randint(0, 9, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(x)
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = crop.flip(-1) if flip[i] else crop
    return out


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, len(y), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return correct / len(y)


def lr_at(step, total, warmup, base):
    if step < warmup:
        return base * (step + 1) / warmup
    return 0.5 * base * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def export(model, args, out):
    os.makedirs(out, exist_ok=True)
    state = {k: v.detach().float() for k, v in sorted(model.state_dict().items())}
    safetensors_io.write(os.path.join(out, "model.safetensors"), state,
                         {"producer": f"train_demo_vit.py, torch {torch.__version__}", "licence": "ours"})
    config = {
        "architecture": f"vit_demo_patch4_32_w{args.width}_d{args.depth}",
        "num_classes": 10,
        "num_features": args.width,
        "label_names": CLASSES,
        "model_args": {"img_size": 32, "patch_size": 4, "embed_dim": args.width, "depth": args.depth,
                       "num_heads": args.heads, "mlp_ratio": 4, "class_token": True, "global_pool": "token"},
        "pretrained_cfg": {"input_size": [3, 32, 32], "mean": list(MEAN), "std": list(STD), "crop_pct": 1.0,
                           "interpolation": "bicubic", "num_classes": 10},
        "recipe": {"seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
                   "weight_decay": args.weight_decay, "warmup_epochs": args.warmup, "label_smoothing": 0.1,
                   "augmentation": "RandomCrop(32, padding=4), RandomHorizontalFlip"},
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="where the checkpoint, log and the final model go")
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/vitrine/train-demo-vit"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--warmup", type=int, default=5, help="epochs of linear warm-up")
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--heads", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--subset", type=int, default=0, help="train and test on this many images only")
    parser.add_argument("--resume", action="store_true", help="go on from OUT/train-state.pt")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "train.log")
    state_path = os.path.join(args.out, "train-state.pt")

    train_images, train_labels = load_split("train", args.cache)
    test_images, test_labels = load_split("test", args.cache)
    if args.subset:
        pick = np.random.RandomState(args.seed)
        train_keep = pick.permutation(len(train_labels))[:args.subset]
        test_keep = pick.permutation(len(test_labels))[:args.subset]
        train_images, train_labels = train_images[train_keep], train_labels[train_keep]
        test_images, test_labels = test_images[test_keep], test_labels[test_keep]
    x_train, y_train = to_tensor(train_images), torch.from_numpy(train_labels)
    x_test, y_test = to_tensor(test_images), torch.from_numpy(test_labels)

    model = VisionTransformer(width=args.width, depth=args.depth, heads=args.heads)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and n not in ("cls_token", "pos_embed")]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and n not in ("cls_token", "pos_embed"))]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = math.ceil(len(y_train) / args.batch)
    total, warmup = args.epochs * steps_per_epoch, args.warmup * steps_per_epoch
    start_epoch = 0
    header = (f"# {' '.join(sys.argv)}\n# train {len(y_train)} images, test {len(y_test)}; "
              f"torch {torch.__version__}, {args.threads} threads\n"
              "epoch\tloss\ttrain_acc\ttest_acc\tlr\tseconds\n")
    history = []
    if args.resume and os.path.exists(state_path):
        state = torch.load(state_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch = state["epoch"]
        header, history = state["header"], state["history"]
        print(f"resuming after epoch {start_epoch}")

    for epoch in range(start_epoch, args.epochs):
        began = time.time()
        order = torch.randperm(len(y_train), generator=generator)
        loss_sum, correct, seen = 0.0, 0, 0
        for s in range(steps_per_epoch):
            step = epoch * steps_per_epoch + s
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, total, warmup, args.lr)
            index = order[s * args.batch:(s + 1) * args.batch]
            x, y = augment(x_train[index], generator), y_train[index]
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        train_seconds = time.time() - began
        test_acc = evaluate(model, x_test, y_test)
        line = (f"{epoch + 1}\t{loss_sum / seen:.4f}\t{correct / seen:.4f}\t{test_acc:.4f}\t"
                f"{optimizer.param_groups[0]['lr']:.3g}\t{train_seconds:.1f}")
        history.append(line)
        print(line, flush=True)
        # The state holds the log's lines, and the log is rewritten from
        # them: a run stopped between the two never logs an epoch twice.
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                    "epoch": epoch + 1, "header": header, "history": history}, state_path + ".part")
        os.replace(state_path + ".part", state_path)
        with open(log_path + ".part", "w") as log:
            log.write(header + "".join(h + "\n" for h in history))
        os.replace(log_path + ".part", log_path)
    export(model, args, args.out)
    print(f"wrote {os.path.join(args.out, 'model.safetensors')} and config.json")


if __name__ == "__main__":
    main()
