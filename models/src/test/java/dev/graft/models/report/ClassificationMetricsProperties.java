package dev.graft.models.report;

import dev.graft.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ClassificationMetrics against scikit-learn's definitions recomputed sample by sample in an F64 loop, on random
 * logits (often with ties) and labels, fed in random batches.
 */
class ClassificationMetricsProperties {

    /** Random data for a property: logits [n, c] as doubles, labels in [0, c). */
    private record Data(int n, int c, double[] logits, long[] labels) {
        static Data random(int n, int c, long seed) {
            Random r = new Random(seed);
            boolean ties = r.nextBoolean();
            double[] logits = new double[n * c];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = ties ? r.nextInt(3) : r.nextGaussian();
            }
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = r.nextInt(c);
            }
            return new Data(n, c, logits, labels);
        }

        ClassificationMetrics metrics(long seed) {
            var m = new ClassificationMetrics(IntStream.range(0, c).mapToObj(k -> "c" + k).toList());
            Random r = new Random(seed);
            for (int start = 0; start < n; ) {
                int size = Math.min(n - start, 1 + r.nextInt(8));
                double[] rows = new double[size * c];
                System.arraycopy(logits, start * c, rows, 0, rows.length);
                long[] y = new long[size];
                System.arraycopy(labels, start, y, 0, size);
                m.add(Tensor.of(rows, size, c), Tensor.ofLongs(y, size));
                start += size;
            }
            return m;
        }
    }

    /** The reference: per sample, the first arg-max and the label's rank, then sklearn's formulas per class. */
    private record Reference(double accuracy, double top5, double[] precision, double[] recall, double[] f1,
                             long[] support) {
        static Reference of(Data d) {
            long[] tp = new long[d.c];
            long[] fp = new long[d.c];
            long[] fn = new long[d.c];
            long[] support = new long[d.c];
            long correct = 0;
            long inTop5 = 0;
            for (int i = 0; i < d.n; i++) {
                int row = i * d.c;
                int y = (int) d.labels[i];
                List<Integer> order = new ArrayList<>(IntStream.range(0, d.c).boxed().toList());
                // a stable sort by value descending keeps lower indices first among ties
                order.sort(Comparator.comparingDouble((Integer k) -> d.logits[row + k]).reversed());
                int predicted = order.getFirst();
                support[y]++;
                if (predicted == y) {
                    correct++;
                    tp[y]++;
                } else {
                    fp[predicted]++;
                    fn[y]++;
                }
                if (order.indexOf(y) < 5) {
                    inTop5++;
                }
            }
            double[] precision = new double[d.c];
            double[] recall = new double[d.c];
            double[] f1 = new double[d.c];
            for (int k = 0; k < d.c; k++) {
                precision[k] = tp[k] + fp[k] == 0 ? 0 : (double) tp[k] / (tp[k] + fp[k]);
                recall[k] = tp[k] + fn[k] == 0 ? 0 : (double) tp[k] / (tp[k] + fn[k]);
                f1[k] = precision[k] + recall[k] == 0 ? 0 : 2 * precision[k] * recall[k] / (precision[k] + recall[k]);
            }
            return new Reference((double) correct / d.n, (double) inTop5 / d.n, precision, recall, f1, support);
        }
    }

    /** Every disagreement between the metrics and the reference, empty when they agree. */
    private static List<String> mismatches(ClassificationMetrics m, Reference ref) {
        List<String> problems = new ArrayList<>();
        compare(problems, "accuracy", ref.accuracy, m.accuracy());
        if (m.classes().size() >= 5) {
            compare(problems, "top5", ref.top5, m.top5().orElse(Double.NaN));
        }
        double[] p = m.precision();
        double[] r = m.recall();
        double[] f = m.f1();
        long[] support = m.support();
        double macro = 0;
        for (int k = 0; k < p.length; k++) {
            compare(problems, "precision " + k, ref.precision[k], p[k]);
            compare(problems, "recall " + k, ref.recall[k], r[k]);
            compare(problems, "f1 " + k, ref.f1[k], f[k]);
            if (ref.support[k] != support[k]) {
                problems.add("support " + k + ": expected " + ref.support[k] + ", got " + support[k]);
            }
            macro += ref.f1[k];
        }
        compare(problems, "macro f1", macro / p.length, m.macroF1());
        return problems;
    }

    private static void compare(List<String> problems, String what, double expected, double actual) {
        if (!(Math.abs(expected - actual) <= 1e-12)) {
            problems.add(what + ": expected " + expected + ", got " + actual);
        }
    }

    @Property(tries = 300)
    void agreesWithTheSampleBySampleReference(@ForAll @IntRange(min = 1, max = 60) int n,
                                              @ForAll @IntRange(min = 1, max = 12) int c, @ForAll long seed) {
        Data d = Data.random(n, c, seed);
        ClassificationMetrics m = d.metrics(seed);
        assertEquals(List.of(), mismatches(m, Reference.of(d)));
        assertEquals(n, m.count());
    }

    @Property(tries = 300)
    void metricsFollowFromTheConfusionMatrix(@ForAll @IntRange(min = 1, max = 60) int n,
                                             @ForAll @IntRange(min = 1, max = 12) int c, @ForAll long seed) {
        ClassificationMetrics m = Data.random(n, c, seed).metrics(seed);
        long[][] confusion = m.confusion();
        long total = 0;
        long trace = 0;
        for (int i = 0; i < c; i++) {
            trace += confusion[i][i];
            for (int j = 0; j < c; j++) {
                total += confusion[i][j];
            }
        }
        assertEquals(n, total);
        assertEquals((double) trace / total, m.accuracy(), 1e-15);
        double[] p = m.precision();
        double[] r = m.recall();
        double[] f = m.f1();
        for (int k = 0; k < c; k++) {
            long column = 0;
            long row = 0;
            for (int i = 0; i < c; i++) {
                column += confusion[i][k];
                row += confusion[k][i];
            }
            assertEquals(column == 0 ? 0 : (double) confusion[k][k] / column, p[k], 1e-15);
            assertEquals(row == 0 ? 0 : (double) confusion[k][k] / row, r[k], 1e-15);
            assertEquals(p[k] + r[k] == 0 ? 0 : 2 * p[k] * r[k] / (p[k] + r[k]), f[k], 1e-12);
        }
        m.top5().ifPresent(top5 -> assertTrue(top5 >= m.accuracy(), top5 + " < " + m.accuracy()));
        assertEquals(c >= 5, m.top5().isPresent());
    }

    /** The checker catches a wrong result: metrics of data with one label changed disagree with the reference. */
    @Property(tries = 300)
    void checkerCatchesOneChangedLabel(@ForAll @IntRange(min = 1, max = 60) int n,
                                       @ForAll @IntRange(min = 2, max = 12) int c, @ForAll long seed) {
        Data d = Data.random(n, c, seed);
        long[] changed = d.labels.clone();
        int i = Math.floorMod(seed, n);
        changed[i] = (changed[i] + 1 + Math.floorMod(seed >> 8, c - 1)) % c;
        ClassificationMetrics wrong = new Data(n, c, d.logits, changed).metrics(seed);
        assertFalse(mismatches(wrong, Reference.of(d)).isEmpty());
    }
}
