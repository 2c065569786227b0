package dev.graft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of a JMH JSON result file: which benchmark with which parameters, and its primary score.
 *
 * @param benchmark    the class and method without the package, e.g. {@code GemmBench.sgemm}
 * @param threads      JMH worker threads
 * @param graftThreads the {@code -Dgraft.threads} of the forked JVM, 0 when it was not set (one per CPU)
 * @param score        the primary score in {@code unit}, e.g. {@code 1.25} {@code ms/op}
 * @param error        the half-width of JMH's 99.9% confidence interval, NaN with a single iteration
 * @param secondary    secondary metrics (score, unit), e.g. {@link FmaPeakBench}'s {@code flops}
 */
record JmhResult(String benchmark, int threads, int graftThreads, Map<String, String> params, double score,
                 double error, String unit, Map<String, Metric> secondary) {
    private static final Pattern GRAFT_THREADS = Pattern.compile("-Dgraft\\.threads=(\\d+)");

    /** A score with its unit. */
    record Metric(double score, String unit) {
    }

    static List<JmhResult> read(Path json) throws IOException {
        List<JmhResult> results = new ArrayList<>();
        for (JsonNode r : new ObjectMapper().readTree(json.toFile())) {
            String name = r.path("benchmark").asText();
            int graftThreads = 0;
            for (JsonNode arg : r.path("jvmArgs")) {
                Matcher m = GRAFT_THREADS.matcher(arg.asText());
                if (m.matches()) {
                    graftThreads = Integer.parseInt(m.group(1));
                }
            }
            Map<String, String> params = new LinkedHashMap<>();
            r.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
            Map<String, Metric> secondary = new LinkedHashMap<>();
            r.path("secondaryMetrics").properties().forEach(e -> secondary.put(e.getKey(),
                    new Metric(e.getValue().path("score").asDouble(), e.getValue().path("scoreUnit").asText())));
            JsonNode primary = r.path("primaryMetric");
            results.add(new JmhResult(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                    r.path("threads").asInt(), graftThreads, params, primary.path("score").asDouble(),
                    primary.path("scoreError").asDouble(Double.NaN), primary.path("scoreUnit").asText(), secondary));
        }
        return results;
    }

    /** The benchmark class, e.g. {@code GemmBench}. */
    String benchClass() {
        return benchmark.substring(0, benchmark.indexOf('.'));
    }

    String method() {
        return benchmark.substring(benchmark.indexOf('.') + 1);
    }

    /** Seconds per call, from a time-per-op ({@code ms/op}) or an ops-per-time ({@code ops/s}) score. */
    double secondsPerOp() {
        return secondsPerOp(score, unit);
    }

    /** The error of {@link #secondsPerOp()} (for a throughput score, to first order). */
    double errorSecondsPerOp() {
        return unit.endsWith("/op") ? secondsPerOp(error, unit) : secondsPerOp() * error / score;
    }

    /** A per-second rate from an ops-per-time metric ({@code ops/ms} → ×1000). */
    static double perSecond(Metric m) {
        String[] parts = m.unit().split("/");
        if (parts.length != 2 || !parts[0].equals("ops")) {
            throw new IllegalArgumentException("jmh result: expected a rate in ops/<time>, got " + m.unit());
        }
        return m.score() / seconds(parts[1]);
    }

    private static double secondsPerOp(double value, String unit) {
        String[] parts = unit.split("/");
        if (parts.length == 2 && parts[1].equals("op")) {
            return value * seconds(parts[0]);
        }
        if (parts.length == 2 && parts[0].equals("ops")) {
            return seconds(parts[1]) / value;
        }
        throw new IllegalArgumentException("jmh result: cannot convert " + unit + " to seconds per op");
    }

    private static double seconds(String timeUnit) {
        return switch (timeUnit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            case "hr" -> 3600;
            default -> throw new IllegalArgumentException("jmh result: unknown time unit " + timeUnit);
        };
    }
}
