#!/usr/bin/env python3
"""Times the JMH suite's GEMM, conv2d and BatchNorm shapes in PyTorch on the CPU and prints GFLOP/s.

The shapes are those of GemmBench, Conv2dBench and BatchNormBench: square GEMMs, and every distinct convolution
of ResNet-50 at batch 8 read from resnet50_layers.json beside this script (written by
dev.graft.bench.ResNet50Layers; a graft test keeps it current). Keys name each row as the JMH suite's summary
does (gemm:512x512x512, gemm:l2_3x3_s2:bwdData, conv:l2_3x3_s2:forward, bn:l1_expand:backward), so
`bench/run-jmh.sh --torch FILE` (or `--summarize JMH.json --torch FILE`) can put PyTorch beside graft.

Timing mirrors the JMH settings of the kernel benchmarks: 2 warm-up iterations of 1 s, then 3 measured
iterations of 1 s; the reported time is the mean time per call over the measured iterations.

- GEMM: the product as a 1x1 convolution run directly by oneDNN (torch.mkldnn_convolution), a strong CPU
  GEMM. oneDNN gets its operands already laid out as it wants them, so the transposes of the backward GEMMs
  (graft packs transposed operands itself) cost it nothing. With --mm, torch.mm on the transposed views is
  timed too: it goes to whatever BLAS torch was built against (Debian's python3-torch: the system libblas, by
  default the slow reference implementation); the faster of the two is compared.
- conv2d: F.conv2d forward, which picks its own backend (oneDNN for most shapes, im2col + BLAS for some
  single-threaded 1x1 cases), is compared; oneDNN directly is printed as well. Each backward pass is timed on
  its own through autograd (the gradient of only the input, or only the weight), replaying one recorded graph.
- BatchNorm: F.batch_norm in training mode (batch statistics, running statistics updated), and its backward
  through autograd for the input, weight and bias gradients.

glibc is told to keep freed memory instead of returning every large tensor to the kernel: otherwise each
call pays fresh page faults for its output, which on some VMs costs more than the arithmetic, while the
JVM reuses its already-touched heap.

Usage: /usr/bin/python3 torch_gemm_conv.py [--threads N] [--only REGEX] [--mm] [--json FILE]
(N = graft's thread count, -Dgraft.threads; both default to the number of CPUs)
"""
import argparse
import ctypes
import json
import os
import re
import time
from pathlib import Path

import torch
import torch.nn.functional as F

SQUARE = [256, 512, 1024, 2048]  # GemmBench.sgemm's shapes
LAYERS = Path(__file__).resolve().with_name("resnet50_layers.json")


def keep_freed_memory():
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)  # the largest value glibc accepts
    libc.mallopt(m_trim_threshold, 1 << 30)


def mean_seconds(fn, warmup=2, iterations=3, iteration_s=1.0):
    total_time, total_calls = 0.0, 0
    for i in range(warmup + iterations):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= iteration_s:
                break
        if i >= warmup:
            total_time += elapsed
            total_calls += calls
    return total_time / total_calls


class Results:
    """Timed rows, printed as they come; `compare` marks the one the summary sets against graft."""

    def __init__(self):
        self.rows = []

    def add(self, key, impl, flops, seconds, compare):
        rate = f"{flops / seconds / 1e9:9.1f} GFLOP/s" if flops else ""
        print(f"{key:<28} {impl:<18} {seconds * 1e3:10.3f} ms {rate}", flush=True)
        self.rows.append({"key": key, "impl": impl, "seconds": seconds, "compare": compare})


def gemm(results, key, trans_a, trans_b, m, n, k, with_mm):
    flops = 2.0 * m * n * k
    with torch.no_grad():
        # C[m, n] = A·B as a 1x1 conv: B is a 1 x k x 1 x n image, A an m x k x 1 x 1 filter bank.
        image = torch.randn(1, k, 1, n)
        filters = torch.randn(m, k, 1, 1)
        onednn = mean_seconds(lambda: torch.mkldnn_convolution(image, filters, None, [0, 0], [1, 1], [1, 1], 1))
        mm = None
        if with_mm:
            a = torch.randn(k, m).t() if trans_a else torch.randn(m, k)
            b = torch.randn(n, k).t() if trans_b else torch.randn(k, n)
            mm = mean_seconds(lambda: torch.mm(a, b))
    results.add(key, "oneDNN 1x1 conv", flops, onednn, mm is None or onednn <= mm)
    if mm is not None:
        results.add(key, "torch.mm", flops, mm, mm < onednn)


