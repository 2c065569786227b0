package dev.graft.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The markdown summary of a suite run: the FMA peak, then GFLOP/s and the percentage of the peak (at the
 * kernels' thread count) for every GEMM and convolution row, batch-norm and whole-network times, and, when
 * PyTorch's results are given, PyTorch's figure beside graft's with the ratio graft / PyTorch (above 1: graft is
 * faster). Rows of benchmarks it does not know are listed with their raw scores.
 */
final class Summary {
    /** The target for SGEMM: this fraction of the FMA peak. */
    static final double TARGET = 0.60;
    /** Kernel methods in the order a layer's rows are listed: forward first, then the backward passes. */
    private static final List<String> PASSES = List.of("forward", "backwardInput", "backwardWeight", "backward");

    private Summary() {
    }

    /** The key joining a graft row with PyTorch's, e.g. {@code conv:l2_3x3_s2:forward}; null if none. */
    static String key(JmhResult r) {
        Map<String, String> p = r.params();
        return switch (r.benchmark()) {
            case "GemmBench.sgemm" -> "gemm:" + p.get("shape");
            case "GemmBench.resnet50" -> "gemm:" + p.get("layer") + ":" + p.get("pass")
                    + (images(r) == 1 ? "" : ":x" + images(r));
            default -> switch (r.benchClass()) {
                case "Conv2dBench" -> "conv:" + p.get("layer") + ":" + r.method();
                case "BatchNormBench" -> "bn:" + p.get("layer") + ":" + r.method();
                default -> null;
            };
        };
    }

    /** FLOPs of one call of a GEMM or convolution row, NaN for other rows. */
    static double flops(JmhResult r) {
        Map<String, String> p = r.params();
        return switch (r.benchmark()) {
            case "GemmBench.sgemm" -> GemmShape.parse(p.get("shape")).flops();
            case "GemmBench.resnet50" -> resNet50Gemm(r).flops();
            default -> r.benchClass().equals("Conv2dBench")
                    ? ResNet50Layers.get(p.get("layer")).flops(ResNet50Layers.BATCH) : Double.NaN;
        };
    }

    private static GemmShape resNet50Gemm(JmhResult r) {
        return ResNet50Layers.get(r.params().get("layer")).gemm(ConvPass.of(r.params().get("pass")), images(r));
    }

    /** {@code GemmBench.resnet50}'s images per GEMM; 1 in results from before the parameter existed. */
    private static int images(JmhResult r) {
        return Integer.parseInt(r.params().getOrDefault("images", "1"));
    }

    /** GFLOP/s of {@link FmaPeakBench} by JMH thread count. */
    static Map<Integer, Double> peaks(List<JmhResult> results) {
        Map<Integer, Double> peaks = new TreeMap<>();
        for (JmhResult r : results) {
            JmhResult.Metric flops = r.secondary().get("flops");
            if (r.benchClass().equals("FmaPeakBench") && flops != null) {
                peaks.put(r.threads(), JmhResult.perSecond(flops) / 1e9);
            }
        }
        return peaks;
    }

    /**
     * @param context lines under the title (machine, JDK, arguments)
     * @param torch   PyTorch's results to put beside graft's, or null
     */
    static String markdown(String title, List<String> context, List<JmhResult> results, TorchResults torch) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        context.forEach(line -> md.append(line).append("  \n"));
        Map<Integer, Double> peaks = peaks(results);
        if (torch != null) {
            md.append("PyTorch ").append(torch.version()).append(", ").append(torch.threads())
                    .append(" threads; graft / PyTorch above 1 means graft is faster.  \n");
        }
        md.append('\n');

