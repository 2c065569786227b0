#!/usr/bin/env python3
"""Times the GemmBench and Conv2dBench shapes in PyTorch on the CPU and prints GFLOP/s.

Timing mirrors the JMH settings of the Java benchmarks: 2 warm-up iterations of 1 s, then 3 measured
iterations of 1 s; the reported time is the mean time per call over the measured iterations.

Besides torch.mm (which goes to whatever BLAS torch was built against; Debian's python3-torch uses the
system libblas, by default the slow reference implementation) every GEMM is also timed as the equivalent
1x1 convolution run directly by oneDNN (torch.mkldnn_convolution), a strong CPU GEMM. Convolutions are
timed through F.conv2d, which picks its own backend (oneDNN for most shapes, im2col + BLAS for some
single-threaded 1x1 cases), and, for the forward pass, through oneDNN directly as well.

glibc is told to keep freed memory instead of returning every large tensor to the kernel: otherwise each
call pays fresh page faults for its output, which on some VMs costs more than the arithmetic, while the
JVM reuses its already-touched heap.

Usage: python3 torch_gemm_conv.py --threads N   (N = the JVM's ForkJoinPool common-pool parallelism)
"""
import argparse
import ctypes
import os
import time

import torch
import torch.nn.functional as F

GEMM_SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (128, 784, 1152)]

# name: (batch, in channels, spatial size, out channels, kernel, stride, padding), as in Conv2dBench.
CONV_LAYERS = {
    "layer2_3x3": (8, 128, 28, 128, 3, 1, 1),
    "layer3_1x1": (8, 256, 14, 1024, 1, 1, 0),
    "stem_7x7": (2, 3, 224, 64, 7, 2, 3),
}


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


def report(kind, shape, op, flops, seconds):
    print(f"{kind:<6} {shape:<16} {op:<16} {seconds * 1e3:10.3f} ms {flops / seconds / 1e9:9.1f} GFLOP/s",
          flush=True)


def gemm(m, n, k):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    flops = 2.0 * m * n * k
    shape = f"{m}x{n}x{k}"
    with torch.no_grad():
        report("gemm", shape, "torch.mm", flops, mean_seconds(lambda: torch.mm(a, b)))
        # C[m, n] = A·B as a 1x1 conv: B is a 1 x k x 1 x n image, A an m x k x 1 x 1 filter bank.
        image = b.reshape(1, k, 1, n).contiguous()
        filters = a.reshape(m, k, 1, 1).contiguous()
        report("gemm", shape, "oneDNN 1x1 conv", flops,
               mean_seconds(lambda: torch.mkldnn_convolution(image, filters, None, [0, 0], [1, 1], [1, 1], 1)))


def conv(name, n, c, hw, out_c, kernel, stride, pad):
    x = torch.randn(n, c, hw, hw)
    w = torch.randn(out_c, c, kernel, kernel)
    out_hw = (hw + 2 * pad - kernel) // stride + 1
    gy = torch.randn(n, out_c, out_hw, out_hw)
    flops = 2.0 * n * out_c * c * kernel * kernel * out_hw * out_hw

    def conv_of(inp, weight):
        return F.conv2d(inp, weight, None, stride, pad)

    with torch.no_grad():
        report("conv", name, "forward", flops, mean_seconds(lambda: conv_of(x, w)))
        report("conv", name, "forward oneDNN", flops, mean_seconds(
            lambda: torch.mkldnn_convolution(x, w, None, [pad, pad], [stride, stride], [1, 1], 1)))
    # Autograd computes only the gradients that are asked for, so each backward pass is timed on its own,
    # replaying one recorded graph.
    xg = x.clone().requires_grad_()
    y = conv_of(xg, w)
    report("conv", name, "backwardInput", flops,
           mean_seconds(lambda: torch.autograd.grad(y, xg, gy, retain_graph=True)))
    wg = w.clone().requires_grad_()
    y = conv_of(x, wg)
    report("conv", name, "backwardWeight", flops,
           mean_seconds(lambda: torch.autograd.grad(y, wg, gy, retain_graph=True)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # The JVM's common pool defaults to one thread fewer than the CPUs; match that unless told otherwise.
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 1) - 1))
    args = parser.parse_args()
    keep_freed_memory()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"oneDNN {torch.backends.mkldnn.is_available()}, "
          f"BLAS {'generic (system libblas)' if 'BLAS_INFO=generic' in torch.__config__.show() else 'bundled'}")
    for m, n, k in GEMM_SHAPES:
        gemm(m, n, k)
    for name, layer in CONV_LAYERS.items():
        conv(name, *layer)


if __name__ == "__main__":
    main()
