#!/usr/bin/env bash
# Packs what the GPU check needs into one folder to carry to the CUDA machine (which has no Java, Maven or network):
#
#   bench/gpu/pack.sh [--out DIR] [--no-build]
#
# DIR (default bench/gpu/out/carry, git-ignored) is emptied and then holds
#   runtime.tar.xz  a jlinked JDK 25 runtime (java.base, java.desktop, jdk.incubator.vector, jdk.unsupported,
#                   jdk.zipfs and what jdeps finds the jars below need), stripped, packed with xz (the image is ~95 MiB);
#   lib/            graft.jar, plus the kernels jar and its libraries (JCuda) when graft.jar does not contain them;
#   test/           the kernels module's test classes (kernels-tests.jar), the engine's test-jar, jqwik and the
#                   junit-platform-console-standalone jar of the project's JUnit version;
#   check.sh, torch_bench.py, summarize.py, and pack.txt (commit, date, versions, what graft's jars know).
# Prints every file's size and the total; fails when the total is over 60 MiB, or when it and the repository's
# tracked files together pass the 64 MiB that a `run` call carries.
#
# Builds first with `mvn -q -B -pl models,kernels -am package dependency:build-classpath -DskipTests` (--no-build
# reuses the jars and test classes already built; MVN_FLAGS adds Maven options, e.g. -o). Needs JDK 25+ (JAVA_HOME,
# else /usr/lib/jvm/temurin-25*), Maven, xz and python3.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
here="$root/bench/gpu"
dest="$here/out/carry"
build=yes
limit_mib=60
carried_mib=64

die() {
    echo "pack.sh: $*" >&2
    exit 1
}

