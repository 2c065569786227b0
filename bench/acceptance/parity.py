"""Acceptance check: graft's `graft infer` and `graft convert` against PyTorch on full-size checkpoints.

Run from anywhere with the system Python (PyTorch 1.13, torchvision 0.14, Pillow, NumPy), after building
the `./graft` launcher at the repository root:

    /usr/bin/python3 bench/acceptance/parity.py                 # everything; exit status 1 if a check fails
    /usr/bin/python3 bench/acceptance/parity.py --torch-only    # only the PyTorch side, no graft needed

ImageNet part, for resnet18, resnet50 and resnext50_32x4d: a torchvision network with seeded random weights
and randomised BatchNorm running statistics (mean ~ N(0, 0.1), var ~ U(0.5, 1.5)), its state_dict saved
with torch.save in the zip format and in the legacy one (_use_new_zipfile_serialization=False), a seeded
random batch [4, 3, 224, 224] saved as .npy, and the eval-mode logits. graft then runs

    ./graft infer --weights CKPT --arch NAME --input x.npy --output y.npy        (zip and legacy)
    ./graft convert --in CKPT.zip --out NAME.safetensors --arch NAME             (timed)
    ./graft infer --weights NAME.safetensors --input x.npy --output y.npy        (the bundle names its arch)

CIFAR part: all 1000 images of ASSETS/cifar10-subset/test decoded by PIL exactly as torchvision does
(ToTensor, Normalize), saved as one [1000, 3, 32, 32] .npy, and `./graft infer --batch 100` on each of
akamaster's legacy checkpoints resnet20/32/44/56 from ASSETS/resnet-cifar10, so both sides see identical
tensors; it also reports top-1 agreement with PyTorch and both accuracies.

The reference logits are PyTorch's float32 eval-mode forward. For the ImageNet networks the script also
prints how far that is from a float64 forward on the same inputs (about 1e-6 relative), a scale for graft's
own float32 rounding; float64 is too slow for the CIFAR part. A row passes when
max|graft - ref| <= 1e-4 * max|ref| (and, for CIFAR, top-1 agreement with PyTorch >= 99.9%).
The table lists: model, format, max|d|, max|ref|, relative, agreement, pass, seconds (the graft command).

ASSETS is $GRAFT_ASSETS, else ../shared/assets beside the repository. Checkpoints, inputs and outputs go to
a temporary folder that is deleted afterwards, or to --work DIR, which is kept; nothing is written into the
repository. The akamaster architecture and the PIL pipeline are imported from the CIFAR fixture script
models/src/test/fixtures/make_cifar_parity_fixtures.py, so the unit tests and this check share them.
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torchvision

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURE_SCRIPT = os.path.join(REPO, "models", "src", "test", "fixtures", "make_cifar_parity_fixtures.py")
IMAGENET_MODELS = ("resnet18", "resnet50", "resnext50_32x4d")
CIFAR_DEPTHS = (20, 32, 44, 56)
TOLERANCE = 1e-4
MIN_AGREEMENT = 0.999
BATCH = 100
COMMAND_TIMEOUT_S = 900


def cifar_module():
    spec = importlib.util.spec_from_file_location("make_cifar_parity_fixtures", FIXTURE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Table:
    """Result rows; a row fails when any of its checks does."""

    HEADER = ("model", "format", "max|d|", "max|ref|", "relative", "agreement", "pass", "seconds")

    def __init__(self):
        self.rows = []
        self.failures = []

    def add(self, model, fmt, ref=None, out=None, seconds=None, error=None, agreement=None):
        cells = [model, fmt, "-", "-", "-", "-", "no", "-" if seconds is None else f"{seconds:.1f}"]
        if error is None and out.shape != ref.shape:
            error = f"output shape {out.shape}, expected {ref.shape}"
        if error is not None:
            self.failures.append(f"{model} {fmt}: {error}")
        else:
            diff = np.abs(out.astype(np.float64) - ref).max()
            scale = np.abs(ref).max()
            ok = diff <= TOLERANCE * scale and (agreement is None or agreement >= MIN_AGREEMENT)
            cells[2:7] = [f"{diff:.3g}", f"{scale:.4g}", f"{diff / scale:.3g}",
                          "-" if agreement is None else f"{100 * agreement:.1f}%", "yes" if ok else "no"]
            if not ok:
                self.failures.append(f"{model} {fmt}: relative {diff / scale:.3g}"
                                     + ("" if agreement is None else f", agreement {100 * agreement:.1f}%"))
        self.rows.append(cells)
        print("  " + " ".join(cells), flush=True)

    def print(self):
        widths = [max(len(str(r[i])) for r in [self.HEADER] + self.rows) for i in range(len(self.HEADER))]
        for row in [self.HEADER] + self.rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


def graft(launcher, *args):
    """Runs the launcher; returns (seconds, error message or None)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([launcher, *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        return time.perf_counter() - start, f"graft {args[0]}: {e}"
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return seconds, f"exit status {proc.returncode}: " + " | ".join(tail)
    return seconds, None


def infer(table, launcher, model, fmt, ref, weights, x_path, *extra, top1=None):
    """`graft infer` on x_path, checked against ref (and against the top-1 classes top1 when given)."""
    out_path = os.path.join(os.path.dirname(x_path), f"{model}_{fmt.split()[0]}_y.npy")
    if os.path.exists(out_path):  # left by an earlier run in the same --work folder
        os.remove(out_path)
    seconds, error = graft(launcher, "infer", "--weights", weights, *extra, "--input", x_path, "--output", out_path)
    out = np.load(out_path) if error is None and os.path.exists(out_path) else None
    if error is None and out is None:
        error = f"{out_path} was not written"
    agreement = None
    if top1 is not None and out is not None and out.shape == ref.shape:
        agreement = (out.argmax(1) == top1).mean()
    table.add(model, fmt, ref, out, seconds, error, agreement)
    return out


def logits(model, x, dtype, batch=BATCH):
    """Eval-mode forward in `dtype` on the float32 x, batch by batch, as float64 numpy."""
    model = model.to(dtype).eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch].to(dtype)) for i in range(0, len(x), batch)]).double().numpy()


