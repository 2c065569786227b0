#!/usr/bin/env bash
# The GPU check in one command, for a CUDA machine that has no Java, Maven or network: everything it runs comes
# prebuilt in the folder bench/gpu/pack.sh makes (CARRY_DIR, default: this script's folder).
#
#   check.sh JAVA_HOME_OR_RUNTIME [CARRY_DIR [OUT_DIR]]
#
# JAVA_HOME_OR_RUNTIME is a JDK 25+ home or the packed runtime.tar.xz (unpacked to a temporary folder). OUT_DIR
# defaults to $OUT, else check-DATE beside CARRY_DIR. In order, each phase time-boxed so that the whole run ends within
# CHECK_BUDGET_S (default 450 s, under the 8 minutes a lent machine allows) and still writes what it has:
#   1. the machine: GPU name, driver, CUDA version, cores; no NVIDIA GPU here stops the script at once (exit 3);
#   2. LD_LIBRARY_PATH gets the pip nvidia libraries (cuDNN 9 aborts the process unless its sub-libraries are on
#      it) and the driver's folder;
#   3. the GPU tests (JUnit tag `gpu`) and the engine's gradient, parity and optimizer suites (tag `backend`) with
#      their inputs on the device (-Dgraft.test.backend), through the JUnit console launcher: XML reports in
#      OUT_DIR/junit, the text in OUT_DIR/junit.txt (at most CHECK_TEST_S seconds, default 200);
#   4. graft against PyTorch eager, alternating run by run: ResNet-50 full training step and frozen-backbone step
#      at batch CHECK_TRAIN_BATCH (64), inference at CHECK_INFER_BATCH (256); F32, then TF32 too when graft knows
#      its flag (pack.txt, or CHECK_TF32=yes|no); CHECK_ROUNDS (2) rounds; each run at most CHECK_RUN_S (120) s;
#   5. OUT_DIR/summary.md (printed last) and OUT_DIR/results.json; the whole log is OUT_DIR/check.log.
# Exit status: 0 when the tests passed and every benchmark run finished, 1 otherwise, 2 for bad arguments, 3 when
# there is no GPU. CHECK_DEVICE=cpu runs the same phases on the CPU (a rehearsal of the script, not a GPU result);
# PYTHON names the interpreter with PyTorch (default python3). Other knobs: CHECK_WARMUP (5), CHECK_STEPS (20),
# CHECK_IMAGE_SIZE (224), GRAFT_JAVA_OPTS (extra JVM options for graft and the tests).
set -uo pipefail

started=$SECONDS
script_dir="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"

usage() {
    echo "check.sh: $*" >&2
    echo "usage: check.sh JAVA_HOME_OR_RUNTIME [CARRY_DIR [OUT_DIR]]   (see the comment at the top of check.sh)" >&2
    exit 2
}

