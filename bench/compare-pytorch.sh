#!/usr/bin/env bash
# graft against PyTorch on the same workloads, in one run: for each workload `./graft bench --json` and its twin
# bench/scripts/torch_bench.py alternate (graft, PyTorch, graft, PyTorch) so that a slow spell of a shared machine
# falls on both sides; each side's figure is the median (here: the mean) of its two runs' median images/s.
# Prints a markdown table: workload, graft img/s, PyTorch img/s, graft/PyTorch.
#
#   bench/compare-pytorch.sh [--batch 8] [--threads 2] [--warmup 2] [--steps 5] [ARCH:MODE ...]
#
# Workloads default to resnet18 and resnet50, each in the modes infer, train and frozen (see `graft bench --help`).
# Each run's own line goes to stderr as it finishes. PYTHON overrides the interpreter with PyTorch
# (default /usr/bin/python3, Debian's python3-torch).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
batch=8
threads=2
warmup=2
steps=5
workloads=()

usage() {
    echo "compare-pytorch.sh: $*" >&2
    echo "usage: bench/compare-pytorch.sh [--batch B] [--threads N] [--warmup W] [--steps N] [ARCH:MODE ...]" >&2
    exit 2
}

while (($#)); do
    case "$1" in
        --batch | --threads | --warmup | --steps)
            (($# >= 2)) || usage "$1 needs a value"
            [[ "$2" =~ ^[0-9]+$ ]] || usage "$1 must be a whole number, got '$2'"
            declare "${1#--}=$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,11p' "${BASH_SOURCE[0]}" | cut -c3-
            exit 0
            ;;
        -*) usage "unknown option '$1'" ;;
        *:infer | *:train | *:frozen)
            workloads+=("$1")
            shift
            ;;
        *) usage "workload '$1' is not ARCH:MODE with MODE infer, train or frozen" ;;
    esac
done
((${#workloads[@]})) || workloads=(resnet18:infer resnet18:train resnet18:frozen resnet50:infer resnet50:train
    resnet50:frozen)

# The median images/s from the JSON object a bench prints last.
median_rate() {
    "$python" -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["median_images_per_sec"])'
}

run_side() {
    local side="$1" arch="$2" mode="$3" out
    local args=(--arch "$arch" --mode "$mode" --batch "$batch" --threads "$threads" --warmup "$warmup"
        --steps "$steps")
    if [[ "$side" == graft ]]; then
        out="$("$root/graft" bench "${args[@]}" --json)"
    else
        out="$("$python" "$root/bench/scripts/torch_bench.py" "${args[@]}")"
    fi
    echo "  $side: $(head -n 1 <<<"$out")" >&2
    median_rate <<<"$out"
}

# Builds the jar now if it is stale, so that no timed run waits for Maven.
"$root/graft" --version >/dev/null

rows=()
for workload in "${workloads[@]}"; do
    arch="${workload%%:*}"
    mode="${workload#*:}"
    echo "$workload (batch $batch, $threads threads, $warmup warm-up + $steps timed steps):" >&2
    g1="$(run_side graft "$arch" "$mode")"
    t1="$(run_side torch "$arch" "$mode")"
    g2="$(run_side graft "$arch" "$mode")"
    t2="$(run_side torch "$arch" "$mode")"
    rows+=("$("$python" -c 'import sys
g1, t1, g2, t2 = map(float, sys.argv[2:])
g, t = (g1 + g2) / 2, (t1 + t2) / 2
print(f"| {sys.argv[1]} | {g:.2f} | {t:.2f} | {g / t:.2f} |")' "$arch $mode" "$g1" "$t1" "$g2" "$t2")")
done

echo "| workload (batch $batch, $threads threads) | graft img/s | PyTorch img/s | graft/PyTorch |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
