#!/usr/bin/env python3
"""PyTorch eager's side of the GPU check: `graft bench`'s workload on a CUDA device (or the CPU), timed the same way.

    python3 bench/gpu/torch_bench.py --arch resnet50 --batch 64 --mode train --device cuda [--tf32]
    /usr/bin/python3 bench/gpu/torch_bench.py --device cpu --batch 2 --steps 1 --warmup 0 --mode train   # smoke test

The step is graft's BenchStep (models/src/main/java/dev/graft/models/train/BenchStep.java) on a randomly initialised
torchvision network (no download) and one random batch with random labels, both already on the device:
- infer:  eval mode, forward under torch.no_grad();
- train:  train mode, zero_grad, forward, mean cross entropy, backward, SGD step (lr 0.01, momentum 0.9, weight
          decay 1e-4) over every parameter;
- frozen: graft's feature-extract strategy (Strategy.java): only the classifier is trainable; every backbone
          parameter has requires_grad False and every backbone BatchNorm layer stays in eval mode (running
          statistics), so backward reaches the head only.
Each step is timed alone on the host clock and ends with torch.cuda.synchronize(), so it counts finished work; the
figure is the median images/s over the timed steps after the warm-up.

Precision is F32. --tf32 lets cuBLAS and cuDNN round F32 inputs to TF32 on tensor cores; without it both are set
to full F32, explicitly, since PyTorch 2's defaults differ (cuDNN convolutions allow TF32, matmuls do not). PyTorch
2.9 and later get the setting through `fp32_precision`, older ones through `allow_tf32`; what was set is read back
into the JSON. cuDNN's benchmark mode (algorithm search per shape) is on by default, as graft caches a searched
algorithm per shape too; --no-cudnn-benchmark turns it off.

Prints one line in words and, last, one JSON object with the fields of `graft bench --json` plus the precision
settings, versions and, on CUDA, `peak_device_bytes` (torch.cuda.max_memory_allocated over the whole run, model and
batch included) and `peak_reserved_bytes` (the caching allocator's reservation).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2"]
HEAD = "fc"
CLASSES = 1000
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 1e-4


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


def step_function(mode, model, images, labels):
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
            if name != HEAD and not name.startswith(HEAD + "."):
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
    parser.add_argument("--arch", default="resnet50", choices=ARCHS)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--mode", required=True, choices=["infer", "train", "frozen"])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN (default: full F32)")
    parser.add_argument("--no-cudnn-benchmark", dest="cudnn_benchmark", action="store_false",
                        help="let cuDNN pick algorithms by heuristics instead of timing them")
    args = parser.parse_args(argv)
    for option, value, least in (("--batch", args.batch, 1), ("--steps", args.steps, 1), ("--warmup", args.warmup, 0),
                                 ("--image-size", args.image_size, 1)):
        if value < least:
            parser.error(f"{option} must be >= {least}, got {value}")
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

    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, args.arch)(num_classes=CLASSES).to(device)
    images = torch.randn(args.batch, 3, args.image_size, args.image_size, device=device)
    labels = torch.randint(CLASSES, (args.batch,), device=device)
    step, trained = step_function(args.mode, model, images, labels)

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
              "threads": torch.get_num_threads(), "image_size": args.image_size, "warmup": args.warmup,
              "steps": args.steps, "trained_parameters": trained, "median_images_per_sec": median,
              "min_images_per_sec": rates[0], "max_images_per_sec": rates[-1], "step_seconds": seconds,
              "precision": "tf32" if args.tf32 else "f32", "tf32_settings": precision,
              "torch": torch.__version__, "torchvision": torchvision.__version__}
    where = args.device
    if device.type == "cuda":
        result.update({"cudnn_benchmark": torch.backends.cudnn.benchmark, "cuda": torch.version.cuda,
                       "cudnn": torch.backends.cudnn.version(), "gpu": torch.cuda.get_device_name(device),
                       "peak_device_bytes": torch.cuda.max_memory_allocated(device),
                       "peak_reserved_bytes": torch.cuda.max_memory_reserved(device)})
        where = f"{result['gpu']}, {result['precision']}, peak {result['peak_device_bytes'] / 2**20:.0f} MiB"
    print(f"{args.arch} {args.mode} on {where}, batch {args.batch}, {args.image_size}x{args.image_size}: "
          f"{median:.2f} images/s median (slowest step {rates[0]:.2f}, fastest {rates[-1]:.2f}) over {args.steps} "
          f"steps after {args.warmup} warm-up (PyTorch {torch.__version__})", flush=True)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
