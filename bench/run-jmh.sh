#!/usr/bin/env bash
# The JMH suite in one command: the FMA peak at 1 and N threads, then GEMM, conv2d, BatchNorm and whole-network
# benchmarks with the kernels on N threads; writes bench/out/jmh-DATE.json (JMH's JSON) and bench/out/jmh-DATE.md
# (GFLOP/s and % of the FMA peak for every GEMM and conv row) and prints the summary.
#
#   bench/run-jmh.sh [-t|--threads N] [--torch TORCH.json] [--out DIR] [JMH options] [REGEX ...]
#   bench/run-jmh.sh --summarize bench/out/jmh-DATE.json [--torch TORCH.json]
#
# N defaults to the number of CPUs. REGEX narrows the benchmarks as in JMH (e.g. 'Conv2dBench.forward');
# -p NAME=VALUE picks parameters; -wi 0 -i 1 -r 100ms -f 1 makes a quick check. --torch puts the output of
# `bench/scripts/torch_gemm_conv.py --json FILE` beside graft's figures. The jar is (re)built with
# `mvn -q -B -pl bench -am package -DskipTests` when it is missing or older than a pom or a main source file.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
jar="$root/bench/target/benchmarks.jar"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    sed -n '2,12p' "${BASH_SOURCE[0]}" | cut -c3-
    exit 0
fi

java="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
    java="$JAVA_HOME/bin/java"
else
    for candidate in /usr/lib/jvm/temurin-25*/bin/java; do
        [[ -x "$candidate" ]] && java="$candidate"
    done
fi

if [[ ! -f "$jar" || -n "$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src/main -newer "$jar" -print -quit)" ]]
then
    echo "run-jmh: building $jar ..." >&2
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")" \
        mvn -q -B -f "$root/pom.xml" -pl bench -am package -DskipTests
fi

exec "$java" --add-modules jdk.incubator.vector -cp "$jar" dev.graft.bench.Suite --out "$root/bench/out" "$@"
