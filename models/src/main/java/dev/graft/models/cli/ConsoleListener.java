package dev.graft.models.cli;

import dev.graft.models.report.ClassificationMetrics;
import dev.graft.models.report.EpochRecord;
import dev.graft.models.report.Progress;
import dev.graft.models.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;

/** Shows a run on the console: a progress bar per epoch on stdout, notes and warnings on stderr. */
final class ConsoleListener implements TrainingListener {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private Progress progress;

    ConsoleListener(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        this.terminal = Progress.isTerminal();
    }

    @Override
    public void log(String line) {
        err.println("note: " + line);
    }

    @Override
    public void warn(String line) {
        err.println("warning: " + line);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int batches) {
        progress = new Progress(out, terminal, "epoch " + epoch + "/" + epochs, batches);
    }

    @Override
    public void batchEnded(int batchesDone, double meanLoss, double accuracy, long images, double seconds) {
        progress.update(batchesDone, meanLoss, accuracy, images, seconds);
    }

    @Override
    public void epochEnded(EpochRecord r, ClassificationMetrics val) {
        progress.finish(Double.isNaN(r.valAccuracy()) ? String.format(Locale.ROOT, "%.1f s", r.seconds())
                : String.format(Locale.ROOT, "val loss %.4f, val acc %.2f%%, %.1f s", r.valLoss(),
                        100 * r.valAccuracy(), r.seconds()));
    }
}