        if (!peaks.isEmpty()) {
            Table t = new Table("JMH threads", "GFLOP/s", "per thread");
            peaks.forEach((threads, g) -> t.row(String.valueOf(threads), f1(g), f1(g / threads)));
            md.append("## FMA peak (FmaPeakBench)\n\n").append(t);
        }
        List<JmhResult> gemms = sorted(select(results, r -> r.benchClass().equals("GemmBench")),
                Comparator.comparing((JmhResult r) -> !r.method().equals("sgemm")).thenComparing(Summary::layerOrder)
                        .thenComparing(r -> ConvPass.of(r.params().getOrDefault("pass", "fwd"))));
        if (!gemms.isEmpty()) {
            Table t = new Table(withTorch(torch, "benchmark", "GEMM", "ms/op", "±", "GFLOP/s", "% of peak"));
            for (JmhResult r : gemms) {
                boolean conv = r.method().equals("resnet50");
                GemmShape s = conv ? resNet50Gemm(r) : GemmShape.parse(r.params().get("shape"));
                String name = !conv ? "sgemm" : r.params().get("layer") + " " + r.params().get("pass")
                        + (images(r) == 1 ? "" : ", " + images(r) + " images");
                t.row(kernelRow(r, peaks, torch, name, s.toString()));
            }
            md.append("## GEMM (GemmBench)\n\n").append(t).append(targetLine(gemms, peaks));
        }
        List<JmhResult> convs = sorted(select(results, r -> r.benchClass().equals("Conv2dBench")),
                Comparator.comparing(Summary::layerOrder).thenComparing(r -> PASSES.indexOf(r.method())));
        if (!convs.isEmpty()) {
            Table t = new Table(withTorch(torch, "layer", "shape", "pass", "ms/op", "±", "GFLOP/s", "% of peak"));
            for (JmhResult r : convs) {
                ConvLayer l = ResNet50Layers.get(r.params().get("layer"));
                List<String> cells = new ArrayList<>(List.of(l.name()));
                cells.addAll(kernelRow(r, peaks, torch, l.describe(), r.method()));
                t.row(cells);
            }
            md.append("## conv2d, batch ").append(ResNet50Layers.BATCH).append(" (Conv2dBench)\n\n").append(t);
        }
        List<JmhResult> norms = sorted(select(results, r -> r.benchClass().equals("BatchNormBench")),
                Comparator.comparing(Summary::layerOrder).thenComparing(r -> PASSES.indexOf(r.method())));
        if (!norms.isEmpty()) {
            Table t = new Table(withTorch(torch, "after layer", "shape", "pass", "ms/op", "±"));
            for (JmhResult r : norms) {
                ConvLayer l = ResNet50Layers.get(r.params().get("layer"));
                List<String> cells = new ArrayList<>(List.of(l.name(), "[" + ResNet50Layers.BATCH + ", " + l.outC()
                        + ", " + l.outSize() + ", " + l.outSize() + "]", r.method(), ms(r.secondsPerOp()),
                        ms(r.errorSecondsPerOp())));
                addTorch(cells, torch, r, Double.NaN);
                t.row(cells);
            }
            md.append("## BatchNorm, training mode (BatchNormBench)\n\n").append(t);
        }
        List<JmhResult> steps = sorted(select(results, r -> r.benchClass().equals("TrainStepBench")),
                Comparator.comparing((JmhResult r) -> r.params().get("arch")).thenComparing(JmhResult::method,
                        Comparator.reverseOrder()));
        if (!steps.isEmpty()) {
            Table t = new Table("arch", "benchmark", "ms/op", "±", "images/s");
            for (JmhResult r : steps) {
                t.row(r.params().get("arch"), r.method(), ms(r.secondsPerOp()), ms(r.errorSecondsPerOp()),
                        f1(ResNet50Layers.BATCH / r.secondsPerOp()));
            }
            md.append("## Whole network, batch ").append(ResNet50Layers.BATCH).append(", 224x224 (TrainStepBench)\n\n")
                    .append(t);
        }
        List<JmhResult> others = select(results, r -> !List.of("FmaPeakBench", "GemmBench", "Conv2dBench",
                "BatchNormBench", "TrainStepBench").contains(r.benchClass()));
        if (!others.isEmpty()) {
            Table t = new Table("benchmark", "params", "score", "±", "unit");
            for (JmhResult r : others) {
                t.row(r.benchmark(), r.params().toString(), f3(r.score()), f3(r.error()), r.unit());
            }
            md.append("## Other benchmarks\n\n").append(t);
        }
        return md.toString();
    }

    /** ms/op, ±, GFLOP/s and % of the peak at the row's thread count, then PyTorch's columns if given. */
    private static List<String> kernelRow(JmhResult r, Map<Integer, Double> peaks, TorchResults torch,
                                          String first, String second) {
        double gflops = flops(r) / r.secondsPerOp() / 1e9;
        Double peak = peaks.get(r.graftThreads());
        List<String> cells = new ArrayList<>(List.of(first, second, ms(r.secondsPerOp()), ms(r.errorSecondsPerOp()),
                f1(gflops), peak == null ? "–" : f1(100 * gflops / peak)));
        addTorch(cells, torch, r, flops(r));
        return cells;
    }

    /** PyTorch's implementation with its GFLOP/s (or ms/op when flops is NaN), and graft's speed relative to it. */
    private static void addTorch(List<String> cells, TorchResults torch, JmhResult r, double flops) {
        if (torch == null) {
            return;
        }
        TorchResults.Timing t = torch.compared().get(key(r));
        if (t == null) {
            cells.addAll(List.of("–", "–"));
            return;
        }
        String figure = Double.isNaN(flops) ? ms(t.seconds()) + " ms" : f1(flops / t.seconds() / 1e9) + " GFLOP/s";
        cells.addAll(List.of(figure + " (" + t.impl() + ")", f2(t.seconds() / r.secondsPerOp())));
    }

    /** How many of the target GEMMs (square 512–2048, ResNet-50's) reach {@link #TARGET} of the peak. */
    private static String targetLine(List<JmhResult> gemms, Map<Integer, Double> peaks) {
        int reached = 0;
        int counted = 0;
        String lowest = null;
        double lowestShare = Double.MAX_VALUE;
        for (JmhResult r : gemms) {
            Double peak = peaks.get(r.graftThreads());
            if (peak == null || !targeted(r)) {
                continue;
            }
            double share = flops(r) / r.secondsPerOp() / 1e9 / peak;
            counted++;
            reached += share >= TARGET ? 1 : 0;
            if (share < lowestShare) {
                lowestShare = share;
                lowest = (key(r) + " at " + f1(100 * share) + "%").substring("gemm:".length());
            }
        }
        if (counted == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "Target (square 512–2048 and ResNet-50's GEMMs at ≥ %.0f%% of the FMA peak): "
                + "%d of %d rows; lowest %s.%n%n", 100 * TARGET, reached, counted, lowest);
    }

    private static boolean targeted(JmhResult r) {
        if (r.method().equals("resnet50")) {
            return true;
        }
        GemmShape s = GemmShape.parse(r.params().get("shape"));
        return s.m() == s.n() && s.n() == s.k() && s.m() >= 512 && s.m() <= 2048;
    }

    private static String[] withTorch(TorchResults torch, String... headers) {
        if (torch == null) {
            return headers;
        }
        String[] all = Arrays.copyOf(headers, headers.length + 2);
        all[headers.length] = "PyTorch";
        all[headers.length + 1] = "graft / PyTorch";
        return all;
    }

    /** Rows of a layer in ResNet-50's forward order; rows without a layer first, in JMH's order. */
    private static int layerOrder(JmhResult r) {
        String layer = r.params().get("layer");
        return layer == null ? -1 : ResNet50Conv.valueOf(layer).ordinal();
    }

    private static List<JmhResult> sorted(List<JmhResult> rows, Comparator<JmhResult> order) {
        return rows.stream().sorted(order).toList();
    }

    private static List<JmhResult> select(List<JmhResult> results, Predicate<JmhResult> which) {
        return results.stream().filter(which).toList();
    }

    private static String ms(double seconds) {
        return Double.isNaN(seconds) ? "–" : f3(seconds * 1e3);
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f3(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** A markdown table; columns after the first are right-aligned. */
    private static final class Table {
        private final StringBuilder text = new StringBuilder();

        Table(String... headers) {
            text.append("| ").append(String.join(" | ", headers)).append(" |\n|---|");
            text.append("---:|".repeat(headers.length - 1)).append('\n');
        }

        void row(String... cells) {
            row(List.of(cells));
        }

        void row(List<String> cells) {
            text.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }

        @Override
        public String toString() {
            return text + "\n";
        }
    }
}
