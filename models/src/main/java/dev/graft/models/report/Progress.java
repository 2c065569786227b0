package dev.graft.models.report;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/**
 * One epoch's progress. On a terminal it is a single line redrawn in place with a carriage return (bar, batches
 * done of total, mean loss, accuracy, images per second, estimated time left), at most every 0.1 s. Elsewhere
 * (a log file, a pipe) it prints plain lines instead, one when the epoch passes a new tenth of its batches and at
 * least 5 s after the previous line, so logs stay short; {@link #finish} prints the last line either way.
 *
 * <p>Time comes from the caller ({@code elapsedSeconds}), so the output depends on nothing but the arguments.
 * Odd input never throws: a zero or negative total shows no bar fraction and no ETA, NaN prints as "nan".
 * After {@link #finish} further calls are ignored.
 */
public final class Progress {
    private static final int BAR = 24;
    private static final double REDRAW_SECONDS = 0.1;
    private static final double LINE_SECONDS = 5;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private final int total;
    private int done;
    private double loss = Double.NaN;
    private double accuracy = Double.NaN;
    private long images;
    private double elapsed;
    private double lastPrinted;
    private int lastTenth;
    private int drawnWidth;
    private boolean finished;

    /**
     * @param terminal     whether {@code out} is a terminal that honours carriage returns, e.g. {@link #isTerminal()}
     * @param totalBatches the epoch's batches; 0 or less when unknown
     */
    public Progress(PrintStream out, boolean terminal, String label, int totalBatches) {
        this.out = out;
        this.terminal = terminal;
        this.label = label == null ? "" : label;
        this.total = Math.max(0, totalBatches);
        this.lastPrinted = terminal ? Double.NEGATIVE_INFINITY : 0;
    }

    /**
     * Records the state after {@code batchesDone} batches and shows it if it is time to.
     *
     * @param meanLoss       the mean training loss so far
     * @param accuracy       the training accuracy so far, in [0, 1]
     * @param images         images processed so far
     * @param elapsedSeconds time since the epoch started
     */
    public void update(int batchesDone, double meanLoss, double accuracy, long images, double elapsedSeconds) {
        if (finished) {
            return;
        }
        this.done = Math.max(0, batchesDone);
        this.loss = meanLoss;
        this.accuracy = accuracy;
        this.images = Math.max(0, images);
        this.elapsed = Double.isFinite(elapsedSeconds) ? Math.max(0, elapsedSeconds) : 0;
        if (terminal) {
            boolean last = total > 0 && done >= total;
            if (last || elapsed - lastPrinted >= REDRAW_SECONDS) {
                redraw(line(true));
                lastPrinted = elapsed;
            }
        } else {
            int tenth = total > 0 ? (int) Math.min(10, 10L * done / total) : 0;
            if (done < total && tenth > lastTenth && elapsed - lastPrinted >= LINE_SECONDS) {
                out.println(line(false));
                out.flush();
                lastTenth = tenth;
                lastPrinted = elapsed;
            }
        }
    }

    /** Shows the final state followed by {@code summary} (e.g. validation metrics; null or empty for none). */
    public void finish(String summary) {
        if (finished) {
            return;
        }
        finished = true;
        String tail = summary == null || summary.isEmpty() ? "" : "  " + summary;
        if (terminal) {
            redraw(line(true) + tail);
            out.println();
        } else {
            out.println(line(false) + tail);
        }
        out.flush();
    }

    /** Whether standard output is an interactive terminal, where a line can be redrawn in place. */
    public static boolean isTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    private void redraw(String line) {
        // pad over what is left of a longer previous line
        String padding = " ".repeat(Math.max(0, drawnWidth - line.length()));
        out.print("\r" + line + padding);
        out.flush();
        drawnWidth = line.length();
    }

    private String line(boolean bar) {
        StringBuilder sb = new StringBuilder(label);
        if (bar) {
            int filled = total > 0 ? (int) (BAR * Math.min(1.0, (double) done / total)) : 0;
            sb.append(" [").append("=".repeat(filled));
            if (filled < BAR) {
                sb.append('>').append(" ".repeat(BAR - filled - 1));
            }
            sb.append(']');
        }
        sb.append("  ").append(done).append('/').append(total);
        if (!bar && total > 0) {
            sb.append(" (").append(Math.min(100, 100L * done / total)).append("%)");
        }
        sb.append("  loss ").append(Numbers.decimal(loss, 4))
                .append("  acc ").append(Numbers.decimal(100 * accuracy, 1))
                .append(Double.isFinite(accuracy) ? "%" : "")
                .append("  ").append(rate()).append(" img/s  ");
        boolean complete = finished || (total > 0 && done >= total);
        if (complete) {
            sb.append(duration(elapsed));
        } else {
            if (!bar) {
                sb.append(duration(elapsed)).append(" elapsed, ");
            }
            sb.append("ETA ").append(eta());
        }
        return sb.toString();
    }

    private String rate() {
        if (elapsed <= 0) {
            return "-";
        }
        double r = images / elapsed;
        return Numbers.decimal(r, r >= 100 ? 0 : 1);
    }

    private String eta() {
        if (total <= 0 || done <= 0 || elapsed <= 0) {
            return duration(Double.NaN);
        }
        return duration(elapsed / done * Math.max(0, total - done));
    }

    /** m:ss below an hour, h:mm:ss above, "--:--" when unknown. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0 || seconds > 1e9) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s < 3600 ? String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