(($# >= 1 && $# <= 3)) || usage "expected 1 to 3 arguments, got $#"
java_arg="$1"
carry="$(readlink -f "${2:-$script_dir}")"
out="${3:-${OUT:-$(dirname "$carry")/check-$(date -u +%Y%m%d-%H%M%S)}}"
device="${CHECK_DEVICE:-cuda}"
budget="${CHECK_BUDGET_S:-450}"
test_limit="${CHECK_TEST_S:-200}"
run_limit="${CHECK_RUN_S:-120}"
rounds="${CHECK_ROUNDS:-2}"
train_batch="${CHECK_TRAIN_BATCH:-64}"
infer_batch="${CHECK_INFER_BATCH:-256}"
warmup="${CHECK_WARMUP:-5}"
steps="${CHECK_STEPS:-20}"
image_size="${CHECK_IMAGE_SIZE:-224}"
python="${PYTHON:-python3}"

for knob in budget test_limit run_limit rounds train_batch infer_batch warmup steps image_size; do
    [[ "${!knob}" =~ ^[0-9]+$ ]] || usage "$knob must be a whole number, got '${!knob}'"
done
[[ "$device" == cuda || "$device" == cpu ]] || usage "CHECK_DEVICE must be cuda or cpu, got '$device'"
[[ -f "$carry/pack.txt" && -f "$carry/lib/graft.jar" ]] ||
    usage "$carry is not a folder made by bench/gpu/pack.sh (no pack.txt or lib/graft.jar)"

# key=value lines of pack.txt.
pack_value() {
    sed -n "s/^$1=//p" "$carry/pack.txt" | head -n 1
}

remaining() {
    echo $((budget - (SECONDS - started)))
}

mkdir -p "$out" || usage "cannot create the output folder $out"
out="$(readlink -f "$out")"
exec > >(tee -a "$out/check.log") 2>&1
tee_pid=$!

echo "== graft GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), carry $carry, output $out, budget ${budget}s"

# --- 1. the machine ---------------------------------------------------------------------------------------------
nvidia_smi="$(command -v nvidia-smi || true)"
[[ -z "$nvidia_smi" && -x /usr/local/nvidia/bin/nvidia-smi ]] && nvidia_smi=/usr/local/nvidia/bin/nvidia-smi
gpu_line=""
if [[ "$device" == cuda ]]; then
    if [[ -z "$nvidia_smi" ]]; then
        echo "check.sh: no NVIDIA GPU here: nvidia-smi is neither on the PATH nor at /usr/local/nvidia/bin." >&2
        echo "check.sh: this check needs the CUDA machine; nothing was run (CHECK_DEVICE=cpu rehearses it on the CPU)." >&2
        exit 3
    fi
    if ! gpu_line="$(timeout 30 "$nvidia_smi" --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)" ||
        [[ -z "$gpu_line" ]]; then
        echo "check.sh: no NVIDIA GPU here: '$nvidia_smi --query-gpu=...' failed: $gpu_line" >&2
        echo "check.sh: this check needs the CUDA machine; nothing was run (CHECK_DEVICE=cpu rehearses it on the CPU)." >&2
        exit 3
    fi
    gpu_line="$(head -n 1 <<<"$gpu_line")"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/graft-check.XXXXXX")"
mkdir -p "$work/runs"
cuda_driver="$( [[ -n "$nvidia_smi" ]] && timeout 30 "$nvidia_smi" 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -n 1)"
nvcc_version="$(command -v nvcc >/dev/null && nvcc --version | grep -o 'release [0-9.]*' | head -n 1)"
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "device=$device"
    echo "gpu=$(cut -d, -f1 <<<"$gpu_line" | xargs)"
    echo "driver=$(cut -d, -f2 <<<"$gpu_line" | xargs)"
    echo "gpu_memory=$(cut -d, -f3 <<<"$gpu_line" | xargs)"
    echo "cuda_driver=${cuda_driver#CUDA Version: }"
    echo "nvcc=${nvcc_version#release }"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
    echo "memory=$(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "image_size=$image_size"
    echo "warmup=$warmup"
    echo "steps=$steps"
    echo "rounds=$rounds"
} >"$work/machine.env"
sed 's/^/  /' "$work/machine.env"

# Writes summary.md and results.json from whatever the phases left, also when a phase or the budget cut it short;
# the exit status is summarize.py's (0: tests passed and every run finished) unless the script failed before.
finish() {
    local rc=$? status
    "$python" "$carry/summarize.py" "$work" "$carry/pack.txt" "$out"
    status=$?
    ((rc != 0)) && status=$rc
    rm -rf "$work"
    exec 1>&- 2>&-
    wait "$tee_pid" 2>/dev/null
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- 2. Java and the libraries ------------------------------------------------------------------------------------
if [[ -f "$java_arg" && "$java_arg" == *.tar.xz ]]; then
    java_home="$work/jdk"
    mkdir -p "$java_home"
    echo "== unpacking $java_arg"
    if command -v xz >/dev/null; then
        tar -C "$java_home" -xJf "$java_arg" || { echo "check.sh: cannot unpack $java_arg" >&2; exit 2; }
    else
        "$python" -c 'import sys, tarfile
kw = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
tarfile.open(sys.argv[1]).extractall(sys.argv[2], **kw)' "$java_arg" "$java_home" ||
            { echo "check.sh: cannot unpack $java_arg" >&2; exit 2; }
    fi
elif [[ -x "$java_arg/bin/java" ]]; then
    java_home="$(readlink -f "$java_arg")"
else
    usage "'$java_arg' is neither a Java home (no bin/java) nor a runtime .tar.xz"
fi
java="$java_home/bin/java"
java_version="$("$java" -version 2>&1 | head -n 1)" || { echo "check.sh: $java does not run: $java_version" >&2; exit 2; }
echo "java=$java_version" >>"$work/machine.env"
echo "  java: $java_version"

# Every lib folder of the pip nvidia packages (nvidia/*/lib, or nvidia/cu13/lib for CUDA 13 wheels), which the
# driver's folder follows.
nvidia_libs="$("$python" - <<'EOF' 2>/dev/null
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except ImportError:
    roots = []
found = []
for root in roots:
    for pattern in ("*/lib", "*/*/lib"):
        for d in sorted(glob.glob(os.path.join(root, pattern))):
            if glob.glob(os.path.join(d, "lib*.so*")) and d not in found:
                found.append(d)
print(":".join(found))
EOF
)"
library_path="$nvidia_libs"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [[ -d "$d" ]] && library_path="${library_path:+$library_path:}$d"
done
export LD_LIBRARY_PATH="${library_path}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "  LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
cudnn="$(tr ':' '\n' <<<"$LD_LIBRARY_PATH" | while read -r d; do [[ -n "$d" && -e "$d/libcudnn.so.9" ]] && echo "$d/libcudnn.so.9"; done | head -n 1)"
echo "cudnn_file=$cudnn" >>"$work/machine.env"
[[ "$device" == cuda && -z "$cudnn" ]] && echo "  warning: no libcudnn.so.9 in any of these folders"
"$python" - >>"$work/machine.env" 2>/dev/null <<'EOF'
import torch
print(f"torch={torch.__version__}")
print(f"torch_cuda={torch.version.cuda}")
print(f"torch_cudnn={torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else ''}")
EOF

# The JVM options of the ./graft launcher.
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
thp=/sys/kernel/mm/transparent_hugepage/enabled
[[ -r "$thp" ]] && ! grep -q '\[never\]' "$thp" && jvm+=(-XX:+UseTransparentHugePages)
read -r -a extra <<<"${GRAFT_JAVA_OPTS:-}"
jvm+=(${extra[@]+"${extra[@]}"})
lib_cp="$(find "$carry/lib" -maxdepth 1 -name '*.jar' | sort | paste -sd:)"
test_cp="$(find "$carry/test" -maxdepth 1 -name '*.jar' ! -name 'junit-platform-console-standalone-*' | sort | paste -sd:)"
console="$(find "$carry/test" -maxdepth 1 -name 'junit-platform-console-standalone-*.jar' | head -n 1)"

# --- 3. the GPU tests ----------------------------------------------------------------------------------------------
limit=$(($(remaining) < test_limit ? $(remaining) : test_limit))
echo "== GPU tests and the engine's suites on $device (JUnit tags gpu, backend; at most ${limit}s)"
scan=()
IFS=: read -r -a test_jars <<<"$test_cp"
for jar in "${test_jars[@]}"; do
    [[ "$jar" == */jqwik* ]] || scan+=(--scan-class-path "$jar")
done
if [[ -z "$console" ]]; then
    echo "check.sh: no junit-platform-console-standalone jar in $carry/test" >&2
    echo "rc=missing" >"$work/junit.env"
else
    timeout -k 10 "$limit" "$java" "${jvm[@]}" -Xmx24g "-Dgraft.test.backend=$device" -jar "$console" execute \
        --disable-banner --disable-ansi-colors --details=tree --class-path "$lib_cp:$test_cp" "${scan[@]}" \
        --include-classname '.*' --include-tag 'gpu | backend' --exclude-engine junit-platform-suite \
        --exclude-engine junit-vintage --fail-if-no-tests --reports-dir "$out/junit" 2>&1 | tee "$out/junit.txt"
    echo "rc=${PIPESTATUS[0]}" >"$work/junit.env"
fi
echo "seconds=$((SECONDS - started))" >>"$work/junit.env"

# --- 4. graft against PyTorch --------------------------------------------------------------------------------------
precisions=(f32)
tf32="${CHECK_TF32:-auto}"
[[ "$tf32" == auto ]] && tf32="$(pack_value graft_tf32_flag)"
[[ "$device" == cuda && "$tf32" == yes ]] && precisions+=(tf32)
main_class="$(pack_value main_class)"
run_number=0

# Samples the memory in use on the GPU every 100 ms into $1 until killed.
sample_memory() {
    exec "$nvidia_smi" --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$1" 2>/dev/null
}

# One benchmark run: SIDE (graft or torch), MODE, BATCH, PRECISION, ROUND.
bench_run() {
    local side="$1" mode="$2" batch="$3" precision="$4" round="$5" name rc limit left sampler="" baseline=""
    run_number=$((run_number + 1))
    name="$(printf '%02d-%s-%s-%s' "$run_number" "$side" "$mode" "$precision")"
    {
        echo "side=$side"
        echo "mode=$mode"
        echo "batch=$batch"
        echo "precision=$precision"
        echo "round=$round"
    } >"$work/runs/$name.meta"
    left=$(($(remaining) - 10))
    if ((left < 30)); then
        echo "status=skipped" >>"$work/runs/$name.meta"
        echo "  $name: skipped, ${left}s left of the budget"
        return
    fi
    limit=$((left < run_limit ? left : run_limit))
    local cmd
    if [[ "$side" == graft ]]; then
        local flag=false
        [[ "$precision" == tf32 ]] && flag=true
        cmd=(env "GRAFT_TF32=$([[ $flag == true ]] && echo 1 || echo 0)" "$java" "${jvm[@]}" "-Dgraft.cuda.tf32=$flag"
            -cp "$lib_cp" "$main_class" bench --arch resnet50 --batch "$batch" --mode "$mode" --device "$device"
            --image-size "$image_size" --warmup "$warmup" --steps "$steps" --json)
    else
        cmd=("$python" "$carry/torch_bench.py" --arch resnet50 --batch "$batch" --mode "$mode" --device "$device"
            --image-size "$image_size" --warmup "$warmup" --steps "$steps")
        [[ "$precision" == tf32 ]] && cmd+=(--tf32)
    fi
    if [[ "$device" == cuda ]]; then
        baseline="$(timeout 20 "$nvidia_smi" --query-gpu=memory.used --format=csv,noheader,nounits | head -n 1)"
        sample_memory "$work/runs/$name.memory" &
        sampler=$!
    fi
    local t0=$SECONDS
    timeout -k 5 "$limit" "${cmd[@]}" >"$work/runs/$name.out" 2>"$work/runs/$name.err"
    rc=$?
    if [[ -n "$sampler" ]]; then
        kill "$sampler" 2>/dev/null
        wait "$sampler" 2>/dev/null
    fi
    {
        echo "rc=$rc"
        echo "status=$( ((rc == 0)) && echo ok || { ((rc == 124 || rc == 137)) && echo timeout; } || echo failed)"
        echo "limit_s=$limit"
        echo "wall_s=$((SECONDS - t0))"
        echo "baseline_mib=$baseline"
    } >>"$work/runs/$name.meta"
    if ((rc == 124 || rc == 137)); then
        echo "  $name: timed out after ${limit}s"
    else
        echo "  $name (rc $rc, $((SECONDS - t0))s): $(grep -v '^{' "$work/runs/$name.out" | head -n 1)"
    fi
    if ((rc != 0)); then
        grep -v -x 'WARNING: Using incubator modules: jdk.incubator.vector' "$work/runs/$name.err" | tail -n 15 |
            sed 's/^/    /'
    fi
}

echo "== graft vs PyTorch eager on $device: precisions ${precisions[*]}, $rounds rounds, warm-up $warmup, $steps timed steps"
for ((round = 1; round <= rounds; round++)); do
    for precision in "${precisions[@]}"; do
        for workload in "train $train_batch" "frozen $train_batch" "infer $infer_batch"; do
            read -r mode batch <<<"$workload"
            bench_run graft "$mode" "$batch" "$precision" "$round"
            bench_run torch "$mode" "$batch" "$precision" "$round"
        done
    done
done
echo "== done in $((SECONDS - started))s"
