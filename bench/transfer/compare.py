"""Side-by-side transfer runs: the same recipe through `graft train` and through PyTorch, one after the other.

Run from anywhere with Debian's PyTorch (python3-torch 1.13) after graft's launcher has built once:

    /usr/bin/python3 bench/transfer/compare.py [--assets DIR] [--threads 2] [--only NAME] [--work DIR]

Each row of the table below is one run: a public CIFAR ResNet-20 checkpoint (akamaster, legacy format) as the
pretrained network, a fresh 64 -> C head, and one strategy, on
- cifar10-subset (5,000 training / 1,000 test JPEGs at 32x32): feature-extract and fine-tune (layer3);
- hymenoptera (ants vs bees, 244 training / 153 validation photographs) at 32x32: every strategy, scratch included.

The PyTorch side reproduces graft's recipe step for step, so only the engines differ: torchvision's ImageFolder
and PIL transforms (train: RandomResizedCrop(32, scale=(0.6, 1)) + RandomHorizontalFlip, graft's `--augment
light`; eval: Resize(32) + CenterCrop(32); ImageNet normalisation), batch 32 with drop_last when the training
set is larger than a batch, SGD with momentum 0.9 and weight decay 1e-4 on every parameter of two or more
dimensions (none on biases and BatchNorm), a cosine schedule stepped per batch from the base rate to 0,
BatchNorm layers whose parameters are all frozen kept in eval mode (graft's default `--frozen-bn running-stats`),
the head initialised by nn.Linear's default. Random streams differ (data order, crops, initialisation), so
accuracies agree in distribution, not digit for digit. Both run on the same number of threads; wall time counts
the epochs (training and validation), not start-up.

The akamaster architecture comes from the model fixture script, shared with the unit tests.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torchvision
from torchvision import transforms

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "models", "src", "test", "fixtures"))
from make_model_fixtures import CifarResNet  # noqa: E402  (the definition shared with the unit tests)

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CHECKPOINT = "resnet-cifar10/pretrained_models/resnet20-12fca82f.th"

# name, data folder (train, val), strategy, unfreeze, epochs, lr
RUNS = [
    ("cifar10 feature-extract", "cifar10-subset", "train", "test", "feature-extract", None, 10, 0.05),
    ("cifar10 fine-tune layer3", "cifar10-subset", "train", "test", "fine-tune", "layer3", 10, 0.02),
    ("hymenoptera feature-extract", "hymenoptera", "train", "val", "feature-extract", None, 15, 0.05),
    ("hymenoptera fine-tune layer3", "hymenoptera", "train", "val", "fine-tune", "layer3", 15, 0.02),
    ("hymenoptera full", "hymenoptera", "train", "val", "full", None, 15, 0.02),
    ("hymenoptera scratch", "hymenoptera", "train", "val", "scratch", None, 15, 0.05),
]
BATCH = 32
SEED = 0


def torch_run(assets, data, train_dir, val_dir, strategy, unfreeze, epochs, lr, threads):
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    train_tf = transforms.Compose([transforms.RandomResizedCrop(32, scale=(0.6, 1.0)),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(MEAN, STD)])
    eval_tf = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(),
                                  transforms.Normalize(MEAN, STD)])
    root = os.path.join(assets, data)
    train_set = torchvision.datasets.ImageFolder(os.path.join(root, train_dir), train_tf)
    val_set = torchvision.datasets.ImageFolder(os.path.join(root, val_dir), eval_tf)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH, shuffle=True,
                                               drop_last=len(train_set) > BATCH, num_workers=1)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=BATCH, num_workers=1)

    model = CifarResNet(20, 10)
    if strategy != "scratch":
        ckpt = torch.load(os.path.join(assets, CHECKPOINT), map_location="cpu")
        state = {k.removeprefix("module."): v for k, v in ckpt["state_dict"].items()}
        model.load_state_dict(state, strict=False)
    model.linear = nn.Linear(64, len(train_set.classes))
    stages = {"stem": ["conv1.", "bn1."], "layer1": ["layer1."], "layer2": ["layer2."], "layer3": ["layer3."],
              "linear": ["linear."]}
    trainable = {"feature-extract": ["linear"], "fine-tune": [unfreeze, "linear"],
                 "full": list(stages), "scratch": list(stages)}[strategy]
    for name, p in model.named_parameters():
        p.requires_grad = any(name.startswith(prefix) for s in trainable for prefix in stages[s])
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0}],
                                lr=lr, momentum=0.9)
    total = epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / total)))
    frozen_bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)
                 and not any(p.requires_grad for p in m.parameters())]
    criterion = nn.CrossEntropyLoss()
    accuracies = []
    images = 0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for m in frozen_bn:
            m.eval()
        for x, y in train_loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            images += len(y)
        model.eval()
        correct = n = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x).argmax(1) == y).sum().item()
                n += len(y)
        accuracies.append(correct / n)
    seconds = time.perf_counter() - start
    return {"final_val_accuracy": accuracies[-1], "best_val_accuracy": max(accuracies),
            "train_seconds": seconds, "images_per_sec": images / seconds}


def graft_run(assets, data, train_dir, val_dir, strategy, unfreeze, epochs, lr, threads, work, name):
    out = os.path.join(work, name.replace(" ", "-"))
    args = [os.path.join(REPO, "graft"), "train", "--data", os.path.join(assets, data, train_dir),
            "--val", os.path.join(assets, data, val_dir), "--arch", "cifar_resnet20",
            "--weights", "none" if strategy == "scratch" else os.path.join(assets, CHECKPOINT),
            "--strategy", strategy, "--epochs", str(epochs), "--batch", str(BATCH), "--lr", str(lr),
            "--image-size", "32", "--augment", "light", "--seed", str(SEED), "--threads", str(threads),
            "--out", out, "--json"]
    if unfreeze:
        args += ["--unfreeze", unfreeze]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"graft train failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), " ".join(args[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=os.environ.get("GRAFT_ASSETS",
                                                           os.path.join(REPO, "..", "shared", "assets")))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="run only the rows whose name contains this")
    parser.add_argument("--work", help="keep graft's run folders here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="graft-transfer-")
    print(f"torch {torch.__version__}, {args.threads} threads; graft runs in {work}", flush=True)
    print("| run | epochs | graft final / best val acc | PyTorch final / best val acc | graft s | PyTorch s "
          "| graft img/s | PyTorch img/s | trainable |")
    print("|---|---|---|---|---|---|---|---|---|")
    commands = []
    for name, data, tr, va, strategy, unfreeze, epochs, lr in RUNS:
        if args.only and args.only not in name:
            continue
        g, command = graft_run(args.assets, data, tr, va, strategy, unfreeze, epochs, lr, args.threads, work, name)
        t = torch_run(args.assets, data, tr, va, strategy, unfreeze, epochs, lr, args.threads)
        commands.append(command)
        print(f"| {name} | {epochs} | {100 * g['final_val_accuracy']:.1f}% / {100 * g['best_val_accuracy']:.1f}% "
              f"| {100 * t['final_val_accuracy']:.1f}% / {100 * t['best_val_accuracy']:.1f}% "
              f"| {g['train_seconds']:.1f} | {t['train_seconds']:.1f} | {g['images_per_sec']:.0f} "
              f"| {t['images_per_sec']:.0f} | {g['trainable_parameters']:,} |", flush=True)
    print("\ngraft commands:")
    for c in commands:
        print("  ./graft " + c)


if __name__ == "__main__":
    main()
