package dev.graft.models.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.ToDoubleFunction;

/**
 * The HTML reports of {@code graft train} and {@code graft lr-find}: one self-contained file each (inline CSS and
 * SVG, no scripts, fonts or images from elsewhere), written atomically.
 */
public final class TrainingReport {
    private TrainingReport() {
    }

    /**
     * The training report: the run-info table (in the map's order), loss and accuracy curves per epoch (train and,
     * where recorded, validation) with the best epoch marked, a table of the epochs, and for the best epoch's
     * validation the confusion matrix as a heat map (each row shaded by its share of the true class) and the
     * per-class table.
     *
     * @param bestEpoch the {@link EpochRecord#epoch()} of one of the records, or -1 for none
     * @param bestVal   the validation metrics at the best epoch, or null without a validation set
     * @throws IllegalArgumentException when the epoch numbers do not increase or {@code bestEpoch} names none of
     *                                  them
     */
    public static void write(Path html, String title, SequencedMap<String, String> runInfo, List<EpochRecord> epochs,
                             int bestEpoch, ClassificationMetrics bestVal) throws IOException {
        int n = epochs.size();
        double[] x = new double[n];
        boolean bestFound = bestEpoch == -1;
        for (int i = 0; i < n; i++) {
            int e = epochs.get(i).epoch();
            if (i > 0 && e <= epochs.get(i - 1).epoch()) {
                throw new IllegalArgumentException("report: epoch numbers must increase, got "
                        + epochs.get(i - 1).epoch() + " then " + e);
            }
            bestFound |= e == bestEpoch;
            x[i] = e;
        }
        if (!bestFound) {
            throw new IllegalArgumentException("report: best epoch " + bestEpoch + " is not among the "
                    + n + " epochs recorded" + (n == 0 ? "" : " (" + epochs.getFirst().epoch() + " to "
                    + epochs.getLast().epoch() + ")"));
        }
        StringBuilder body = new StringBuilder();
        body.append("<h2>Run</h2>\n<table class=\"run\">\n");
        for (Map.Entry<String, String> e : runInfo.entrySet()) {
            body.append("<tr><th>").append(Html.escape(e.getKey())).append("</th><td>")
                    .append(Html.escape(String.valueOf(e.getValue()))).append("</td></tr>\n");
        }
        body.append("</table>\n");
        body.append("<h2>Curves</h2>\n");
        if (n == 0) {
            body.append("<p class=\"note\">No epoch was recorded.</p>\n");
        } else {
            boolean validation = epochs.stream().anyMatch(EpochRecord::hasValidation);
            body.append("<div class=\"charts\">\n")
                    .append(curves("loss", "loss", x, epochs, EpochRecord::trainLoss, EpochRecord::valLoss,
                            validation, bestEpoch))
                    .append(curves("accuracy", "accuracy", x, epochs, EpochRecord::trainAccuracy,
                            EpochRecord::valAccuracy, validation, bestEpoch))
                    .append("</div>\n");
            appendEpochs(body, epochs, bestEpoch, validation);
        }
        if (bestVal == null) {
            body.append("<h2>Validation</h2>\n<p class=\"note\">No validation set.</p>\n");
        } else {
            body.append("<h2>Validation").append(bestEpoch == -1 ? "" : " at the best epoch (" + bestEpoch + ")")
                    .append("</h2>\n");
            body.append("<h3>Per class</h3>\n");
            appendPerClass(body, bestVal);
            appendConfusion(body, bestVal);
        }
        Html.write(html, title, body.toString());
    }

    private static String curves(String id, String quantity, double[] x, List<EpochRecord> epochs,
                                 ToDoubleFunction<EpochRecord> train, ToDoubleFunction<EpochRecord> val,
                                 boolean validation, int bestEpoch) {
        LineChart chart = new LineChart(id, "epoch", quantity, false)
                .series("train", LineChart.BLUE, 2, x, epochs.stream().mapToDouble(train).toArray());
        if (validation) {
            chart.series("validation", LineChart.ORANGE, 2, x, epochs.stream().mapToDouble(val).toArray());
        }
        if (bestEpoch != -1) {
            chart.marker(bestEpoch, "best: " + bestEpoch, "#555");
        }
        return "<figure>\n" + chart.svg() + "</figure>\n";
    }

    private static void appendEpochs(StringBuilder body, List<EpochRecord> epochs, int bestEpoch, boolean validation) {
        body.append("<h2>Epochs</h2>\n<table class=\"epochs\">\n<tr><th>epoch</th><th>train loss</th>"
                + "<th>train accuracy</th>");
        if (validation) {
            body.append("<th>val loss</th><th>val accuracy</th>");
        }
        body.append("<th>lr</th><th>seconds</th><th>images/s</th><th>trainable</th></tr>\n");
        for (EpochRecord r : epochs) {
            body.append(r.epoch() == bestEpoch ? "<tr class=\"best\">" : "<tr>")
                    .append(num(Integer.toString(r.epoch())))
                    .append(num(Numbers.decimal(r.trainLoss(), 4))).append(num(Numbers.decimal(r.trainAccuracy(), 4)));
            if (validation) {
                body.append(num(Numbers.decimal(r.valLoss(), 4))).append(num(Numbers.decimal(r.valAccuracy(), 4)));
            }
            body.append(num(Numbers.scientific(r.lr()))).append(num(Numbers.decimal(r.seconds(), 1)))
                    .append(num(Numbers.decimal(r.imagesPerSec(), 1))).append("<td>")
                    .append(Html.escape(String.join(", ", r.trainable()))).append("</td></tr>\n");
        }
        body.append("</table>\n");
    }

