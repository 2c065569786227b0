#!/usr/bin/env bash
# Builds graft's CUDA kernels (src/main/cuda) into one fatbin that CudaBackend loads with cuModuleLoadData:
# cubins for sm_80, sm_86, sm_89 and sm_90 plus compute_80 PTX (JIT-compiled by the driver on newer GPUs).
# The sources are one translation unit (every .cu included in sorted order), so the module needs no device
# linking. They must also compile for sm_75, the lowest target graft supports at source level: checked here
# with a throw-away build. Writes, next to the fatbin, graft.fatbin.sha256: the SHA-256 of the sources (the
# definition below; KernelImage recomputes it and fails when the two disagree), of the fatbin, and nvcc's
# version. Rerun after any change to a .cu/.cuh file or to this script, and commit both outputs.
#
# Source hash: SHA-256 over the files build-fatbin.sh and src/main/cuda/**/*.cu|*.cuh (paths relative to the
# kernels module, '/'-separated, ASCII, sorted by byte value), each contributing
#   <path> "\n" <size in bytes, decimal> "\n" <contents>.
set -euo pipefail

module=$(cd "$(dirname "$0")" && pwd)
out="$module/src/main/resources/dev/graft/kernels"
nvcc=${NVCC:-nvcc}
flags=(--std=c++17 -O3 -Werror all-warnings --no-compress)

cd "$module"
mapfile -t sources < <(find src/main/cuda -type f \( -name '*.cu' -o -name '*.cuh' \) | LC_ALL=C sort)
mapfile -t units < <(printf '%s\n' "${sources[@]}" | grep '\.cu$')
for f in build-fatbin.sh "${sources[@]}"; do
    if [[ "$f" =~ [^\ -~] ]]; then
        echo "build-fatbin.sh: source path '$f' is not ASCII" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A fixed name for the unity file keeps the output independent of the temporary directory.
mkdir "$work/unity"
unity="$work/unity/graft_kernels.cu"
for f in "${units[@]}"; do
    echo "#include \"$module/$f\""
done > "$unity"

"$nvcc" "${flags[@]}" -arch=sm_75 -cubin -o "$work/sm_75.cubin" "$unity"
"$nvcc" "${flags[@]}" --fatbin \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_86,code=sm_86 \
    -gencode arch=compute_89,code=sm_89 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_80,code=compute_80 \
    -o "$work/graft.fatbin" "$unity"

mapfile -t hashed < <(printf '%s\n' build-fatbin.sh "${sources[@]}" | LC_ALL=C sort)
sources_sha=$(for f in "${hashed[@]}"; do
    printf '%s\n%d\n' "$f" "$(wc -c < "$f")"
    cat "$f"
done | sha256sum | cut -d' ' -f1)
fatbin_sha=$(sha256sum "$work/graft.fatbin" | cut -d' ' -f1)
nvcc_version=$("$nvcc" --version | grep -m1 'release')

mkdir -p "$out"
cp "$work/graft.fatbin" "$out/graft.fatbin"
{
    echo "sources-sha256 $sources_sha"
    echo "fatbin-sha256 $fatbin_sha"
    echo "nvcc $nvcc_version"
} > "$out/graft.fatbin.sha256"
echo "build-fatbin.sh: wrote $out/graft.fatbin ($(wc -c < "$out/graft.fatbin") bytes) from ${#units[@]} units"