def relative(a, ref):
    """max|a - ref| / max|ref|"""
    return np.abs(a - ref).max() / np.abs(ref).max()


def randomised(name):
    """torchvision's network with seeded random weights and BatchNorm running statistics."""
    torch.manual_seed(zlib.crc32(name.encode()))
    model = getattr(torchvision.models, name)()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def imagenet_part(work, launcher, table):
    for name in IMAGENET_MODELS:
        model = randomised(name)
        zip_path = os.path.join(work, f"{name}.pt")
        legacy_path = os.path.join(work, f"{name}_legacy.pt")
        torch.save(model.state_dict(), zip_path)
        torch.save(model.state_dict(), legacy_path, _use_new_zipfile_serialization=False)
        torch.manual_seed(zlib.crc32(f"{name} input".encode()))
        x = torch.randn(4, 3, 224, 224)
        x_path = os.path.join(work, f"{name}_x.npy")
        np.save(x_path, x.numpy())
        ref = logits(model, x, torch.float32)
        print(f"{name}: logits {ref.shape}, max|ref| {np.abs(ref).max():.4g}, PyTorch float32 vs float64 "
              f"relative {relative(ref, logits(model, x, torch.float64)):.3g}", flush=True)
        if launcher is None:
            continue
        infer(table, launcher, name, "zip", ref, zip_path, x_path, "--arch", name)
        infer(table, launcher, name, "legacy", ref, legacy_path, x_path, "--arch", name)
        bundle = os.path.join(work, f"{name}.safetensors")
        seconds, error = graft(launcher, "convert", "--in", zip_path, "--out", bundle, "--arch", name)
        if error is not None:
            table.add(name, "convert", seconds=seconds, error=error)
        else:
            print(f"  {name}: convert took {seconds:.1f} s", flush=True)
            infer(table, launcher, name, f"bundle (convert {seconds:.1f} s)", ref, bundle, x_path)


def cifar_part(work, launcher, table):
    cifar = cifar_module()
    for folder in (cifar.TEST_IMAGES, cifar.CHECKPOINTS):
        if not os.path.isdir(os.path.join(cifar.ASSETS, folder)):
            sys.exit(f"{os.path.join(cifar.ASSETS, folder)} not found: set GRAFT_ASSETS, or use --skip-cifar")
    images = cifar.test_images()
    labels = np.array([label for _, label in images])
    x = torch.stack([cifar.pil_input(path) for path, _ in images])
    x_path = os.path.join(work, "cifar_x.npy")
    np.save(x_path, x.numpy())
    print(f"cifar: {len(images)} PIL-decoded test images {tuple(x.shape)}", flush=True)
    for depth in CIFAR_DEPTHS:
        model = cifar.load_cifar_resnet(depth)
        ref = logits(model, x, torch.float32)
        top1 = ref.argmax(1)
        print(f"cifar_resnet{depth}: PyTorch top-1 accuracy {100 * (top1 == labels).mean():.1f}%", flush=True)
        if launcher is None:
            continue
        weights = os.path.join(cifar.ASSETS, cifar.checkpoint_path(depth))
        out = infer(table, launcher, f"cifar_resnet{depth}", "legacy .th", ref, weights, x_path,
                    "--arch", f"cifar_resnet{depth}", "--batch", str(BATCH), top1=top1)
        if out is not None and out.shape == ref.shape:
            print(f"  cifar_resnet{depth}: graft top-1 accuracy {100 * (out.argmax(1) == labels).mean():.1f}%",
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch-only", action="store_true", help="only build the PyTorch references and report")
    parser.add_argument("--graft", default=os.path.join(REPO, "graft"), help="the graft launcher (default ./graft)")
    parser.add_argument("--work", help="keep checkpoints, inputs and outputs in this folder")
    parser.add_argument("--skip-cifar", action="store_true", help="leave out the CIFAR part")
    args = parser.parse_args()

    launcher = None if args.torch_only else os.path.abspath(args.graft)
    if launcher is not None and not os.access(launcher, os.X_OK):
        sys.exit(f"graft launcher {launcher} not found or not executable; build it, or use --torch-only")
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="graft-parity-")
    os.makedirs(work, exist_ok=True)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {torch.get_num_threads()} threads;"
          f" work folder {work}", flush=True)
    start = time.perf_counter()
    table = Table()
    try:
        imagenet_part(work, launcher, table)
        if not args.skip_cifar:
            cifar_part(work, launcher, table)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ndone in {time.perf_counter() - start:.0f} s")
    if launcher is None:
        print("--torch-only: graft not run, nothing compared")
        return 0
    print(f"\ntolerance: max|d| <= {TOLERANCE:g} * max|ref|; CIFAR top-1 agreement >= {100 * MIN_AGREEMENT:.1f}%")
    table.print()
    for failure in table.failures:
        print("FAILED " + failure)
    print("PASS" if not table.failures else f"FAIL: {len(table.failures)} of {len(table.rows)} checks")
    return 1 if table.failures else 0


if __name__ == "__main__":
    sys.exit(main())