    private static void appendPerClass(StringBuilder body, ClassificationMetrics m) {
        double[] p = m.precision();
        double[] r = m.recall();
        double[] f = m.f1();
        long[] support = m.support();
        body.append("<table class=\"per-class\">\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>"
                + "<th>support</th></tr>\n");
        List<String> classes = m.classes();
        for (int k = 0; k < classes.size(); k++) {
            body.append("<tr><td>").append(Html.escape(classes.get(k))).append("</td>")
                    .append(num(Numbers.decimal(p[k], 4))).append(num(Numbers.decimal(r[k], 4)))
                    .append(num(Numbers.decimal(f[k], 4))).append(num(Long.toString(support[k]))).append("</tr>\n");
        }
        String count = Long.toString(m.count());
        body.append("<tr class=\"summary\"><td>accuracy</td><td></td><td></td>")
                .append(num(Numbers.decimal(m.accuracy(), 4)))
                .append(num(count)).append("</tr>\n");
        m.top5().ifPresent(t -> body.append("<tr><td>top-5 accuracy</td><td></td><td></td>")
                .append(num(Numbers.decimal(t, 4))).append(num(count)).append("</tr>\n"));
        body.append("<tr><td>macro avg</td>").append(num(Numbers.decimal(mean(p), 4)))
                .append(num(Numbers.decimal(mean(r), 4)))
                .append(num(Numbers.decimal(m.macroF1(), 4))).append(num(count)).append("</tr>\n</table>\n");
    }

    private static void appendConfusion(StringBuilder body, ClassificationMetrics m) {
        long[][] c = m.confusion();
        List<String> classes = m.classes();
        body.append("<h3>Confusion matrix</h3>\n<p class=\"note\">Rows: true class; columns: predicted class; "
                + "shading: share of the row.</p>\n<table class=\"confusion\">\n"
                + "<tr><th class=\"axis\">true \\ predicted</th>");
        for (String name : classes) {
            body.append("<th>").append(Html.escape(name)).append("</th>");
        }
        body.append("</tr>\n");
        for (int i = 0; i < c.length; i++) {
            long row = 0;
            for (long v : c[i]) {
                row += v;
            }
            body.append("<tr><th>").append(Html.escape(classes.get(i))).append("</th>");
            for (int j = 0; j < c[i].length; j++) {
                double share = row == 0 ? 0 : (double) c[i][j] / row;
                // blue for the diagonal, red off it, so mistakes stand out
                String rgb = i == j ? "31, 119, 180" : "214, 39, 40";
                body.append("<td style=\"background: rgba(").append(rgb).append(", ")
                        .append(Numbers.decimal(share * 0.85, 3)).append(")").append(share > 0.5 ? "; color: #fff" : "")
                        .append("\" title=\"").append(Numbers.decimal(100 * share, 1)).append(" % of ")
                        .append(Html.escape(classes.get(i))).append("\">").append(c[i][j]).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
    }

    private static String num(String text) {
        return "<td class=\"num\">" + text + "</td>";
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }

    /**
     * The lr-range test: the recorded and the smoothed loss against the learning rate on a log axis, the
     * suggestion marked. The y range spans the smoothed loss before divergence (see {@link LrSuggestion}) and the
     * lowest recorded loss there; points above it are clipped.
     *
     * @param suggested the suggested learning rate, or NaN for none
     * @throws IllegalArgumentException when the arrays differ in length or the learning rates are not positive,
     *                                  finite and increasing
     */
    public static void writeLrFind(Path html, double[] lrs, double[] losses, double suggested) throws IOException {
        if (lrs.length != losses.length) {
            throw new IllegalArgumentException("lr-find report: " + lrs.length + " learning rates but "
                    + losses.length + " losses");
        }
        LrSuggestion.checkLearningRates(lrs);
        double[] smoothed = LrSuggestion.smooth(losses, LrSuggestion.BETA);
        int usable = LrSuggestion.usable(smoothed);
        LineChart chart = new LineChart("lr-find", "learning rate (log scale)", "loss", true)
                .series("loss", LineChart.LIGHT_BLUE, 1.2, lrs, losses)
                .series("smoothed (beta " + LrSuggestion.BETA + ")", LineChart.BLUE, 2, lrs, smoothed);
        // the smoothed curve up to divergence sets the range: the raw loss explodes earlier and would flatten it
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < usable; i++) {
            low = Math.min(low, Math.min(smoothed[i], losses[i])); // finite: a non-finite loss ends 'usable'
            high = Math.max(high, smoothed[i]);
        }
        if (low <= high) {
            chart.yRange(low, high);
        }
        if (Double.isFinite(suggested) && suggested > 0) {
            chart.marker(suggested, "suggested: " + Numbers.scientific(suggested), LineChart.RED);
        }
        StringBuilder body = new StringBuilder();
        body.append("<p>Suggested learning rate: <b>")
                .append(Double.isNaN(suggested) ? "none" : Numbers.scientific(suggested))
                .append("</b> &#8212; where the smoothed loss falls fastest against log(lr), before it diverges "
                        + "(fastai&#39;s &#8220;steep&#8221; rule).</p>\n")
                .append("<p class=\"note\">").append(lrs.length).append(" steps from ")
                .append(lrs.length == 0 ? "-" : Numbers.scientific(lrs[0])).append(" to ")
                .append(lrs.length == 0 ? "-" : Numbers.scientific(lrs[lrs.length - 1]))
                .append(usable == lrs.length ? "; the loss did not diverge"
                        : "; the loss diverged at step " + (usable + 1))
                .append(".</p>\n")
                .append("<figure>\n").append(chart.svg()).append("</figure>\n");
        Html.write(html, "Learning-rate range test", body.toString());
    }
}
