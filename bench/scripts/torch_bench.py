#!/usr/bin/env python3
"""The PyTorch twin of `graft bench`: the same workload, timed the same way, printed the same way, on the CPU
(beside graft's CPU backend, bench/compare-pytorch.sh) or on a CUDA device (PyTorch eager's side of the GPU check,
bench/gpu/check.sh).

    /usr/bin/python3 bench/scripts/torch_bench.py --arch resnet18 --batch 8 --mode train --threads 2
    python3 bench/scripts/torch_bench.py --arch resnet50 --batch 64 --mode train --device cuda [--tf32]

The step is graft's BenchStep (models/src/main/java/dev/graft/models/train/BenchStep.java) on a randomly initialised
network (torchvision's, no download, or for cifar_resnetN the akamaster definition shared with graft's unit tests)
and one random batch [B, 3, S, S] with random labels, both on the device; `warmup` untimed steps, then `steps`
timed ones, each timed alone. Modes, as in graft:
- infer:  eval mode, forward under torch.no_grad();
- train:  train mode, zero_grad, forward, mean cross entropy, backward, SGD step (lr 0.01, momentum 0.9, weight
          decay 1e-4) over every parameter;
- frozen: graft's feature-extract strategy: only the classifier is trainable; every backbone parameter has
          requires_grad False and every backbone BatchNorm layer is in eval mode (running statistics, graft's
          default for frozen layers), so backward reaches the head only.
On CUDA each step ends with torch.cuda.synchronize(), so it counts finished work. Precision is F32: --tf32 lets
cuBLAS and cuDNN round F32 inputs to TF32; without it both are set to full F32, explicitly, since PyTorch 2's
defaults differ (cuDNN convolutions allow TF32, matmuls do not); what was set is read back into the JSON. cuDNN's
benchmark mode (a searched algorithm per shape, as graft caches one) is on unless --no-cudnn-benchmark.

Prints one line in words and, last, one JSON object with the fields of `graft bench --json` (the median, slowest
and fastest step as images/s and every step's seconds) plus the precision settings, versions and, on CUDA,
`peak_device_bytes` (torch.cuda.max_memory_allocated over the run, model and batch included) and
`peak_reserved_bytes`. Exit status 3 when --device cuda finds no CUDA device.

glibc is told to keep freed memory, as in torch_gemm_conv.py: otherwise every CPU step pays fresh page faults for
its activations, while the JVM reuses its already-touched heap.
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
        # The definition shared with the unit tests, imported only here: the GPU check carries this script alone.
        repo = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        sys.path.insert(0, os.path.join(repo, "models", "src", "test", "fixtures"))
        from make_model_fixtures import CifarResNet
        return CifarResNet(int(arch[len("cifar_resnet"):])), "linear", 10, 32
    raise SystemExit(f"torch_bench.py: unknown architecture '{arch}' for --arch; known: "
                     + ", ".join(TORCHVISION + [f"cifar_resnet{d}" for d in CIFAR_DEPTHS]))


def set_precision(tf32):
    """Sets cuBLAS and cuDNN to TF32 or full F32 and returns the settings as read back."""
    matmul = torch.backends.cuda.matmul
    conv = getattr(torch.backends.cudnn, "conv", None)
    try:
        new_api = conv is not None and isinstance(matmul.fp32_precision, str)
    except (AttributeError, AssertionError):  # PyTorch 1.x's matmul object raises AssertionError for unknown names
        new_api = False
    if new_api:
        value = "tf32" if tf32 else "ieee"
        matmul.fp32_precision = value
        conv.fp32_precision = value
        return {"api": "fp32_precision", "matmul": matmul.fp32_precision, "cudnn_conv": conv.fp32_precision}
    matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    return {"api": "allow_tf32", "matmul": matmul.allow_tf32, "cudnn_conv": torch.backends.cudnn.allow_tf32}


def step_function(mode, model, head, images, labels):
    """The step to time and the number of parameters it updates."""
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
        sgd.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        sgd.step()
    return train, sum(p.numel() for p in trainable)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--mode", required=True, choices=["infer", "train", "frozen"])
    parser.add_argument("--image-size", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="default: torch's own (every core)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN (default: full F32)")
    parser.add_argument("--no-cudnn-benchmark", dest="cudnn_benchmark", action="store_false",
                        help="let cuDNN pick algorithms by heuristics instead of timing them")
    args = parser.parse_args(argv)
    # 0 for --image-size and --threads means "the default", so their least explicit value is 1.
    for option, value, least, shown in (("--batch", args.batch, 1, 1), ("--steps", args.steps, 1, 1),
                                        ("--warmup", args.warmup, 0, 0), ("--image-size", args.image_size, 0, 1),
                                        ("--threads", args.threads, 0, 1)):
        if value < least:
            parser.error(f"{option} must be >= {shown}, got {value}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.exit(3, f"torch_bench.py: --device cuda, but PyTorch {torch.__version__} sees no CUDA device "
                       f"(torch.version.cuda={torch.version.cuda})\n")
    if args.device == "cpu" and args.tf32:
        parser.error("--tf32 applies to CUDA only")
    return args


def main(argv):
    args = parse_args(argv)
    device = torch.device(args.device)
    precision = {"api": None, "matmul": None, "cudnn_conv": None}
    if device.type == "cuda":
        precision = set_precision(args.tf32)
        torch.backends.cudnn.benchmark = args.cudnn_benchmark
        torch.cuda.reset_peak_memory_stats(device)
    else:
        keep_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, head, classes, default_size = build(args.arch)
    model = model.to(device)
    size = args.image_size or default_size
    images = torch.randn(args.batch, 3, size, size, device=device)
    labels = torch.randint(classes, (args.batch,), device=device)
    step, trained = step_function(args.mode, model, head, images, labels)

    def finish():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    finish()
    seconds = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        step()
        finish()
        if i >= args.warmup:
            seconds.append(time.perf_counter() - start)
    rates = sorted(args.batch / s for s in seconds)
    median = statistics.median(rates)

    result = {"arch": args.arch, "mode": args.mode, "device": args.device, "batch": args.batch,
              "threads": torch.get_num_threads(), "image_size": size, "warmup": args.warmup, "steps": args.steps,
              "trained_parameters": trained, "median_images_per_sec": median, "min_images_per_sec": rates[0],
              "max_images_per_sec": rates[-1], "step_seconds": seconds,
              "precision": "tf32" if args.tf32 else "f32", "tf32_settings": precision,
              "torch": torch.__version__, "torchvision": torchvision.__version__}
    where = f"cpu, {torch.get_num_threads()} threads"
    if device.type == "cuda":
        result.update({"cudnn_benchmark": torch.backends.cudnn.benchmark, "cuda": torch.version.cuda,
                       "cudnn": torch.backends.cudnn.version(), "gpu": torch.cuda.get_device_name(device),
                       "peak_device_bytes": torch.cuda.max_memory_allocated(device),
                       "peak_reserved_bytes": torch.cuda.max_memory_reserved(device)})
        where = f"{result['gpu']}, {result['precision']}, peak {result['peak_device_bytes'] / 2**20:.0f} MiB"
    print(f"{args.arch} {args.mode} on {where}, batch {args.batch}, {size}x{size}: {median:.2f} images/s median "
          f"(slowest step {rates[0]:.2f}, fastest {rates[-1]:.2f}) over {args.steps} steps after {args.warmup} "
          f"warm-up (PyTorch {torch.__version__})", flush=True)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