def conv(results, layer, batch, selected):
    n, c, hw, out_c = batch, layer["in_channels"], layer["size"], layer["out_channels"]
    kernel, stride, pad, out_hw = layer["kernel"], layer["stride"], layer["padding"], layer["out_size"]
    x = torch.randn(n, c, hw, hw)
    w = torch.randn(out_c, c, kernel, kernel)
    gy = torch.randn(n, out_c, out_hw, out_hw)
    flops = 2.0 * n * out_c * c * kernel * kernel * out_hw * out_hw
    key = f"conv:{layer['name']}:"

    def conv_of(inp, weight):
        return F.conv2d(inp, weight, None, stride, pad)

    if selected(key + "forward"):
        with torch.no_grad():
            results.add(key + "forward", "F.conv2d", flops, mean_seconds(lambda: conv_of(x, w)), True)
            results.add(key + "forward", "oneDNN direct", flops, mean_seconds(
                lambda: torch.mkldnn_convolution(x, w, None, [pad, pad], [stride, stride], [1, 1], 1)), False)
    if selected(key + "backwardInput"):
        xg = x.clone().requires_grad_()
        y = conv_of(xg, w)
        results.add(key + "backwardInput", "autograd", flops,
                    mean_seconds(lambda: torch.autograd.grad(y, xg, gy, retain_graph=True)), True)
    if selected(key + "backwardWeight"):
        wg = w.clone().requires_grad_()
        y = conv_of(x, wg)
        results.add(key + "backwardWeight", "autograd", flops,
                    mean_seconds(lambda: torch.autograd.grad(y, wg, gy, retain_graph=True)), True)


def batch_norm(results, layer, batch, selected):
    c, hw = layer["out_channels"], layer["out_size"]
    x = torch.randn(batch, c, hw, hw)
    gy = torch.randn(batch, c, hw, hw)
    weight, bias = torch.randn(c), torch.randn(c)
    running_mean, running_var = torch.zeros(c), torch.ones(c)
    key = f"bn:{layer['name']}:"

    def norm(inp, w, b):
        return F.batch_norm(inp, running_mean, running_var, w, b, training=True, momentum=0.1, eps=1e-5)

    if selected(key + "forward"):
        with torch.no_grad():
            results.add(key + "forward", "F.batch_norm", 0, mean_seconds(lambda: norm(x, weight, bias)), True)
    if selected(key + "backward"):
        params = [t.clone().requires_grad_() for t in (x, weight, bias)]
        y = norm(*params)
        results.add(key + "backward", "autograd", 0,
                    mean_seconds(lambda: torch.autograd.grad(y, params, gy, retain_graph=True)), True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", default="", help="time only the keys this regular expression finds")
    parser.add_argument("--mm", action="store_true", help="time torch.mm as well as oneDNN for every GEMM")
    parser.add_argument("--json", type=Path, help="also write the results here, for bench/run-jmh.sh --torch")
    args = parser.parse_args()
    keep_freed_memory()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"oneDNN {torch.backends.mkldnn.is_available()}, "
          f"BLAS {'generic (system libblas)' if 'BLAS_INFO=generic' in torch.__config__.show() else 'bundled'}")
    only = re.compile(args.only)
    table = json.loads(LAYERS.read_text())
    batch, convs = table["batch"], table["convs"]
    results = Results()

    for s in SQUARE:
        if only.search(f"gemm:{s}x{s}x{s}"):
            gemm(results, f"gemm:{s}x{s}x{s}", False, False, s, s, s, args.mm)
    for layer in convs:
        for name, g in layer["gemm"].items():
            key = f"gemm:{layer['name']}:{name}"
            if only.search(key):
                gemm(results, key, g["trans_a"], g["trans_b"], g["m"], g["n"], g["k"], args.mm)
    for layer in convs:
        conv(results, layer, batch, only.search)
    for layer in (next(c for c in convs if c["name"] == name) for name in table["batch_norm"]):
        batch_norm(results, layer, batch, only.search)

    if args.json:
        args.json.write_text(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                                         "results": results.rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
