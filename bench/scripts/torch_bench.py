#!/usr/bin/env python3
"""The PyTorch twin of `graft bench`: the same workload, timed the same way, printed the same way.

    /usr/bin/python3 bench/scripts/torch_bench.py --arch resnet18 --batch 8 --mode train --threads 2

A randomly initialised network (torchvision's, or for cifar_resnetN the akamaster definition shared with graft's
unit tests) runs `warmup` untimed steps and then `steps` timed ones on one random batch [B, 3, S, S] with random
labels; each step is timed alone. Modes, as in graft:
- infer:  eval mode, forward under torch.no_grad();
- train:  train mode, zero_grad, forward, cross entropy, backward, SGD step (lr 0.01, momentum 0.9, weight decay
          1e-4) over every parameter;
- frozen: the same with only the classifier trainable: every backbone parameter has requires_grad False and every
          backbone BatchNorm layer is in eval mode (running statistics, graft's default for frozen layers), so
          backward reaches the head only.
Prints one line in words and, last, one JSON object with the fields of `graft bench --json`: the median, slowest
and fastest step as images/s and every step's seconds.

glibc is told to keep freed memory, as in torch_gemm_conv.py: otherwise every step pays fresh page faults for its
activations, while the JVM reuses its already-touched heap.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "models", "src", "test", "fixtures"))
from make_model_fixtures import CifarResNet  # noqa: E402  (the definition shared with the unit tests)

TORCHVISION = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
               "wide_resnet50_2"]
CIFAR_DEPTHS = [20, 32, 44, 56, 110]
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 1e-4


def keep_freed_memory():
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)  # the largest value glibc accepts
    libc.mallopt(m_trim_threshold, 1 << 30)


def build(arch):
    """The network, the name of its classifier, its class count and its input size."""
    if arch in TORCHVISION:
        return getattr(torchvision.models, arch)(), "fc", 1000, 224
    if arch.startswith("cifar_resnet") and arch[len("cifar_resnet"):] in map(str, CIFAR_DEPTHS):
        return CifarResNet(int(arch[len("cifar_resnet"):])), "linear", 10, 32
    raise SystemExit(f"torch_bench.py: unknown architecture '{arch}' for --arch; known: "
                     + ", ".join(TORCHVISION + [f"cifar_resnet{d}" for d in CIFAR_DEPTHS]))


def step_function(mode, model, head, images, labels):
    if mode == "infer":
        model.eval()

        def infer():
            with torch.no_grad():
                model(images)
        return infer, 0
    model.train()
    if mode == "frozen":
        for name, module in model.named_modules():
            if name != head and not name.startswith(head + "."):
                for p in module.parameters(recurse=False):
                    p.requires_grad_(False)
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
    trainable = [p for p in model.parameters() if p.requires_grad]
    sgd = torch.optim.SGD(trainable, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)

    def train():
        sgd.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        sgd.step()
    return train, sum(p.numel() for p in trainable)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--mode", required=True, choices=["infer", "train", "frozen"])
    parser.add_argument("--image-size", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="default: torch's own (every core)")
    args = parser.parse_args()
    # 0 for --image-size and --threads means "the default", so their least explicit value is 1.
    for option, value, least, shown in (("--batch", args.batch, 1, 1), ("--steps", args.steps, 1, 1),
                                        ("--warmup", args.warmup, 0, 0), ("--image-size", args.image_size, 0, 1),
                                        ("--threads", args.threads, 0, 1)):
        if value < least:
            parser.error(f"{option} must be >= {shown}, got {value}")

    keep_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, head, classes, default_size = build(args.arch)
    size = args.image_size or default_size
    images = torch.randn(args.batch, 3, size, size)
    labels = torch.randint(classes, (args.batch,))
    step, trained = step_function(args.mode, model, head, images, labels)

    seconds = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        step()
        if i >= args.warmup:
            seconds.append(time.perf_counter() - start)
    rates = sorted(args.batch / s for s in seconds)
    median = statistics.median(rates)
    print(f"{args.arch} {args.mode}, batch {args.batch}, {size}x{size}, {torch.get_num_threads()} threads: "
          f"{median:.2f} images/s median (slowest step {rates[0]:.2f}, fastest {rates[-1]:.2f}) over "
          f"{args.steps} steps after {args.warmup} warm-up (PyTorch {torch.__version__})")
    print(json.dumps({"arch": args.arch, "mode": args.mode, "batch": args.batch, "threads": torch.get_num_threads(),
                      "image_size": size, "warmup": args.warmup, "steps": args.steps, "trained_parameters": trained,
                      "median_images_per_sec": median, "min_images_per_sec": rates[0],
                      "max_images_per_sec": rates[-1], "step_seconds": seconds}))


if __name__ == "__main__":
    main()