while (($#)); do
    case "$1" in
        --out)
            (($# >= 2)) || die "--out needs a folder"
            dest="$2"
            shift 2
            ;;
        --no-build)
            build=no
            shift
            ;;
        -h | --help)
            sed -n '2,18p' "${BASH_SOURCE[0]}" | cut -c3-
            exit 0
            ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

java_home=""
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25*; do
    if [[ -n "$candidate" && -x "$candidate/bin/jlink" ]] &&
        "$candidate/bin/java" -version 2>&1 | grep -q -E 'version "(2[5-9]|[3-9][0-9])'; then
        java_home="$candidate"
        break
    fi
done
[[ -n "$java_home" ]] || die "no JDK 25+ with jlink found (tried JAVA_HOME and /usr/lib/jvm/temurin-25*)"
export JAVA_HOME="$java_home"
export PATH="$java_home/bin:$PATH"
for tool in mvn xz python3; do
    command -v "$tool" >/dev/null || die "$tool is not on the PATH"
done

read -r -a mvn_flags <<<"${MVN_FLAGS:-}"
mvn_run() {
    MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
        mvn -q -B -f "$root/pom.xml" ${mvn_flags[@]+"${mvn_flags[@]}"} "$@"
}

classpath_file="$root/kernels/target/test-classpath.txt"
if [[ "$build" == yes ]]; then
    echo "== building graft.jar, the kernels and engine test classes"
    mvn_run -pl models,kernels -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
        -Dmdep.outputFile=target/test-classpath.txt
fi
graft_jar="$root/models/target/graft.jar"
for f in "$graft_jar" "$classpath_file" "$root/kernels/target/test-classes"; do
    [[ -e "$f" ]] || die "$f is missing: run without --no-build"
done
engine_tests="$(find "$root/engine/target" -maxdepth 1 -name 'graft-engine-*-tests.jar' | head -n 1)"
kernels_jar="$(find "$root/kernels/target" -maxdepth 1 -name 'graft-kernels-*.jar' ! -name '*-tests.jar' | head -n 1)"
[[ -n "$engine_tests" ]] || die "no engine test-jar in $root/engine/target"
[[ -n "$kernels_jar" ]] || die "no kernels jar in $root/kernels/target"

stage="$(mktemp -d "${TMPDIR:-/tmp}/graft-pack.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/carry/lib" "$stage/carry/test"
carry="$stage/carry"
cp "$graft_jar" "$carry/lib/graft.jar"

# The JUnit Platform version that the project's JUnit BOM chose, read off the resolved test classpath.
platform="$(tr ':' '\n' <"$classpath_file" | sed -n 's|.*/junit-platform-engine-\([0-9][^/]*\)\.jar$|\1|p' | head -n 1)"
[[ -n "$platform" ]] || die "no junit-platform-engine on the kernels test classpath ($classpath_file)"
echo "== junit-platform-console-standalone $platform"
mvn_run -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$carry/test"

# A jar's first class or other file outside META-INF, to ask whether graft.jar already holds its contents.
witness() {
    jar tf "$1" | grep -v -E '^META-INF/|/$|(^|/)(module|package)-info\.class$' | head -n 1
}
jar tf "$graft_jar" >"$stage/graft.entries"
in_graft_jar() {
    local w
    w="$(witness "$1")"
    [[ -n "$w" ]] && grep -q -F -x "$w" "$stage/graft.entries"
}

# The kernels jar and every library on its test classpath: test frameworks to test/ (JUnit's own jars, opentest4j
# and apiguardian are inside the console launcher; the engine's test-jar is copied below), the rest to lib/ unless
# graft.jar has it already.
for jar in "$kernels_jar" $(tr ':' ' ' <"$classpath_file"); do
    [[ -f "$jar" ]] || die "$jar on the kernels test classpath is not a jar (build with package first)"
    case "$jar" in
        */org/junit/* | */org/opentest4j/* | */org/apiguardian/* | */graft-engine-*-tests.jar) ;;
        */net/jqwik/*) cp "$jar" "$carry/test/" ;;
        *) in_graft_jar "$jar" || cp "$jar" "$carry/lib/" ;;
    esac
done
cp "$engine_tests" "$carry/test/graft-engine-tests.jar"
jar cf "$carry/test/kernels-tests.jar" -C "$root/kernels/target/test-classes" .
# models' GPU tests only (whole-network training against the CPU); the rest of its test classes need fixtures.
jar cf "$carry/test/models-gpu-tests.jar" -C "$root/models/target/test-classes" dev/graft/models/gpu

echo "== jlink"
# jdeps reads the classes of every jar from one folder: given as jars, jqwik's modular ones would need their JUnit
# modules, which here live inside the console launcher.
python3 - "$stage/classes" "$carry"/lib/*.jar "$carry"/test/*.jar <<'EOF'
import sys, zipfile
for path in sys.argv[2:]:
    with zipfile.ZipFile(path) as z:
        z.extractall(sys.argv[1], [n for n in z.namelist()
                                   if n.endswith(".class") and not n.startswith("META-INF/") and "module-info" not in n])
EOF
found="$(jdeps --ignore-missing-deps --print-module-deps "$stage/classes" | tail -n 1)"
[[ "$found" =~ ^[a-z.,]+$ ]] || die "jdeps did not print a module list (got '$found')"
# jdk.zipfs: JUnit scans jar classpath roots through the zip file system, a service that jdeps cannot see.
modules="java.base,java.desktop,jdk.incubator.vector,jdk.unsupported,jdk.zipfs,$found"
modules="$(tr ',' '\n' <<<"$modules" | sort -u | paste -sd,)"
# zip-0: xz packs the uncompressed module image far smaller (about 21 MiB) than it packs jlink's own zip.
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-0 \
    --output "$stage/runtime" 2>&1 | grep -v -x 'WARNING: Using incubator modules: jdk.incubator.vector' || true
[[ -x "$stage/runtime/bin/java" ]] || die "jlink made no runtime"
echo "   modules: $modules; packing with xz -9 (about a minute)"
tar -C "$stage/runtime" -cf - . | xz -9 -T0 >"$carry/runtime.tar.xz"

cp "$here/check.sh" "$here/summarize.py" "$here/../scripts/torch_bench.py" "$carry/"
chmod +x "$carry/check.sh"

# What graft's jars know, found as strings in their classes: the TF32 flag and the peak-memory field.
knows() {
    python3 - "$1" "$carry"/lib/*.jar <<'EOF'
import sys, zipfile
needles = [n.encode() for n in sys.argv[1].split("|")]
for path in sys.argv[2:]:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("dev/graft/") and name.endswith(".class"):
                data = z.read(name)
                if any(n in data for n in needles):
                    print("yes")
                    sys.exit()
print("no")
EOF
}
commit="$(git -C "$root" rev-parse --short=12 HEAD)"
[[ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ]] || commit="$commit+changes"
main_class="$(python3 -c 'import sys, zipfile
manifest = zipfile.ZipFile(sys.argv[1]).read("META-INF/MANIFEST.MF").decode()
print(next((l.split(":", 1)[1].strip() for l in manifest.splitlines() if l.startswith("Main-Class:")), ""))' "$graft_jar")"
[[ -n "$main_class" ]] || die "$graft_jar has no Main-Class"
{
    echo "created=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$commit"
    echo "java=$("$stage/runtime/bin/java" -version 2>&1 | head -n 1)"
    echo "modules=$modules"
    echo "junit_platform=$platform"
    echo "main_class=$main_class"
    echo "graft_tf32_flag=$(knows 'graft.cuda.tf32|GRAFT_TF32')"
    echo "graft_peak_device_bytes=$(knows 'peak_device_bytes')"
    echo "graft_has_kernels=$( in_graft_jar "$kernels_jar" && echo yes || echo no)"
} >"$carry/pack.txt"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$carry" "$dest"
echo "== $dest"
(cd "$dest" && find . -type f -printf '%s %p\n' | sort -k2 | awk '{printf "  %8.2f MiB  %s\n", $1 / 1048576, $2}')
sed 's/^/  /' "$dest/pack.txt"
total=$(du -sb "$dest" | cut -f1)
tracked=$(git -C "$root" ls-files -z | (cd "$root" && xargs -0 stat -c %s 2>/dev/null) | awk '{s += $1} END {print s + 0}')
awk -v t="$total" -v r="$tracked" -v root="$root" -v l="$limit_mib" -v c="$carried_mib" 'BEGIN {
    printf "total %.1f MiB (limit %d MiB); with the tracked files of %s %.1f MiB (a run carries %d MiB)\n",
        t / 1048576, l, root, (t + r) / 1048576, c }'
((total <= limit_mib * 1048576)) || die "$dest is $total bytes, over $limit_mib MiB"
((total + tracked <= carried_mib * 1048576)) ||
    die "$dest and the tracked files together are over the $carried_mib MiB a run carries"
