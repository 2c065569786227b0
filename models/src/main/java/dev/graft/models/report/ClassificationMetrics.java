package dev.graft.models.report;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Accumulates a classifier's predictions over batches into a confusion matrix and the metrics derived from it.
 *
 * <p>The prediction is the arg-max of the logits, the first index on ties (as {@code torch.argmax} and
 * {@code numpy.argmax}); a NaN logit counts as larger than any number, as it does for both. Top-5 counts a sample
 * correct when its label ranks among the five largest logits under the same order (value descending, then index
 * ascending), so top-1 agrees with the arg-max and top-5 is never below it.
 *
 * <p>Precision, recall and F1 follow scikit-learn's {@code precision_recall_fscore_support(...,
 * labels=range(C), zero_division=0)}: for class c with tp true positives, fp false positives and fn false
 * negatives, precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2·tp / (2·tp + fp + fn), each 0 where its
 * denominator is 0. Macro F1 is the plain mean over all declared classes, including those with no support.
 * Accuracy and top-5 are NaN before any sample was added.
 */
public final class ClassificationMetrics {
    private static final int TOP_K = 5;

    private final List<String> classes;
    private final long[][] confusion;
    private long count;
    private long top5Correct;

    /**
     * @throws IllegalArgumentException when {@code classes} is empty or names a class twice
     */
    public ClassificationMetrics(List<String> classes) {
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("metrics: no classes");
        }
        if (new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException("metrics: class names repeat in " + classes);
        }
        this.classes = List.copyOf(classes);
        this.confusion = new long[classes.size()][classes.size()];
    }

    public List<String> classes() {
        return classes;
    }

    /**
     * Adds a batch: {@code logits} F32 or F64 of shape [B, C], {@code labels} I64 of shape [B] with values in
     * [0, C). The whole batch is checked before anything is counted, so a bad batch leaves the totals as they were.
     *
     * @throws IllegalArgumentException on a wrong dtype or shape, or a label outside [0, C)
     */
    public void add(Tensor logits, Tensor labels) {
        int c = classes.size();
        if (!logits.dtype().isFloatingPoint() || logits.dim() != 2 || logits.size(1) != c) {
            throw new IllegalArgumentException("metrics: logits must be F32/F64 of shape [B, " + c + "], got "
                    + logits.dtype() + " " + Arrays.toString(logits.shape()));
        }
        int b = logits.size(0);
        if (labels.dtype() != DType.I64 || labels.dim() != 1 || labels.size(0) != b) {
            throw new IllegalArgumentException("metrics: labels must be I64 of shape [" + b + "], got "
                    + labels.dtype() + " " + Arrays.toString(labels.shape()));
        }
        long[] y = labels.toLongArray();
        for (int i = 0; i < b; i++) {
            if (y[i] < 0 || y[i] >= c) {
                throw new IllegalArgumentException("metrics: label " + y[i] + " at batch index " + i
                        + " is outside [0, " + c + ")");
            }
        }
        double[] v = logits.toDoubleArray();
        for (int i = 0; i < b; i++) {
            int row = i * c;
            int label = (int) y[i];
            int predicted = 0;
            int rank = 0; // how many classes order before the label
            for (int j = 0; j < c; j++) {
                if (j > 0 && before(v[row + j], j, v[row + predicted], predicted)) {
                    predicted = j;
                }
                if (j != label && before(v[row + j], j, v[row + label], label)) {
                    rank++;
                }
            }
            confusion[label][predicted]++;
            if (rank < TOP_K) {
                top5Correct++;
            }
        }
        count += b;
    }

    /** Whether logit a of class i orders before logit b of class j: larger first (NaN largest), then lower index. */
    private static boolean before(double a, int i, double b, int j) {
        boolean aNan = Double.isNaN(a);
        boolean bNan = Double.isNaN(b);
        if (aNan != bNan) {
            return aNan;
        }
        if (aNan || a == b) {
            return i < j;
        }
        return a > b;
    }

    public long count() {
        return count;
    }

    /** Correct predictions over all samples: the confusion matrix's trace over its sum. */
    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < confusion.length; i++) {
            correct += confusion[i][i];
        }
        return (double) correct / count;
    }

    /** Present iff there are at least five classes. */
    public OptionalDouble top5() {
        return classes.size() >= TOP_K ? OptionalDouble.of((double) top5Correct / count) : OptionalDouble.empty();
    }

    public double[] precision() {
        double[] p = new double[classes.size()];
        for (int k = 0; k < p.length; k++) {
            p[k] = ratio(confusion[k][k], predicted(k));
        }
        return p;
    }

    public double[] recall() {
        double[] r = new double[classes.size()];
        for (int k = 0; k < r.length; k++) {
            r[k] = ratio(confusion[k][k], support(k));
        }
        return r;
    }

    public double[] f1() {
        double[] f = new double[classes.size()];
        for (int k = 0; k < f.length; k++) {
            long tp = confusion[k][k];
            long fp = predicted(k) - tp;
            long fn = support(k) - tp;
            f[k] = ratio(2 * tp, 2 * tp + fp + fn);
        }
        return f;
    }

    public double macroF1() {
        return mean(f1());
    }

    /** A copy of the counts, indexed [true class][predicted class]. */
    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    /** Per class, the number of samples of that true class. */
    public long[] support() {
        long[] s = new long[classes.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = support(k);
        }
        return s;
    }

    private long support(int k) {
        long s = 0;
        for (long n : confusion[k]) {
            s += n;
        }
        return s;
    }

    private long predicted(int k) {
        long s = 0;
        for (long[] row : confusion) {
            s += row[k];
        }
        return s;
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0 : (double) numerator / denominator;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /**
     * A fixed-width text table in the layout of scikit-learn's {@code classification_report}: a row per class
     * (precision, recall, F1, support), then accuracy, top-5 (when present) and the macro averages.
     */
    public String table() {
        int width = "macro avg".length();
        for (String name : classes) {
            width = Math.max(width, name.length());
        }
        String row = "%-" + width + "s  %9s  %9s  %9s  %9s\n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, row, "class", "precision", "recall", "f1",
                "support"));
        double[] p = precision();
        double[] r = recall();
        double[] f = f1();
        for (int k = 0; k < classes.size(); k++) {
            sb.append(String.format(Locale.ROOT, row, classes.get(k), four(p[k]), four(r[k]), four(f[k]), support(k)));
        }
        sb.append(String.format(Locale.ROOT, row, "accuracy", "", "", four(accuracy()), count));
        top5().ifPresent(t -> sb.append(String.format(Locale.ROOT, row, "top-5", "", "", four(t), count)));
        sb.append(String.format(Locale.ROOT, row, "macro avg", four(mean(p)), four(mean(r)), four(mean(f)), count));
        return sb.toString();
    }

    private static String four(double v) {
        return Numbers.decimal(v, 4);
    }

    /**
     * The metrics as plain maps and lists, ready for a JSON writer: {@code classes}, {@code count},
     * {@code accuracy}, {@code top5} (when present), {@code macro_f1}, {@code per_class} (a list of
     * {@code {class, precision, recall, f1, support}}) and {@code confusion} ([true][predicted] counts).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("classes", classes);
        map.put("count", count);
        map.put("accuracy", accuracy());
        top5().ifPresent(t -> map.put("top5", t));
        map.put("macro_f1", macroF1());
        double[] p = precision();
        double[] r = recall();
        double[] f = f1();
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int k = 0; k < classes.size(); k++) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class", classes.get(k));
            entry.put("precision", p[k]);
            entry.put("recall", r[k]);
            entry.put("f1", f[k]);
            entry.put("support", support(k));
            perClass.add(entry);
        }
        map.put("per_class", perClass);
        List<List<Long>> rows = new ArrayList<>();
        for (long[] row : confusion) {
            rows.add(Arrays.stream(row).boxed().toList());
        }
        map.put("confusion", rows);
        return map;
    }
}
